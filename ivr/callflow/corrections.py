"""Fixing a wrong outcome without rewriting history: the keyed-in outcome stays in the
timeline, and a new event says who changed it, to what, when and why."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.callflow.events import record_event
from ivr.callflow.outbound import apply_outcome_effects
from models import Call, CallEvent, OutcomeCode, User, utcnow

MAX_REASON = 500


@dataclass(frozen=True)
class CorrectionRefused(Exception):
    status: int
    reason: str


def correct_outcome(
    session: Session, call: Call, user: User, digit: object, reason: object
) -> CallEvent:
    """Only the recruiter whose call it is may correct it; the caller checks they can see it."""
    if user.role != "recruiter" or call.recruiter_id != user.id:
        raise CorrectionRefused(403, "only the recruiter who made the call can correct its outcome")
    if call.is_active:
        raise CorrectionRefused(409, "the call is still live; key the outcome in on the phone")
    if not isinstance(digit, str) or not (len(digit) == 1 and digit.isdigit()):
        raise CorrectionRefused(422, "digit must be one keypad digit naming an outcome code")
    if not isinstance(reason, str) or not reason.strip():
        raise CorrectionRefused(422, "say why the outcome is being corrected")
    if len(reason) > MAX_REASON:
        raise CorrectionRefused(422, f"keep the reason under {MAX_REASON} characters")
    code = session.scalar(
        select(OutcomeCode).where(OutcomeCode.digit == digit, OutcomeCode.is_active.is_(True))
    )
    if code is None:
        raise CorrectionRefused(422, f"no active outcome code has the digit {digit}")
    if call.outcome_code_id == code.id:
        raise CorrectionRefused(409, f"the outcome is already {code.label}")
    previous = call.outcome
    event = record_event(
        session,
        call,
        "outcome.corrected",
        source="user",
        detail={
            "from": {"digit": previous.digit, "label": previous.label} if previous else None,
            "to": {"digit": code.digit, "label": code.label},
            "reason": reason.strip(),
        },
        actor=user,
    )
    call.outcome_code_id = code.id
    call.outcome = code
    call.outcome_at = utcnow()
    call.outcome_by_id = user.id
    apply_outcome_effects(session, call, code, user)
    return event
