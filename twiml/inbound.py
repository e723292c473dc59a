"""What callers to the company number hear: greetings, menus, whispers, voicemail."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from twilio.twiml.voice_response import Dial, VoiceResponse

from twiml.common import say

RECRUITER_RING_TIMEOUT = 20
WHISPER_TIMEOUT = 8
MENU_TIMEOUT = 6
VOICEMAIL_MAX_SECONDS = 120


def ring_recruiter(
    recruiter_number: str,
    caller_id: str,
    whisper_url: str,
    action_url: str,
    greeting: str | None = None,
) -> VoiceResponse:
    """The caller hears ringback while the recruiter hears the whisper and decides."""
    response = VoiceResponse()
    if greeting:
        say(response, greeting)
    dial = Dial(
        caller_id=caller_id,
        answer_on_bridge=True,
        timeout=RECRUITER_RING_TIMEOUT,
        action=action_url,
        method="POST",
    )
    dial.number(recruiter_number, url=whisper_url, method="POST")
    response.append(dial)
    return response


def whisper(announcement: str, action_url: str) -> VoiceResponse:
    """Played to the recruiter only; no key means no bridge, so voicemail never takes the call."""
    response = VoiceResponse()
    gather = response.gather(
        num_digits=1, action=action_url, method="POST", timeout=WHISPER_TIMEOUT
    )
    say(gather, f"{announcement} Press 1 to accept.")
    response.hangup()
    return response


def bridge() -> VoiceResponse:
    """An empty document after a whisper: Twilio connects the two parties."""
    return VoiceResponse()


def hang_up() -> VoiceResponse:
    response = VoiceResponse()
    response.hangup()
    return response


def voicemail_prompt(intro: str, action_url: str, recording_callback_url: str) -> VoiceResponse:
    response = VoiceResponse()
    say(response, f"{intro} Please leave a message after the tone, then press pound or hang up.")
    response.record(
        action=action_url,
        method="POST",
        max_length=VOICEMAIL_MAX_SECONDS,
        timeout=5,
        finish_on_key="#",
        play_beep=True,
        recording_status_callback=recording_callback_url,
        recording_status_callback_method="POST",
        recording_status_callback_event="completed",
    )
    say(response, "I did not hear a message. Goodbye.")
    response.hangup()
    return response


def voicemail_thanks(promise: str) -> VoiceResponse:
    response = VoiceResponse()
    say(response, f"Thank you for your message. We will call you back {promise}. Goodbye.")
    response.hangup()
    return response


def offer_menu(first_name: str, action_url: str) -> VoiceResponse:
    """The decision line: answering an offer by phone must be as easy as by email."""
    response = VoiceResponse()
    gather = response.gather(num_digits=1, action=action_url, method="POST", timeout=MENU_TIMEOUT)
    say(
        gather,
        f"Hi {first_name}, thanks for calling. To give us your answer on your offer, press 2. "
        "To speak with your recruiter, press 1.",
    )
    response.redirect(action_url, method="POST")
    return response


def unknown_caller_menu(company: str, action_url: str) -> VoiceResponse:
    response = VoiceResponse()
    gather = response.gather(num_digits=1, action=action_url, method="POST", timeout=MENU_TIMEOUT)
    say(
        gather,
        f"Thank you for calling {company}. To speak with a recruiter, press 1. "
        "To leave a message, press 2.",
    )
    response.redirect(action_url, method="POST")
    return response


def dial_in_prompt(
    first_name: str, action_url: str, retry_url: str | None, intro: str = ""
) -> VoiceResponse:
    response = VoiceResponse()
    gather = response.gather(
        action=action_url, method="POST", timeout=MENU_TIMEOUT, finish_on_key="#"
    )
    say(
        gather,
        f"{intro} Hi {first_name}. Enter the candidate's code, then press pound. "
        "For your callbacks, press star.".strip(),
    )
    if retry_url:
        response.redirect(retry_url, method="POST")
    else:
        say(response, "Goodbye.")
        response.hangup()
    return response


@dataclass(frozen=True)
class CallbackEntry:
    caller: str
    left: str
    recording_url: str | None


def callbacks_menu(
    entries: Sequence[CallbackEntry], action_url: str, codes_url: str
) -> VoiceResponse:
    response = VoiceResponse()
    if not entries:
        say(response, "You have no callbacks waiting.")
        response.redirect(codes_url, method="POST")
        return response
    count = "one callback" if len(entries) == 1 else f"{len(entries)} callbacks"
    names = "; ".join(f"{entry.caller}, {entry.left}" for entry in entries)
    say(response, f"You have {count} waiting: {names}.")
    first = entries[0]
    if first.recording_url:
        say(response, f"Here is the message from {first.caller}.")
        response.play(first.recording_url)
    gather = response.gather(num_digits=1, action=action_url, method="POST", timeout=MENU_TIMEOUT)
    say(
        gather,
        f"To call {first.caller} back now, press 1. To enter a candidate code instead, press 2.",
    )
    response.redirect(codes_url, method="POST")
    return response


def say_then(text: str, then_url: str) -> VoiceResponse:
    response = VoiceResponse()
    say(response, text)
    response.redirect(then_url, method="POST")
    return response
