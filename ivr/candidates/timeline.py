"""One timeline per candidate: calls, outcomes, voicemails, callbacks, stage, owner and
do-not-call changes and notes, newest first. What a reader sees depends on who they are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from ivr import words
from ivr.permissions import can_read_candidate_history
from models import Call, CallEvent, Candidate, Direction, User

# Events worth a line on the candidate's timeline; the rest stay on each call's own page.
CALL_EVENT_KINDS = (
    "outcome.recorded",
    "outcome.corrected",
    "voicemail.recorded",
    "callback.created",
    "callback.done",
    "callback.reassigned",
    "decision.requested",
    "note.added",
)
RECORD_KINDS = (
    "candidate.created",
    "candidate.details_changed",
    "candidate.stage_changed",
    "candidate.owner_changed",
    "candidate.do_not_call",
    "candidate.do_not_call_cleared",
)
HISTORY_LIMIT = 500


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # "call", or the event's kind
    title: str
    summary: str
    call: Call | None = None
    event: CallEvent | None = None

    def as_json(self) -> dict[str, Any]:
        from ivr.serialize import iso

        return {
            "at": iso(self.at),
            "kind": self.kind,
            "title": self.title,
            "summary": self.summary,
            "call_id": self.call.id if self.call else (self.event.call_id if self.event else None),
            "event_id": self.event.id if self.event else None,
            "actor_id": self.event.actor_id if self.event else None,
            "detail": self.event.detail if self.event else None,
        }


def call_title(call: Call) -> str:
    if call.direction == Direction.INBOUND:
        who = "Voicemail" if call.is_voicemail else "Call from the candidate"
    else:
        who = "Call to the candidate"
    return who


def call_summary(call: Call) -> str:
    parts = [words.disposition(call.disposition) or words.status(call.status)]
    if call.talk_duration:
        parts.append(f"talked {call.talk_duration} s")
    if call.outcome is not None:
        parts.append(f"outcome: {call.outcome.label}")
    if call.recruiter is not None:
        parts.append(f"with {call.recruiter.name}")
    return " · ".join(p for p in parts if p)


def candidate_timeline(session: Session, candidate: Candidate, viewer: User) -> list[Entry]:
    entries: list[Entry] = []
    kinds: tuple[str, ...]
    if can_read_candidate_history(viewer, candidate):
        calls = session.scalars(
            select(Call)
            .where(Call.candidate_id == candidate.id)
            .options(selectinload(Call.outcome), selectinload(Call.recruiter))
            .order_by(Call.created_at.desc(), Call.id.desc())
            .limit(HISTORY_LIMIT)
        ).all()
        entries += [
            Entry(call.created_at, "call", call_title(call), call_summary(call), call=call)
            for call in calls
        ]
        kinds = CALL_EVENT_KINDS + RECORD_KINDS
        where = or_(
            CallEvent.candidate_id == candidate.id,
            CallEvent.call_id.in_(select(Call.id).where(Call.candidate_id == candidate.id)),
        )
    else:
        kinds = RECORD_KINDS
        where = CallEvent.candidate_id == candidate.id
    events = session.scalars(
        select(CallEvent)
        .where(where, CallEvent.kind.in_(kinds))
        .options(selectinload(CallEvent.actor))
        .order_by(CallEvent.seq.desc())
        .limit(HISTORY_LIMIT)
    ).all()
    entries += [
        Entry(
            event.created_at,
            event.kind,
            words.event_title(event.kind),
            words.event_summary(event.kind, event.detail),
            event=event,
        )
        for event in events
    ]
    entries.sort(key=lambda e: (e.at, e.event.seq if e.event else 0), reverse=True)
    return entries


def stage_history(session: Session, candidate: Candidate) -> list[CallEvent]:
    """How the candidate moved through the pipeline, oldest first."""
    return list(
        session.scalars(
            select(CallEvent)
            .where(
                or_(
                    CallEvent.candidate_id == candidate.id,
                    CallEvent.call_id.in_(select(Call.id).where(Call.candidate_id == candidate.id)),
                ),
                CallEvent.kind.in_(("candidate.created", "candidate.stage_changed")),
            )
            .options(selectinload(CallEvent.actor))
            .order_by(CallEvent.seq)
        )
    )
