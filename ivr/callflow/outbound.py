"""One-click calls: ring the recruiter, screen, bridge to the candidate, key in the outcome."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.callflow import owed
from ivr.callflow.callbacks import close_callbacks
from ivr.callflow.events import already_recorded, record_change, record_event, record_webhook
from ivr.callflow.outcome_call import request_outcome_call
from ivr.callflow.presence import live_call_for
from ivr.callflow.status import end_call
from ivr.permissions import can_correct_outcome, owns_candidate, places_calls
from models import (
    Call,
    CallbackTask,
    CallStatus,
    Candidate,
    Direction,
    Disposition,
    Flow,
    OutcomeCode,
    User,
    utcnow,
)
from models.outcome import active_outcomes
from models.phone import InvalidPhoneNumber, normalize_phone

log = logging.getLogger(__name__)

MAX_SCREEN_PROMPTS = 2
MAX_OUTCOME_PROMPTS = 3  # the first prompt and two re-prompts
# By the <Dial>'s DialCallStatus; one Twilio adds later is kept as "candidate-<status>".
DIAL_DISPOSITIONS = {
    "completed": Disposition.CONNECTED,
    "answered": Disposition.CONNECTED,
    "no-answer": Disposition.CANDIDATE_NO_ANSWER,
    "busy": Disposition.CANDIDATE_BUSY,
    "failed": Disposition.CANDIDATE_UNREACHABLE,
    "canceled": Disposition.RECRUITER_HUNG_UP_WHILE_RINGING,
}
# AnsweredBy of answering machine detection: human, machine_start, machine_end_beep,
# machine_end_silence, machine_end_other, fax or unknown
# (https://www.twilio.com/docs/voice/answering-machine-detection). "unknown" is bridged: the
# recruiter hears for themselves.
MACHINE_ANSWERS = frozenset(
    {"machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax"}
)


@dataclass(frozen=True)
class ScreenResult:
    """The recruiter's key at the screening prompt: connect now, ask again, or neither."""

    connect: bool
    retry: bool


@dataclass(frozen=True)
class OutcomeResult:
    """The recruiter's key at the outcome menu: saved (this code), ask again, or give up."""

    saved: OutcomeCode | None
    retry: bool
    heard_nothing: bool


class CallRefused(Exception):
    """A call that must not be placed; the message is shown to the recruiter as is."""

    def __init__(self, reason: str, status: int = 409) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def check_can_call(session: Session, recruiter: User, candidate: Candidate | None) -> Candidate:
    if candidate is None:
        raise CallRefused("no such candidate", 404)
    if not places_calls(recruiter):
        raise CallRefused("only recruiters place calls", 403)
    if not owns_candidate(recruiter, candidate):
        raise CallRefused("this candidate belongs to another recruiter", 403)
    if candidate.do_not_call:
        raise CallRefused(f"{candidate.name} is marked do-not-call", 409)
    try:
        normalize_phone(candidate.phone)
    except InvalidPhoneNumber:
        raise CallRefused(f"{candidate.name} has no valid phone number", 422) from None
    _check_recruiter_free(session, recruiter)
    return candidate


def check_can_call_number(session: Session, recruiter: User, number: str | None) -> str:
    """A one-click call to a number no candidate has (an unknown caller's voicemail): the
    same checks as for a candidate, and never to a number marked do-not-call since."""
    if not places_calls(recruiter):
        raise CallRefused("only recruiters place calls", 403)
    if not number:
        raise CallRefused("the caller withheld their number", 422)
    try:
        number = normalize_phone(number)
    except InvalidPhoneNumber:
        raise CallRefused("the caller's number cannot be dialled", 422) from None
    candidate = session.scalar(select(Candidate).where(Candidate.phone == number))
    if candidate is not None:
        # The number is a candidate's now: their rules (owner, do-not-call) apply.
        check_can_call(session, recruiter, candidate)
    _check_recruiter_free(session, recruiter)
    return number


def _check_recruiter_free(session: Session, recruiter: User) -> None:
    if not recruiter.phone:
        raise CallRefused("you have no phone number on your profile to ring", 422)
    live = live_call_for(session, recruiter)
    if live is not None:
        raise CallRefused(f"you already have a call in progress (call {live.id})", 409)


def create_outbound_call(
    session: Session,
    recruiter: User,
    candidate: Candidate | None,
    company_number: str,
    *,
    number: str | None = None,
    callback: CallbackTask | None = None,
) -> Call:
    """The Call row of a one-click call: to a candidate, or (candidate None) to `number`, an
    unknown caller who left the voicemail of `callback`."""
    target = candidate.phone if candidate is not None else number
    if not target:
        raise ValueError("a one-click call needs a candidate or a number")
    call = Call(
        direction=Direction.OUTBOUND,
        flow=Flow.CALLBACK if candidate is None else None,
        recruiter_id=recruiter.id,
        candidate_id=candidate.id if candidate is not None else None,
        company_number=company_number,
        recruiter_number=recruiter.phone,
        candidate_number=target,
        status=CallStatus.QUEUED,
        active_recruiter_id=recruiter.id,
    )
    session.add(call)
    session.flush()
    detail: dict[str, object] = {
        "candidate_id": candidate.id if candidate is not None else None,
        "ring": "recruiter",
    }
    if callback is not None:
        detail["callback_task_id"] = callback.id
    if candidate is not None:
        candidate.touch_contact(call.created_at)
    record_event(session, call, "call.requested", source="user", actor=recruiter, detail=detail)
    return call


def record_placed(session: Session, call: Call, sid: str, status: str) -> None:
    call.parent_sid = call.parent_sid or sid
    record_event(
        session, call, "call.placed", detail={"call_sid": sid, "status": status}, call_sid=sid
    )


def record_unconfirmed(session: Session, call: Call, reason: str) -> None:
    """Creating the call got no answer in time: Twilio may have placed it. The line stays
    taken until its first webhook or the REST API says which (ivr.callflow.reconcile)."""
    if call.parent_sid is not None:
        # Its first webhook has come already: it was placed.
        record_event(session, call, "call.placed",
                     detail={"call_sid": call.parent_sid, "status": call.status, "by": "webhook"},
                     call_sid=call.parent_sid)  # fmt: skip
        return
    call.unconfirmed = True
    record_event(session, call, "call.unconfirmed", detail={"reason": reason})
    log.warning("call %s unconfirmed: %s", call.id, reason)


def confirm_placed(session: Session, call: Call, sid: str, how: str) -> bool:
    """The call's CallSid is known (its first webhook, or the REST API): it was placed. False
    when the call already has another sid (this one is some other call's)."""
    if call.parent_sid not in (None, sid):
        return False
    call.parent_sid = sid
    if call.unconfirmed:
        call.unconfirmed = False
        record_event(
            session,
            call,
            "call.confirmed",
            detail={"call_sid": sid, "by": how},
            idempotency_key=f"confirmed:{call.id}",
        )
        log.info("call %s confirmed placed call_sid=%s by %s", call.id, sid, how)
    return True


def record_not_placed(session: Session, call: Call, reason: str) -> None:
    call.status = CallStatus.FAILED
    call.disposition = Disposition.NOT_PLACED
    end_call(call)
    record_event(session, call, "call.not_placed", detail={"reason": reason})


def may_connect(session: Session, call: Call) -> bool:
    """Whether the other party may still be dialled: never a number marked do-not-call."""
    if call.candidate is not None:
        return not call.candidate.do_not_call
    if call.flow != Flow.CALLBACK or not call.candidate_number:
        return False
    now_a_candidate = session.scalar(
        select(Candidate).where(Candidate.phone == call.candidate_number)
    )
    return now_a_candidate is None or not now_a_candidate.do_not_call


def record_recruiter_answered(
    session: Session, call: Call, form: Mapping[str, str], attempt: int
) -> bool:
    """Log the answer webhook; False when the call must not go on (candidate now do-not-call)."""
    allowed = may_connect(session, call)
    record_webhook(
        session,
        call,
        "twilio.answer" if attempt == 1 else "screen.reprompt",
        form,
        detail={"attempt": attempt, "allowed": allowed},
    )
    if call.answered_at is None:
        call.answered_at = utcnow()
    return allowed


def screen_recruiter(
    session: Session, call: Call, form: Mapping[str, str], attempt: int
) -> ScreenResult:
    digits = form.get("Digits", "")
    connect = digits == "1" and may_connect(session, call)
    retry = not connect and attempt < MAX_SCREEN_PROMPTS
    kind = "screen.accepted" if connect else "screen.rejected"
    _record_key(
        session, call, kind, form, attempt, retry, actor=call.recruiter if connect else None
    )
    if not connect and not retry:
        call.disposition = Disposition.RECRUITER_DID_NOT_ACCEPT
    log.info("screening call_sid=%s connect=%s", form.get("CallSid"), connect)
    return ScreenResult(connect=connect, retry=retry)


def _record_key(
    session: Session,
    call: Call,
    kind: str,
    form: Mapping[str, str],
    attempt: int,
    will_retry: bool,
    actor: User | None = None,
) -> None:
    """A key pressed (or none) at a prompt that may be asked again."""
    detail = {"digits": form.get("Digits", ""), "attempt": attempt, "will_retry": will_retry}
    record_webhook(session, call, kind, form, detail=detail, actor=actor)


def record_answered_by(session: Session, call: Call, form: Mapping[str, str], attempt: int) -> bool:
    """The <Number url> request on the candidate's leg, with machine detection's AnsweredBy:
    True when a machine answered. A machine makes the call the candidate's voicemail."""
    answered_by = form.get("AnsweredBy", "")
    machine = answered_by in MACHINE_ANSWERS
    key = f"{'machine' if machine else 'answered-by'}:{form.get('CallSid', '')}"
    if already_recorded(session, key):
        return machine
    if machine:
        call.disposition = Disposition.CANDIDATE_VOICEMAIL
        call.talk_duration = None
    record_webhook(
        session,
        call,
        "twilio.candidate_machine" if machine else "twilio.candidate_human",
        form,
        detail={"answered_by": answered_by, "attempt": attempt},
        idempotency_key=key,
    )
    log.info("candidate leg answered_by=%s call_sid=%s", answered_by, form.get("CallSid"))
    return machine


def reached_machine(session: Session, form: Mapping[str, str]) -> bool:
    """Whether the <Dial> whose action this is reached an answering machine."""
    child = form.get("DialCallSid", "")
    return bool(child) and already_recorded(session, f"machine:{child}")


def dial_disposition(dial_status: str, parent_status: str) -> str:
    """How the candidate's leg ended, in the product's terms. The <Dial> action carries both
    the dialled leg's DialCallStatus and the recruiter's own CallStatus. Twilio documents
    DialCallStatus=canceled only for a dial canceled over the REST API (or by hangupOnStar)
    before it was answered, and nothing says a caller hanging up while the other phone rings
    produces it (https://www.twilio.com/docs/voice/twiml/dial#attributes-action; the child
    leg's own status is canceled: https://support.twilio.com/hc/en-us/articles/223132547);
    the action is still requested, with the parent's CallStatus=completed and, as the
    simulator sends it, DialCallStatus=no-answer. So no-answer or canceled with the
    recruiter's leg already completed means the recruiter hung up while the candidate's phone
    rang, not that the candidate did not answer."""
    if parent_status == CallStatus.COMPLETED and dial_status in ("no-answer", "canceled"):
        return Disposition.RECRUITER_HUNG_UP_WHILE_RINGING
    return DIAL_DISPOSITIONS.get(dial_status, f"candidate-{dial_status}")


def record_dial_result(session: Session, call: Call, form: Mapping[str, str]) -> str:
    """Log the candidate leg; a replayed action changes nothing but is answered the same.
    A leg a machine answered stays the candidate's voicemail, with no talk time."""
    dial_status = form.get("DialCallStatus", "failed")
    key = f"dial:{form.get('CallSid', '')}:{form.get('DialCallSid', '')}:{dial_status}"
    if already_recorded(session, key):
        return dial_status
    # A second ring of the voicemail (to leave a message) that nobody answers: still voicemail.
    machine = reached_machine(session, form) or (
        call.disposition == Disposition.CANDIDATE_VOICEMAIL and dial_status != "completed"
    )
    call.child_sid = call.child_sid or form.get("DialCallSid") or None
    call.child_status = dial_status
    if machine:
        call.talk_duration = None
        call.disposition = Disposition.CANDIDATE_VOICEMAIL
    else:
        duration = form.get("DialCallDuration", "")
        call.talk_duration = int(duration) if duration.isdigit() else None
        call.disposition = dial_disposition(dial_status, form.get("CallStatus", ""))
    detail: dict[str, object] = {"dial_status": dial_status, "disposition": call.disposition}
    if machine:
        detail["machine"] = True
    record_webhook(session, call, "twilio.dial_result", form, detail=detail, idempotency_key=key)
    if dial_status == "completed" and not machine:
        close_callbacks(session, call)
    owed.on_dial_result(session, call, dial_status)
    return dial_status


def ring_back_after_bridge(session: Session, call: Call, form: Mapping[str, str]) -> bool:
    """A dial-in recruiter hung up during the bridge: the <Dial> action comes with their own
    leg completed, so nobody hears the outcome menu. Ring them back for it, as after an
    inbound call (once per call; True: ring)."""
    if (
        call.flow != Flow.DIAL_IN
        or form.get("CallStatus") != CallStatus.COMPLETED
        or call.disposition != Disposition.CONNECTED
        or call.outcome_code_id is not None
    ):
        return False
    return request_outcome_call(session, call)


def record_candidate_leg_status(session: Session, call: Call, form: Mapping[str, str]) -> None:
    """The candidate's leg answered (its own status callback): the two are talking now. The
    dial result, when it comes, has the last word; a late callback changes nothing."""
    leg_status = form.get("CallStatus", "")
    key = "candidate-status:{}:{}:{}".format(
        form.get("CallSid", ""), leg_status, form.get("SequenceNumber", "")
    )
    if already_recorded(session, key):
        return
    applied = (
        leg_status == CallStatus.IN_PROGRESS
        and call.child_status is None
        and call.child_sid in (None, form.get("CallSid"))
    )
    if applied:
        call.child_sid = form.get("CallSid") or None
        call.child_status = leg_status
    record_webhook(
        session,
        call,
        "twilio.candidate_status",
        form,
        detail={"status": leg_status, "applied": applied},
        idempotency_key=key,
    )


def record_outcome(
    session: Session, call: Call, form: Mapping[str, str], attempt: int
) -> OutcomeResult:
    digits = form.get("Digits", "")
    code = session.scalar(
        select(OutcomeCode).where(OutcomeCode.digit == digits, OutcomeCode.is_active.is_(True))
    )
    if code is not None and call.outcome_code_id not in (None, code.id):
        # A replayed keypress after a different digit was saved must not rewrite it.
        code = session.get(OutcomeCode, call.outcome_code_id)
    if code is not None:
        if call.outcome_code_id is None:
            _save_outcome(session, call, code, form, attempt)
        return OutcomeResult(saved=code, retry=False, heard_nothing=False)

    retry = attempt < MAX_OUTCOME_PROMPTS
    _record_key(
        session, call, "outcome.invalid" if digits else "outcome.no_input", form, attempt, retry
    )
    if not retry:
        record_event(session, call, "outcome.not_recorded", detail={"attempts": attempt})
    return OutcomeResult(saved=None, retry=retry, heard_nothing=not digits)


def _save_outcome(
    session: Session, call: Call, code: OutcomeCode, form: Mapping[str, str], attempt: int
) -> None:
    _set_outcome(call, code, call.recruiter)
    record_webhook(
        session,
        call,
        "outcome.recorded",
        form,
        detail={"digit": code.digit, "label": code.label, "attempt": attempt},
        actor=call.recruiter,
    )
    apply_outcome_effects(session, call, code, call.recruiter)


def _set_outcome(call: Call, code: OutcomeCode, actor: User | None) -> None:
    call.outcome_code_id = code.id
    call.outcome = code
    call.outcome_at = utcnow()
    call.outcome_by_id = actor.id if actor is not None else call.recruiter_id


class OutcomeRefused(CallRefused):
    """An outcome keyed on the page that cannot be saved; the reason is shown as is."""


def key_outcome_on_page(session: Session, call: Call, user: User, digit: object) -> OutcomeCode:
    """The outcome keyed on the web page after the call, for a recruiter who hung up before
    the menu: the same codes and the same effects as the keypad (stage, do-not-call, owed
    calls), logged as the same "outcome.recorded" event, marked as keyed on the page. A call
    that has an outcome already is corrected instead (ivr.callflow.corrections)."""
    if not can_correct_outcome(user, call):
        raise OutcomeRefused("only the recruiter who made the call keys its outcome", 403)
    if call.is_active:
        raise OutcomeRefused("the call is still live; key the outcome in on the phone", 409)
    if call.outcome_code_id is not None:
        raise OutcomeRefused("the call has an outcome already; correct it instead", 409)
    code = None
    if isinstance(digit, str) and len(digit) == 1 and digit.isdigit():
        code = session.scalar(
            select(OutcomeCode).where(OutcomeCode.digit == digit, OutcomeCode.is_active.is_(True))
        )
    if code is None:
        raise OutcomeRefused("choose one of the active outcome codes", 422)
    _set_outcome(call, code, user)
    record_event(
        session,
        call,
        "outcome.recorded",
        source="user",
        detail={"digit": code.digit, "label": code.label, "via": "page"},
        actor=user,
    )
    apply_outcome_effects(session, call, code, user)
    return code


def apply_outcome_effects(
    session: Session, call: Call, code: OutcomeCode, actor: User | None
) -> None:
    """What an outcome means for the candidate: a new pipeline stage, or do-not-call, and what
    they are owed (ivr.callflow.owed: a closure call opened by the stage, closed by a call
    that told them; an attempt; a call back later)."""
    candidate = call.candidate
    if candidate is None:
        owed.on_outcome(session, call, code, actor)
        return
    if code.sets_stage and candidate.stage != code.sets_stage:
        before = candidate.stage
        record_change(
            session,
            "candidate.stage_changed",
            detail={"from": candidate.stage, "to": code.sets_stage, "because": code.label},
            actor=actor,
            candidate=candidate,
            call=call,
            source="app",
        )
        candidate.stage = code.sets_stage
        owed.on_stage_change(
            session, actor, candidate, before, code.sets_stage, via="outcome", call=call
        )
    if code.marks_do_not_call and not candidate.do_not_call:
        candidate.do_not_call = True
        candidate.do_not_call_reason = code.label
        record_change(
            session,
            "candidate.do_not_call",
            detail={"because": code.label},
            actor=actor,
            candidate=candidate,
            call=call,
            source="app",
        )
    owed.on_outcome(session, call, code, actor)


def outcome_menu_items(session: Session) -> list[tuple[str, str]]:
    return [(code.digit, code.label) for code in active_outcomes(session)]
