"""Call next: place the first owed call of the recruiter's queue, and after each call's
outcome the next (ivr.callflow.owed decides; this places, through ivr.placement)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.orm import Session

from ivr import clock
from ivr.callflow import owed
from ivr.callflow.events import record_event
from ivr.callflow.outbound import CallRefused
from ivr.callflow.window import CallingWindow
from ivr.config import settings
from ivr.placement import place_outbound_call
from models import Call, OwedCall, User

log = logging.getLogger(__name__)


def _next(session: Session, recruiter: User, skip: int | None = None) -> OwedCall | None:
    window = CallingWindow.from_settings(settings())
    return owed.next_owed_item(session, recruiter, window, clock.now(), skip_candidate_id=skip)


def start_call_next(session: Session, recruiter: User) -> Call:
    """The Call next button: ring the recruiter for the first owed call that may be placed."""
    item = _next(session, recruiter)
    if item is None or item.candidate_id is None:
        raise CallRefused("nobody in your queue can be called now", 409)
    return place_outbound_call(
        session, recruiter, item.candidate_id, prepare=_marked(session, item, recruiter)
    )


def _marked(session: Session, item: OwedCall, recruiter: User) -> Callable[[Call], None]:
    """The call is part of the run from its first moment: marked before the network rings."""

    def mark(call: Call) -> None:
        owed.mark_call_next(session, call, item, recruiter)

    return mark


def continue_call_next(session: Session, recruiter_id: int, after_call_id: int) -> None:
    """After the commit that claimed the continuation (owed.claim_continuation): ring the
    recruiter for the next owed call, or say on the finished call why the run stopped."""
    recruiter = session.get(User, recruiter_id)
    previous = session.get(Call, after_call_id)
    if recruiter is None or previous is None:
        return
    item = _next(session, recruiter, skip=previous.candidate_id)
    if item is None or item.candidate_id is None:
        record_event(session, previous, owed.CALL_NEXT_STOPPED, detail={"reason": "queue done"})
        session.commit()
        return
    try:
        call = place_outbound_call(
            session, recruiter, item.candidate_id, prepare=_marked(session, item, recruiter)
        )
    except CallRefused as refused:
        session.rollback()
        previous = session.get(Call, after_call_id)
        assert previous is not None
        record_event(session, previous, owed.CALL_NEXT_STOPPED, detail={"reason": refused.reason})
        session.commit()
        return
    previous = session.get(Call, after_call_id)
    assert previous is not None
    record_event(session, previous, owed.CALL_NEXT_RANG, detail={"next_call_id": call.id})
    session.commit()
    log.info("call next: call %s after call %s", call.id, after_call_id)
