"""Whether a recruiter is busy: one definition for every flow. A recruiter is busy while a
call holds their line (the unique calls.active_recruiter_id): a one-click call from ringing
their phone to its end, a dial-in for as long as they are on it, an inbound call from the
moment they accept it until the bridge (or the call) ends."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Call, CallStatus, User


def live_call_for(session: Session, recruiter: User) -> Call | None:
    """The call holding the recruiter's line, whatever its status says: the unique
    active_recruiter_id column is the one-live-call lock, and a call ending clears it."""
    return session.scalar(select(Call).where(Call.active_recruiter_id == recruiter.id).limit(1))


def is_busy(session: Session, recruiter: User) -> bool:
    return live_call_for(session, recruiter) is not None


def busy_recruiter_ids(session: Session, *, besides: Call | None = None) -> set[int]:
    """Every recruiter some call (other than `besides`) holds the line of."""
    query = select(Call.active_recruiter_id).where(Call.active_recruiter_id.is_not(None))
    if besides is not None:
        query = query.where(Call.id != besides.id)
    return {recruiter_id for recruiter_id in session.scalars(query) if recruiter_id is not None}


def take_line(session: Session, call: Call, recruiter: User) -> bool:
    """Make `call` hold the recruiter's line; False when another call holds it already (or
    takes it at the same moment: the unique column decides, and this call goes without)."""
    if call.active_recruiter_id == recruiter.id:
        return True
    if call.ended_at is not None or CallStatus(call.status).is_terminal:
        # A webhook of a call that has ended (replayed, or late) never takes a line again.
        return False
    if is_busy(session, recruiter):
        return False
    try:
        with session.begin_nested():
            call.active_recruiter_id = recruiter.id
            session.flush()
    except IntegrityError:
        call.active_recruiter_id = None
        return False
    return True


def release_line(call: Call) -> None:
    call.active_recruiter_id = None
