"""Outcome codes: the digit a recruiter keys in after a call, and what it means."""

from __future__ import annotations

from sqlalchemy import Boolean, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, validates

from models.base import Base
from models.enums import OutcomeMeaning, enum_check


class OutcomeCode(Base):
    __tablename__ = "outcome_codes"
    __table_args__ = (enum_check("means", OutcomeMeaning, "means"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    digit: Mapped[str] = mapped_column(String(1), unique=True)
    label: Mapped[str] = mapped_column(String(80))
    sets_stage: Mapped[str | None] = mapped_column(String(20))
    marks_do_not_call: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # What the code means to the owed-calls queue (models.enums.OutcomeMeaning), kept apart
    # from the label so that an admin's relabelling changes no rule.
    means: Mapped[str | None] = mapped_column(String(20))

    @validates("digit")
    def _check_digit(self, _key: str, value: str) -> str:
        if not (len(value) == 1 and value.isdigit()):
            raise ValueError(f"an outcome code is one keypad digit, not {value!r}")
        return value


def active_outcomes(session: Session) -> list[OutcomeCode]:
    return list(
        session.scalars(
            select(OutcomeCode).where(OutcomeCode.is_active.is_(True)).order_by(OutcomeCode.digit)
        )
    )
