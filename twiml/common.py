"""What any caller may hear: apologies and goodbyes."""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

VOICE = {"voice": "Polly.Joanna", "language": "en-US"}


def say(response: VoiceResponse | object, text: str) -> None:
    response.say(text, **VOICE)  # type: ignore[attr-defined]


def apology() -> VoiceResponse:
    response = VoiceResponse()
    say(response, "Sorry, something went wrong on our side. Please try again in a few minutes.")
    response.hangup()
    return response


def goodbye(text: str = "") -> VoiceResponse:
    """`text`, then "Goodbye." and the line is hung up."""
    response = VoiceResponse()
    say(response, f"{text} Goodbye.".strip())
    response.hangup()
    return response


def empty() -> VoiceResponse:
    """For status callbacks and the like: Twilio wants a 2xx, the caller hears nothing."""
    return VoiceResponse()
