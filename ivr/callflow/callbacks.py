"""Working the callback list by hand: marking a voicemail's callback done, or handing it to
another recruiter. Each change is a chained event on the voicemail's call."""

from __future__ import annotations

import unicodedata

from sqlalchemy.orm import Session

from ivr.callflow.events import record_event
from ivr.permissions import can_work_callback
from models import CallbackTask, User, utcnow

REASON_MAX = 500


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
    if task.status != "open":
        raise CallbackRefused("this callback is already done", 409)


def mark_done(session: Session, task: CallbackTask, actor: User, reason: object) -> None:
    """Done without a call from here: the recruiter reached them another way, or need not."""
    _check(actor, task)
    why = parse_reason(reason, required=False)
    task.status = "done"
    task.done_at = utcnow()
    record_event(
        session,
        task.voicemail,
        "callback.done",
        source="user",
        actor=actor,
        detail={"task_id": task.id, "reason": why, "by": "hand"},
    )


def reassign(
    session: Session, task: CallbackTask, actor: User, to: User | None, reason: object
) -> None:
    """Hand the callback to another active recruiter, saying why."""
    _check(actor, task)
    if to is None or to.role != "recruiter" or not to.is_active:
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
