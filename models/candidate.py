"""Candidates: who recruiters call, and who calls back."""

from __future__ import annotations

import secrets
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, validates

from models.base import Base, UTCDateTime, utcnow
from models.enums import STAGES, Stage, enum_check
from models.phone import normalize_phone
from models.user import User

CODE_LENGTH = 6
NAME_MAX = 120
EMAIL_MAX = 254
REASON_MAX = 500
EXTERNAL_ID_MAX = 100
SOURCE_MAX = 40


class Candidate(Base):
    __tablename__ = "candidates"
    __table_args__ = (
        enum_check("stage", Stage, "stage"),
        # An ATS's key is unique within that ATS; rows without one never collide (NULLs).
        UniqueConstraint("source", "external_id", name="uq_candidates_source_external_id"),
        # "Not called in N days" and the sort by last contact walk this.
        Index("ix_candidates_last_contact_at_id", "last_contact_at", "id"),
        Index("ix_candidates_owner_id_name", "owner_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    phone: Mapped[str] = mapped_column(String(16), unique=True)
    email: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    stage: Mapped[str] = mapped_column(String(20), default=Stage.APPLIED.value)
    do_not_call: Mapped[bool] = mapped_column(Boolean, default=False)
    do_not_call_reason: Mapped[str | None] = mapped_column(String(REASON_MAX))
    # Keyed in on a phone keypad by a recruiter dialling in, so digits only.
    code: Mapped[str] = mapped_column(String(CODE_LENGTH), unique=True)
    # The applicant tracking system's own key for this person, and which system it is.
    external_id: Mapped[str | None] = mapped_column(String(EXTERNAL_ID_MAX))
    source: Mapped[str | None] = mapped_column(String(SOURCE_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, onupdate=utcnow)
    # When a call with this candidate last started, either way; kept on the row so the list
    # can sort and filter by it without scanning calls.
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner: Mapped[User | None] = relationship()

    @validates("phone")
    def _normalise_phone(self, _key: str, value: str) -> str:
        return normalize_phone(value)

    @validates("stage")
    def _check_stage(self, _key: str, value: str) -> str:
        if value not in STAGES:
            raise ValueError(f"stage must be one of {', '.join(STAGES)}, not {value!r}")
        return value

    @validates("code")
    def _check_code(self, _key: str, value: str) -> str:
        if not (value.isdigit() and len(value) == CODE_LENGTH):
            raise ValueError(f"a candidate code is {CODE_LENGTH} digits, not {value!r}")
        return value

    @validates("timezone")
    def _check_timezone(self, _key: str, value: str) -> str:
        if not is_timezone(value):
            raise ValueError(f"{value!r} is not a known IANA timezone, like Europe/London")
        return value

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else self.name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def touch_contact(self, at: datetime) -> None:
        if self.last_contact_at is None or at > self.last_contact_at:
            self.last_contact_at = at


def is_timezone(name: str) -> bool:
    if not name or name != name.strip() or len(name) > 64:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def new_candidate_code(session: Session) -> str:
    """A random unused code; the unique constraint still guards the race between two writers."""
    for _ in range(20):
        code = random_code()
        if session.scalar(select(Candidate.id).where(Candidate.code == code)) is None:
            return code
    raise RuntimeError("could not find a free candidate code")


def random_code() -> str:
    """Six digits, never starting with 0 (a keypad entry that looks like a number)."""
    return str(10 ** (CODE_LENGTH - 1) + secrets.randbelow(9 * 10 ** (CODE_LENGTH - 1)))
