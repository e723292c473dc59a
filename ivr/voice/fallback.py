"""Twilio's fallback URL: reached when the primary webhook failed, so it must not fail too."""

from __future__ import annotations

import logging

from flask import request
from flask.typing import ResponseReturnValue

from ivr.security import twilio_signature_required
from ivr.twiml_response import twiml_response
from ivr.voice import bp
from twiml.common import apology

log = logging.getLogger(__name__)


@bp.post("/fallback")
@twilio_signature_required
def fallback() -> ResponseReturnValue:
    # Deliberately touches no database: whatever broke the primary URL may break this too.
    log.error(
        "fallback URL used call_sid=%s error_code=%s error_url=%s",
        request.form.get("CallSid", ""),
        request.form.get("ErrorCode", ""),
        request.form.get("ErrorUrl", ""),
    )
    return twiml_response(apology())
