"""The recruiter line: a recruiter keys a candidate's code, or star for their callbacks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.callflow.callbacks import open_callbacks
from ivr.callflow.events import record_webhook
from ivr.callflow.presence import take_line
from ivr.permissions import owns_candidate
from models import Call, CallbackStatus, CallbackTask, Candidate, User
from twiml.dial_in import note as spoken

MAX_CODE_PROMPTS = 3
MENU_CALLBACKS = 5  # read out at most this many waiting callbacks


class Said(StrEnum):
    """What the recruiter is told after a code or a callback choice (the words: twiml)."""

    NO_CODE = "no-code"
    UNKNOWN_CODE = "unknown-code"
    NOT_YOURS = "not-yours"
    CODE_DO_NOT_CALL = "code-do-not-call"
    CALLING = "calling"
    CALLBACK_DO_NOT_CALL = "callback-do-not-call"
    WITHHELD = "withheld"
    CALLING_BACK = "calling-back"


@dataclass(frozen=True)
class Note:
    kind: Said
    name: str | None = None
    digits: str = ""


@dataclass(frozen=True)
class AskForCode:
    attempt: int
    note: Note | None = None

    @property
    def may_retry(self) -> bool:
        """Whether silence asks once more (the next attempt) or ends the call."""
        return self.attempt < MAX_CODE_PROMPTS


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


Step = AskForCode | Connect | HangUp | CallbacksMenu


def claim_line(session: Session, call: Call, recruiter: User) -> None:
    """The dial-in holds the recruiter's one live call, unless another call holds it already."""
    take_line(session, call, recruiter)


def enter_code(
    session: Session, call: Call, form: Mapping[str, str], attempt: int, now: datetime
) -> Step:
    """The code prompt's answer: star for the callbacks, a code, or nothing at all."""
    digits = form.get("Digits")
    if digits is not None and digits.startswith("*"):
        return waiting_callbacks(session, call, now)
    if digits is None:
        # Reached through the prompt's Redirect: no key at all, so simply ask again.
        return HangUp() if attempt > MAX_CODE_PROMPTS else AskForCode(attempt)
    return choose_candidate_by_code(session, call, form, attempt)


def choose_candidate_by_code(
    session: Session, call: Call, form: Mapping[str, str], attempt: int
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
    session: Session, call: Call, form: Mapping[str, str], task_id: int | None
) -> Step:
    """The callbacks menu's answer: 1 calls the offered callback's caller back."""
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
    if candidate is not None:
        use_candidate(call, candidate)
    else:
        call.candidate_number = task.caller_number
    if not call.candidate_number:
        return AskForCode(1, Note(Said.WITHHELD))
    return Connect(
        call.candidate_number, Note(Said.CALLING_BACK, candidate.name if candidate else None)
    )


def use_candidate(call: Call, candidate: Candidate) -> None:
    call.candidate_id = candidate.id
    call.candidate_number = candidate.phone
    candidate.touch_contact(call.created_at)
