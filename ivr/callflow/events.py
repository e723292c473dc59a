"""Writing the append-only, chained timeline: call events, and changes to candidates and to
the system's own settings (users, outcome codes)."""

from __future__ import annotations

import re
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
    call_sid: str | None = None,
    candidate: Candidate | None = None,
) -> CallEvent:
    """call_sid: the Twilio call the event is about, when no payload names it (a call placed
    over REST); kept so that no other call of ours is ever taken for it. `candidate`: also on
    that candidate's timeline (as a change to them is)."""
    event = CallEvent(
        call_id=call.id,
        candidate_id=candidate.id if candidate is not None else None,
        kind=kind,
        source=source,
        call_sid=(payload or {}).get("CallSid") or call_sid,
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


# What one webhook may bring, bounded at the edge (after the signature is checked): Twilio
# sends a few dozen short fields (https://www.twilio.com/docs/usage/webhooks/voice-webhooks).
MAX_FIELDS = 100
MAX_KEY_LENGTH = 64
MAX_VALUE_LENGTH = 1000
SID_LENGTH = 34  # two letters and 32 hex digits, as calls.parent_sid holds them
# Fields the code reads into a column or a number, cut to what that holds.
FIELD_LENGTHS = {
    "AccountSid": SID_LENGTH,
    "CallSid": SID_LENGTH,
    "ParentCallSid": SID_LENGTH,
    "DialCallSid": SID_LENGTH,
    "RecordingSid": SID_LENGTH,
    "CallStatus": 20,
    "DialCallStatus": 20,
    "RecordingStatus": 20,
    "AnsweredBy": 40,
    "Direction": 20,
    "Digits": 40,
    "From": 64,
    "To": 64,
    "Caller": 64,
    "Called": 64,
    "CallDuration": 10,
    "DialCallDuration": 10,
    "RecordingDuration": 10,
    "SequenceNumber": 10,
    "ErrorCode": 10,
    "Timestamp": 64,
    "StirVerstat": 40,
}
# Whole numbers Twilio sends (seconds, a counter): plain ASCII digits that fit a column, or
# the field is dropped here ("²".isdigit() is true, and int() refuses it).
NUMBER_FIELDS = frozenset(
    {"CallDuration", "DialCallDuration", "RecordingDuration", "SequenceNumber"}
)
MAX_NUMBER_DIGITS = 9
# Characters no column, JSON document or TwiML answer may carry: NUL (PostgreSQL refuses it
# in text and JSON) and the other C0 controls XML forbids, lone surrogates, U+FFFE/FFFF.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def webhook_payload(form: Mapping[str, str]) -> dict[str, str]:
    """What Twilio sent, as a plain dict (a MultiDict keeps only first values anyway), each
    field cleaned of characters nothing downstream can hold and cut to its bound: a forged or
    garbled field can neither break a write nor grow a row without limit."""
    payload: dict[str, str] = {}
    for key in form:
        if len(payload) >= MAX_FIELDS:
            break
        name = _FORBIDDEN.sub("", key)[:MAX_KEY_LENGTH]
        value = _FORBIDDEN.sub("", form[key])
        if name in NUMBER_FIELDS and not _whole_number(value):
            continue
        payload[name] = value[: FIELD_LENGTHS.get(name, MAX_VALUE_LENGTH)]
    return payload


def _whole_number(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) <= MAX_NUMBER_DIGITS
