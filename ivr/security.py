"""Who may call what: Twilio signatures on webhooks, sessions on pages, bearer tokens on the API."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, Response, abort, g, jsonify, request
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from twilio.request_validator import RequestValidator

from ivr.config import settings
from ivr.db import get_session
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
        signature = request.headers.get("X-Twilio-Signature", "")
        params = request.form if request.method == "POST" else {}
        validator = RequestValidator(settings().twilio_auth_token)
        if not signature or not validator.validate(public_url(), params, signature):
            log.warning(
                "refused webhook with %s signature: %s %s from %s",
                "a bad" if signature else "no",
                request.method,
                request.path,
                request.remote_addr,
            )
            abort(403)
        return view(*args, **kwargs)

    csrf.exempt(wrapper)
    return cast(F, wrapper)


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
