"""Writing the append-only, chained timeline: call events, and changes to candidates and to
the system's own settings (users, outcome codes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Call, CallEvent, Candidate, User


def record_event(
    session: Session,
    call: Call,
    kind: str,
    *,
    source: str = "app",
    payload: Mapping[str, Any] | None = None,
    detail: Mapping[str, Any] | None = None,
    actor: User | None = None,
    idempotency_key: str | None = None,
    candidate: Candidate | None = None,
) -> CallEvent:
    """`candidate`: also on that candidate's timeline (as a change to them is)."""
    event = CallEvent(
        call_id=call.id,
        candidate_id=candidate.id if candidate is not None else None,
        kind=kind,
        source=source,
        call_sid=(payload or {}).get("CallSid"),
        payload=dict(payload or {}),
        detail=dict(detail or {}),
        actor_id=actor.id if actor else None,
        idempotency_key=idempotency_key,
    )
    session.add(event)
    session.flush()
    return event


def record_webhook(
    session: Session,
    call: Call,
    kind: str,
    form: Mapping[str, str],
    *,
    detail: Mapping[str, Any] | None = None,
    actor: User | None = None,
    idempotency_key: str | None = None,
) -> CallEvent:
    """An event for a webhook Twilio sent, keeping what it sent verbatim."""
    return record_event(
        session,
        call,
        kind,
        source="twilio",
        payload=webhook_payload(form),
        detail=detail,
        actor=actor,
        idempotency_key=idempotency_key,
    )


def record_change(
    session: Session,
    kind: str,
    *,
    actor: User | None,
    detail: Mapping[str, Any] | None = None,
    candidate: Candidate | None = None,
    call: Call | None = None,
    subject: str | None = None,
    source: str = "user",
    flush: bool = True,
) -> CallEvent:
    """A change someone made (or an outcome caused): to a candidate, or to `subject`
    ("user:12", "outcome_code:5"). Chained with the call events, in the same order.
    flush=False leaves it pending: the next flush seals it with the others, in the order
    they were added (the importer's one flush per batch)."""
    event = CallEvent(
        call_id=call.id if call is not None else None,
        candidate_id=candidate.id if candidate is not None else None,
        subject=subject,
        kind=kind,
        source=source,
        payload={},
        detail=dict(detail or {}),
        actor_id=actor.id if actor else None,
    )
    session.add(event)
    if flush:
        session.flush()
    return event


def already_recorded(session: Session, idempotency_key: str) -> bool:
    return (
        session.scalar(select(CallEvent.id).where(CallEvent.idempotency_key == idempotency_key))
        is not None
    )


def webhook_payload(form: Mapping[str, str]) -> dict[str, str]:
    """What Twilio sent, as a plain dict (a MultiDict keeps only first values anyway)."""
    return {key: form[key] for key in form}
