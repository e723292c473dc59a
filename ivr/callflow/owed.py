"""The owed-calls queue: the calls a recruiter owes candidates, and the rules that open,
count and close them. Decisions on a Session; nothing here commits.

- A candidate who reached the interview stage and is then marked not selected (from any
  surface: candidates.records.change_stage, or a call's outcome) is owed a closure call,
  due OWED_CALL_DUE_BUSINESS_DAYS business days later in the team's calendar.
- A voicemail waiting for a callback, a "call back later" outcome and an open offer waiting
  for its answer are owed calls too.
- A call that does not reach the candidate (no answer, busy, voicemail) is an attempt, counted
  once per call. A connected call with the outcome "not selected, told personally" closes the
  closure item; a connected call closes a "call back later"; the callback task's closing
  closes its item; the candidate's stage moving on closes what no longer applies. After
  OWED_CALL_MAX_ATTEMPTS attempts (or once the candidate is do-not-call) the recruiter may
  close an item by hand with a written reason.

Every open, attempt and close is a chained event ("owed.opened", "owed.attempt",
"owed.closed") on the candidate's timeline."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from flask import has_app_context
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from ivr.callflow.events import already_recorded, record_change, record_event
from ivr.callflow.hours import BusinessHours
from ivr.config import Settings
from ivr.permissions import can_call_candidate
from models import (
    Call,
    CallbackReason,
    CallbackTask,
    CallEvent,
    Candidate,
    Disposition,
    OutcomeCode,
    OutcomeMeaning,
    OwedCall,
    OwedClosedBy,
    OwedReason,
    Role,
    Stage,
    User,
    utcnow,
)
from models.owed import NOTE_MAX

if TYPE_CHECKING:  # window.py builds on outbound.py, which builds on this module
    from ivr.callflow.window import CallingWindow

# Stages that mean the candidate was interviewed (an offer comes after an interview).
INTERVIEWED = (Stage.INTERVIEWING.value, Stage.OFFER.value)
CALLBACK_DUE_BUSINESS_DAYS = 1  # a voicemail is returned by the end of the next business day
CALL_BACK_LATER_DUE_BUSINESS_DAYS = 1  # when the candidate named no time
# A call that ended this way did not reach the candidate: an attempt.
NOT_REACHED = (
    Disposition.CANDIDATE_NO_ANSWER.value,
    Disposition.CANDIDATE_BUSY.value,
    Disposition.CANDIDATE_UNREACHABLE.value,
)
ATTEMPT_MEANINGS = (OutcomeMeaning.VOICEMAIL.value, OutcomeMeaning.NO_ANSWER.value)


@dataclass(frozen=True)
class OwedPolicy:
    """The team's calendar and the queue's settings."""

    hours: BusinessHours
    due_days: int = 3
    max_attempts: int = 3

    @classmethod
    def from_settings(cls, settings: Settings) -> OwedPolicy:
        return cls(
            hours=BusinessHours.from_settings(settings),
            due_days=settings.owed_call_due_business_days,
            max_attempts=settings.owed_call_max_attempts,
        )

    @classmethod
    def default(cls) -> OwedPolicy:
        """The settings' defaults: Monday to Friday, 09:00-18:00 UTC, 3 days, 3 attempts."""
        return cls(
            hours=BusinessHours(
                zone=ZoneInfo("UTC"), opens=time(9), closes=time(18), days=frozenset(range(5))
            )
        )

    def due_after(self, at: datetime, business_days: int | None = None) -> datetime:
        """The close of business on the Nth business day after `at`, in the team's zone: a
        decision on Monday with 3 days is due by Thursday's close. A weekend decision
        counts from Monday. Computed on the local calendar, so DST changes move nothing."""
        days = self.due_days if business_days is None else business_days
        if not self.hours.days:
            return at + timedelta(days=days)
        day = at.astimezone(self.hours.zone).date()
        counted = 0
        while counted < days:
            day += timedelta(days=1)
            if day.weekday() in self.hours.days:
                counted += 1
        return _close_of(day, self.hours).astimezone(UTC)


def _close_of(day: date, hours: BusinessHours) -> datetime:
    if hours.closes is None:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=hours.zone)
    return datetime.combine(day, hours.closes, tzinfo=hours.zone)


def current_policy() -> OwedPolicy:
    """The running app's policy; outside an app (a script, a rule tested alone) the defaults."""
    if has_app_context():
        from ivr.config import settings

        return OwedPolicy.from_settings(settings())
    return OwedPolicy.default()


class OwedRefused(Exception):
    """A change to an owed call that cannot be made; the reason is shown as is."""

    def __init__(self, reason: str, status: int = 400, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.field = field


# Opening ----------------------------------------------------------------------------------

_PENDING = "owed_pending"  # session.info: items added but maybe not flushed, by open_key


def _open_key(reason: str, candidate_id: int | None) -> str | None:
    return f"{reason}:{candidate_id}" if candidate_id is not None else None


def _find_open(session: Session, key: str) -> OwedCall | None:
    pending: dict[str, OwedCall] = session.info.setdefault(_PENDING, {})
    item = pending.get(key)
    if item is not None and item in session and item.open_key == key:
        return item
    with session.no_autoflush:
        return session.scalar(select(OwedCall).where(OwedCall.open_key == key))


def open_item(
    session: Session,
    reason: OwedReason,
    *,
    candidate: Candidate | None,
    recruiter_id: int | None,
    due_at: datetime,
    actor: User | None,
    via: str,
    call: Call | None = None,
    callback_task: CallbackTask | None = None,
    flush: bool = True,
) -> OwedCall:
    """A new owed call, or the one of this kind already open for the candidate (unchanged)."""
    key = _open_key(reason, candidate.id if candidate is not None else None)
    if callback_task is not None:
        key = None  # one per voicemail task: its own unique column
    elif key is not None and (existing := _find_open(session, key)) is not None:
        return existing
    now = utcnow()
    item = OwedCall(
        reason=reason.value,
        candidate_id=candidate.id if candidate is not None else None,
        recruiter_id=recruiter_id,
        callback_task_id=callback_task.id if callback_task is not None else None,
        open_key=key,
        opened_at=now,
        due_at=due_at,
        attempts=0,
    )
    session.add(item)
    if key is not None:
        session.info.setdefault(_PENDING, {})[key] = item
    detail: dict[str, Any] = {
        "reason": item.reason,
        "due_at": due_at.astimezone(UTC).isoformat(timespec="seconds"),
        "recruiter_id": recruiter_id,
        "via": via,
    }
    if flush:
        session.flush()
        detail["owed_call_id"] = item.id
    if callback_task is not None:
        detail["callback_task_id"] = callback_task.id
    record_change(
        session,
        "owed.opened",
        actor=actor,
        candidate=candidate,
        call=call,
        detail=detail,
        source="app" if actor is None else "user",
        flush=flush,
    )
    return item


def open_items_for(session: Session, candidate_id: int, *reasons: OwedReason) -> list[OwedCall]:
    stmt = select(OwedCall).where(
        OwedCall.candidate_id == candidate_id, OwedCall.closed_at.is_(None)
    )
    if reasons:
        stmt = stmt.where(OwedCall.reason.in_([r.value for r in reasons]))
    with session.no_autoflush:
        found = list(session.scalars(stmt.order_by(OwedCall.id)))
    # Items added in this flush-less batch are not in the database yet.
    for item in session.info.get(_PENDING, {}).values():
        if (
            item in session
            and item not in found
            and item.candidate_id == candidate_id
            and item.closed_at is None
            and (not reasons or item.reason in reasons)
        ):
            found.append(item)
    return found


# Closing ----------------------------------------------------------------------------------


def close_item(
    session: Session,
    item: OwedCall,
    how: OwedClosedBy,
    *,
    actor: User | None,
    call: Call | None = None,
    note: str | None = None,
    flush: bool = True,
) -> CallEvent | None:
    if item.closed_at is not None:
        return None
    item.closed_at = utcnow()
    item.closed_reason = how.value
    item.close_note = note
    item.closed_by_id = actor.id if actor is not None else None
    item.closed_by_call_id = call.id if call is not None else None
    item.open_key = None
    detail: dict[str, Any] = {
        "owed_call_id": item.id,
        "reason": item.reason,
        "closed_reason": how.value,
        "attempts": item.attempts,
    }
    if note:
        detail["note"] = note
    return record_change(
        session,
        "owed.closed",
        actor=actor,
        candidate=item.candidate,
        call=call,
        detail=detail,
        source="user" if how == OwedClosedBy.BY_HAND else "app",
        flush=flush,
    )


def may_close_by_hand(item: OwedCall, policy: OwedPolicy) -> bool:
    """After the attempts the settings ask for; at once when the candidate may not be called."""
    if item.candidate is not None and item.candidate.do_not_call:
        return True
    return item.attempts >= policy.max_attempts


def can_work_item(user: User, item: OwedCall) -> bool:
    return user.role == Role.RECRUITER and item.recruiter_id in (None, user.id)


def parse_note(value: object) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise OwedRefused("write why this call is no longer owed", 400, "reason")
    if len(text) > NOTE_MAX:
        raise OwedRefused(f"keep the reason under {NOTE_MAX} characters", 400, "reason")
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise OwedRefused("the reason must not contain control characters", 400, "reason")
    return text


def close_by_hand(
    session: Session, item: OwedCall, actor: User, note: object, policy: OwedPolicy
) -> CallEvent:
    """The recruiter closes an item they could not complete, saying why."""
    if not can_work_item(actor, item):
        raise OwedRefused("this owed call waits for another recruiter", 403)
    if item.closed_at is not None:
        raise OwedRefused("this owed call is already closed", 409)
    if not may_close_by_hand(item, policy):
        raise OwedRefused(
            f"try {policy.max_attempts} times first "
            f"({item.attempts} attempt{'s' if item.attempts != 1 else ''} so far)",
            409,
        )
    text = parse_note(note)
    event = close_item(session, item, OwedClosedBy.BY_HAND, actor=actor, note=text)
    assert event is not None
    return event


# Stage changes ----------------------------------------------------------------------------


def reached_interview(session: Session, candidate: Candidate, before: str | None) -> bool:
    """Interviewing or beyond before this change, or at any time in the chained history."""
    if before in INTERVIEWED:
        return True
    if candidate.id is None:
        return False
    with session.no_autoflush:
        details = session.scalars(
            select(CallEvent.detail).where(
                CallEvent.candidate_id == candidate.id,
                CallEvent.kind.in_(("candidate.stage_changed", "candidate.created")),
            )
        )
        return any(d.get("to", d.get("stage")) in INTERVIEWED for d in details)


def on_stage_change(
    session: Session,
    actor: User | None,
    candidate: Candidate,
    before: str | None,
    after: str,
    *,
    via: str,
    policy: OwedPolicy | None = None,
    call: Call | None = None,
    flush: bool = True,
) -> list[OwedCall]:
    """What a stage change owes (or no longer owes) the candidate; returns the items opened."""
    if before == after:
        return []
    policy = policy or current_policy()
    opened: list[OwedCall] = []
    ended = ((OwedReason.CLOSURE, Stage.NOT_SELECTED), (OwedReason.OFFER_ANSWER, Stage.OFFER))
    for reason, stage in ended:
        if before == stage and candidate.id is not None:
            for item in open_items_for(session, candidate.id, reason):
                close_item(session, item, OwedClosedBy.STAGE_CHANGED, actor=actor, call=call,
                           flush=flush)  # fmt: skip
    if after == Stage.NOT_SELECTED and reached_interview(session, candidate, before):
        opened.append(_open_for(session, OwedReason.CLOSURE, candidate, actor, via, policy,
                                policy.due_days, call, flush))  # fmt: skip
    if after == Stage.OFFER:
        opened.append(_open_for(session, OwedReason.OFFER_ANSWER, candidate, actor, via, policy,
                                policy.due_days, call, flush))  # fmt: skip
    return opened


def _open_for(
    session: Session,
    reason: OwedReason,
    candidate: Candidate,
    actor: User | None,
    via: str,
    policy: OwedPolicy,
    days: int,
    call: Call | None,
    flush: bool,
) -> OwedCall:
    return open_item(
        session,
        reason,
        candidate=candidate,
        recruiter_id=candidate.owner_id,
        due_at=policy.due_after(utcnow(), days),
        actor=actor,
        via=via,
        call=call,
        flush=flush,
    )


def on_owner_change(session: Session, candidate: Candidate, owner_id: int | None) -> None:
    """The candidate's open items (their callbacks aside: those follow their task) move with
    the candidate to the new owner."""
    if candidate.id is None:
        return
    for item in open_items_for(session, candidate.id):
        if item.callback_task_id is None:
            item.recruiter_id = owner_id


# Callbacks --------------------------------------------------------------------------------


def on_callback_created(
    session: Session, task: CallbackTask, call: Call, policy: OwedPolicy | None = None
) -> OwedCall:
    policy = policy or current_policy()
    left = task.created_at or utcnow()
    # A candidate answering their offer by phone is called back first: due at once, so it
    # heads the queue. Any other voicemail by the end of the next business day.
    offer = task.reason == CallbackReason.OFFER_ANSWER
    return open_item(
        session,
        OwedReason.CALLBACK,
        candidate=task.candidate,
        recruiter_id=task.recruiter_id,
        due_at=left if offer else policy.due_after(left, CALLBACK_DUE_BUSINESS_DAYS),
        actor=None,
        via="voicemail",
        call=call,
        callback_task=task,
    )


def item_for_callback(session: Session, task: CallbackTask) -> OwedCall | None:
    return session.scalar(select(OwedCall).where(OwedCall.callback_task_id == task.id))


def on_callback_done(
    session: Session, task: CallbackTask, actor: User | None, call: Call | None = None
) -> None:
    item = item_for_callback(session, task)
    if item is not None:
        close_item(session, item, OwedClosedBy.CALLBACK_DONE, actor=actor, call=call)


def on_callback_reassigned(session: Session, task: CallbackTask) -> None:
    item = item_for_callback(session, task)
    if item is not None and item.closed_at is None:
        item.recruiter_id = task.recruiter_id


# Calls ------------------------------------------------------------------------------------


def _items_for_call(session: Session, call: Call) -> list[OwedCall]:
    if call.candidate_id is not None:
        return open_items_for(session, call.candidate_id)
    if not call.candidate_number:
        return []
    # An unknown caller's callback: by the number the call went to.
    return list(
        session.scalars(
            select(OwedCall)
            .join(CallbackTask, CallbackTask.id == OwedCall.callback_task_id)
            .where(
                OwedCall.closed_at.is_(None),
                CallbackTask.caller_number == call.candidate_number,
            )
        )
    )


def note_attempt(session: Session, call: Call, why: str) -> list[OwedCall]:
    """A call that did not reach the candidate: one attempt at each of their open items, once
    per call (the dial result and a keyed "no answer" are the same attempt)."""
    counted: list[OwedCall] = []
    for item in _items_for_call(session, call):
        key = f"owed-attempt:{item.id}:{call.id}"
        if already_recorded(session, key):
            continue
        item.attempts += 1
        item.last_attempt_at = utcnow()
        record_event(
            session,
            call,
            "owed.attempt",
            actor=call.recruiter,
            detail={"owed_call_id": item.id, "reason": item.reason, "attempts": item.attempts,
                    "why": why},
            idempotency_key=key,
            candidate=item.candidate,
        )  # fmt: skip
        counted.append(item)
    return counted


def on_dial_result(session: Session, call: Call, dial_status: str) -> None:
    """The candidate's leg ended: not reached is an attempt; reached answers a call back later."""
    if call.disposition in NOT_REACHED:
        note_attempt(session, call, str(call.disposition))
    elif dial_status == "completed":
        on_reached(session, call)


def on_reached(session: Session, call: Call) -> None:
    """The candidate and the recruiter spoke (either of them called): a call back later that
    was waiting is answered."""
    if call.candidate_id is None:
        return
    for item in open_items_for(session, call.candidate_id, OwedReason.CALL_BACK_LATER):
        close_item(session, item, OwedClosedBy.REACHED, actor=call.recruiter, call=call)


def connected(call: Call) -> bool:
    """The candidate and the recruiter spoke: a one-click call bridged, or an incoming call
    a recruiter took."""
    return call.disposition in (Disposition.CONNECTED, Disposition.ANSWERED)


def on_outcome(
    session: Session,
    call: Call,
    code: OutcomeCode,
    actor: User | None,
    policy: OwedPolicy | None = None,
) -> None:
    """What the keyed outcome means for what the candidate is owed."""
    candidate = call.candidate
    if code.means in ATTEMPT_MEANINGS:
        note_attempt(session, call, str(code.means))
    elif code.means == OutcomeMeaning.TOLD_NOT_SELECTED and candidate is not None:
        if connected(call):
            for item in open_items_for(session, candidate.id, OwedReason.CLOSURE):
                close_item(session, item, OwedClosedBy.TOLD_PERSONALLY, actor=actor, call=call)
    elif code.means == OutcomeMeaning.CALL_BACK_LATER and candidate is not None:
        policy = policy or current_policy()
        open_item(
            session,
            OwedReason.CALL_BACK_LATER,
            candidate=candidate,
            recruiter_id=call.recruiter_id or candidate.owner_id,
            due_at=policy.due_after(utcnow(), CALL_BACK_LATER_DUE_BUSINESS_DAYS),
            actor=actor,
            via="outcome",
            call=call,
        )


# Reading ----------------------------------------------------------------------------------


def queue_of(recruiter_id: int) -> ColumnElement[bool]:
    return (OwedCall.recruiter_id == recruiter_id) & OwedCall.closed_at.is_(None)


def open_queue(session: Session, recruiter_id: int) -> Sequence[OwedCall]:
    """A recruiter's open owed calls, soonest due first."""
    return session.scalars(
        select(OwedCall).where(queue_of(recruiter_id)).order_by(OwedCall.due_at, OwedCall.id)
    ).all()


@dataclass(frozen=True)
class QueueView:
    overdue: list[OwedCall]
    today: list[OwedCall]
    later: list[OwedCall]


def sort_queue(items: Sequence[OwedCall], now: datetime, zone: ZoneInfo) -> QueueView:
    """Overdue first, then due before the end of today (in the recruiter's zone), then later."""
    tomorrow = datetime.combine(
        now.astimezone(zone).date() + timedelta(days=1), time(0), tzinfo=zone
    )
    overdue = [i for i in items if i.due_at <= now]
    today = [i for i in items if now < i.due_at < tomorrow]
    later = [i for i in items if i.due_at >= tomorrow]
    return QueueView(overdue, today, later)


# Call next --------------------------------------------------------------------------------
# "Call next" works through the queue: a call placed from it is marked; once its outcome is
# keyed and the recruiter's leg has ended (the one-live-call lock is free again), the next
# owed call rings the recruiter's phone, unless they paused. Each step is a chained event on
# the call, and the continuation is claimed once (an idempotency key), however the outcome
# and the status callback race.

CALL_NEXT = "call_next.requested"
CALL_NEXT_PAUSED = "call_next.paused"
CALL_NEXT_CONTINUED = "call_next.continued"
CALL_NEXT_STOPPED = "call_next.stopped"
CALL_NEXT_RANG = "call_next.rang"  # on the finished call: the next call placed


def _has_event(session: Session, call: Call, kind: str) -> bool:
    stmt = select(CallEvent.id).where(CallEvent.call_id == call.id, CallEvent.kind == kind)
    return session.scalar(stmt.limit(1)) is not None


def in_call_next(session: Session, call: Call) -> bool:
    return _has_event(session, call, CALL_NEXT)


def call_next_paused(session: Session, call: Call) -> bool:
    return _has_event(session, call, CALL_NEXT_PAUSED)


def mark_call_next(session: Session, call: Call, item: OwedCall, actor: User) -> None:
    record_event(session, call, CALL_NEXT, source="user", actor=actor, candidate=call.candidate,
                 detail={"owed_call_id": item.id, "reason": item.reason})  # fmt: skip


def pause_call_next(session: Session, call: Call, actor: User) -> None:
    """No next call after this one."""
    if call.recruiter_id != actor.id or not in_call_next(session, call):
        raise OwedRefused("this call is not working through your queue", 409)
    if call_next_paused(session, call) or _has_event(session, call, CALL_NEXT_CONTINUED):
        raise OwedRefused("Call next is already paused or has moved on", 409)
    record_event(session, call, CALL_NEXT_PAUSED, source="user", actor=actor)


def next_owed_item(
    session: Session,
    recruiter: User,
    window: CallingWindow | None = None,
    now: datetime | None = None,
    skip_candidate_id: int | None = None,
) -> OwedCall | None:
    """The first owed call (soonest due) that may be placed now: the recruiter's own
    candidate, not do-not-call, inside their calling window."""
    for item in open_queue(session, recruiter.id):
        person = item.candidate
        if person is None or person.id == skip_candidate_id:
            continue
        if not can_call_candidate(recruiter, person):
            continue
        if window is not None and now is not None and not window.check(person.zone, now).is_open:
            continue
        return item
    return None


def claim_continuation(session: Session, call: Call) -> bool:
    """True, once per call: its outcome is keyed, its recruiter's leg has ended, and it was
    placed by Call next and not paused. The caller places the next call after commit."""
    if call.outcome_code_id is None or call.is_active or call.active_recruiter_id is not None:
        return False
    if call.recruiter_id is None or not in_call_next(session, call):
        return False
    if call_next_paused(session, call):
        return False
    key = f"call-next:{call.id}"
    if already_recorded(session, key):
        return False
    record_event(session, call, CALL_NEXT_CONTINUED, idempotency_key=key)
    return True


@dataclass(frozen=True)
class NextState:
    """What a page following `call` should do once it ends: wait for the next call of the
    run (pending), follow it (next_call_id), or stop."""

    in_run: bool
    pending: bool
    next_call_id: int | None


def next_state(session: Session, call: Call) -> NextState:
    kinds = {CALL_NEXT, CALL_NEXT_PAUSED, CALL_NEXT_RANG, CALL_NEXT_STOPPED}
    events = session.scalars(
        select(CallEvent).where(CallEvent.call_id == call.id, CallEvent.kind.in_(kinds))
    ).all()
    seen = {event.kind: event for event in events}
    if CALL_NEXT not in seen:
        return NextState(False, False, None)
    rang = seen.get(CALL_NEXT_RANG)
    next_id = rang.detail.get("next_call_id") if rang is not None else None
    ended = {CALL_NEXT_PAUSED, CALL_NEXT_RANG, CALL_NEXT_STOPPED} & set(seen)
    pending = not ended and call.outcome_code_id is not None
    return NextState(True, pending, next_id)
