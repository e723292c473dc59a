"""Twilio voice webhooks: read the form, decide in callflow, commit once, answer TwiML."""

from flask import Blueprint

bp = Blueprint("voice", __name__, url_prefix="/voice")

from ivr.voice import dial_in, fallback, inbound, outbound  # noqa: E402,F401  (routes register on bp)
