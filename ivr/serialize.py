"""Calls and events as JSON-ready dicts, for the API and the live page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ivr import words
from models import Call, CallEvent


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def outcome_state(call: Call) -> str:
    if call.outcome_code_id is not None:
        return "recorded"
    return "pending" if call.is_active else "not recorded"


def call_json(call: Call, *, events: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": call.id,
        "direction": call.direction,
        "status": call.status,
        "disposition": call.disposition,
        "candidate_id": call.candidate_id,
        "candidate_name": call.candidate.name if call.candidate else None,
        "recruiter_id": call.recruiter_id,
        "company_number": call.company_number,
        "call_sid": call.parent_sid,
        "child_call_sid": call.child_sid,
        "candidate_leg_status": call.child_status,
        "created_at": iso(call.created_at),
        "answered_at": iso(call.answered_at),
        "ended_at": iso(call.ended_at),
        "duration": call.duration,
        "talk_duration": call.talk_duration,
        "outcome_state": outcome_state(call),
        "outcome": None,
        "recording_url": call.recording_url,
        "is_voicemail": call.is_voicemail,
        # The same words the pages use, so no client has to invent its own.
        "live_state": words.live_state(call),
        "status_text": words.status(call.status),
        "disposition_text": words.disposition(call.disposition) or None,
        "direction_text": words.direction(call.direction),
        "outcome_text": words.outcome_text(call),
    }
    if call.outcome is not None:
        data["outcome"] = {
            "digit": call.outcome.digit,
            "label": call.outcome.label,
            "recorded_at": iso(call.outcome_at),
            "recorded_by_id": call.outcome_by_id,
        }
    if events:
        data["events"] = [event_json(event) for event in call.events]
    return data


def event_json(event: CallEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": iso(event.created_at),
        "kind": event.kind,
        "source": event.source,
        "call_sid": event.call_sid,
        "actor_id": event.actor_id,
        "detail": event.detail,
        "payload": event.payload,
    }
