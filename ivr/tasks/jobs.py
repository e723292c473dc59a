"""The jobs the queue runs: each job(session, *ids) does its work once however often it runs,
and commits what it did; the decisions are ivr.callflow's."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy.orm import Session

from ivr import clock, heads, ringback, spool
from ivr.callflow import outbound, outcome_call
from ivr.callflow import reconcile as flow
from ivr.callflow.events import already_recorded, record_event
from ivr.callnext import continue_call_next
from ivr.config import settings
from ivr.tasks import Job, enqueue
from ivr.telephony import RemoteCall, TelephonyError, gateway
from ivr.voice.hook import purge_deliveries as purge_webhook_deliveries
from models import Call, Direction
from models.audit import chain_heads

log = logging.getLogger(__name__)


def reconcile_calls(session: Session) -> None:
    """Every call not final that nothing has been heard of for RECONCILE_AFTER_SECONDS: ask
    the REST API how it really stands, apply its final state, free the recruiter's line."""
    cutoff = clock.now() - timedelta(seconds=settings().reconcile_after_seconds)
    ids = [call.id for call in flow.stale_calls(session, cutoff)]
    session.commit()  # nothing may hold the database while the network answers
    for call_id in ids:
        try:
            reconcile_call(session, call_id)
        except TelephonyError as exc:
            session.rollback()
            log.warning("reconcile call %s: %s; tried again next time", call_id, exc)


def reconcile_call(session: Session, call_id: int) -> None:
    call = session.get(Call, call_id)
    if call is None or not (call.is_active or call.active_recruiter_id is not None):
        return
    session.commit()
    if flow.may_be_unplaced(call):
        _find_placed(session, call)
        if call.parent_sid is None:
            return
    remote = gateway().fetch_call(call.parent_sid or "")
    if remote is None:
        log.warning("reconcile call %s: the REST API has no call %s", call.id, call.parent_sid)
        return
    call = _locked(session, call_id)  # fresh, under the row lock
    if call is None:
        return
    if call.unconfirmed and call.parent_sid == remote.sid:
        outbound.confirm_placed(session, call, remote.sid, "rest")
    changed = flow.apply_remote_state(session, call, _state(remote))
    ring_back = (
        changed
        and call.direction == Direction.INBOUND
        and outcome_call.request_when_ended(session, call)
    )
    session.commit()
    if ring_back:
        enqueue("ring_back", call.id)


def _find_placed(session: Session, call: Call) -> None:
    """A call we have no CallSid for: find it among the REST API's calls to the recruiter's
    phone, or record that it was never placed."""
    remote_calls = gateway().recent_calls(to=call.recruiter_number or "", from_=call.company_number)
    states = [_state(remote) for remote in remote_calls]
    known = flow.known_sids(session, call, (state.sid for state in states))
    sid = flow.match_placed(call, states, known)
    fresh = _locked(session, call.id)
    if fresh is None or fresh.parent_sid is not None or not fresh.is_active:
        session.commit()  # a webhook settled it meanwhile
        return
    if sid is None:
        flow.settle_unplaced(session, fresh)
        log.info("reconcile call %s: never placed; line released", call.id)
    else:
        outbound.confirm_placed(session, fresh, sid, "rest")
    session.commit()


def _locked(session: Session, call_id: int) -> Call | None:
    """The call as it stands now, its row locked until the commit (webhooks wait)."""
    return session.get(Call, call_id, with_for_update=True, populate_existing=True)


def _state(remote: RemoteCall) -> flow.RemoteState:
    return flow.RemoteState(
        sid=remote.sid,
        status=remote.status,
        direction=remote.direction,
        date_created=remote.date_created,
        end_time=remote.end_time,
        duration=remote.duration,
    )


def hang_up(session: Session, call_id: int) -> None:
    """End the call at the phone network, as its recruiter asked from the page. Ending a call
    that has ended already changes nothing (Twilio answers with the finished call)."""
    call = session.get(Call, call_id)
    if call is None or not call.is_active or call.parent_sid is None:
        log.info("hang-up of call %s: nothing to end", call_id)
        return
    sid = call.parent_sid
    session.commit()
    try:
        gateway().hang_up(sid)
    except TelephonyError as exc:
        record_event(session, call, "call.hang_up_failed", detail={"reason": str(exc)})
        session.commit()
        raise
    key = f"hung-up:{call.id}"
    if not already_recorded(session, key):
        record_event(session, call, "call.hung_up", detail={"call_sid": sid}, call_sid=sid,
                     idempotency_key=key)  # fmt: skip
    session.commit()


def replay_spool(session: Session) -> None:
    """Webhooks the database could not take (ivr.spool), replayed in order once it answers."""
    session.commit()
    if spool.spool_of(current_app).pending():
        report = spool.replay(current_app)
        log.info("spool replay: replayed %s, failed %s, left %s",
                 report.replayed, report.failed, report.left)  # fmt: skip


def publish_heads(session: Session) -> None:
    """The chains' heads to AUDIT_HEADS_TARGET, when they moved since this worker last did."""
    target = settings().audit_heads_target
    if not target:
        return
    last = current_app.extensions.get("published_heads")
    if last == chain_heads(session):
        return
    record = heads.publish_heads(session, target)
    current_app.extensions["published_heads"] = record["heads"]


def purge_deliveries(session: Session) -> None:
    """Forget stored answers to webhook deliveries after a day (Twilio retries within minutes)."""
    purged = purge_webhook_deliveries(session, keep=timedelta(days=1))
    session.commit()
    if purged:
        log.info("purged %s webhook deliveries", purged)


# name -> (job, retries): a job that fails (the network unreachable) is tried again later.
JOBS: dict[str, tuple[Job, int]] = {
    "ring_back": (ringback.ring_back_for_outcome, 0),
    "hang_up": (hang_up, 2),
    "reconcile_call": (reconcile_call, 0),
    "call_next": (continue_call_next, 0),
}
# name -> job, run every minute by the worker's scheduler.
PERIODIC: dict[str, Job] = {
    "reconcile": reconcile_calls,
    "replay_spool": replay_spool,
    "publish_heads": publish_heads,
    "purge_deliveries": purge_deliveries,
}
