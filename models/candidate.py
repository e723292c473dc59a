"""Candidates: who recruiters call, and who calls back."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, validates

from models.base import Base, UTCDateTime, utcnow
from models.phone import normalize_phone
from models.user import User

STAGES = ("applied", "screening", "interviewing", "offer", "hired", "not_selected", "withdrawn")
CODE_LENGTH = 6


class Candidate(Base):
    __tablename__ = "candidates"
    __table_args__ = (
        CheckConstraint(
            "stage IN ('applied', 'screening', 'interviewing', 'offer', 'hired', "
            "'not_selected', 'withdrawn')",
            name="stage",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(16), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    stage: Mapped[str] = mapped_column(String(20), default="applied")
    do_not_call: Mapped[bool] = mapped_column(Boolean, default=False)
    # Keyed in on a phone keypad by a recruiter dialling in, so digits only.
    code: Mapped[str] = mapped_column(String(CODE_LENGTH), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

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

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else self.name


def new_candidate_code(session: Session) -> str:
    """A random unused code; the unique constraint still guards the race between two writers."""
    for _ in range(20):
        code = f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"
        if (
            code[0] != "0"
            and session.scalar(select(Candidate.id).where(Candidate.code == code)) is None
        ):
            return code
    raise RuntimeError("could not find a free candidate code")
