"""Callback tasks: made from voicemails, closed by calls that reach the caller, worked by hand."""

from __future__ import annotations

import logging
import unicodedata

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ivr.callflow import owed
from ivr.callflow.events import record_event
from ivr.permissions import can_work_callback, may_take_callbacks, workable_callbacks
from models import (
    Call,
    CallbackReason,
    CallbackStatus,
    CallbackTask,
    Candidate,
    Direction,
    Flow,
    User,
    utcnow,
)

log = logging.getLogger(__name__)

REASON_MAX = 500


def last_caller(session: Session, candidate: Candidate, exclude_call_id: int) -> User | None:
    """The recruiter who last called the candidate (a one-click call or a dial-in)."""
    return session.scalar(
        select(User)
        .join(Call, Call.recruiter_id == User.id)
        .where(
            Call.candidate_id == candidate.id,
            Call.direction == Direction.OUTBOUND,
            Call.id != exclude_call_id,
        )
        .order_by(Call.id.desc())
        .limit(1)
    )


def assignee(session: Session, call: Call) -> User | None:
    """Whose callback a voicemail becomes: the candidate's own recruiter, else the team's."""
    if call.candidate is None:
        return None
    return last_caller(session, call.candidate, exclude_call_id=call.id) or call.candidate.owner


def callback_for(session: Session, call: Call) -> CallbackTask | None:
    """The callback task a voicemail became, if it is one."""
    return session.scalar(select(CallbackTask).where(CallbackTask.voicemail_call_id == call.id))


def ensure_callback_task(session: Session, call: Call) -> CallbackTask:
    """The voicemail's callback task, created once."""
    task = callback_for(session, call)
    if task is not None:
        return task
    owner = assignee(session, call)
    if call.recruiter_id is None and owner is not None:
        call.recruiter_id = owner.id
    offer = call.flow == Flow.DECISION
    task = CallbackTask(
        voicemail_call_id=call.id,
        candidate_id=call.candidate_id,
        recruiter_id=owner.id if owner else None,
        caller_number=call.candidate_number,
        reason=CallbackReason.OFFER_ANSWER if offer else CallbackReason.VOICEMAIL,
    )
    try:
        # The <Record> action and the recording callback can race to create the task.
        with session.begin_nested():
            session.add(task)
    except IntegrityError:
        raced = callback_for(session, call)
        assert raced is not None  # the other writer's task is why this one could not be added
        return raced
    record_event(
        session,
        call,
        "callback.created",
        detail={"task_id": task.id, "recruiter_id": task.recruiter_id, "reason": task.reason},
    )
    owed.on_callback_created(session, task, call)
    log.info("callback task %s created call_sid=%s", task.id, call.parent_sid)
    return task


def open_callbacks(session: Session, recruiter: User) -> list[CallbackTask]:
    """The recruiter's waiting callbacks, oldest first, with the team's unassigned ones."""
    waiting = (
        select(CallbackTask)
        .where(CallbackTask.status == CallbackStatus.OPEN, workable_callbacks(recruiter))
        .order_by(CallbackTask.created_at, CallbackTask.id)
    )
    return list(session.scalars(waiting))


def close_callbacks(session: Session, call: Call) -> list[CallbackTask]:
    """A call that reached the candidate (or the unknown caller) closes their waiting callbacks."""
    clauses = [CallbackTask.caller_number == call.candidate_number]
    if call.candidate_id is not None:
        clauses.append(CallbackTask.candidate_id == call.candidate_id)
    tasks = list(
        session.scalars(
            select(CallbackTask).where(CallbackTask.status == CallbackStatus.OPEN, or_(*clauses))
        )
    )
    for task in tasks:
        task.status = CallbackStatus.DONE
        task.done_at = utcnow()
        task.done_by_call_id = call.id
        record_event(
            session,
            call,
            "callback.done",
            detail={"task_id": task.id, "voicemail_call_id": task.voicemail_call_id},
            actor=call.recruiter,
        )
        owed.on_callback_done(session, task, call.recruiter, call)
    return tasks


class CallbackRefused(Exception):
    """A change to a callback that cannot be made; the reason is shown as is."""

    def __init__(self, reason: str, status: int = 400, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.field = field


def parse_reason(value: object, *, required: bool) -> str | None:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        if required:
            raise CallbackRefused("say why", 400, "reason")
        return None
    if len(text) > REASON_MAX:
        raise CallbackRefused(f"keep the reason under {REASON_MAX} characters", 400, "reason")
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise CallbackRefused("the reason must not contain control characters", 400, "reason")
    return text


def _check(actor: User, task: CallbackTask) -> None:
    if not can_work_callback(actor, task):
        raise CallbackRefused("this callback waits for another recruiter", 403)
    if task.status != CallbackStatus.OPEN:
        raise CallbackRefused("this callback is already done", 409)


def mark_done(session: Session, task: CallbackTask, actor: User, reason: object) -> None:
    """Done without a call from here: the recruiter reached them another way, or need not."""
    _check(actor, task)
    why = parse_reason(reason, required=False)
    task.status = CallbackStatus.DONE
    task.done_at = utcnow()
    record_event(
        session,
        task.voicemail,
        "callback.done",
        source="user",
        actor=actor,
        detail={"task_id": task.id, "reason": why, "by": "hand"},
    )
    owed.on_callback_done(session, task, actor)


def reassign(
    session: Session, task: CallbackTask, actor: User, to: User | None, reason: object
) -> None:
    """Hand the callback to another active recruiter, saying why."""
    _check(actor, task)
    if to is None or not may_take_callbacks(to):
        raise CallbackRefused("choose an active recruiter", 400, "recruiter_id")
    if to.id == task.recruiter_id:
        raise CallbackRefused(f"this callback already waits for {to.name}", 400, "recruiter_id")
    why = parse_reason(reason, required=True)
    previous = task.recruiter
    task.recruiter_id = to.id
    task.recruiter = to
    record_event(
        session,
        task.voicemail,
        "callback.reassigned",
        source="user",
        actor=actor,
        detail={
            "task_id": task.id,
            "from": previous.id if previous else None,
            "from_name": previous.name if previous else None,
            "to": to.id,
            "to_name": to.name,
            "reason": why,
        },
    )
    owed.on_callback_reassigned(session, task)
