"""Error answers by audience: callers hear an apology, API clients read JSON, people see a page
in the app's layout that says what happened in plain words and offers a way back."""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from ivr import spool
from ivr.twiml_response import twiml_response
from twiml.common import apology

log = logging.getLogger(__name__)

# What a person reads, by status: a heading and a sentence, no jargon.
PAGES: dict[int, tuple[str, str]] = {
    400: (
        "That request could not be used",
        "Something in it was missing or not valid, or the form had expired. "
        "Go back, reload the page and try again.",
    ),
    403: (
        "This page is not open to you",
        "Your role does not give access to it. If you think it should, ask an admin.",
    ),
    404: (
        "We could not find that page",
        "The link may be old or mistyped, or what it pointed to does not exist.",
    ),
    405: (
        "That is not something this page does",
        "The page was asked to do something it does not do. Go back and use its buttons.",
    ),
    409: (
        "That could not be done right now",
        "It clashes with the current state of things, perhaps a change made at the same moment. "
        "Reload the page and try again.",
    ),
    429: (
        "Too many attempts",
        "There have been too many tries in a short time. Wait a few minutes, then try again.",
    ),
    500: (
        "Something went wrong on our side",
        "It has been logged and nothing you did caused it. Try again in a moment.",
    ),
}
# Headers a page keeps from the original answer (what a client may act on).
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


def _wants_twiml() -> bool:
    return request.path.startswith("/voice/")


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _http_error(exc: HTTPException) -> ResponseReturnValue:
    code = exc.code or 500
    if _wants_twiml() and code not in (403, 405):
        # Twilio reads any non-2xx as "application error"; a caller should hear us instead.
        log.warning("voice webhook %s answered %s: %s", request.path, code, exc.description)
        return twiml_response(apology())
    if _wants_json():
        return {"error": exc.description or exc.name}, code
    if _wants_twiml() or code < 400:
        return exc
    page = error_page(code, exc)
    original = exc.get_response()
    for name in KEPT_HEADERS:
        if name in original.headers:
            page.headers[name] = original.headers[name]
    return page


def _unexpected_error(exc: Exception) -> ResponseReturnValue:
    if _wants_twiml():
        # The caller hears an apology now; the delivery itself is kept and replayed later.
        _keep_webhook(exc)
        return twiml_response(apology())
    log.error("unhandled error on %s %s", request.method, request.path, exc_info=exc)
    try:
        spool.spool_of(current_app).count_failure("request_failures")
    except Exception:  # noqa: BLE001
        log.exception("could not count the failure of %s", request.path)
    if _wants_json():
        return {"error": "internal error; it has been logged"}, 500
    return error_page(500)


def _keep_webhook(exc: Exception) -> None:
    """Count and log a failed webhook with its call, and spool it (a replay that fails again
    is left in the spool by the replayer, not spooled twice)."""
    sid = request.form.get("CallSid", "")
    if spool.is_replay(request):
        spool.note_replay_failure(request, exc)
        log.error("replayed webhook failed again %s call_sid=%s", request.path, sid, exc_info=exc)
        return
    try:
        kept = spool.spool_of(current_app).keep(request, exc)
    except Exception:  # noqa: BLE001  (the spool failing too must be loud, not a second crash)
        log.exception("webhook %s call_sid=%s failed and could NOT be spooled", request.path, sid)
        log.error("unhandled error on %s %s", request.method, request.path, exc_info=exc)
        return
    log.error(
        "unhandled error on %s %s call_sid=%s; spooled as %s for replay",
        request.method, request.path, sid, kept, exc_info=exc,
    )  # fmt: skip


def error_page(code: int, exc: HTTPException | None = None) -> Response:
    """The page a person sees; a bare sentence if even the page cannot be drawn (say, the
    database is down and the layout cannot load who is signed in)."""
    heading, text = PAGES.get(code) or (
        exc.name if exc is not None else "Something went wrong",
        "Go back and try again.",
    )
    try:
        body = render_template(
            "error.html",
            code=code,
            heading=heading,
            text=text,
            signed_in=bool(current_user.is_authenticated),
        )
    except Exception:  # noqa: BLE001  (the error page must never fail itself)
        log.exception("could not draw the error page for %s", code)
        return Response(f"{heading}. {text}", code, mimetype="text/plain")
    return Response(body, code, mimetype="text/html")
