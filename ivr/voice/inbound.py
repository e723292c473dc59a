"""Webhooks for calls to the company number: candidates, recruiters dialling in, strangers."""

from __future__ import annotations

import logging

from flask import abort, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from ivr import clock
from ivr.callflow import inbound as flow
from ivr.callflow.events import already_recorded, record_event
from ivr.callflow.hours import BusinessHours
from ivr.callflow.status import apply_status_callback
from ivr.db import get_session
from ivr.security import settings, twilio_signature_required
from ivr.telephony import TelephonyError, gateway
from ivr.twiml_response import twiml_response
from ivr.urls import webhook_url
from ivr.voice import bp
from models import Call, CallbackTask, User
from models.phone import mask_phone
from twiml import inbound as prompts
from twiml import outbound as outbound_prompts
from twiml.common import empty, goodbye

log = logging.getLogger(__name__)


def _call(session: Session, call_id: int) -> Call:
    call = session.get(Call, call_id)
    if call is None:
        log.warning("webhook for unknown call %s call_sid=%s", call_id, request.form.get("CallSid"))
        abort(404)
    return call


def _int_arg(name: str, default: int = 0) -> int:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else default


def _hours() -> BusinessHours:
    return BusinessHours.from_settings(settings())


@bp.post("/incoming")
@twilio_signature_required
def incoming():  # type: ignore[no-untyped-def]
    session = get_session()
    caller = flow.identify_caller(session, request.form.get("From", ""))
    call, _created = flow.open_inbound_call(
        session, request.form, caller, settings().twilio_phone_number
    )
    log.info(
        "incoming call call_sid=%s from=%s caller=%s",
        call.parent_sid,
        mask_phone(caller.number),
        caller.kind,
    )
    if caller.kind == "recruiter" and caller.recruiter is not None:
        if flow_lock_free(session, caller.recruiter):
            call.active_recruiter_id = caller.recruiter.id
        session.commit()
        return twiml_response(_dial_in_prompt(call, caller.recruiter, attempt=1))

    hours = _hours()
    if not hours.is_open(clock.now()):
        record_event(session, call, "after_hours", detail={"hours": hours.describe()})
        session.commit()
        return twiml_response(_after_hours_voicemail(call, hours))

    candidate = caller.candidate
    if candidate is not None and candidate.stage == "offer":
        session.commit()
        return twiml_response(
            prompts.offer_menu(
                candidate.first_name, webhook_url("voice.inbound_choice", call_id=call.id)
            )
        )
    if candidate is not None:
        return _ring(session, call, 0, greeting=f"Hi {candidate.first_name}, thanks for calling.")
    session.commit()
    return twiml_response(
        prompts.unknown_caller_menu(
            settings().company_name, webhook_url("voice.inbound_choice", call_id=call.id)
        )
    )


def flow_lock_free(session: Session, recruiter: User) -> bool:
    return session.scalar(select(Call.id).where(Call.active_recruiter_id == recruiter.id)) is None


@bp.post("/inbound/<int:call_id>/choice")
@twilio_signature_required
def inbound_choice(call_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    call = _call(session, call_id)
    menu = "offer" if call.candidate is not None else "unknown"
    digits = flow.record_menu_choice(session, call, request.form, menu)
    if menu == "offer":
        if digits == "2":
            flow.start_decision_line(session, call)
        # No key, 1, or anything else: the caller wants a person; ring their recruiter.
        return _ring(session, call, 0, greeting="Connecting you to your recruiter.")
    if digits == "2":
        session.commit()
        return twiml_response(_voicemail(call, "Thank you."))
    return _ring(session, call, 0, greeting="Connecting you to our recruiting team.")


def _ring(session: Session, call: Call, index: int, greeting: str | None = None):  # type: ignore[no-untyped-def]
    """Ring the index-th recruiter of the hunt list, or take a voicemail when none is left."""
    hunt = flow.hunt_list(session, call)
    if index >= len(hunt):
        record_event(session, call, "hunt.exhausted", detail={"tried": index})
        session.commit()
        who = _preferred_name(session, call)
        return twiml_response(_voicemail(call, f"{who} is not available right now."))
    recruiter = hunt[index]
    flow.record_ringing(session, call, recruiter, index)
    session.commit()
    return twiml_response(
        prompts.ring_recruiter(
            recruiter.phone or "",
            caller_id=settings().twilio_phone_number,
            whisper_url=webhook_url("voice.inbound_whisper", call_id=call.id, r=recruiter.id),
            action_url=webhook_url(
                "voice.inbound_hunt_result", call_id=call.id, i=index, r=recruiter.id
            ),
            greeting=greeting,
        )
    )


def _preferred_name(session: Session, call: Call) -> str:
    owner = flow.assignee(session, call)
    return owner.first_name if owner else "Our recruiting team"


@bp.post("/inbound/<int:call_id>/whisper")
@twilio_signature_required
def inbound_whisper(call_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    call = _call(session, call_id)
    recruiter_id = _int_arg("r")
    record_event(
        session,
        call,
        "whisper.played",
        source="twilio",
        payload=dict(request.form),
        detail={"recruiter_id": recruiter_id},
    )
    session.commit()
    if call.candidate is None:
        announcement = "Call for the recruiting team from an unknown number."
    elif call.flow == "decision":
        announcement = (
            f"Call from candidate {call.candidate.name}, with their answer on your offer."
        )
    else:
        announcement = f"Call from candidate {call.candidate.name}."
    return twiml_response(
        prompts.whisper(
            announcement,
            webhook_url("voice.inbound_whisper_answer", call_id=call.id, r=recruiter_id),
        )
    )


@bp.post("/inbound/<int:call_id>/whisper-answer")
@twilio_signature_required
def inbound_whisper_answer(call_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    call = _call(session, call_id)
    recruiter = session.get(User, _int_arg("r"))
    if recruiter is None:
        abort(404)
    accepted = flow.accept_whisper(session, call, request.form, recruiter)
    session.commit()
    return twiml_response(prompts.bridge() if accepted else prompts.hang_up())


@bp.post("/inbound/<int:call_id>/hunt-result")
@twilio_signature_required
def inbound_hunt_result(call_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    call = _call(session, call_id)
    index = _int_arg("i")
    connected = flow.record_hunt_result(session, call, request.form, index, _int_arg("r") or None)
    if connected:
        flow.close_callbacks(session, call)
        session.commit()
        request_outcome_call(session, call)
        return twiml_response(goodbye("Thank you for calling. Goodbye."))
    if request.form.get("CallStatus") == "completed" or call.ended_at is not None:
        # The caller hung up while we rang: nothing is said to nobody, nothing more is rung.
        session.commit()
        return twiml_response(empty())
    return _ring(session, call, index + 1)


def request_outcome_call(session: Session, call: Call) -> None:
    """After an inbound call the recruiter's leg is gone, so ring them back for the outcome."""
    key = f"outcome-call:{call.id}"
    recruiter = call.recruiter
    if recruiter is None or not recruiter.phone or already_recorded(session, key):
        return
    try:
        with session.begin_nested():
            record_event(
                session, call, "outcome.call_requested", detail={"recruiter_id": recruiter.id},
                idempotency_key=key,
            )  # fmt: skip
        session.commit()
    except IntegrityError:
        session.rollback()
        return
    try:
        placed = gateway().place_call(
            to=recruiter.phone,
            url=webhook_url("voice.outcome_prompt", call_id=call.id),
            status_callback=webhook_url("voice.outcome_call_status", call_id=call.id),
            status_events=("completed",),
        )
    except TelephonyError as exc:
        record_event(session, call, "outcome.call_failed", detail={"reason": str(exc)})
    else:
        record_event(session, call, "outcome.call_placed", detail={"call_sid": placed.sid})
    session.commit()


def _voicemail(call: Call, intro: str) -> VoiceResponse:
    return prompts.voicemail_prompt(
        intro,
        action_url=webhook_url("voice.inbound_voicemail", call_id=call.id),
        recording_callback_url=webhook_url("voice.inbound_recording", call_id=call.id),
    )


def _after_hours_voicemail(call: Call, hours: BusinessHours) -> VoiceResponse:
    return _voicemail(
        call,
        f"Thank you for calling {settings().company_name}. Our office is closed now. "
        f"We are open {hours.describe()}, {hours.zone.key.replace('_', ' ')} time. "
        f"We will call you back {hours.callback_promise(clock.now())}.",
    )


@bp.post("/inbound/<int:call_id>/voicemail")
@twilio_signature_required
def inbound_voicemail(call_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    call = _call(session, call_id)
    if request.form.get("RecordingSid"):
        flow.record_voicemail(session, call, request.form)
    session.commit()
    hours = _hours()
    now = clock.now()
    promise = "as soon as we can" if hours.is_open(now) else hours.callback_promise(now)
    return twiml_response(prompts.voicemail_thanks(promise))


@bp.post("/inbound/<int:call_id>/recording")
@twilio_signature_required
def inbound_recording(call_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    call = _call(session, call_id)
    try:
        flow.record_recording_status(session, call, request.form)
        session.commit()
    except IntegrityError:
        session.rollback()
    return twiml_response(empty())


@bp.post("/status")
@twilio_signature_required
def number_status():  # type: ignore[no-untyped-def]
    """The phone number's status callback: every call to the company number ends here."""
    session = get_session()
    call = session.scalar(select(Call).where(Call.parent_sid == request.form.get("CallSid")))
    if call is None:
        log.warning("status for unknown call_sid=%s", request.form.get("CallSid"))
        return twiml_response(empty())
    try:
        # A racing duplicate hits the unique idempotency key at the event's flush.
        apply_status_callback(session, call, request.form)
        session.commit()
    except IntegrityError:
        session.rollback()
        return twiml_response(empty())
    if call.direction == "inbound" and call.child_sid and call.ended_at is not None:
        request_outcome_call(session, call)
    return twiml_response(empty())


# The recruiter line -------------------------------------------------------------------------


def _dial_in_prompt(call: Call, recruiter: User, attempt: int, intro: str = "") -> VoiceResponse:
    retry = (
        webhook_url("voice.dial_in_code", call_id=call.id, attempt=attempt + 1)
        if attempt < flow.MAX_CODE_PROMPTS
        else None
    )
    return prompts.dial_in_prompt(
        recruiter.first_name,
        action_url=webhook_url("voice.dial_in_code", call_id=call.id, attempt=attempt),
        retry_url=retry,
        intro=intro,
    )


def _dial_in_call(session: Session, call_id: int) -> tuple[Call, User]:
    call = _call(session, call_id)
    if call.flow != "dial-in" or call.recruiter is None:
        abort(404)
    return call, call.recruiter


@bp.post("/dial-in/<int:call_id>/code")
@twilio_signature_required
def dial_in_code(call_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    call, recruiter = _dial_in_call(session, call_id)
    attempt = _int_arg("attempt", 1)
    if request.form.get("Digits", "").startswith("*"):
        session.commit()
        return twiml_response(_callbacks_menu(session, call, recruiter))
    if "Digits" not in request.form and attempt > flow.MAX_CODE_PROMPTS:
        session.commit()
        return twiml_response(goodbye("Goodbye."))
    if "Digits" not in request.form:
        # Reached through the prompt's Redirect: no key at all, so simply ask again.
        return twiml_response(_dial_in_prompt(call, recruiter, attempt))
    result = flow.choose_candidate_by_code(session, call, recruiter, request.form, attempt)
    session.commit()
    if result.candidate is not None:
        return twiml_response(_connect(call, result.candidate.phone, result.message))
    if result.retry:
        return twiml_response(_dial_in_prompt(call, recruiter, attempt + 1, intro=result.message))
    return twiml_response(goodbye(f"{result.message} Goodbye."))


def _connect(call: Call, number: str, announce: str) -> VoiceResponse:
    return outbound_prompts.connect_candidate(
        number,
        caller_id=settings().twilio_phone_number,
        action_url=webhook_url("voice.outbound_dial_result", call_id=call.id),
        announce=announce,
    )


def _callbacks_menu(session: Session, call: Call, recruiter: User) -> VoiceResponse:
    tasks = flow.open_callbacks(session, recruiter)[:5]
    now = clock.now()
    entries = [
        prompts.CallbackEntry(
            caller=task.candidate.name if task.candidate else "an unknown caller",
            left=_ago(now - task.created_at),
            recording_url=task.voicemail.recording_url,
        )
        for task in tasks
    ]
    codes_url = webhook_url("voice.dial_in_code", call_id=call.id, attempt=1)
    action = webhook_url(
        "voice.dial_in_callback_choice", call_id=call.id, task=tasks[0].id if tasks else 0
    )
    return prompts.callbacks_menu(entries, action_url=action, codes_url=codes_url)


def _ago(delta) -> str:  # type: ignore[no-untyped-def]
    minutes = int(delta.total_seconds() // 60)
    if minutes < 2:
        return "just now"
    if minutes < 120:
        return f"{minutes} minutes ago"
    hours = minutes // 60
    return f"{hours} hours ago" if hours < 48 else f"{hours // 24} days ago"


@bp.post("/dial-in/<int:call_id>/callback-choice")
@twilio_signature_required
def dial_in_callback_choice(call_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    call, recruiter = _dial_in_call(session, call_id)
    task = session.get(CallbackTask, _int_arg("task"))
    digits = request.form.get("Digits", "")
    record_event(
        session,
        call,
        "dial_in.callback_choice",
        source="twilio",
        payload=dict(request.form),
        detail={"digits": digits, "task_id": task.id if task else None},
        actor=recruiter,
    )
    if digits != "1" or task is None or task.status != "open":
        session.commit()
        return twiml_response(_dial_in_prompt(call, recruiter, attempt=1))
    if task.candidate is not None and task.candidate.do_not_call:
        session.commit()
        return twiml_response(
            _dial_in_prompt(
                call, recruiter, 1, intro=f"{task.candidate.name} is marked do not call."
            )
        )
    if task.candidate is not None:
        flow.use_candidate(call, task.candidate)
    else:
        call.candidate_number = task.caller_number
    session.commit()
    name = task.candidate.name if task.candidate else "the caller"
    if not call.candidate_number:
        return twiml_response(
            _dial_in_prompt(call, recruiter, 1, intro="That caller withheld their number.")
        )
    return twiml_response(_connect(call, call.candidate_number, f"Calling {name} back."))
