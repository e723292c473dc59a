"""Whether a recruiter is busy: one definition for one-click calls and the recruiter line."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Call, User


def live_call_for(session: Session, recruiter: User) -> Call | None:
    """The call holding the recruiter's line, whatever its status says: the unique
    active_recruiter_id column is the one-live-call lock, and a call ending clears it."""
    return session.scalar(select(Call).where(Call.active_recruiter_id == recruiter.id).limit(1))


def is_busy(session: Session, recruiter: User) -> bool:
    return live_call_for(session, recruiter) is not None
