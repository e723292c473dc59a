"""What pages and the API call things, in plain words: events, dispositions, statuses, stages,
and times in the reader's timezone. (What a caller hears lives in twiml/.)"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from models.enums import CallbackReason, CallStatus, Direction, Disposition, Flow, OwedReason
from models.phone import mask_phone

if TYPE_CHECKING:
    from models import Call, CallbackTask

EVENT_TITLES: dict[str, str] = {
    # one-click call
    "call.requested": "Call requested",
    "call.placed": "Call placed with the phone network",
    "call.not_placed": "Call could not be placed",
    "call.unconfirmed": "Phone network did not confirm the call in time",
    "call.confirmed": "Phone network confirmed the call",
    "call.reconciled": "Final state read from the phone network",
    "call.hang_up_requested": "Recruiter ended the call from the page",
    "call.hung_up": "Phone network asked to end the call",
    "call.hang_up_failed": "Could not end the call",
    "call.attached": "Call linked to the candidate",
    "call.window_overridden": "Called outside the candidate's calling hours",
    "twilio.answer": "Recruiter answered",
    "twilio.status": "Phone network status update",
    "twilio.dial_result": "Candidate leg ended",
    "twilio.candidate_status": "Candidate answered",
    "twilio.candidate_machine": "Candidate's voicemail answered",
    "twilio.candidate_human": "A person answered the candidate's phone",
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
    "owed.opened": "Call owed",
    "owed.attempt": "Owed call attempted",
    "owed.closed": "Owed call closed",
    "dial_in.code": "Recruiter keyed a candidate code",
    "dial_in.callback_choice": "Recruiter chose a callback",
    "dial_in.pin_ok": "Recruiter line PIN accepted",
    "dial_in.pin_failed": "Recruiter line PIN refused",
    "dial_in.pin_not_set": "Recruiter line has no PIN: caller told to set one",
    "dial_in.refused": "Recruiter line refused: no PIN entered",
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
    "user.line_pin_set": "Recruiter line PIN set",
    "outcome_code.saved": "Outcome code saved",
}

DISPOSITIONS: dict[str, str] = {
    Disposition.CONNECTED: "connected",
    Disposition.ANSWERED: "answered",
    Disposition.VOICEMAIL: "voicemail left",
    Disposition.MISSED: "missed",
    Disposition.NOT_PLACED: "not placed",
    Disposition.CANCELED: "cancelled",
    Disposition.CANDIDATE_NO_ANSWER: "candidate did not answer",
    Disposition.CANDIDATE_BUSY: "candidate's line busy",
    Disposition.CANDIDATE_UNREACHABLE: "candidate unreachable",
    Disposition.CANDIDATE_VOICEMAIL: "candidate's voicemail",
    Disposition.RECRUITER_NO_ANSWER: "recruiter did not answer",
    Disposition.RECRUITER_DECLINED: "recruiter declined",
    Disposition.RECRUITER_UNREACHABLE: "recruiter unreachable",
    Disposition.RECRUITER_DID_NOT_ACCEPT: "recruiter did not press 1",
    Disposition.RECRUITER_HUNG_UP_BEFORE_BRIDGE: "recruiter hung up before connecting",
    Disposition.RECRUITER_HUNG_UP_WHILE_RINGING: "recruiter hung up while it rang",
}

STATUSES: dict[str, str] = {
    CallStatus.QUEUED: "queued",
    CallStatus.INITIATED: "dialling",
    CallStatus.RINGING: "ringing",
    CallStatus.IN_PROGRESS: "in progress",
    CallStatus.COMPLETED: "ended",
    CallStatus.BUSY: "busy",
    CallStatus.NO_ANSWER: "no answer",
    CallStatus.FAILED: "failed",
    CallStatus.CANCELED: "cancelled",
}


# A call whose creation got no answer in time: Twilio may well have placed it.
CHECKING_PLACEMENT = "We are checking whether the call went through."

DIRECTIONS: dict[str, str] = {Direction.OUTBOUND: "outgoing", Direction.INBOUND: "incoming"}

CALLBACK_REASONS: dict[str, str] = {
    CallbackReason.VOICEMAIL: "voicemail",
    CallbackReason.OFFER_ANSWER: "answer to an offer",
}


# Twilio's StirVerstat on an incoming call: how far the caller's carrier vouches for the caller
# ID under SHAKEN/STIR (https://www.twilio.com/docs/voice/trusted-calling-with-shakenstir;
# the parameter: https://www.twilio.com/en-us/changelog/twilio-performs-shaken-stir-verification-on-incoming-calls-to-yo).
# A: the carrier knows the caller and their right to the number; B: knows the caller, not the
# right to the number; C: only where the call entered its network.
STIR_VERSTATS: dict[str, str] = {
    "TN-Validation-Passed-A": "verified, full attestation (A): the carrier vouches for the number",
    "TN-Validation-Passed-B": "verified, partial attestation (B): the carrier knows the caller, "
    "not their right to the number",
    "TN-Validation-Passed-C": "verified, gateway attestation (C): the carrier only saw where "
    "the call came in",
    "TN-Validation-Failed-A": "verification failed (attestation A claimed)",
    "TN-Validation-Failed-B": "verification failed (attestation B claimed)",
    "TN-Validation-Failed-C": "verification failed (attestation C claimed)",
    "TN-Validation-Failed": "verification failed: the caller ID may be spoofed",
    "No-TN-Validation": "not verified: the call carried no usable SHAKEN/STIR identity",
}


def caller_id_attestation(value: str | None) -> str:
    """What a call's StirVerstat says about its caller ID, for auditors."""
    if not value:
        return "no attestation sent (not verified)"
    return f"{STIR_VERSTATS.get(value, 'an attestation this app does not know')} [{value}]"


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


def direction(value: str | None) -> str:
    return DIRECTIONS.get(value or "", value or "")


# Why a recruiter owes a candidate a call, as the queue says it.
OWED_REASONS: dict[str, str] = {
    OwedReason.CLOSURE: "interviewed, not selected: tell them personally",
    OwedReason.CALLBACK: "left a voicemail: call them back",
    OwedReason.CALL_BACK_LATER: "asked to be called back",
    OwedReason.OFFER_ANSWER: "offer waiting for their answer",
}
OWED_CLOSED: dict[str, str] = {
    "told_personally": "told personally",
    "reached": "reached",
    "callback_done": "callback done",
    "stage_changed": "the stage moved on",
    "by_hand": "closed by hand",
}


def owed_reason(value: str | None) -> str:
    return OWED_REASONS.get(value or "", value or "")


def attempts(count: int) -> str:
    return "not tried yet" if count == 0 else f"{count} attempt{'s' if count != 1 else ''}"


def _day_time(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local.strftime('%H:%M')} on {local.strftime('%A %d %B')}"


def outside_window(
    name: str, at: datetime, opens_at: datetime, their_zone: ZoneInfo, your_zone: ZoneInfo
) -> str:
    """Why a call to a candidate waits: their hour now, and when their calling window opens,
    on their clock and the recruiter's."""
    return (
        f"it is {_day_time(at, their_zone)} for {name} ({their_zone.key}); their calling hours "
        f"open at {_day_time(opens_at, their_zone)} their time, "
        f"{_day_time(opens_at, your_zone)} your time ({your_zone.key}). "
        "To call now, give a reason"
    )


def window_closed_note(opens_at: datetime, their_zone: ZoneInfo, your_zone: ZoneInfo) -> str:
    """Beside a Call button outside the candidate's calling hours."""
    return (
        f"outside their calling hours: they open at {_day_time(opens_at, their_zone)} their "
        f"time ({_day_time(opens_at, your_zone)} yours)"
    )


def callback_reason(value: str | None) -> str:
    return CALLBACK_REASONS.get(value or "", value or "")


def status_line(call: Call) -> str:
    """A call's status and, once known, how it ended: "ended · candidate did not answer"."""
    text = status(call.status)
    return f"{text} · {disposition(call.disposition)}" if call.disposition else text


def callback_caller(task: CallbackTask) -> str:
    """Who left a voicemail: the candidate's name, or the unknown caller's number."""
    if task.candidate is not None:
        return task.candidate.name
    return "Unknown caller " + (task.caller_number or "(number withheld)")


def callbacks_waiting(count: int) -> str:
    return f"Callbacks waiting ({count})"


def outcome_text(call: Call) -> str:
    """The outcome in a word or two: its label, or whether one may still come."""
    if call.outcome is not None:
        return call.outcome.label
    return "pending" if call.is_active else "not recorded"


def plain(value: Any) -> str:
    """Any value from an event's detail or payload as plain text: never a Python repr."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return ", ".join(f"{key}: {plain(item)}" for key, item in value.items()) or "—"
    if isinstance(value, list | tuple):
        return ", ".join(plain(item) for item in value) or "—"
    return str(value)


def detail_lines(detail: Mapping[str, Any]) -> list[str]:
    """What the app recorded with an event, one "key: value" line each, values in words."""
    lines = []
    for key in sorted(detail):
        value = detail[key]
        if key == "disposition" and isinstance(value, str):
            text = disposition(value)
        elif key in ("status", "dial_status") and isinstance(value, str):
            text = status(value)
        elif key in ("from", "to", "stage") and isinstance(value, str):
            text = stage(value)
        else:
            text = plain(value)
        lines.append(f"{key.replace('_', ' ')}: {text}")
    return lines


def viewer_zone(user_timezone: str | None, business_timezone: str) -> str:
    """Where a reader reads times: their own zone, else the team's business zone."""
    return user_timezone or business_timezone


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
    if kind in ("call.not_placed", "call.unconfirmed", "call.hang_up_failed"):
        return str(detail.get("reason", ""))
    if kind == "call.reconciled":
        return f"{status(detail.get('status'))}: {detail.get('why', '')}"
    if kind == "call.window_overridden":
        return f"{plain(detail.get('reason'))} (their time {plain(detail.get('their_time'))})"
    if kind == "callback.created":
        return callback_reason(detail.get("reason"))
    if kind == "owed.opened":
        return owed_reason(detail.get("reason"))
    if kind == "owed.attempt":
        return f"{attempts(int(detail.get('attempts') or 0))} ({plain(detail.get('why'))})"
    if kind == "owed.closed":
        how = OWED_CLOSED.get(str(detail.get("closed_reason")), plain(detail.get("closed_reason")))
        return f"{how}: {detail['note']}" if detail.get("note") else how
    if kind == "callback.done":
        return str(detail.get("reason") or "")
    if kind == "callback.reassigned":
        text = f"{detail.get('from_name') or 'the team'} → {detail.get('to_name') or 'the team'}"
        return f"{text} ({detail['reason']})" if detail.get("reason") else text
    if kind == "twilio.candidate_status":
        return status(detail.get("status"))
    if kind in ("screen.accepted", "screen.rejected", "outcome.invalid", "dial_in.code"):
        digits = detail.get("digits") if "digits" in detail else detail.get("code")
        return f"pressed {digits}" if digits else "no key pressed"
    if kind in ("dial_in.pin_ok", "dial_in.pin_failed"):
        said = {"ok": "right PIN", "failed": "wrong PIN", "no-input": "nothing keyed"}
        return f"attempt {detail.get('attempt')}: {said.get(str(detail.get('result')), '')}"
    if kind == "twilio.incoming" and detail.get("stir_verstat"):
        return f"caller ID: {caller_id_attestation(detail['stir_verstat'])}"
    if kind in ("hunt.ringing", "hunt.missed", "hunt.connected"):
        position = detail.get("position")
        return f"recruiter {int(position) + 1} in the hunt order" if position is not None else ""
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
    if kind == "user.line_pin_set":
        return "a new recruiter line PIN was set"
    if kind == "outcome_code.saved":
        changes = detail.get("changes") or {}
        if detail.get("created"):
            return "added: " + ", ".join(
                f"{_field(name)} {change_value(name, (c or {}).get('to'))}"
                for name, c in changes.items()
            )
        return "; ".join(_from_to(changes))
    return ""


# The live call, in the recruiter's words --------------------------------------------------

# How a call that never got to the outcome menu ended, said to the recruiter who placed it.
ENDINGS: dict[str, str] = {
    Disposition.CONNECTED: "no outcome was keyed in",
    Disposition.CANDIDATE_NO_ANSWER: "{name} did not answer",
    Disposition.CANDIDATE_BUSY: "{name}'s line was busy",
    Disposition.CANDIDATE_UNREACHABLE: "{name} could not be reached",
    Disposition.CANDIDATE_VOICEMAIL: "{name}'s voicemail answered",
    Disposition.RECRUITER_NO_ANSWER: "you did not answer your phone",
    Disposition.RECRUITER_DECLINED: "you declined the call",
    Disposition.RECRUITER_UNREACHABLE: "your phone could not be reached",
    Disposition.RECRUITER_DID_NOT_ACCEPT: "you did not press 1",
    Disposition.RECRUITER_HUNG_UP_BEFORE_BRIDGE: "you hung up before {name} was rung",
    Disposition.RECRUITER_HUNG_UP_WHILE_RINGING: "you hung up while {name}'s phone rang",
    Disposition.NOT_PLACED: "the call could not be placed",
    Disposition.VOICEMAIL: "a voicemail was left",
    Disposition.MISSED: "nobody answered",
    Disposition.ANSWERED: "the call was answered",
    Disposition.CANCELED: "the call was cancelled",
}
# A one-click call to a candidate has no flow; one back to an unknown caller's number does.
ONE_CLICK_FLOWS = (None, Flow.CALLBACK)
LIVE_STATE_CODES = (
    "checking",
    "ringing_recruiter",
    "screening",
    "ringing_candidate",
    "talking",
    "voicemail",
    "keying_outcome",
    "outcome_saved",
    "ended",
    "ringing",
    "in_progress",
)


def callee_name(call: Call) -> str:
    """Who the recruiter is calling, as they would say it: Jane, or the caller."""
    return call.candidate.first_name if call.candidate is not None else "the caller"


def call_heading(call: Call) -> str:
    """Whom the live call is with: "Call to Jane Doe", "Calling back an unknown caller"."""
    if call.direction == Direction.INBOUND:
        if call.candidate is not None:
            return f"Call from {call.candidate.name}"
        if call.candidate_number:
            return f"Call from {mask_phone(call.candidate_number)}"
        return "Call from an unknown caller"
    if call.candidate is not None:
        return f"Call to {call.candidate.name}"
    return "Calling back an unknown caller"


def live_state(call: Call) -> dict[str, str]:
    """Where a call is, in the recruiter's terms: {"code": ..., "text": ...}. The one source
    of these words, for the page as it loads, the JSON the page polls and the API."""
    name = callee_name(call)
    if call.outcome is not None:
        return {"code": "outcome_saved", "text": f"Outcome saved: {call.outcome.label}"}
    if call.unconfirmed and call.parent_sid is None and call.is_active:
        return {"code": "checking", "text": CHECKING_PLACEMENT}
    if not call.is_active:
        ending = ENDINGS.get(call.disposition or "")
        if ending is None:
            ending = disposition(call.disposition) or status(call.status)
        return {"code": "ended", "text": f"Call ended: {ending.format(name=name)}"}
    if call.direction == Direction.OUTBOUND and call.flow in ONE_CLICK_FLOWS:
        if call.answered_at is None and call.status != CallStatus.IN_PROGRESS:
            return {"code": "ringing_recruiter", "text": "Ringing your phone"}
        if call.disposition == Disposition.CANDIDATE_VOICEMAIL:
            return {"code": "voicemail", "text": f"{name}'s voicemail answered"}
        if call.child_status is None:
            if any(event.kind == "screen.accepted" for event in call.events):
                return {"code": "ringing_candidate", "text": f"Ringing {name}"}
            return {"code": "screening", "text": "Waiting for you to press 1"}
        if call.child_status == CallStatus.IN_PROGRESS:
            return {"code": "talking", "text": f"Talking with {name}"}
        return {"code": "keying_outcome", "text": "Key in the outcome on your phone"}
    if call.direction == Direction.INBOUND and call.child_sid:
        # A recruiter took the inbound call (the whisper's leg is the child): they talk.
        return {"code": "talking", "text": f"Talking with {name}"}
    if call.status == CallStatus.IN_PROGRESS:
        return {"code": "in_progress", "text": "Call in progress"}
    return {"code": "ringing", "text": "Ringing"}
