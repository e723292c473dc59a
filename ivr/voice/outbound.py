"""Webhooks of the one-click call: the recruiter's leg, the candidate's dial, the outcome."""

from __future__ import annotations

import logging

from flask import abort, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ivr.callflow import outbound as flow
from ivr.callflow.events import already_recorded, record_event, webhook_payload
from ivr.callflow.status import apply_status_callback
from ivr.db import get_session
from ivr.security import settings, twilio_signature_required
from ivr.twiml_response import twiml_response
from ivr.urls import webhook_url
from ivr.voice import bp
from models import Call
from twiml import outbound as prompts
from twiml.common import empty, goodbye

log = logging.getLogger(__name__)


def _call(session: Session, call_id: int, direction: str | None = "outbound") -> Call:
    call = session.get(Call, call_id)
    if call is None or (direction and call.direction != direction):
        log.warning("webhook for unknown call %s call_sid=%s", call_id, request.form.get("CallSid"))
        abort(404)
    return call


def _attempt() -> int:
    value = request.args.get("attempt", "1")
    return int(value) if value.isdigit() and 0 < int(value) < 10 else 1


@bp.post("/outbound/<int:call_id>/status")
@twilio_signature_required
def outbound_status(call_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    call = session.get(Call, call_id)
    if call is None:
        log.warning("status callback for unknown call %s", call_id)
        return twiml_response(empty())
    try:
        # The event's flush, not the commit, is where a racing duplicate hits the unique key.
        apply_status_callback(session, call, request.form)
        session.commit()
    except IntegrityError:
        # Two deliveries of the same callback raced; the other one was logged.
        session.rollback()
    return twiml_response(empty())


@bp.post("/outbound/<int:call_id>/answer")
@twilio_signature_required
def outbound_answer(call_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    call = _call(session, call_id)
    attempt = _attempt()
    allowed = flow.record_recruiter_answered(session, call, request.form, attempt)
    session.commit()
    if not allowed:
        return twiml_response(goodbye("This candidate can no longer be called. Goodbye."))
    retry = (
        webhook_url("voice.outbound_answer", call_id=call.id, attempt=attempt + 1)
        if attempt < flow.MAX_SCREEN_PROMPTS
        else None
    )
    return twiml_response(
        prompts.screening_prompt(
            _callee(call),
            action_url=webhook_url("voice.outbound_screen", call_id=call.id, attempt=attempt),
            retry_url=retry,
        )
    )


def _callee(call: Call) -> str | None:
    """The name the recruiter hears; None for an unknown caller being called back."""
    return call.candidate.name if call.candidate is not None else None


@bp.post("/outbound/<int:call_id>/screen")
@twilio_signature_required
def outbound_screen(call_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    call = _call(session, call_id)
    attempt = _attempt()
    result = flow.screen_recruiter(session, call, request.form, attempt)
    session.commit()
    if result.connect and call.candidate_number:
        return twiml_response(
            prompts.connect_candidate(
                call.candidate_number,
                caller_id=settings().twilio_phone_number,
                action_url=webhook_url("voice.outbound_dial_result", call_id=call.id),
                answered_url=webhook_url("voice.outbound_candidate_status", call_id=call.id),
            )
        )
    if result.retry:
        return twiml_response(
            prompts.screening_prompt(
                _callee(call),
                action_url=webhook_url(
                    "voice.outbound_screen", call_id=call.id, attempt=attempt + 1
                ),
                retry_url=None,
            )
        )
    return twiml_response(goodbye("The call was not connected. Goodbye."))


@bp.post("/outbound/<int:call_id>/dial-result")
@twilio_signature_required
def outbound_dial_result(call_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    call = _call(session, call_id)
    dial_status = flow.record_dial_result(session, call, request.form)
    session.commit()
    first_name = call.candidate.first_name if call.candidate else "the caller"
    return _outcome_menu(session, call, 1, prompts.dial_ending(dial_status, first_name))


@bp.post("/outbound/<int:call_id>/candidate-status")
@twilio_signature_required
def outbound_candidate_status(call_id: int):  # type: ignore[no-untyped-def]
    """The candidate's leg answered: the recruiter's page shows them talking."""
    session = get_session()
    call = session.get(Call, call_id)
    if call is None:
        log.warning("candidate status callback for unknown call %s", call_id)
        return twiml_response(empty())
    try:
        flow.record_candidate_leg_status(session, call, request.form)
        session.commit()
    except IntegrityError:
        session.rollback()  # the same delivery, raced: the other one was logged
    return twiml_response(empty())


@bp.post("/calls/<int:call_id>/outcome")
@twilio_signature_required
def outbound_outcome(call_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    call = _call(session, call_id, direction=None)
    attempt = _attempt()
    result = flow.record_outcome(session, call, request.form, attempt)
    session.commit()
    if result.saved is not None:
        return twiml_response(prompts.outcome_saved(result.saved.label))
    if not result.retry:
        return twiml_response(prompts.outcome_not_recorded())
    intro = "I did not hear a key." if result.heard_nothing else "That is not one of the options."
    return _outcome_menu(session, call, attempt + 1, intro)


def _outcome_menu(session: Session, call: Call, attempt: int, intro: str):  # type: ignore[no-untyped-def]
    url = webhook_url("voice.outbound_outcome", call_id=call.id, attempt=attempt)
    items = [prompts.MenuItem(d, label) for d, label in flow.outcome_menu_items(session)]
    return twiml_response(prompts.outcome_menu(items, action_url=url, retry_url=url, intro=intro))


@bp.post("/calls/<int:call_id>/outcome-prompt")
@twilio_signature_required
def outcome_prompt(call_id: int):  # type: ignore[no-untyped-def]
    """The recruiter answered the call-back that asks for an inbound call's outcome."""
    session = get_session()
    call = _call(session, call_id, direction=None)
    record_event(
        session,
        call,
        "outcome.call_answered",
        source="twilio",
        payload=webhook_payload(request.form),
    )
    session.commit()
    if call.outcome_code_id is not None:
        return twiml_response(goodbye("The outcome of this call is already saved. Goodbye."))
    name = call.candidate.name if call.candidate else "an unknown caller"
    return _outcome_menu(session, call, 1, f"Your call with {name} has ended.")


@bp.post("/calls/<int:call_id>/outcome-call-status")
@twilio_signature_required
def outcome_call_status(call_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    call = _call(session, call_id, direction=None)
    key = "outcome-call-status:{}:{}".format(
        request.form.get("CallSid", ""), request.form.get("CallStatus", "")
    )
    try:
        if not already_recorded(session, key):
            record_event(
                session,
                call,
                "outcome.call_status",
                source="twilio",
                payload=webhook_payload(request.form),
                detail={"status": request.form.get("CallStatus")},
                idempotency_key=key,
            )
        session.commit()
    except IntegrityError:
        session.rollback()
    return twiml_response(empty())
