"""Placing a one-click call, shared by the API and the recruiter page.

It commits twice, by design: the Call row must exist before the phone network is asked to ring
(Twilio's first status callback can arrive before the REST answer does), and no database
transaction may stay open while the REST request is in flight."""

from __future__ import annotations

import logging
from collections.abc import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ivr import clock
from ivr.callflow import outbound as flow
from ivr.callflow import window
from ivr.candidates.records import Rules, timezone_for
from ivr.config import settings
from ivr.permissions import can_work_callback
from ivr.telephony import TelephonyError, TelephonyUnconfirmed, gateway
from ivr.urls import webhook_url
from models import Call, CallbackStatus, CallbackTask, Candidate, User
from models.chain import lock_for_writing

log = logging.getLogger(__name__)


def place_outbound_call(
    session: Session,
    recruiter: User,
    candidate_id: int,
    *,
    override: str | None = None,
    prepare: Callable[[Call], None] | None = None,
) -> Call:
    """Ring the recruiter for this candidate, or raise CallRefused with a reason to show.
    Outside the candidate's calling window only with `override`, a reason, which is logged.
    A call whose creation went unanswered comes back `unconfirmed` (ringing, most likely).
    `prepare(call)` writes what must be on the call before the network can report on it (its
    webhooks may all arrive before the REST answer does)."""
    # Checks and the new row under the write-order lock: of simultaneous clicks, the second
    # one checks after the first one's commit and is refused with its reason (409).
    lock_for_writing(session)
    candidate = flow.check_can_call(session, recruiter, session.get(Candidate, candidate_id))
    check = _window_check(recruiter, candidate.zone, candidate.name, override)
    call = flow.create_outbound_call(session, recruiter, candidate, settings().twilio_phone_number)
    if override is not None and not check.is_open:
        window.record_override(session, call, check, override, recruiter)
    if prepare is not None:
        prepare(call)
    return _ring_recruiter(session, recruiter, call)


def _window_check(
    recruiter: User, zone: ZoneInfo, name: str, override: str | None
) -> window.WindowCheck:
    check = window.CallingWindow.from_settings(settings()).check(zone, clock.now())
    yours = ZoneInfo(recruiter.timezone or settings().timezone)
    window.require_window(check, name, override, yours)
    return check


def place_callback_call(
    session: Session, recruiter: User, task: CallbackTask, *, override: str | None = None
) -> Call:
    """Ring the recruiter to call back whoever left this voicemail: their candidate, or the
    number of an unknown caller (a call with no candidate)."""
    lock_for_writing(session)
    if not can_work_callback(recruiter, task):
        raise flow.CallRefused("this callback waits for another recruiter", 403)
    if task.status != CallbackStatus.OPEN:
        raise flow.CallRefused("this callback is already done", 409)
    if task.candidate_id is not None:
        return place_outbound_call(session, recruiter, task.candidate_id, override=override)
    number = flow.check_can_call_number(session, recruiter, task.caller_number)
    known = session.scalar(select(Candidate).where(Candidate.phone == number))
    if known is not None:
        # They have become a candidate since: call them as one.
        return place_outbound_call(session, recruiter, known.id, override=override)
    # A stranger's local time: their number's zone when it has one, else the team's.
    zone = ZoneInfo(timezone_for(number, Rules.from_settings(settings())))
    check = _window_check(recruiter, zone, "the caller", override)
    call = flow.create_outbound_call(
        session, recruiter, None, settings().twilio_phone_number, number=number, callback=task
    )
    if override is not None and not check.is_open:
        window.record_override(session, call, check, override, recruiter)
    return _ring_recruiter(session, recruiter, call)


def _ring_recruiter(session: Session, recruiter: User, call: Call) -> Call:
    try:
        session.commit()
    except IntegrityError:
        # The one-live-call lock: another click won the race.
        session.rollback()
        raise flow.CallRefused("you already have a call in progress", 409) from None

    try:
        placed = gateway().place_call(
            to=recruiter.phone or "",
            url=webhook_url("voice.outbound_answer", call_id=call.id),
            status_callback=webhook_url("voice.outbound_status", call_id=call.id),
        )
    except TelephonyUnconfirmed as exc:
        # Twilio may have created the call: never log it as not placed. Its first webhook
        # (or the reconciliation, asking the REST API) settles it; the line stays taken.
        session.refresh(call, with_for_update=True)
        flow.record_unconfirmed(session, call, str(exc))
        session.commit()
        return call
    except TelephonyError as exc:
        flow.record_not_placed(session, call, str(exc))
        session.commit()
        raise flow.CallRefused(str(exc), 502) from exc

    flow.record_placed(session, call, placed.sid, placed.status)
    session.commit()
    log.info("one-click call %s placed call_sid=%s", call.id, placed.sid)
    return call
