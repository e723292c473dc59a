"""Calls, events and candidates as JSON-ready dicts, for the API and the live page."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ivr import words
from models import Call, CallEvent, Candidate

if TYPE_CHECKING:
    from ivr.candidates.timeline import Entry


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
        # Twilio's StirVerstat on a call to the company number: the caller ID's attestation.
        "stir_verstat": call.stir_verstat,
        # Creating it got no answer in time; it is being checked (live_state "checking").
        "unconfirmed": call.unconfirmed and call.parent_sid is None,
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


def candidate_json(
    candidate: Candidate,
    now: datetime,
    *,
    timeline: Iterable[Entry] | None = None,
    stage_history: Iterable[CallEvent] | None = None,
) -> dict[str, Any]:
    """The candidate's record; `local_time` is `now` on the candidate's own clock (ISO-8601
    with its UTC offset, to the second), so a caller can tell whether it is a decent hour."""
    data: dict[str, Any] = {
        "id": candidate.id,
        "name": candidate.name,
        "phone": candidate.phone,
        "email": candidate.email,
        "owner_id": candidate.owner_id,
        "owner_name": candidate.owner.name if candidate.owner else None,
        "stage": candidate.stage,
        "timezone": candidate.timezone,
        "local_time": now.astimezone(candidate.zone).replace(microsecond=0).isoformat(),
        "do_not_call": candidate.do_not_call,
        "do_not_call_reason": candidate.do_not_call_reason,
        "code": candidate.code,
        "external_id": candidate.external_id,
        "source": candidate.source,
        "created_at": iso(candidate.created_at),
        "updated_at": iso(candidate.updated_at),
        "last_contact_at": iso(candidate.last_contact_at),
    }
    if timeline is not None:
        data["timeline"] = [entry.as_json() for entry in timeline]
    if stage_history is not None:
        data["stage_history"] = [stage_step_json(event) for event in stage_history]
    return data


def stage_step_json(event: CallEvent) -> dict[str, Any]:
    """One step through the pipeline: created at a stage, or moved from one to another."""
    detail = event.detail or {}
    created = event.kind == "candidate.created"
    return {
        "at": iso(event.created_at),
        "from": None if created else detail.get("from"),
        "to": detail.get("stage") if created else detail.get("to"),
        "actor_id": event.actor_id,
        "reason": detail.get("because") or detail.get("reason"),
        "event_id": event.id,
    }
