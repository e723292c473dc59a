"""Calls to the company number: who calls, where the call goes, the hunt, whisper and voicemail."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.callflow import owed
from ivr.callflow.callbacks import assignee, close_callbacks, ensure_callback_task, last_caller
from ivr.callflow.events import already_recorded, record_event, record_webhook
from ivr.callflow.hours import BusinessHours
from ivr.callflow.outcome_call import request_outcome_call
from ivr.callflow.presence import busy_recruiter_ids, release_line, take_line
from models import (
    Call,
    CallStatus,
    Candidate,
    Direction,
    Disposition,
    Flow,
    Role,
    Stage,
    User,
    utcnow,
)
from models.call import STIR_VERSTAT_MAX
from models.phone import InvalidPhoneNumber, mask_phone, normalize_phone

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Caller:
    kind: str  # recruiter | candidate | unknown
    number: str | None
    recruiter: User | None = None
    candidate: Candidate | None = None


def identify_caller(session: Session, raw_from: str) -> Caller:
    try:
        number = normalize_phone(raw_from)
    except InvalidPhoneNumber:
        # Withheld numbers arrive as "anonymous" or junk: an unknown caller, not an error.
        return Caller("unknown", None)
    recruiter = session.scalar(
        select(User).where(User.phone == number, User.role == Role.RECRUITER, User.is_active)
    )
    if recruiter is not None:
        return Caller("recruiter", number, recruiter=recruiter)
    candidate = session.scalar(select(Candidate).where(Candidate.phone == number))
    if candidate is not None:
        return Caller("candidate", number, candidate=candidate)
    return Caller("unknown", number)


def open_inbound_call(
    session: Session, form: Mapping[str, str], caller: Caller, company_number: str
) -> tuple[Call, bool]:
    """The Call for this CallSid, created once; Twilio may request the voice URL twice."""
    sid = form.get("CallSid") or None
    existing = session.scalar(select(Call).where(Call.parent_sid == sid)) if sid else None
    if existing is not None:
        return existing, False
    if caller.kind == "recruiter" and caller.recruiter is not None:
        call = Call(
            direction=Direction.OUTBOUND,
            flow=Flow.DIAL_IN,
            recruiter_id=caller.recruiter.id,
            recruiter_number=caller.number,
        )
    else:
        call = Call(
            direction=Direction.INBOUND,
            flow=Flow.CANDIDATE if caller.kind == "candidate" else Flow.UNKNOWN_CALLER,
            candidate_id=caller.candidate.id if caller.candidate else None,
            candidate_number=caller.number,
        )
    call.company_number = company_number
    call.parent_sid = sid
    # SHAKEN/STIR: what the network vouches for this caller ID ("TN-Validation-Passed-A" etc.,
    # https://www.twilio.com/docs/voice/trusted-calling-with-shakenstir); absent without it.
    call.stir_verstat = (form.get("StirVerstat") or "").strip()[:STIR_VERSTAT_MAX] or None
    in_progress = form.get("CallStatus") == CallStatus.IN_PROGRESS
    call.status = CallStatus.IN_PROGRESS if in_progress else CallStatus.RINGING
    session.add(call)
    session.flush()
    if caller.candidate is not None:
        caller.candidate.touch_contact(call.created_at)
    record_webhook(session, call, "twilio.incoming", form,
                   detail={"caller": caller.kind, "flow": call.flow,
                           "stir_verstat": call.stir_verstat},
                   idempotency_key=f"incoming:{sid}" if sid else None)  # fmt: skip
    return call, True


# Where a call goes: values the voice views render (the words are twiml's) ------------------


class Greeting(StrEnum):
    """What the caller hears before a recruiter's phone rings."""

    CANDIDATE = "candidate"  # by first name
    YOUR_RECRUITER = "your-recruiter"
    TEAM = "team"


class VoicemailReason(StrEnum):
    CHOSEN = "chosen"  # the caller asked to leave a message
    NOBODY_AVAILABLE = "nobody-available"  # the hunt list is exhausted


@dataclass(frozen=True)
class DialIn:
    """A recruiter calling in: the recruiter line asks for a candidate's code."""

    recruiter: User


@dataclass(frozen=True)
class Closed:
    """Out of business hours: straight to voicemail, with when we are open and call back."""

    hours: str
    zone: str
    promise: str


@dataclass(frozen=True)
class OfferMenu:
    """A candidate with an offer: answer it by phone, or speak with the recruiter."""

    first_name: str


@dataclass(frozen=True)
class UnknownCallerMenu:
    """A number no one knows: speak with a recruiter, or leave a message."""


@dataclass(frozen=True)
class RingHunt:
    """Ring the hunt list from its start, greeting the caller first."""

    greeting: Greeting
    first_name: str = ""


@dataclass(frozen=True)
class RingRecruiter:
    recruiter: User
    index: int  # position in the hunt list
    greeting: Greeting | None = None  # None: a later step of the hunt says nothing
    first_name: str = ""


@dataclass(frozen=True)
class Voicemail:
    reason: VoicemailReason
    who: str | None = None  # whose callback it becomes (first name); None: the team's


@dataclass(frozen=True)
class Bridged:
    """A recruiter took the call and has hung up; ring_back: ring them for the outcome."""

    ring_back: bool


@dataclass(frozen=True)
class CallerGone:
    """The caller hung up while a recruiter rang: nothing is said, nothing more is rung."""


Route = (
    DialIn
    | Closed
    | OfferMenu
    | UnknownCallerMenu
    | RingRecruiter
    | Voicemail
    | Bridged
    | CallerGone
)


def route_for(
    caller: Caller, hours: BusinessHours, now: datetime
) -> DialIn | Closed | OfferMenu | UnknownCallerMenu | RingHunt:
    """Where a new call goes, from who is calling and the time alone."""
    if caller.recruiter is not None:
        return DialIn(caller.recruiter)
    if not hours.is_open(now):
        return Closed(hours.describe(), hours.zone.key, hours.callback_promise(now))
    candidate = caller.candidate
    if candidate is None:
        return UnknownCallerMenu()
    if candidate.stage == Stage.OFFER:
        return OfferMenu(candidate.first_name)
    return RingHunt(Greeting.CANDIDATE, candidate.first_name)


def route_inbound(
    session: Session, call: Call, caller: Caller, hours: BusinessHours, now: datetime
) -> Route:
    """Route a new call, recording what routing it takes."""
    log.info("incoming call call_sid=%s from=%s caller=%s",
             call.parent_sid, mask_phone(caller.number), caller.kind)  # fmt: skip
    route = route_for(caller, hours, now)
    # A recruiter calling in takes their one live call only once their PIN is right
    # (ivr.callflow.dial_in.enter_pin): a spoofed caller ID must not lock them out.
    if isinstance(route, Closed):
        record_event(session, call, "after_hours", detail={"hours": route.hours})
    elif isinstance(route, RingHunt):
        return ring_next(session, call, 0, route.greeting, route.first_name)
    return route


def route_choice(
    session: Session, call: Call, form: Mapping[str, str]
) -> RingRecruiter | Voicemail:
    """The key pressed at the offer menu or at the unknown caller's menu."""
    menu = "offer" if call.candidate is not None else "unknown"
    digits = form.get("Digits", "")
    record_webhook(session, call, f"{menu}.choice", form, detail={"digits": digits})
    if menu == "offer":
        if digits == "2":
            call.flow = Flow.DECISION
            record_event(session, call, "decision.requested",
                         detail={"candidate_id": call.candidate_id})  # fmt: skip
        # No key, 1, or anything else: the caller wants a person; ring their recruiter.
        return ring_next(session, call, 0, Greeting.YOUR_RECRUITER)
    if digits == "2":
        return Voicemail(VoicemailReason.CHOSEN)
    return ring_next(session, call, 0, Greeting.TEAM)


# The hunt ------------------------------------------------------------------------------------


def hunt_order(
    preferred: Sequence[User | None], team: Iterable[User], busy: Collection[int] = ()
) -> list[User]:
    """Who to ring, in order: the preferred recruiters, then the team, each once, skipping
    anyone inactive, unavailable, without a phone or busy on another call."""
    seen: set[int] = set()
    ordered: list[User] = []
    for user in [*preferred, *team]:
        if user is None or user.id in seen:
            continue
        seen.add(user.id)
        if user.is_active and user.is_available and user.phone and user.id not in busy:
            ordered.append(user)
    return ordered


def hunt_list(session: Session, call: Call) -> list[User]:
    """Last recruiter to call this candidate, then the owner, then the team's hunt order."""
    preferred: list[User | None] = []
    candidate = call.candidate
    if candidate is not None:
        preferred.append(last_caller(session, candidate, exclude_call_id=call.id))
        preferred.append(candidate.owner)
    team = session.scalars(
        select(User)
        .where(User.role == Role.RECRUITER, User.hunt_order.is_not(None))
        .order_by(User.hunt_order, User.id)
    )
    return hunt_order(preferred, team, busy_recruiter_ids(session, besides=call))


def ring_next(
    session: Session,
    call: Call,
    index: int,
    greeting: Greeting | None = None,
    first_name: str = "",
) -> RingRecruiter | Voicemail:
    """Ring the index-th recruiter of the hunt list, or take a voicemail when none is left."""
    hunt = hunt_list(session, call)
    if index >= len(hunt):
        record_event(session, call, "hunt.exhausted", detail={"tried": index})
        owner = assignee(session, call)
        return Voicemail(VoicemailReason.NOBODY_AVAILABLE, owner.first_name if owner else None)
    recruiter = hunt[index]
    record_event(session, call, "hunt.ringing",
                 detail={"recruiter_id": recruiter.id, "position": index})  # fmt: skip
    return RingRecruiter(recruiter, index, greeting, first_name)


def after_hunt_leg(
    session: Session, call: Call, form: Mapping[str, str], index: int, recruiter_id: int | None
) -> Bridged | CallerGone | RingRecruiter | Voicemail:
    """The Dial to the index-th recruiter ended: bridged, the caller gone, or ring the next."""
    if record_hunt_result(session, call, form, index, recruiter_id):
        close_callbacks(session, call)
        owed.on_reached(session, call)
        release_line(call)  # the bridge has ended: the recruiter is free again
        return Bridged(ring_back=request_outcome_call(session, call))
    if form.get("CallStatus") == CallStatus.COMPLETED or call.ended_at is not None:
        return CallerGone()
    return ring_next(session, call, index + 1)


def record_hunt_result(
    session: Session, call: Call, form: Mapping[str, str], index: int, recruiter_id: int | None
) -> bool:
    """True when the recruiter accepted the whisper and the parties were bridged."""
    child_sid = form.get("DialCallSid", "")
    dial_status = form.get("DialCallStatus", "")
    key = f"hunt:{form.get('CallSid', '')}:{index}:{child_sid}:{dial_status}"
    connected = bool(child_sid) and call.child_sid == child_sid
    if not already_recorded(session, key):
        if connected:
            call.child_status = dial_status
            duration = form.get("DialCallDuration", "")
            call.talk_duration = int(duration) if duration.isdigit() else None
            call.disposition = Disposition.ANSWERED
            call.answered_at = call.answered_at or utcnow()
        detail = {"recruiter_id": recruiter_id, "dial_status": dial_status, "position": index}
        kind = "hunt.connected" if connected else "hunt.missed"
        record_webhook(session, call, kind, form, detail=detail, idempotency_key=key)
    return connected


# The whisper: what the recruiter hears before taking the call ------------------------------


@dataclass(frozen=True)
class Whisper:
    candidate_name: str | None  # None: an unknown number
    about_offer: bool  # the candidate called the decision line


def record_whisper(
    session: Session, call: Call, form: Mapping[str, str], recruiter_id: int | None
) -> Whisper:
    record_webhook(session, call, "whisper.played", form, detail={"recruiter_id": recruiter_id})
    name = call.candidate.name if call.candidate is not None else None
    return Whisper(candidate_name=name, about_offer=call.flow == Flow.DECISION)


def accept_whisper(session: Session, call: Call, form: Mapping[str, str], recruiter: User) -> bool:
    accepted = form.get("Digits", "") == "1" and call.ended_at is None
    record_webhook(
        session,
        call,
        "whisper.accepted" if accepted else "whisper.rejected",
        form,
        detail={"recruiter_id": recruiter.id, "digits": form.get("Digits", "")},
        actor=recruiter if accepted else None,
    )
    if accepted:
        call.recruiter_id = recruiter.id
        call.recruiter_number = recruiter.phone
        call.child_sid = form.get("CallSid") or None
        # On this call now: busy for the hunt and for one-click calls until it ends.
        take_line(session, call, recruiter)
    return accepted


# Voicemail -----------------------------------------------------------------------------------


def record_voicemail(session: Session, call: Call, form: Mapping[str, str]) -> None:
    """The <Record> action: what the caller left, and the callback it becomes."""
    if not form.get("RecordingSid"):
        return  # the caller hung up before the tone, or said nothing
    key = f"voicemail:{form.get('CallSid', '')}:{form.get('RecordingSid', '')}"
    if already_recorded(session, key):
        return
    _store_recording(call, form, playable=False)
    record_webhook(session, call, "voicemail.recorded", form,
                   detail={"recording_sid": form.get("RecordingSid"),
                           "digits": form.get("Digits", "")},
                   idempotency_key=key)  # fmt: skip
    ensure_callback_task(session, call)


def record_recording_status(session: Session, call: Call, form: Mapping[str, str]) -> None:
    """The recording status callback: the recording is (or is not) available to play."""
    key = "recording:{}:{}".format(form.get("RecordingSid", ""), form.get("RecordingStatus", ""))
    if already_recorded(session, key):
        return
    completed = form.get("RecordingStatus") == "completed"
    if completed:
        _store_recording(call, form, playable=True)
    record_webhook(session, call, "recording.status", form,
                   detail={"status": form.get("RecordingStatus"),
                           "recording_sid": form.get("RecordingSid")},
                   idempotency_key=key)  # fmt: skip
    if completed:
        ensure_callback_task(session, call)


def _store_recording(call: Call, form: Mapping[str, str], *, playable: bool) -> None:
    """What is known of the recording. Its URL (and with it every offer to play it: the
    callbacks list, the recruiter line's menu) only once the recording status callback says
    completed: Twilio sends that callback after it has finished processing the recording
    into a file (https://www.twilio.com/docs/usage/webhooks/voice-webhooks), while the
    <Record> action may come before (https://www.twilio.com/docs/voice/twiml/record)."""
    call.recording_sid = form.get("RecordingSid") or call.recording_sid
    if playable:
        call.recording_url = form.get("RecordingUrl") or call.recording_url
    duration = form.get("RecordingDuration", "")
    if duration.isdigit():
        call.recording_duration = int(duration)
    call.is_voicemail = True
    call.disposition = Disposition.VOICEMAIL


def callback_promise(hours: BusinessHours, now: datetime) -> str | None:
    """When a caller who left a message is promised a call back; None: as soon as we can."""
    return None if hours.is_open(now) else hours.callback_promise(now)
