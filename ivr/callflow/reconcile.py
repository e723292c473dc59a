"""Calls the network never finished telling us about, settled from what Twilio's REST API says.

Twilio does not promise to deliver a status callback (it retries once, on a failed connection
only), and a REST request that times out may still have created its call. A call that is not
final, and that nothing has been heard of for a while, is looked up: its real final state is
applied as the status callback would have applied it (the same code, so dispositions and the
one-live-call lock come out the same) and logged as one chained event. Nothing here commits or
talks to the network: ivr.tasks.jobs does, and hands the answers in."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ivr.callflow.events import already_recorded, record_event
from ivr.callflow.outbound import record_not_placed
from ivr.callflow.status import apply_status
from models import Call, CallEvent, CallStatus, Direction
from models.enums import ACTIVE_STATUSES

log = logging.getLogger(__name__)

# Twilio's date_created is to the second, and its clock is not ours: a call it created up to
# this long before our row says it was asked for is still a candidate for the match.
CLOCK_SKEW = timedelta(seconds=5)
_STATUSES = {status.value for status in CallStatus}


@dataclass(frozen=True)
class RemoteState:
    """What the REST API says of one call (ivr.telephony.RemoteCall, or the same fields)."""

    sid: str
    status: str
    direction: str = ""
    date_created: datetime | None = None
    end_time: datetime | None = None
    duration: int | None = None


def last_heard(call_id_column: object = Call.id) -> object:
    """When anything was last logged of the call (its newest event)."""
    return (
        select(func.max(CallEvent.created_at))
        .where(CallEvent.call_id == call_id_column)
        .correlate(Call)
        .scalar_subquery()
    )


def stale_calls(session: Session, cutoff: datetime) -> list[Call]:
    """Calls not final (or still holding a recruiter's line) that nothing has been heard of
    since `cutoff`."""
    heard = func.coalesce(last_heard(), Call.created_at)
    return list(
        session.scalars(
            select(Call)
            .where(or_(Call.status.in_(ACTIVE_STATUSES), Call.active_recruiter_id.is_not(None)))
            .where(heard < cutoff)
            .order_by(Call.id)
        )
    )


def status_form(remote: RemoteState) -> dict[str, str]:
    """The REST answer in the fields of a status callback, for the status callback's code."""
    form = {"CallSid": remote.sid, "CallStatus": remote.status}
    if remote.duration is not None:
        form["CallDuration"] = str(remote.duration)
    if remote.end_time is not None:
        form["Timestamp"] = format_datetime(remote.end_time)
    return form


def apply_remote_state(session: Session, call: Call, remote: RemoteState) -> bool:
    """Apply the call's final state as the REST API tells it; True when that changed the call.
    A state that is not final, or is not news, writes nothing."""
    if remote.status not in _STATUSES or not CallStatus(remote.status).is_terminal:
        return False
    key = f"reconcile:{call.id}:{remote.sid}:{remote.status}"
    if already_recorded(session, key):
        return False
    form = status_form(remote)
    applied, reason = apply_status(call, form)
    if not applied:
        log.info("reconcile call %s: nothing new (%s)", call.id, reason)
        return False
    record_event(
        session,
        call,
        "call.reconciled",
        source="rest",
        detail={
            "call_sid": remote.sid,
            "status": remote.status,
            "duration": remote.duration,
            "end_time": form.get("Timestamp"),
            "disposition": call.disposition,
            "why": "no final status callback arrived",
        },
        idempotency_key=key,
    )
    log.info("reconcile call %s: %s from the REST API", call.id, remote.status)
    return True


def match_placed(call: Call, remote_calls: Iterable[RemoteState], known: set[str]) -> str | None:
    """Which of the REST API's calls to the recruiter's phone is this one: the first created
    after our row (within the clocks' skew) that no other call of ours has. The Call resource
    does not tell the Url it was created with, so the time and the one-live-call lock (one
    such call at a time) identify it."""
    return match_since(call.created_at, remote_calls, known)


def match_since(
    moment: datetime, remote_calls: Iterable[RemoteState], known: set[str]
) -> str | None:
    """The first call we created over REST since `moment` whose sid none of ours has."""
    floor = moment.replace(microsecond=0) - CLOCK_SKEW
    candidates = [
        remote
        for remote in remote_calls
        if remote.sid not in known
        and remote.direction == "outbound-api"
        and remote.date_created is not None
        and remote.date_created >= floor
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda remote: remote.date_created or floor).sid


def settle_unplaced(session: Session, call: Call) -> None:
    """The REST API has no call for this one: it was never placed; the line is free again."""
    record_not_placed(session, call, "the phone network has no record of the call")
    call.unconfirmed = False


def known_sids(session: Session, call: Call, sids: Iterable[str]) -> set[str]:
    """Those of `sids` that belong to another of our calls (or to an outcome call-back)."""
    wanted = list(sids)
    if not wanted:
        return set()
    taken = set(session.scalars(select(Call.parent_sid).where(Call.parent_sid.in_(wanted))))
    taken |= set(session.scalars(select(Call.child_sid).where(Call.child_sid.in_(wanted))))
    taken |= set(
        session.scalars(
            select(CallEvent.call_sid).where(
                CallEvent.call_sid.in_(wanted), CallEvent.call_id != call.id
            )
        )
    )
    return {sid for sid in taken if sid}


def may_be_unplaced(call: Call) -> bool:
    """A one-click call we have no CallSid for (its creation failed to answer, or the app
    stopped before it could ask)."""
    return call.parent_sid is None and call.direction == Direction.OUTBOUND
