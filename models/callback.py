"""Callback tasks: a voicemail waiting for a recruiter to call the candidate back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow
from models.call import Call
from models.candidate import Candidate
from models.enums import CallbackReason, CallbackStatus, enum_check
from models.user import User


class CallbackTask(Base):
    __tablename__ = "callback_tasks"
    __table_args__ = (enum_check("status", CallbackStatus, "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # One task per voicemail, however often Twilio retries the recording callback.
    voicemail_call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), unique=True)
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id"), index=True)
    recruiter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    caller_number: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(40), default=CallbackReason.VOICEMAIL.value)
    status: Mapped[str] = mapped_column(String(8), default=CallbackStatus.OPEN.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"))

    voicemail: Mapped[Call] = relationship(foreign_keys=[voicemail_call_id])
    candidate: Mapped[Candidate | None] = relationship()
    recruiter: Mapped[User | None] = relationship()
