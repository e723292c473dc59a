"""What the recruiter hears on a one-click call: screening, connecting, the outcome menu."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from twilio.twiml.voice_response import Dial, VoiceResponse

from twiml.common import say

SCREEN_TIMEOUT = 8
OUTCOME_TIMEOUT = 10
CANDIDATE_RING_TIMEOUT = 25

DIAL_ENDINGS = {
    "completed": "The call has ended.",
    "no-answer": "{name} did not answer.",
    "busy": "{name}'s line was busy.",
    "failed": "The call to {name} could not be connected.",
    "canceled": "The call was cancelled.",
}


@dataclass(frozen=True)
class MenuItem:
    digit: str
    label: str


def screening_prompt(candidate_name: str, action_url: str, retry_url: str | None) -> VoiceResponse:
    """Make the recruiter press 1, so their own voicemail is never bridged to a candidate."""
    response = VoiceResponse()
    gather = response.gather(num_digits=1, action=action_url, method="POST", timeout=SCREEN_TIMEOUT)
    say(gather, f"Calling {candidate_name}. Press 1 to connect, or hang up.")
    if retry_url:
        response.redirect(retry_url, method="POST")
    else:
        say(response, "No key was pressed, so the call was not connected. Goodbye.")
        response.hangup()
    return response


def connect_candidate(
    candidate_number: str,
    caller_id: str,
    action_url: str,
    ring_timeout: int = CANDIDATE_RING_TIMEOUT,
    announce: str = "Connecting.",
) -> VoiceResponse:
    """Dial the candidate from the company number; the recruiter's own number never shows."""
    response = VoiceResponse()
    say(response, announce)
    dial = Dial(
        caller_id=caller_id,
        answer_on_bridge=True,
        timeout=ring_timeout,
        action=action_url,
        method="POST",
    )
    dial.number(candidate_number)
    response.append(dial)
    return response


def outcome_menu(
    items: Sequence[MenuItem],
    action_url: str,
    retry_url: str,
    intro: str = "",
) -> VoiceResponse:
    """Read the outcome codes; no key at all falls through to retry_url."""
    response = VoiceResponse()
    gather = response.gather(
        num_digits=1, action=action_url, method="POST", timeout=OUTCOME_TIMEOUT
    )
    choices = " ".join(f"For {item.label}, press {item.digit}." for item in items)
    say(gather, f"{intro} Please key in the outcome of this call. {choices}".strip())
    response.redirect(retry_url, method="POST")
    return response


def dial_ending(dial_status: str, candidate_first_name: str) -> str:
    return DIAL_ENDINGS.get(dial_status, DIAL_ENDINGS["completed"]).format(
        name=candidate_first_name
    )


def outcome_saved(label: str) -> VoiceResponse:
    response = VoiceResponse()
    say(response, f"Saved: {label}. Thank you. Goodbye.")
    response.hangup()
    return response


def outcome_not_recorded() -> VoiceResponse:
    response = VoiceResponse()
    say(
        response,
        "No outcome was recorded for this call. You can add it from the web page. Goodbye.",
    )
    response.hangup()
    return response
