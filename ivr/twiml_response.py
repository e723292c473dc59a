"""TwiML as an HTTP response."""

from __future__ import annotations

from flask import Response
from twilio.twiml.voice_response import VoiceResponse


def twiml_response(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")
