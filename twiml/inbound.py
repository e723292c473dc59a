"""What callers to the company number hear: greetings, menus, whispers, voicemail."""

from __future__ import annotations

from twilio.twiml.voice_response import Dial, VoiceResponse

from twiml.common import ask, goodbye, say
from twiml.hours import spoken_zone

RECRUITER_RING_TIMEOUT = 20
WHISPER_TIMEOUT = 8
MENU_TIMEOUT = 6
VOICEMAIL_MAX_SECONDS = 120

# What the caller hears before a recruiter's phone rings, by the route that led there.
GREETINGS = {
    "candidate": "Hi {first_name}, thanks for calling.",
    "your-recruiter": "Connecting you to your recruiter.",
    "team": "Connecting you to our recruiting team.",
}
# What the caller hears before the tone, by why the call went to voicemail.
VOICEMAIL_INTROS = {
    "chosen": "Thank you.",
    "nobody-available": "{who} is not available right now.",
}
TEAM = "Our recruiting team"


def ring_recruiter(
    recruiter_number: str,
    caller_id: str,
    whisper_url: str,
    action_url: str,
    greeting: str | None = None,
    first_name: str = "",
) -> VoiceResponse:
    """The caller hears ringback while the recruiter hears the whisper and decides.
    `greeting` names one of GREETINGS; None (a later hunt step) says nothing."""
    response = VoiceResponse()
    if greeting:
        say(response, GREETINGS[greeting].format(first_name=first_name))
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


def whisper(candidate_name: str | None, about_offer: bool, action_url: str) -> VoiceResponse:
    """Played to the recruiter only; no key means no bridge, so voicemail never takes the call."""
    if candidate_name is None:
        announcement = "Call for the recruiting team from an unknown number."
    elif about_offer:
        announcement = f"Call from candidate {candidate_name}, with their answer on your offer."
    else:
        announcement = f"Call from candidate {candidate_name}."
    text = f"{announcement} Press 1 to accept."
    return ask(text, action_url, WHISPER_TIMEOUT, then=None, num_digits=1)


def bridge() -> VoiceResponse:
    """An empty document after a whisper: Twilio connects the two parties."""
    return VoiceResponse()


def hang_up() -> VoiceResponse:
    response = VoiceResponse()
    response.hangup()
    return response


def thanks_for_calling() -> VoiceResponse:
    """The recruiter has hung up on a bridged call; the caller is still on the line."""
    return goodbye("Thank you for calling.")


def voicemail_intro(reason: str, who: str | None = None) -> str:
    """`reason` names one of VOICEMAIL_INTROS; `who` is whose callback it becomes."""
    return VOICEMAIL_INTROS[reason].format(who=who or TEAM)


def after_hours(company: str, hours: str, zone: str, promise: str) -> str:
    """The voicemail intro when the office is closed; `zone` is a timezone key."""
    return (
        f"Thank you for calling {company}. Our office is closed now. "
        f"We are open {hours}, {spoken_zone(zone)} time. "
        f"We will call you back {promise}."
    )


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


def voicemail_thanks(promise: str | None) -> VoiceResponse:
    """`promise` says when we call back; None while the office is open."""
    return goodbye(
        f"Thank you for your message. We will call you back {promise or 'as soon as we can'}."
    )


def offer_menu(first_name: str, action_url: str) -> VoiceResponse:
    """The decision line: answering an offer by phone must be as easy as by email."""
    return _menu(
        f"Hi {first_name}, thanks for calling. To give us your answer on your offer, press 2. "
        "To speak with your recruiter, press 1.",
        action_url,
    )


def unknown_caller_menu(company: str, action_url: str) -> VoiceResponse:
    return _menu(
        f"Thank you for calling {company}. To speak with a recruiter, press 1. "
        "To leave a message, press 2.",
        action_url,
    )


def _menu(text: str, action_url: str) -> VoiceResponse:
    """One key; none at all comes back to the same action (no Digits)."""
    return ask(text, action_url, MENU_TIMEOUT, then=action_url, num_digits=1)
