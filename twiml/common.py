"""What any caller may hear: apologies and goodbyes."""

from __future__ import annotations

import re
from typing import Any

from twilio.twiml import TwiML
from twilio.twiml.voice_response import VoiceResponse

VOICE = {"voice": "Polly.Joanna", "language": "en-US"}
# What XML 1.0 does not allow anywhere in a document (https://www.w3.org/TR/xml/#charsets):
# C0 controls other than tab, LF and CR (a vertical tab, NUL...), lone surrogates, U+FFFE/FFFF.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """`text` without the characters XML forbids: a name typed with a vertical tab is still
    said, and the TwiML stays a document Twilio can read."""
    return XML_ILLEGAL.sub("", text)


def say(response: TwiML, text: str) -> None:
    """`text` in the one voice every caller hears, into a response or a verb (a Gather)."""
    response.say(xml_safe(text), **VOICE)


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


def ask(
    text: str,
    action_url: str,
    timeout: int,
    *,
    then: str | None,
    give_up: str = "",
    response: VoiceResponse | None = None,
    **gather: Any,
) -> VoiceResponse:
    """A <Gather> that says `text` and posts the keys pressed to action_url. With no key at
    all Twilio goes on to `then`; without one the caller hears `give_up` and is hung up on."""
    if response is None:
        response = VoiceResponse()
    say(response.gather(action=action_url, method="POST", timeout=timeout, **gather), text)
    if then:
        response.redirect(then, method="POST")
        return response
    if give_up:
        say(response, give_up)
    response.hangup()
    return response
