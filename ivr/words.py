"""What pages and the API call things, in plain words: events, dispositions, statuses, stages,
and times in the reader's timezone. (What a caller hears lives in twiml/.)"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

EVENT_TITLES: dict[str, str] = {
    # one-click call
    "call.requested": "Call requested",
    "call.placed": "Call placed with the phone network",
    "call.not_placed": "Call could not be placed",
    "call.attached": "Call linked to the candidate",
    "twilio.answer": "Recruiter answered",
    "twilio.status": "Phone network status update",
    "twilio.dial_result": "Candidate leg ended",
    "twilio.incoming": "Incoming call",
    "screen.reprompt": "Recruiter asked again to press 1",
    "screen.accepted": "Recruiter pressed 1 to connect",
    "screen.rejected": "Recruiter did not connect",
    # outcome
    "outcome.recorded": "Outcome keyed in",
    "outcome.corrected": "Outcome corrected",
    "outcome.invalid": "Outcome key not recognised",
    "outcome.no_input": "No outcome key pressed",
    "outcome.not_recorded": "No outcome recorded",
    "outcome.call_requested": "Recruiter to be rung back for the outcome",
    "outcome.call_placed": "Recruiter rung back for the outcome",
    "outcome.call_failed": "Could not ring the recruiter back for the outcome",
    "outcome.call_answered": "Recruiter answered the outcome call",
    "outcome.call_status": "Outcome call status update",
    # inbound line
    "after_hours": "Called outside business hours",
    "offer.choice": "Caller chose from the offer menu",
    "unknown.choice": "Caller chose from the menu",
    "decision.requested": "Candidate asked to answer their offer",
    "hunt.ringing": "Ringing a recruiter",
    "hunt.missed": "Recruiter did not take the call",
    "hunt.connected": "Recruiter took the call",
    "hunt.exhausted": "No recruiter free",
    "whisper.played": "Recruiter heard who is calling",
    "whisper.accepted": "Recruiter accepted the call",
    "whisper.rejected": "Recruiter declined the call",
    "voicemail.recorded": "Voicemail left",
    "recording.status": "Recording ready",
    "callback.created": "Callback task created",
    "callback.done": "Callback done",
    "callback.reassigned": "Callback reassigned",
    "dial_in.code": "Recruiter keyed a candidate code",
    "dial_in.callback_choice": "Recruiter chose a callback",
    # the candidate's record
    "candidate.created": "Candidate added",
    "candidate.details_changed": "Details changed",
    "candidate.stage_changed": "Stage changed",
    "candidate.owner_changed": "Owner changed",
    "candidate.do_not_call": "Marked do not call",
    "candidate.do_not_call_cleared": "Do not call cleared",
    "note.added": "Note",
    # the system
    "user.created": "User added",
    "user.changed": "User changed",
    "user.password_reset": "Password reset",
    "outcome_code.saved": "Outcome code saved",
}

DISPOSITIONS: dict[str, str] = {
    "connected": "connected",
    "answered": "answered",
    "voicemail": "voicemail left",
    "missed": "missed",
    "not-placed": "not placed",
    "canceled": "cancelled",
    "candidate-no-answer": "candidate did not answer",
    "candidate-busy": "candidate's line busy",
    "candidate-unreachable": "candidate unreachable",
    "recruiter-no-answer": "recruiter did not answer",
    "recruiter-declined": "recruiter declined",
    "recruiter-unreachable": "recruiter unreachable",
    "recruiter-did-not-accept": "recruiter did not press 1",
    "recruiter-hung-up-before-bridge": "recruiter hung up before connecting",
    "recruiter-hung-up-while-ringing": "recruiter hung up while it rang",
}

STATUSES: dict[str, str] = {
    "queued": "queued",
    "initiated": "dialling",
    "ringing": "ringing",
    "in-progress": "in progress",
    "completed": "ended",
    "busy": "busy",
    "no-answer": "no answer",
    "failed": "failed",
    "canceled": "cancelled",
}


def event_title(kind: str) -> str:
    return EVENT_TITLES.get(kind) or kind.replace("_", " ").replace(".", ": ").capitalize()


def disposition(value: str | None) -> str:
    if not value:
        return ""
    return DISPOSITIONS.get(value) or value.replace("-", " ")


def status(value: str | None) -> str:
    return STATUSES.get(value or "", (value or "").replace("-", " "))


def stage(value: str | None) -> str:
    return (value or "").replace("_", " ")


def local_time(moment: datetime | None, zone: str | ZoneInfo, *, with_zone: bool = True) -> str:
    """2026-11-23 09:04:05 GMT: to the second, in the reader's zone, never microseconds."""
    if moment is None:
        return ""
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    local = moment.astimezone(tz)
    text = local.strftime("%Y-%m-%d %H:%M:%S")
    return f"{text} {local.tzname()}" if with_zone else text


def event_summary(kind: str, detail: dict[str, Any]) -> str:
    """One line saying what the event's detail means, for timelines."""
    if kind.startswith(("user.", "outcome_code.")):
        return system_change_summary(kind, detail)
    if kind in ("candidate.stage_changed",):
        why = detail.get("because") or detail.get("reason")
        text = f"{stage(detail.get('from'))} → {stage(detail.get('to'))}"
        return f"{text} ({why})" if why else text
    if kind == "candidate.owner_changed":
        text = f"{detail.get('from_name') or 'nobody'} → {detail.get('to_name') or 'nobody'}"
        return f"{text} ({detail['reason']})" if detail.get("reason") else text
    if kind in ("candidate.do_not_call", "candidate.do_not_call_cleared"):
        return str(detail.get("because") or detail.get("reason") or "")
    if kind == "candidate.details_changed":
        return ", ".join(str(f).replace("_", " ") for f in detail.get("fields", []))
    if kind == "note.added":
        return str(detail.get("text", ""))
    if kind in ("outcome.recorded",):
        return str(detail.get("label") or detail.get("digit") or "")
    if kind == "outcome.corrected":
        before = (detail.get("from") or {}).get("label") or "none"
        after = (detail.get("to") or {}).get("label") or ""
        return f"{before} → {after} ({detail.get('reason', '')})"
    if kind == "twilio.status":
        return status(detail.get("status"))
    if kind == "twilio.dial_result":
        return disposition(detail.get("disposition"))
    if kind == "call.not_placed":
        return str(detail.get("reason", ""))
    if kind == "callback.created":
        return str(detail.get("reason", ""))
    return ""


# Changes to the system (users, outcome codes), as the auditor's change log shows them.
CHANGE_FIELDS: dict[str, str] = {
    "name": "name",
    "email": "email",
    "phone": "phone",
    "role": "role",
    "hunt_order": "hunt order",
    "is_available": "takes calls",
    "is_active": "active",
    "timezone": "timezone",
    "digit": "digit",
    "label": "label",
    "sets_stage": "sets stage",
    "marks_do_not_call": "marks do not call",
}
_EMPTY = {"timezone": "business timezone", "sets_stage": "no change", "hunt_order": "none"}


def change_value(field: str, value: Any) -> str:
    if value is None or value == "":
        return _EMPTY.get(field, "none")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field == "sets_stage":
        return stage(value)
    if field == "label":
        return f"“{value}”"
    return str(value)


def _field(name: str) -> str:
    return CHANGE_FIELDS.get(name, name.replace("_", " "))


def _from_to(changes: dict[str, Any]) -> list[str]:
    return [
        f"{_field(name)} {change_value(name, (c or {}).get('from'))} → "
        f"{change_value(name, (c or {}).get('to'))}"
        for name, c in changes.items()
    ]


def system_change_summary(kind: str, detail: dict[str, Any]) -> str:
    """What a user or outcome-code event changed, in words (personal data only by name)."""
    if kind == "user.created":
        parts = [str(detail.get("role") or "")]
        if detail.get("hunt_order") is not None:
            parts.append(f"hunt order {detail['hunt_order']}")
        parts.append("takes calls" if detail.get("is_available") else "does not take calls")
        if detail.get("is_active") is False:
            parts.append("not active")
        if detail.get("timezone"):
            parts.append(f"timezone {detail['timezone']}")
        return ", ".join(p for p in parts if p)
    if kind == "user.changed":
        changes = detail.get("changes") or {}
        parts = _from_to(changes)
        others = [_field(str(n)) for n in detail.get("fields", []) if n not in changes]
        if others:
            listed = ", ".join(others[:-1]) + " and " + others[-1] if len(others) > 1 else others[0]
            parts.append(f"{listed} changed")
        return "; ".join(parts)
    if kind == "user.password_reset":
        return "a new password was set"
    if kind == "outcome_code.saved":
        changes = detail.get("changes") or {}
        if detail.get("created"):
            return "added: " + ", ".join(
                f"{_field(name)} {change_value(name, (c or {}).get('to'))}"
                for name, c in changes.items()
            )
        return "; ".join(_from_to(changes))
    return ""
