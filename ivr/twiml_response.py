"""TwiML as an HTTP response."""

from __future__ import annotations

from flask import Response
from twilio.twiml.voice_response import VoiceResponse

from twiml.common import xml_safe


def twiml_response(response: VoiceResponse) -> Response:
    # say() already cleans what is spoken; this catches any other value (an attribute, a
    # number) so a character XML forbids never makes the document unreadable to Twilio.
    return Response(xml_safe(str(response)), mimetype="text/xml")
