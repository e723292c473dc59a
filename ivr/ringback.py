"""Ringing a recruiter back for an inbound call's outcome: a queued task (ivr.tasks), never run
inside the webhook that asks for it."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from ivr.callflow import outcome_call
from ivr.callflow.reconcile import RemoteState, known_sids, match_since
from ivr.config import settings
from ivr.telephony import TelephonyError, TelephonyUnconfirmed, gateway
from ivr.urls import webhook_url
from models import Call, utcnow

log = logging.getLogger(__name__)


def ring_back_for_outcome(session: Session, call_id: int) -> None:
    """Ring the call's recruiter; the outcome prompt answers when they pick up. The task the
    webhook queues (ivr.tasks "ring_back"); it commits on its own: placed, or why not. Run
    again, it rings nobody a second time."""
    call = session.get(Call, call_id)
    recruiter = call.recruiter if call is not None else None
    if call is None or recruiter is None or not recruiter.phone:
        log.info("outcome call-back for call %s: nobody to ring", call_id)
        return
    if outcome_call.already_placed(session, call):
        log.info("outcome call-back for call %s already placed", call_id)
        return
    to = recruiter.phone
    asked_at = utcnow()
    session.commit()  # end any read: nothing may hold the database while the network answers
    try:
        placed = gateway().place_call(
            to=to,
            url=webhook_url("voice.outcome_prompt", call_id=call.id),
            status_callback=webhook_url("voice.outcome_call_status", call_id=call.id),
            status_events=("completed",),
        )
    except TelephonyUnconfirmed as exc:
        # Twilio may have placed it: look for it before saying anything.
        sid = _find_placed(session, call, to, asked_at)
        if sid is None:
            outcome_call.record_failed(session, call, str(exc))
        else:
            outcome_call.record_placed(session, call, sid)
    except TelephonyError as exc:
        outcome_call.record_failed(session, call, str(exc))
    else:
        outcome_call.record_placed(session, call, placed.sid)
        log.info("outcome call-back %s placed call_sid=%s", placed.sid, call.parent_sid)
    session.commit()


def _find_placed(session: Session, call: Call, to: str, asked_at: datetime) -> str | None:
    """The call-back Twilio created although its answer timed out, if it is listed."""
    try:
        listed = gateway().recent_calls(to=to, from_=settings().twilio_phone_number)
    except TelephonyError:
        return None
    states = [
        RemoteState(sid=c.sid, status=c.status, direction=c.direction, date_created=c.date_created)
        for c in listed
    ]
    return match_since(asked_at, states, known_sids(session, call, (s.sid for s in states)))
