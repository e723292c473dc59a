"""Rate limits on signing in (Flask-Limiter): per account (the email typed) and per address.

Counters live in memory (one process) unless REDIS_URL (or RATELIMIT_STORAGE_URI) is set;
then every worker shares them in Redis. Only failed attempts count, and an attempt over the
limit is refused (429) before its password is even checked, so the right password does not
get through after a run of wrong ones.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from ivr.config import Settings

# A person who mistypes gets several tries; a guesser gets a handful per quarter hour.
LOGIN_LIMIT_PER_ACCOUNT = "10 per 15 minutes"
# An office behind one address has several people signing in; still far below a guesser's pace.
LOGIN_LIMIT_PER_ADDRESS = "50 per 15 minutes"
LIMITED_MESSAGE = "too many sign-in attempts; wait a few minutes before trying again"

limiter = Limiter(
    key_func=get_remote_address,
    default_limits=[],
    headers_enabled=True,  # Retry-After tells the client when to come back
    strategy="fixed-window",
)


def init_app(app: Flask, settings: Settings) -> None:
    app.config["RATELIMIT_STORAGE_URI"] = settings.rate_limit_storage_uri
    limiter.init_app(app)


def account_key() -> str:
    """The account an attempt is for: the email as the login form normalises it."""
    return "account:" + request.form.get("email", "").strip().lower()[:254]


def address_key() -> str:
    return "address:" + (get_remote_address() or "")


def failed_attempt(response: Response) -> bool:
    """A signed-in attempt redirects; anything else (the form again, a 400) is a failure."""
    return response.status_code != 302


login_limits = (
    limiter.limit(
        LOGIN_LIMIT_PER_ACCOUNT,
        key_func=account_key,
        methods=["POST"],
        deduct_when=failed_attempt,
        error_message=LIMITED_MESSAGE,
        scope="login-account",
    ),
    limiter.limit(
        LOGIN_LIMIT_PER_ADDRESS,
        key_func=address_key,
        methods=["POST"],
        deduct_when=failed_attempt,
        error_message=LIMITED_MESSAGE,
        scope="login-address",
    ),
)
