"""The outcome call-back after an inbound call: when to ring the recruiter, and what it logs."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from ivr.callflow.events import already_recorded, record_event, record_webhook
from models import Call, Direction


def request_outcome_call(session: Session, call: Call) -> bool:
    """Record, once per call, that its recruiter is to be rung for the outcome; True: ring."""
    key = f"outcome-call:{call.id}"
    recruiter = call.recruiter
    if recruiter is None or not recruiter.phone or already_recorded(session, key):
        return False
    record_event(
        session, call, "outcome.call_requested", detail={"recruiter_id": recruiter.id},
        idempotency_key=key,
    )  # fmt: skip
    return True


def request_when_ended(session: Session, call: Call) -> bool:
    """The number's status callback: an inbound call that reached a recruiter has ended."""
    if call.direction == Direction.INBOUND and call.child_sid and call.ended_at is not None:
        return request_outcome_call(session, call)
    return False


def _placed_key(call: Call) -> str:
    return f"outcome-call-placed:{call.id}"


def already_placed(session: Session, call: Call) -> bool:
    return already_recorded(session, _placed_key(call))


def record_placed(session: Session, call: Call, sid: str) -> None:
    record_event(session, call, "outcome.call_placed", detail={"call_sid": sid},
                 idempotency_key=_placed_key(call), call_sid=sid)  # fmt: skip


def record_failed(session: Session, call: Call, reason: str) -> None:
    record_event(session, call, "outcome.call_failed", detail={"reason": reason})


def record_answered(session: Session, call: Call, form: Mapping[str, str]) -> bool:
    """The recruiter answered the call-back; True when the outcome is still to be keyed."""
    record_webhook(session, call, "outcome.call_answered", form)
    return call.outcome_code_id is None


def record_call_status(session: Session, call: Call, form: Mapping[str, str]) -> None:
    """The call-back's own status callback, logged once per status."""
    status = form.get("CallStatus", "")
    key = "outcome-call-status:{}:{}".format(form.get("CallSid", ""), status)
    if not already_recorded(session, key):
        record_webhook(session, call, "outcome.call_status", form,
                       detail={"status": form.get("CallStatus")}, idempotency_key=key)  # fmt: skip
