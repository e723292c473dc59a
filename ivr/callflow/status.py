"""Call status callbacks: idempotent, and a status only ever moves forward."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from sqlalchemy.orm import Session

from ivr.callflow.events import already_recorded, record_webhook
from models import STATUS_RANK, TERMINAL_STATUSES, Call, utcnow

log = logging.getLogger(__name__)

# When the recruiter's own leg ends without ever reaching the candidate, this says why.
RECRUITER_LEG_ENDINGS = {
    "no-answer": "recruiter-no-answer",
    "busy": "recruiter-declined",
    "failed": "recruiter-unreachable",
    "canceled": "canceled",
    "completed": "recruiter-hung-up-before-bridge",
}


@dataclass(frozen=True)
class StatusResult:
    applied: bool
    duplicate: bool
    reason: str


def status_key(form: Mapping[str, str]) -> str:
    return "status:{}:{}:{}".format(
        form.get("CallSid", ""), form.get("CallStatus", ""), form.get("SequenceNumber", "")
    )


def apply_status_callback(session: Session, call: Call, form: Mapping[str, str]) -> StatusResult:
    key = status_key(form)
    if already_recorded(session, key):
        log.info("duplicate status callback ignored call_sid=%s", form.get("CallSid"))
        return StatusResult(applied=False, duplicate=True, reason="duplicate delivery")

    new_status = form.get("CallStatus", "")
    if new_status not in STATUS_RANK:
        result = StatusResult(False, False, f"unknown status {new_status!r}")
    elif call.parent_sid and form.get("CallSid") and form.get("CallSid") != call.parent_sid:
        result = StatusResult(False, False, "callback for another call leg")
    elif STATUS_RANK[new_status] <= STATUS_RANK[call.status]:
        # Twilio does not promise order: a late "ringing" must not undo "completed".
        result = StatusResult(False, False, f"stale: call is already {call.status}")
    else:
        _advance(call, new_status, form)
        result = StatusResult(True, False, f"{call.status}")

    record_webhook(
        session,
        call,
        "twilio.status",
        form,
        detail={"applied": result.applied, "reason": result.reason, "status": call.status},
        idempotency_key=key,
    )
    log.info(
        "status callback call_sid=%s status=%s applied=%s",
        form.get("CallSid"),
        new_status,
        result.applied,
    )
    return result


def _advance(call: Call, status: str, form: Mapping[str, str]) -> None:
    call.parent_sid = call.parent_sid or form.get("CallSid") or None
    call.status = status
    at = _timestamp(form)
    if status == "in-progress":
        call.answered_at = call.answered_at or at
    if status in TERMINAL_STATUSES:
        end_call(call, at)
        call.duration = _int(form.get("CallDuration"))
        if call.disposition is None and call.child_status is None:
            call.disposition = (
                RECRUITER_LEG_ENDINGS.get(status, status)
                if call.direction == "outbound"
                else "missed"
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
