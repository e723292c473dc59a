"""Owed calls: a call a recruiter owes a candidate (a closure call, a callback, a call back
later, an offer waiting for its answer), with its due time and the attempts made so far."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow
from models.callback import CallbackTask
from models.candidate import Candidate
from models.enums import OwedClosedBy, OwedReason, enum_check
from models.user import User

NOTE_MAX = 500


class OwedCall(Base):
    __tablename__ = "owed_calls"
    __table_args__ = (
        enum_check("reason", OwedReason, "reason"),
        enum_check("closed_reason", OwedClosedBy, "closed_reason"),
        # The queue: a recruiter's open items by due time.
        Index("ix_owed_calls_recruiter_closed_due", "recruiter_id", "closed_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(String(20))
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id"), index=True)
    # Whose queue it is in (None: the team's, like an unknown caller's voicemail).
    recruiter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A callback item's voicemail task (one item per task).
    callback_task_id: Mapped[int | None] = mapped_column(
        ForeignKey("callback_tasks.id"), unique=True
    )
    # "<reason>:<candidate id>" while open, NULL once closed: at most one open item of a kind
    # per candidate, however two writers race (an ATS upsert sent twice).
    open_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_reason: Mapped[str | None] = mapped_column(String(20))
    close_note: Mapped[str | None] = mapped_column(String(NOTE_MAX))
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_by_call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"))

    candidate: Mapped[Candidate | None] = relationship()
    recruiter: Mapped[User | None] = relationship(foreign_keys=[recruiter_id])
    callback_task: Mapped[CallbackTask | None] = relationship()

    @property
    def is_open(self) -> bool:
        return self.closed_at is None
