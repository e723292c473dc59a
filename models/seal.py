"""Call seals: what the call log shows of a call, chained each time it changes.

A call's row is mutable (its status moves, an outcome lands), so the row itself cannot be
chained; its seals are. Whenever a flush changes what the auditor reads of a call (CALL_STATE),
a seal with those values is appended to a hash chain of its own. `audit verify` walks the chain
and then checks every call against its newest seal: an edit of the row made behind the
application's back (a status, an outcome, a time) no longer matches and is named."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, event, inspect, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, UTCDateTime, utcnow
from models.call import Call
from models.chain import Chained, plain_value

# What the call log, the call page, the CSV export and the API show of a call.
CALL_STATE = (
    "direction",
    "flow",
    "recruiter_id",
    "candidate_id",
    "company_number",
    "recruiter_number",
    "candidate_number",
    "parent_sid",
    "child_sid",
    "status",
    "child_status",
    "disposition",
    "created_at",
    "answered_at",
    "ended_at",
    "duration",
    "talk_duration",
    "outcome_code_id",
    "outcome_at",
    "outcome_by_id",
    "recording_sid",
    "recording_duration",
    "is_voicemail",
)
_TO_SEAL = "calls_to_seal"


class CallSeal(Chained, Base):
    __tablename__ = "call_seals"
    __chain_lock__ = 7_301_003
    __chain_fields__ = ("call_id", "created_at", "state")

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def call_state(call: Call) -> dict[str, Any]:
    """The sealed values of a call, JSON-plain (times as ISO-8601 UTC)."""
    return {name: plain_value(getattr(call, name)) for name in CALL_STATE}


def unsealed_changes(session: Session) -> list[str]:
    """Calls whose row differs from their newest seal (or that have none): one line each."""
    newest = (
        select(CallSeal.call_id, CallSeal.state)
        .order_by(CallSeal.call_id, CallSeal.seq.desc())
        .execution_options(yield_per=1000)
    )
    seals: dict[int, dict[str, Any]] = {}
    for call_id, state in session.execute(newest):
        seals.setdefault(call_id, state)
    problems = []
    for call in session.scalars(select(Call).order_by(Call.id).execution_options(yield_per=1000)):
        sealed = seals.get(call.id)
        if sealed is None:
            problems.append(f"call {call.id} has no seal")
            continue
        shown = call_state(call)
        changed = sorted(name for name in CALL_STATE if shown[name] != sealed.get(name))
        if changed:
            problems.append(f"call {call.id}: {', '.join(changed)} differ from its seal")
    return problems


@event.listens_for(Session, "after_flush")
def _note_changed_calls(session: Session, _ctx: object) -> None:
    changed = session.info.setdefault(_TO_SEAL, {})
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Call) and (obj in session.new or _state_changed(obj)):
            changed[obj.id] = obj


@event.listens_for(Session, "before_commit")
def _seal_changed_calls(session: Session) -> None:
    """One seal per changed call per transaction, with the state it commits; commit's own
    flush then writes (and chains) them."""
    session.flush()  # what is still pending is noted too
    changed: dict[int, Call] = session.info.pop(_TO_SEAL, {})
    for call_id, call in sorted(changed.items()):
        session.add(CallSeal(call_id=call_id, state=call_state(call)))


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop(_TO_SEAL, None)


def _state_changed(call: Call) -> bool:
    state = inspect(call)
    return any(state.attrs[name].history.has_changes() for name in CALL_STATE)
