"""What a recruiter hears on the recruiter line: the code prompt, the callbacks menu."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time, timedelta
from typing import Protocol

from twilio.twiml.voice_response import VoiceResponse

from twiml.common import ask, goodbye, say
from twiml.hours import spoken_time
from twiml.inbound import MENU_TIMEOUT

# What the recruiter is told after a code or a callback choice, by what came of it.
NOTES = {
    "no-code": "I did not hear a code.",
    "unknown-code": "No candidate has the code {digits}.",
    "not-yours": "That candidate belongs to another recruiter.",
    "code-do-not-call": "{name} is marked do not call. Please enter another code.",
    "calling": "Calling {name}.",
    "callback-do-not-call": "{name} is marked do not call.",
    "number-do-not-call": "That caller's number is marked do not call.",
    "outside-window": (
        "It is {at} for {name}, outside their calling hours. To call them now, use Call "
        "anyway on your page, and say why."
    ),
    "withheld": "That caller withheld their number.",
    "calling-back": "Calling {name} back.",
    "pin-wrong": "That PIN is not right.",
    "pin-locked": "That PIN is not right, and that was the last try.",
    "no-pin": (
        "This phone has no recruiter line PIN yet. Set one on your My settings page, "
        "then call again."
    ),
    "pin-first": "The recruiter line needs your PIN first.",
}


class Note(Protocol):
    @property
    def kind(self) -> str: ...  # one of NOTES

    @property
    def name(self) -> str | None: ...

    @property
    def digits(self) -> str: ...

    @property
    def at(self) -> time | None: ...  # the callee's local time, for "outside-window"


class Waiting(Protocol):
    @property
    def caller(self) -> str | None: ...  # None: an unknown caller

    @property
    def waited(self) -> timedelta: ...

    @property
    def recording_url(self) -> str | None: ...


def note(said: Note | None) -> str:
    """The sentence for a note; digits are read one by one, a missing name is 'the caller'."""
    if said is None:
        return ""
    at = spoken_time(said.at) if said.at is not None else ""
    return NOTES[said.kind].format(
        name=said.name or "the caller", digits=" ".join(said.digits), at=at
    )


def pin_prompt(action_url: str, retry_url: str | None, intro: Note | None = None) -> VoiceResponse:
    """The recruiter line's first question; says no name, as the caller is not known yet."""
    text = f"{note(intro)} Recruiter line. Enter your PIN, then press pound."
    return ask(
        text.strip(),
        action_url,
        MENU_TIMEOUT,
        then=retry_url,
        give_up="Goodbye.",
        finish_on_key="#",
    )


def code_prompt(
    first_name: str, action_url: str, retry_url: str | None, intro: Note | None = None
) -> VoiceResponse:
    text = (
        f"{note(intro)} Hi {first_name}. Enter the candidate's code, then press pound. "
        "For your callbacks, press star."
    )
    return ask(
        text.strip(),
        action_url,
        MENU_TIMEOUT,
        then=retry_url,
        give_up="Goodbye.",
        finish_on_key="#",
    )


def hang_up(said: Note | None = None) -> VoiceResponse:
    return goodbye(note(said))


def callbacks_menu(entries: Sequence[Waiting], action_url: str, codes_url: str) -> VoiceResponse:
    """The waiting callbacks, the first one's message played; 1 calls its caller back."""
    response = VoiceResponse()
    if not entries:
        say(response, "You have no callbacks waiting.")
        response.redirect(codes_url, method="POST")
        return response
    count = "one callback" if len(entries) == 1 else f"{len(entries)} callbacks"
    names = "; ".join(f"{_caller(entry)}, {ago(entry.waited)}" for entry in entries)
    say(response, f"You have {count} waiting: {names}.")
    first = entries[0]
    if first.recording_url:
        say(response, f"Here is the message from {_caller(first)}.")
        response.play(first.recording_url)
    choices = (
        f"To call {_caller(first)} back now, press 1. To enter a candidate code instead, press 2."
    )
    return ask(choices, action_url, MENU_TIMEOUT, then=codes_url, response=response, num_digits=1)


def _caller(entry: Waiting) -> str:
    return entry.caller or "an unknown caller"


def ago(delta: timedelta) -> str:
    """How long a callback has waited, as said: 'just now', '5 minutes ago', '3 days ago'."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 2:
        return "just now"
    if minutes < 120:
        return f"{minutes} minutes ago"
    hours = minutes // 60
    return f"{hours} hours ago" if hours < 48 else f"{hours // 24} days ago"
