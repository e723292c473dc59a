"""Calls and their append-only event log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
    false,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow
from models.candidate import Candidate
from models.chain import Chained
from models.enums import ACTIVE_STATUSES, CallStatus, Direction, Flow, enum_check
from models.outcome import OutcomeCode
from models.user import User

STIR_VERSTAT_MAX = 40


class Call(Base):
    __tablename__ = "calls"
    __table_args__ = (
        enum_check("direction", Direction, "direction"),
        enum_check("status", CallStatus, "status"),
        enum_check("flow", Flow, "flow"),
        # The log is read newest-first in keyset pages on (created_at, id), across everyone or
        # narrowed to one recruiter or candidate; each index serves one of those walks.
        Index("ix_calls_created_at_id", "created_at", "id"),
        Index("ix_calls_recruiter_created_at_id", "recruiter_id", "created_at", "id"),
        Index("ix_calls_candidate_created_at_id", "candidate_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(8))
    # Which call flow this is (models.enums.Flow); a one-click call to a candidate has none.
    flow: Mapped[str | None] = mapped_column(String(20))
    recruiter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id"))
    company_number: Mapped[str] = mapped_column(String(16))
    recruiter_number: Mapped[str | None] = mapped_column(String(16))
    candidate_number: Mapped[str | None] = mapped_column(String(16))
    # The recruiter's (outbound) or caller's (inbound) leg, and the leg our <Dial> created.
    parent_sid: Mapped[str | None] = mapped_column(String(34), unique=True)
    child_sid: Mapped[str | None] = mapped_column(String(34), unique=True)
    status: Mapped[str] = mapped_column(String(12), default=CallStatus.QUEUED.value)
    child_status: Mapped[str | None] = mapped_column(String(12))
    # How it went (models.enums.Disposition); no CHECK: a dial status Twilio adds one day is
    # kept as "candidate-<status>" rather than refused.
    disposition: Mapped[str | None] = mapped_column(String(40))
    # Set to recruiter_id while the call is live: a unique column is the one-live-call-per-recruiter
    # lock that holds even when two clicks race past the application's own check.
    active_recruiter_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration: Mapped[int | None] = mapped_column(Integer)
    talk_duration: Mapped[int | None] = mapped_column(Integer)
    outcome_code_id: Mapped[int | None] = mapped_column(ForeignKey("outcome_codes.id"))
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recording_sid: Mapped[str | None] = mapped_column(String(34))
    recording_url: Mapped[str | None] = mapped_column(Text)
    recording_duration: Mapped[int | None] = mapped_column(Integer)
    is_voicemail: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the network says about the caller ID of a call to the company number: Twilio's
    # StirVerstat on the voice request, e.g. "TN-Validation-Passed-A" (SHAKEN/STIR,
    # https://www.twilio.com/docs/voice/trusted-calling-with-shakenstir). None: not given
    # (Twilio sends it only for calls that carry a SHAKEN identity; outside the US, none do).
    stir_verstat: Mapped[str | None] = mapped_column(String(STIR_VERSTAT_MAX))
    # Creating the call timed out: Twilio may have placed it. Settled by the call's first
    # webhook or by asking the REST API (ivr.callflow.reconcile); the line stays taken.
    unconfirmed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    recruiter: Mapped[User | None] = relationship(foreign_keys=[recruiter_id])
    candidate: Mapped[Candidate | None] = relationship()
    outcome: Mapped[OutcomeCode | None] = relationship()
    outcome_by: Mapped[User | None] = relationship(foreign_keys=[outcome_by_id])
    events: Mapped[list[CallEvent]] = relationship(
        back_populates="call", order_by="CallEvent.seq", viewonly=True
    )

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class CallEvent(Chained, Base):
    """One webhook received or one decision taken. Rows are only ever inserted, in a hash chain.

    The same chain carries what happens to a candidate (stage, owner and do-not-call changes,
    notes) and to the system (user and outcome-code changes): `call_id` is then empty or names
    the call that caused it, `candidate_id` names the candidate, `subject` names anything else
    ("user:12", "outcome_code:5"). One chain means one lock and one order for every writer."""

    __tablename__ = "call_events"
    __chain_lock__ = 7_301_001
    __chain_fields__ = (
        "call_id",
        "created_at",
        "kind",
        "source",
        "call_sid",
        "actor_id",
        "payload",
        "detail",
        "idempotency_key",
    )
    __chain_optional__ = ("candidate_id", "subject")

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), index=True)
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id"), index=True)
    subject: Mapped[str | None] = mapped_column(String(60), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(10))
    call_sid: Mapped[str | None] = mapped_column(String(34))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # What Twilio sent, verbatim, and what we decided.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Twilio retries webhooks; the same delivery must not be logged twice.
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)

    call: Mapped[Call | None] = relationship(back_populates="events")
    candidate: Mapped[Candidate | None] = relationship()
    actor: Mapped[User | None] = relationship()


class AppendOnlyViolation(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_event_changes(session: Session, _ctx: object, _instances: object) -> None:
    # The database triggers are the real guard; this one fails earlier with a clearer message.
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, CallEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AppendOnlyViolation("call events are append-only: nothing updates or deletes one")
