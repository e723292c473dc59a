"""Calls to the company number: who is calling, who should answer, and what is left behind."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ivr.callflow.events import already_recorded, record_event, webhook_payload
from models import Call, CallbackTask, Candidate, User, utcnow
from models.phone import InvalidPhoneNumber, normalize_phone

log = logging.getLogger(__name__)

MAX_CODE_PROMPTS = 3


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
        select(User).where(User.phone == number, User.role == "recruiter", User.is_active)
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
            direction="outbound",
            flow="dial-in",
            recruiter_id=caller.recruiter.id,
            recruiter_number=caller.number,
        )
    else:
        call = Call(
            direction="inbound",
            flow="candidate" if caller.kind == "candidate" else "unknown-caller",
            candidate_id=caller.candidate.id if caller.candidate else None,
            candidate_number=caller.number,
        )
    call.company_number = company_number
    call.parent_sid = sid
    call.status = "in-progress" if form.get("CallStatus") == "in-progress" else "ringing"
    session.add(call)
    session.flush()
    if caller.candidate is not None:
        caller.candidate.touch_contact(call.created_at)
    record_event(
        session,
        call,
        "twilio.incoming",
        source="twilio",
        payload=webhook_payload(form),
        detail={"caller": caller.kind, "flow": call.flow},
        idempotency_key=f"incoming:{sid}" if sid else None,
    )
    return call, True


def hunt_list(session: Session, call: Call) -> list[User]:
    """Last recruiter to call this candidate, then the owner, then the team's hunt order."""
    preferred: list[User | None] = []
    candidate = call.candidate
    if candidate is not None:
        preferred.append(last_caller(session, candidate, exclude_call_id=call.id))
        preferred.append(candidate.owner)
    team = session.scalars(
        select(User)
        .where(User.role == "recruiter", User.hunt_order.is_not(None))
        .order_by(User.hunt_order, User.id)
    )
    seen: set[int] = set()
    ordered: list[User] = []
    for user in [*preferred, *team]:
        if user is None or user.id in seen:
            continue
        seen.add(user.id)
        if user.is_active and user.is_available and user.phone:
            ordered.append(user)
    return ordered


def last_caller(session: Session, candidate: Candidate, exclude_call_id: int) -> User | None:
    return session.scalar(
        select(User)
        .join(Call, Call.recruiter_id == User.id)
        .where(
            Call.candidate_id == candidate.id,
            Call.direction == "outbound",
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


def record_menu_choice(session: Session, call: Call, form: Mapping[str, str], menu: str) -> str:
    digits = form.get("Digits", "")
    record_event(
        session,
        call,
        f"{menu}.choice",
        source="twilio",
        payload=webhook_payload(form),
        detail={"digits": digits},
    )
    return digits


def start_decision_line(session: Session, call: Call) -> None:
    call.flow = "decision"
    record_event(session, call, "decision.requested", detail={"candidate_id": call.candidate_id})


def record_ringing(session: Session, call: Call, recruiter: User, index: int) -> None:
    record_event(
        session, call, "hunt.ringing", detail={"recruiter_id": recruiter.id, "position": index}
    )


def accept_whisper(session: Session, call: Call, form: Mapping[str, str], recruiter: User) -> bool:
    accepted = form.get("Digits", "") == "1" and call.ended_at is None
    record_event(
        session,
        call,
        "whisper.accepted" if accepted else "whisper.rejected",
        source="twilio",
        payload=webhook_payload(form),
        detail={"recruiter_id": recruiter.id, "digits": form.get("Digits", "")},
        actor=recruiter if accepted else None,
    )
    if accepted:
        call.recruiter_id = recruiter.id
        call.recruiter_number = recruiter.phone
        call.child_sid = form.get("CallSid") or None
    return accepted


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
            call.disposition = "answered"
            call.answered_at = call.answered_at or utcnow()
        record_event(
            session,
            call,
            "hunt.connected" if connected else "hunt.missed",
            source="twilio",
            payload=webhook_payload(form),
            detail={"recruiter_id": recruiter_id, "dial_status": dial_status, "position": index},
            idempotency_key=key,
        )
    return connected


def record_voicemail(session: Session, call: Call, form: Mapping[str, str]) -> None:
    """The <Record> action: what the caller left, and the callback it becomes."""
    key = f"voicemail:{form.get('CallSid', '')}:{form.get('RecordingSid', '')}"
    if already_recorded(session, key):
        return
    _store_recording(call, form)
    record_event(
        session,
        call,
        "voicemail.recorded",
        source="twilio",
        payload=webhook_payload(form),
        detail={"recording_sid": form.get("RecordingSid"), "digits": form.get("Digits", "")},
        idempotency_key=key,
    )
    ensure_callback_task(session, call)


def record_recording_status(session: Session, call: Call, form: Mapping[str, str]) -> None:
    """The recording status callback: the recording is (or is not) available to play."""
    key = "recording:{}:{}".format(form.get("RecordingSid", ""), form.get("RecordingStatus", ""))
    if already_recorded(session, key):
        return
    completed = form.get("RecordingStatus") == "completed"
    if completed:
        _store_recording(call, form)
    record_event(
        session,
        call,
        "recording.status",
        source="twilio",
        payload=webhook_payload(form),
        detail={"status": form.get("RecordingStatus"), "recording_sid": form.get("RecordingSid")},
        idempotency_key=key,
    )
    if completed:
        ensure_callback_task(session, call)


def _store_recording(call: Call, form: Mapping[str, str]) -> None:
    call.recording_sid = form.get("RecordingSid") or call.recording_sid
    call.recording_url = form.get("RecordingUrl") or call.recording_url
    duration = form.get("RecordingDuration", "")
    if duration.isdigit():
        call.recording_duration = int(duration)
    call.is_voicemail = True
    call.disposition = "voicemail"


def ensure_callback_task(session: Session, call: Call) -> CallbackTask:
    task = session.scalar(select(CallbackTask).where(CallbackTask.voicemail_call_id == call.id))
    if task is not None:
        return task
    owner = assignee(session, call)
    if call.recruiter_id is None and owner is not None:
        call.recruiter_id = owner.id
    task = CallbackTask(
        voicemail_call_id=call.id,
        candidate_id=call.candidate_id,
        recruiter_id=owner.id if owner else None,
        caller_number=call.candidate_number,
        reason="offer answer" if call.flow == "decision" else "voicemail",
    )
    try:
        # The <Record> action and the recording callback can race to create the task.
        with session.begin_nested():
            session.add(task)
    except IntegrityError:
        return session.scalars(
            select(CallbackTask).where(CallbackTask.voicemail_call_id == call.id)
        ).one()
    record_event(
        session,
        call,
        "callback.created",
        detail={"task_id": task.id, "recruiter_id": task.recruiter_id, "reason": task.reason},
    )
    log.info("callback task %s created call_sid=%s", task.id, call.parent_sid)
    return task


def open_callbacks(session: Session, recruiter: User) -> list[CallbackTask]:
    """The recruiter's waiting callbacks, oldest first, with the team's unassigned ones."""
    return list(
        session.scalars(
            select(CallbackTask)
            .where(
                CallbackTask.status == "open",
                or_(CallbackTask.recruiter_id == recruiter.id, CallbackTask.recruiter_id.is_(None)),
            )
            .order_by(CallbackTask.created_at, CallbackTask.id)
        )
    )


def close_callbacks(session: Session, call: Call) -> list[CallbackTask]:
    """A call that reached the candidate (or the unknown caller) closes their waiting callbacks."""
    clauses = [CallbackTask.caller_number == call.candidate_number]
    if call.candidate_id is not None:
        clauses.append(CallbackTask.candidate_id == call.candidate_id)
    tasks = list(
        session.scalars(select(CallbackTask).where(CallbackTask.status == "open", or_(*clauses)))
    )
    for task in tasks:
        task.status = "done"
        task.done_at = utcnow()
        task.done_by_call_id = call.id
        record_event(
            session,
            call,
            "callback.done",
            detail={"task_id": task.id, "voicemail_call_id": task.voicemail_call_id},
            actor=call.recruiter,
        )
    return tasks


@dataclass(frozen=True)
class CodeResult:
    candidate: Candidate | None
    message: str
    retry: bool


def choose_candidate_by_code(
    session: Session, call: Call, recruiter: User, form: Mapping[str, str], attempt: int
) -> CodeResult:
    digits = form.get("Digits", "").strip("#")
    candidate = (
        session.scalar(select(Candidate).where(Candidate.code == digits)) if digits else None
    )
    spaced = " ".join(digits)
    if not digits:
        message = "I did not hear a code."
    elif candidate is None:
        message = f"No candidate has the code {spaced}."
    elif candidate.owner_id != recruiter.id:
        message = "That candidate belongs to another recruiter."
        candidate = None
    elif candidate.do_not_call:
        message = f"{candidate.name} is marked do not call. Please enter another code."
        candidate = None
    else:
        message = f"Calling {candidate.name}."
    retry = candidate is None and attempt < MAX_CODE_PROMPTS
    record_event(
        session,
        call,
        "dial_in.code",
        source="twilio",
        payload=webhook_payload(form),
        detail={
            "code": digits,
            "candidate_id": candidate.id if candidate else None,
            "result": message,
            "attempt": attempt,
        },
        actor=recruiter,
    )
    if candidate is not None:
        use_candidate(call, candidate)
    return CodeResult(candidate=candidate, message=message, retry=retry)


def use_candidate(call: Call, candidate: Candidate) -> None:
    call.candidate_id = candidate.id
    call.candidate_number = candidate.phone
    candidate.touch_contact(call.created_at)
