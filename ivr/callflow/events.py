"""Writing the call's append-only timeline."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Call, CallEvent, User


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
) -> CallEvent:
    event = CallEvent(
        call_id=call.id,
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


def already_recorded(session: Session, idempotency_key: str) -> bool:
    return (
        session.scalar(select(CallEvent.id).where(CallEvent.idempotency_key == idempotency_key))
        is not None
    )


def webhook_payload(form: Mapping[str, str]) -> dict[str, str]:
    """What Twilio sent, as a plain dict (a MultiDict keeps only first values anyway)."""
    return {key: form[key] for key in form}
