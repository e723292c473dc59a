"""Who may call what: Twilio signatures on webhooks, sessions on pages, bearer tokens on the API."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, Response, abort, g, jsonify, request
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from twilio.request_validator import (
    HMAC_SHA1,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

from ivr.config import settings
from ivr.db import get_session
from ivr.spool import is_replay
from models import ApiToken, User
from models.access import IP_MAX, USER_AGENT_MAX
from models.base import MAX_ID

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

login_manager = LoginManager()
csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "web.login"
    login_manager.login_message = "Please sign in."
    csrf.init_app(app)


@login_manager.user_loader
def _load_user(login_id: str) -> User | None:
    """The user a session's login id ("<id>:<session version>") names, if it still holds:
    a session from before a sign-out or a password change names an old version."""
    user_id = login_id.partition(":")[0]
    if not (user_id.isdigit() and len(user_id) <= 10 and int(user_id) <= MAX_ID):
        return None
    user = get_session().get(User, int(user_id))
    if user is None or not user.is_active or not user.matches_login_id(login_id):
        return None
    return user


def public_url() -> str:
    """The URL Twilio requested, as Twilio saw it: behind a TLS proxy that is not request.url."""
    configured = settings().public_base_url
    if configured:
        path = request.full_path if request.query_string else request.path
        return configured + request.script_root + path
    return request.url


def request_origin() -> tuple[str, str]:
    """Where the request came from, as an access record keeps it: the client's address (as
    the trusted proxies report it) and its user agent, each cut to its column's size."""
    return (request.remote_addr or "")[:IP_MAX], (request.user_agent.string or "")[:USER_AGENT_MAX]


def twilio_signature_required(view: F) -> F:
    """Refuse (403) any webhook whose X-Twilio-Signature does not match the request."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if is_replay(request):  # checked when it first arrived (see ivr.spool)
            return view(*args, **kwargs)
        refusal = signature_refusal()
        if refusal is not None:
            log.warning("refused webhook with %s: %s %s from %s",
                        refusal, request.method, request.path, request.remote_addr)  # fmt: skip
            abort(403)
        return view(*args, **kwargs)

    csrf.exempt(wrapper)
    return cast(F, wrapper)


def signature_refusal() -> str | None:
    """Why the request is not signed by Twilio (None: it is).

    Two secrets can sign a webhook (https://www.twilio.com/docs/usage/webhooks/webhooks-security):
    the account's Auth Token (HMAC-SHA1), or a SharedKey made with Twilio's Webhooks
    configuration API, whose secret is TWILIO_WEBHOOK_SIGNING_KEY here
    (https://www.twilio.com/docs/usage/webhooks/webhook-shared-keys). A request signed with a
    SharedKey carries X-Twilio-Webhooks-Signature-Settings, "key=<SharedKey id>,algorithm=
    HMAC_SHA256", naming the algorithm of its X-Twilio-Signature over the same URL and
    parameters; twilio's RequestValidator reads that header (get_signature_algorithm) and
    computes either algorithm. A JSON body is signed as the URL alone, which then carries
    bodySHA256, the body's SHA-256 (https://www.twilio.com/docs/usage/webhooks/webhooks-security);
    the validator checks that too when given the raw body."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return "no signature"
    config = settings()
    signed_with = request.headers.get(SIGNATURE_SETTINGS_HEADER)
    if signed_with is None:
        secret, algorithm = config.twilio_auth_token, HMAC_SHA1
    elif not config.twilio_webhook_signing_key:
        return "a shared-key signature, and no TWILIO_WEBHOOK_SIGNING_KEY is set"
    else:
        secret, algorithm = config.twilio_webhook_signing_key, get_signature_algorithm(signed_with)
    params: Any
    if request.method != "POST":
        params = {}
    elif request.is_json:
        if "bodySHA256" not in request.args:
            return "a JSON body without bodySHA256"
        params = request.get_data(as_text=True)  # the validator hashes the body as sent
    else:
        params = request.form
    if not RequestValidator(secret).validate(public_url(), params, signature, algorithm):
        return f"a bad {algorithm} signature"
    return None


def api_error(status: int, reason: str, **extra: Any) -> Response:
    response = jsonify({"error": reason, **extra})
    response.status_code = status
    return response


def json_object(example: str) -> dict[str, Any]:
    """The request's JSON object, or a 400 saying what to send (an array, a string, no body or
    broken JSON are all refused the same way)."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than json can read: not a body anyone meant
        body = None
    if not isinstance(body, dict):
        abort(api_error(400, f"send a JSON object like {example}", field="body"))
    return body


def api_auth(*roles: str) -> Callable[[F], F]:
    """Bearer-token auth for the JSON API; the user lands on g.api_user."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return api_error(401, "missing bearer token: send Authorization: Bearer <token>")
            user = ApiToken.find_user(get_session(), token.strip())
            if user is None:
                return api_error(401, "invalid or revoked API token")
            if roles and user.role not in roles:
                return api_error(403, f"this endpoint is for {' or '.join(roles)} users")
            g.api_user = user
            return view(*args, **kwargs)

        csrf.exempt(wrapper)
        return cast(F, wrapper)

    return decorator


def role_required(*roles: str) -> Callable[[F], F]:
    """Session login for pages, restricted to the given roles."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorator
