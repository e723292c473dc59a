"""The recruiter line: a recruiter keys their PIN, then a candidate's code, or star for their
callbacks. Caller ID alone opens nothing: it can be spoofed, so nobody reaches voicemails or
calls a candidate as the company without the PIN the recruiter set on their settings page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.callflow.callbacks import open_callbacks
from ivr.callflow.events import record_event, record_webhook, webhook_payload
from ivr.callflow.presence import take_line
from ivr.callflow.window import CallingWindow
from ivr.permissions import owns_candidate
from models import Call, CallbackStatus, CallbackTask, CallEvent, Candidate, User
from twiml.dial_in import note as spoken

MAX_CODE_PROMPTS = 3
MAX_PIN_ATTEMPTS = 3  # then the line hangs up; every attempt is a chained event
# The recruiter line's PIN events: what was keyed is never kept, only how it went.
PIN_OK, PIN_FAILED, PIN_NOT_SET = "dial_in.pin_ok", "dial_in.pin_failed", "dial_in.pin_not_set"
MENU_CALLBACKS = 5  # read out at most this many waiting callbacks


class Said(StrEnum):
    """What the recruiter is told after a code or a callback choice (the words: twiml)."""

    NO_CODE = "no-code"
    UNKNOWN_CODE = "unknown-code"
    NOT_YOURS = "not-yours"
    CODE_DO_NOT_CALL = "code-do-not-call"
    CALLING = "calling"
    CALLBACK_DO_NOT_CALL = "callback-do-not-call"
    NUMBER_DO_NOT_CALL = "number-do-not-call"
    OUTSIDE_WINDOW = "outside-window"
    WITHHELD = "withheld"
    CALLING_BACK = "calling-back"
    PIN_WRONG = "pin-wrong"
    PIN_LOCKED = "pin-locked"
    NO_PIN = "no-pin"
    PIN_FIRST = "pin-first"


@dataclass(frozen=True)
class Note:
    kind: Said
    name: str | None = None
    digits: str = ""
    at: time | None = None  # the callee's local time (OUTSIDE_WINDOW)


@dataclass(frozen=True)
class AskForCode:
    attempt: int
    note: Note | None = None

    @property
    def may_retry(self) -> bool:
        """Whether silence asks once more (the next attempt) or ends the call."""
        return self.attempt < MAX_CODE_PROMPTS


@dataclass(frozen=True)
class AskForPin:
    """The recruiter line's first question (no name said: the caller is not known yet)."""

    attempt: int
    note: Note | None = None

    @property
    def may_retry(self) -> bool:
        return self.attempt < MAX_PIN_ATTEMPTS


@dataclass(frozen=True)
class Connect:
    """Dial `number` from the company number, announcing who is called; the dial then
    reports to the one-click call's webhooks, and the outcome menu follows."""

    number: str
    note: Note


@dataclass(frozen=True)
class HangUp:
    """Say goodbye (after the note, if any) and end the call."""

    note: Note | None = None


@dataclass(frozen=True)
class WaitingCallback:
    task_id: int
    caller: str | None  # the candidate's name; None: an unknown caller
    waited: timedelta
    recording_url: str | None


@dataclass(frozen=True)
class CallbacksMenu:
    entries: list[WaitingCallback]

    @property
    def first_task_id(self) -> int | None:
        return self.entries[0].task_id if self.entries else None


Step = AskForPin | AskForCode | Connect | HangUp | CallbacksMenu


def claim_line(session: Session, call: Call, recruiter: User) -> None:
    """The dial-in holds the recruiter's one live call, unless another call holds it already."""
    take_line(session, call, recruiter)


def open_line(session: Session, call: Call, form: Mapping[str, str]) -> AskForPin | HangUp:
    """A recruiter's phone calls in: ask for the PIN, or, with none set, say where to set it
    and hang up. (Not treated as an ordinary caller instead: the recruiter would ring their own
    team's hunt group as a stranger, and still not learn why the line does not answer.)"""
    recruiter = call.recruiter
    if recruiter is None or not recruiter.has_pin:
        record_event(session, call, PIN_NOT_SET, source="twilio", payload=_without_digits(form),
                     detail={"result": "not-set"}, actor=recruiter)  # fmt: skip
        return HangUp(Note(Said.NO_PIN))
    return AskForPin(1)


def enter_pin(session: Session, call: Call, form: Mapping[str, str], attempt: int) -> Step:
    """The PIN prompt's answer: the right PIN opens the line (and takes the recruiter's one
    live call); a wrong one, or none, asks again, MAX_PIN_ATTEMPTS times in all."""
    recruiter = call.recruiter
    digits = form.get("Digits")
    if digits is None:
        # The prompt timed out and its Redirect (already the next attempt) brings no Digits:
        # logged, then simply asked again, as long as attempts remain.
        detail = {"result": "no-input", "attempt": attempt}
        record_event(session, call, PIN_FAILED, source="twilio", payload=_without_digits(form),
                     detail=detail, actor=recruiter)  # fmt: skip
        return HangUp() if attempt > MAX_PIN_ATTEMPTS else AskForPin(attempt)
    ok = recruiter is not None and recruiter.check_pin(digits.strip("#"))
    result = "ok" if ok else "failed"
    record_event(session, call, PIN_OK if ok else PIN_FAILED, source="twilio",
                 payload=_without_digits(form), detail={"result": result, "attempt": attempt},
                 actor=recruiter)  # fmt: skip
    if ok and recruiter is not None:
        claim_line(session, call, recruiter)
        return AskForCode(1)
    if attempt >= MAX_PIN_ATTEMPTS:
        return HangUp(Note(Said.PIN_LOCKED))
    return AskForPin(attempt + 1, Note(Said.PIN_WRONG))


def pin_entered(session: Session, call: Call) -> bool:
    """Whether this call's recruiter keyed the right PIN (the only way past the PIN prompt)."""
    stmt = select(CallEvent.id).where(CallEvent.call_id == call.id, CallEvent.kind == PIN_OK)
    return session.scalar(stmt.limit(1)) is not None


def _without_digits(form: Mapping[str, str]) -> dict[str, str]:
    """What Twilio sent, less the keys pressed: a PIN is never written down."""
    return {key: value for key, value in webhook_payload(form).items() if key != "Digits"}


def _refused(session: Session, call: Call, form: Mapping[str, str], where: str) -> HangUp:
    # Only a request our own TwiML did not lead to gets here (the PIN prompt comes first).
    detail = {"at": where, "reason": "no PIN entered"}
    record_event(session, call, "dial_in.refused", source="twilio",
                 payload=_without_digits(form), detail=detail)  # fmt: skip
    return HangUp(Note(Said.PIN_FIRST))


def enter_code(
    session: Session,
    call: Call,
    form: Mapping[str, str],
    attempt: int,
    now: datetime,
    window: CallingWindow | None = None,
) -> Step:
    """The code prompt's answer: star for the callbacks, a code, or nothing at all."""
    if not pin_entered(session, call):
        return _refused(session, call, form, "code")
    digits = form.get("Digits")
    if digits is not None and digits.startswith("*"):
        return waiting_callbacks(session, call, now)
    if digits is None:
        # Reached through the prompt's Redirect: no key at all, so simply ask again.
        return HangUp() if attempt > MAX_CODE_PROMPTS else AskForCode(attempt)
    return choose_candidate_by_code(session, call, form, attempt, now, window)


def outside_window(
    candidate: Candidate, window: CallingWindow | None, now: datetime | None
) -> Note | None:
    """The recruiter line places no call outside the candidate's calling window: a reason to
    call anyway is typed on the page, which the phone cannot take."""
    if window is None or now is None or window.check(candidate.zone, now).is_open:
        return None
    return Note(Said.OUTSIDE_WINDOW, name=candidate.name, at=now.astimezone(candidate.zone).time())


def choose_candidate_by_code(
    session: Session,
    call: Call,
    form: Mapping[str, str],
    attempt: int,
    now: datetime | None = None,
    window: CallingWindow | None = None,
) -> Step:
    recruiter = call.recruiter
    digits = form.get("Digits", "").strip("#")
    candidate = (
        session.scalar(select(Candidate).where(Candidate.code == digits)) if digits else None
    )
    if not digits:
        note = Note(Said.NO_CODE)
    elif candidate is None:
        note = Note(Said.UNKNOWN_CODE, digits=digits)
    elif recruiter is None or not owns_candidate(recruiter, candidate):
        note, candidate = Note(Said.NOT_YOURS), None
    elif candidate.do_not_call:
        note, candidate = Note(Said.CODE_DO_NOT_CALL, name=candidate.name), None
    elif (closed := outside_window(candidate, window, now)) is not None:
        note, candidate = closed, None
    else:
        note = Note(Said.CALLING, name=candidate.name)
    # The timeline keeps the very words the recruiter heard.
    detail = {"code": digits, "candidate_id": candidate.id if candidate else None,
              "result": spoken(note), "attempt": attempt}  # fmt: skip
    record_webhook(session, call, "dial_in.code", form, detail=detail, actor=recruiter)
    if candidate is not None:
        use_candidate(call, candidate)
        return Connect(candidate.phone, note)
    return AskForCode(attempt + 1, note) if attempt < MAX_CODE_PROMPTS else HangUp(note)


def waiting_callbacks(session: Session, call: Call, now: datetime) -> CallbacksMenu:
    tasks = open_callbacks(session, call.recruiter)[:MENU_CALLBACKS] if call.recruiter else []
    return CallbacksMenu(
        [
            WaitingCallback(
                task_id=task.id,
                caller=task.candidate.name if task.candidate else None,
                waited=now - task.created_at,
                recording_url=task.voicemail.recording_url,
            )
            for task in tasks
        ]
    )


def choose_callback(
    session: Session,
    call: Call,
    form: Mapping[str, str],
    task_id: int | None,
    now: datetime | None = None,
    window: CallingWindow | None = None,
) -> Step:
    """The callbacks menu's answer: 1 calls the offered callback's caller back."""
    if not pin_entered(session, call):
        return _refused(session, call, form, "callback-choice")
    task = session.get(CallbackTask, task_id) if task_id is not None else None
    digits = form.get("Digits", "")
    record_webhook(session, call, "dial_in.callback_choice", form,
                   detail={"digits": digits, "task_id": task.id if task else None},
                   actor=call.recruiter)  # fmt: skip
    if digits != "1" or task is None or task.status != CallbackStatus.OPEN:
        return AskForCode(1)
    candidate = task.candidate
    if candidate is not None and candidate.do_not_call:
        return AskForCode(1, Note(Said.CALLBACK_DO_NOT_CALL, name=candidate.name))
    if candidate is not None and (closed := outside_window(candidate, window, now)) is not None:
        return AskForCode(1, closed)
    if candidate is not None:
        use_candidate(call, candidate)
    else:
        call.candidate_number = task.caller_number
    if not call.candidate_number:
        return AskForCode(1, Note(Said.WITHHELD))
    if candidate is None and _number_is_do_not_call(session, call.candidate_number):
        # An unknown caller's number that has since become a candidate marked do-not-call
        # (as for a one-click call back: ivr.callflow.outbound.check_can_call_number).
        call.candidate_number = None
        return AskForCode(1, Note(Said.NUMBER_DO_NOT_CALL))
    return Connect(
        call.candidate_number, Note(Said.CALLING_BACK, candidate.name if candidate else None)
    )


def _number_is_do_not_call(session: Session, number: str) -> bool:
    known = session.scalar(select(Candidate).where(Candidate.phone == number))
    return known is not None and known.do_not_call


def use_candidate(call: Call, candidate: Candidate) -> None:
    call.candidate_id = candidate.id
    call.candidate_number = candidate.phone
    candidate.touch_contact(call.created_at)
