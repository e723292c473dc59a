"""What the recruiter hears on a one-click call: screening, connecting, the outcome menu."""

from __future__ import annotations

from collections.abc import Sequence

from twilio.twiml.voice_response import Dial, VoiceResponse

from twiml.common import ask, goodbye, say

SCREEN_TIMEOUT = 8
OUTCOME_TIMEOUT = 10
CANDIDATE_RING_TIMEOUT = 25
# Answering machine detection on the candidate's <Number>: "Enable" returns AnsweredBy as soon
# as Twilio knows who answered, and with synchronous detection the <Number url> request (run
# on the candidate's leg before the bridge) carries it. Attributes: machineDetection, url,
# method (https://www.twilio.com/docs/voice/twiml/number); AnsweredBy values and the modes:
# https://www.twilio.com/docs/voice/answering-machine-detection.
MACHINE_DETECTION = "Enable"

DIAL_ENDINGS = {
    "completed": "The call has ended.",
    "no-answer": "{name} did not answer.",
    "busy": "{name}'s line was busy.",
    "failed": "The call to {name} could not be connected.",
    "canceled": "The call was cancelled.",
}


CALLING_BACK_UNKNOWN = "Calling back the caller who left a voicemail."


def screening_prompt(
    candidate_name: str | None, action_url: str, retry_url: str | None
) -> VoiceResponse:
    """Make the recruiter press 1, so their own voicemail is never bridged to a candidate.
    No name: the call returns an unknown caller's voicemail. Without retry_url (the last
    prompt) no key at all goes on to action_url too, so that it is logged as such."""
    calling = f"Calling {candidate_name}." if candidate_name else CALLING_BACK_UNKNOWN
    return ask(
        f"{calling} Press 1 to connect, or hang up.",
        action_url,
        SCREEN_TIMEOUT,
        then=retry_url or action_url,
        num_digits=1,
    )


def no_key_pressed() -> VoiceResponse:
    """The last screening prompt went by without a key."""
    return goodbye("No key was pressed, so the call was not connected.")


def connect_candidate(
    candidate_number: str,
    caller_id: str,
    action_url: str,
    ring_timeout: int = CANDIDATE_RING_TIMEOUT,
    announce: str = "Connecting.",
    answered_url: str | None = None,
    machine_url: str | None = None,
    response: VoiceResponse | None = None,
) -> VoiceResponse:
    """Dial the candidate from the company number; the recruiter's own number never shows.
    With answered_url, the candidate's leg reports the moment it answers there; with
    machine_url, answering machine detection runs on it and machine_url is told who answered
    (human or machine) before the two are bridged."""
    if response is None:
        response = VoiceResponse()
    if announce:
        say(response, announce)
    dial = Dial(
        caller_id=caller_id,
        answer_on_bridge=True,
        timeout=ring_timeout,
        action=action_url,
        method="POST",
    )
    number: dict[str, str] = {}
    if answered_url:
        number.update(
            status_callback=answered_url,
            status_callback_event="answered",
            status_callback_method="POST",
        )
    if machine_url:
        number.update(machine_detection=MACHINE_DETECTION, url=machine_url, method="POST")
    dial.number(candidate_number, **number)
    response.append(dial)
    return response


def voicemail_reached(
    candidate_first_name: str | None,
    candidate_number: str,
    caller_id: str,
    action_url: str,
    machine_url: str,
) -> VoiceResponse:
    """A machine answered the candidate's phone: tell the recruiter, then ring the voicemail
    again so they may leave a personal message after its tone (or hang up)."""
    response = VoiceResponse()
    name = candidate_first_name or "the caller"
    say(
        response,
        f"You reached {name}'s voicemail. "
        "Speak after the tone to leave a personal message, or hang up.",
    )
    return connect_candidate(
        candidate_number,
        caller_id=caller_id,
        action_url=action_url,
        announce="",
        machine_url=machine_url,
        response=response,
    )


def end_candidate_leg() -> VoiceResponse:
    """Run on the candidate's leg before the bridge: hang it up, the two are never bridged."""
    response = VoiceResponse()
    response.hangup()
    return response


def outcome_menu(
    items: Sequence[tuple[str, str]],
    action_url: str,
    retry_url: str,
    intro: str = "",
) -> VoiceResponse:
    """Read the outcome codes, (digit, label) pairs; no key at all falls through to retry_url."""
    choices = " ".join(f"For {label}, press {digit}." for digit, label in items)
    text = f"{intro} Please key in the outcome of this call. {choices}".strip()
    return ask(text, action_url, OUTCOME_TIMEOUT, then=retry_url, num_digits=1)


def dial_ending(dial_status: str, candidate_first_name: str | None) -> str:
    """The outcome menu's intro after the candidate's leg; no name: an unknown caller's."""
    text = DIAL_ENDINGS.get(dial_status, DIAL_ENDINGS["completed"]).format(
        name=candidate_first_name or "the caller"
    )
    return text[:1].upper() + text[1:]


def call_ended(candidate_name: str | None) -> str:
    """The outcome menu's intro when the app rings a recruiter back after an inbound call."""
    return f"Your call with {candidate_name or 'an unknown caller'} has ended."


def outcome_retry(heard_nothing: bool) -> str:
    """The outcome menu's intro when it is asked again."""
    return "I did not hear a key." if heard_nothing else "That is not one of the options."


def outcome_saved(label: str) -> VoiceResponse:
    return goodbye(f"Saved: {label}. Thank you.")


def outcome_not_recorded() -> VoiceResponse:
    return goodbye("No outcome was recorded for this call. You can add it from the web page.")


def outcome_already_saved() -> VoiceResponse:
    return goodbye("The outcome of this call is already saved.")


def no_longer_callable() -> VoiceResponse:
    """The candidate was marked do-not-call between the click and the recruiter answering."""
    return goodbye("This candidate can no longer be called.")


def not_connected() -> VoiceResponse:
    return goodbye("The call was not connected.")
