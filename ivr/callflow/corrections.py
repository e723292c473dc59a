"""Fixing a wrong outcome without rewriting history: the keyed-in outcome stays in the
timeline, and a new event says who changed it, to what, when and why."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.callflow import owed
from ivr.callflow.events import record_change, record_event
from ivr.callflow.outbound import apply_outcome_effects
from ivr.permissions import can_correct_outcome
from models import Call, CallEvent, OutcomeCode, User, utcnow
from models.enums import STAGES

MAX_REASON = 500


@dataclass(frozen=True)
class CorrectionRefused(Exception):
    status: int
    reason: str


def correct_outcome(
    session: Session, call: Call, user: User, digit: object, reason: object
) -> CallEvent:
    """Only the recruiter whose call it is may correct it; the caller checks they can see it."""
    if not can_correct_outcome(user, call):
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
    earlier_effects = _effects_of_current_outcome(session, call)
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
    why = f"outcome corrected from {previous.label if previous else 'none'} to {code.label}"
    _revert(session, call, earlier_effects, user, why)
    call.outcome_code_id = code.id
    call.outcome = code
    call.outcome_at = utcnow()
    call.outcome_by_id = user.id
    apply_outcome_effects(session, call, code, user)
    return event


EFFECT_KINDS = ("candidate.stage_changed", "candidate.do_not_call")
OUTCOME_KINDS = ("outcome.recorded", "outcome.corrected")


def _effects_of_current_outcome(session: Session, call: Call) -> list[CallEvent]:
    """The stage and do-not-call changes the call's standing outcome made (not reverts)."""
    events = session.scalars(
        select(CallEvent)
        .where(CallEvent.call_id == call.id, CallEvent.kind.in_(EFFECT_KINDS + OUTCOME_KINDS))
        .order_by(CallEvent.seq)
    ).all()
    effects: list[CallEvent] = []
    for event in events:
        if event.kind in OUTCOME_KINDS:
            effects = []
        elif "reverts" not in event.detail:
            effects.append(event)
    return effects


def _revert(session: Session, call: Call, effects: list[CallEvent], user: User, why: str) -> None:
    """Undo what the corrected outcome did to the candidate, newest first, each as an event;
    a change someone has made since (the stage moved on) is left alone."""
    candidate = call.candidate
    if candidate is None:
        return
    for effect in reversed(effects):
        if effect.kind == "candidate.stage_changed":
            before, after = effect.detail.get("from"), effect.detail.get("to")
            if candidate.stage != after or before not in STAGES:
                continue
            record_change(session, "candidate.stage_changed", actor=user, candidate=candidate,
                          call=call, detail={"from": after, "to": before, "reason": why,
                                             "reverts": effect.id})  # fmt: skip
            candidate.stage = before
            # What the reverted stage owed the candidate is no longer owed (ivr.callflow.owed).
            owed.on_stage_change(session, user, candidate, after, before, via="correction",
                                 call=call)  # fmt: skip
        elif effect.kind == "candidate.do_not_call" and candidate.do_not_call:
            record_change(session, "candidate.do_not_call_cleared", actor=user,
                          candidate=candidate, call=call,
                          detail={"reason": why, "reverts": effect.id})  # fmt: skip
            candidate.do_not_call = False
            candidate.do_not_call_reason = None
