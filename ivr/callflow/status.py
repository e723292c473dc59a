"""Call status callbacks: idempotent, and a status only ever moves forward."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from sqlalchemy.orm import Session

from ivr.callflow.events import already_recorded, record_webhook
from models import Call, CallStatus, Direction, Disposition, utcnow
from models.enums import values

log = logging.getLogger(__name__)

# When the recruiter's own leg ends without ever reaching the candidate, this says why.
RECRUITER_LEG_ENDINGS = {
    CallStatus.NO_ANSWER: Disposition.RECRUITER_NO_ANSWER,
    CallStatus.BUSY: Disposition.RECRUITER_DECLINED,
    CallStatus.FAILED: Disposition.RECRUITER_UNREACHABLE,
    CallStatus.CANCELED: Disposition.CANCELED,
    CallStatus.COMPLETED: Disposition.RECRUITER_HUNG_UP_BEFORE_BRIDGE,
}


def status_key(form: Mapping[str, str]) -> str:
    return "status:{}:{}:{}".format(
        form.get("CallSid", ""), form.get("CallStatus", ""), form.get("SequenceNumber", "")
    )


def apply_status_callback(session: Session, call: Call, form: Mapping[str, str]) -> None:
    """Log the callback once, and move the call's status forward when it does."""
    key = status_key(form)
    if already_recorded(session, key):
        log.info("duplicate status callback ignored call_sid=%s", form.get("CallSid"))
        return
    applied, reason = apply_status(call, form)
    record_webhook(
        session,
        call,
        "twilio.status",
        form,
        detail={"applied": applied, "reason": reason, "status": call.status},
        idempotency_key=key,
    )
    log.info(
        "status callback call_sid=%s status=%s applied=%s",
        form.get("CallSid"),
        form.get("CallStatus"),
        applied,
    )


def apply_status(call: Call, form: Mapping[str, str]) -> tuple[bool, str]:
    """Move the call to the status in `form` (a status callback's fields, or the same fields
    read from the REST API) if that is forward: (applied, why or why not)."""
    new_status = form.get("CallStatus", "")
    if new_status not in values(CallStatus):
        return False, f"unknown status {new_status!r}"
    if call.parent_sid and form.get("CallSid") and form.get("CallSid") != call.parent_sid:
        return False, "callback for another call leg"
    if CallStatus(new_status).rank <= CallStatus(call.status).rank:
        # Twilio does not promise order: a late "ringing" must not undo "completed".
        return False, f"stale: call is already {call.status}"
    _advance(call, CallStatus(new_status), form)
    return True, f"{call.status}"


def _advance(call: Call, status: CallStatus, form: Mapping[str, str]) -> None:
    call.parent_sid = call.parent_sid or form.get("CallSid") or None
    call.status = status
    at = _timestamp(form)
    if status == CallStatus.IN_PROGRESS:
        call.answered_at = call.answered_at or at
    if status.is_terminal:
        end_call(call, at)
        call.duration = _int(form.get("CallDuration"))
        if call.disposition is None and call.child_status is None:
            call.disposition = (
                RECRUITER_LEG_ENDINGS[status]
                if call.direction == Direction.OUTBOUND
                else Disposition.MISSED
            )


def end_call(call: Call, at: datetime | None = None) -> None:
    call.ended_at = call.ended_at or at or utcnow()
    call.active_recruiter_id = None


def _timestamp(form: Mapping[str, str]) -> datetime:
    try:
        parsed = parsedate_to_datetime(form["Timestamp"])
    except (KeyError, TypeError, ValueError):
        return utcnow()
    # RFC 2822 "-0000" means UTC with no claim about local time; Python returns it naive.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None
