"""Error answers by audience: callers hear an apology, API clients read JSON, people see a page."""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from ivr.twiml_response import twiml_response
from twiml.common import apology

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


def _wants_twiml() -> bool:
    return request.path.startswith("/voice/")


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _http_error(exc: HTTPException) -> Response | HTTPException | tuple[object, int]:
    code = exc.code or 500
    if _wants_twiml() and code not in (403, 405):
        # Twilio reads any non-2xx as "application error"; a caller should hear us instead.
        log.warning("voice webhook %s answered %s: %s", request.path, code, exc.description)
        return twiml_response(apology())
    if _wants_json():
        return {"error": exc.description or exc.name}, code
    return exc


def _unexpected_error(exc: Exception) -> Response | tuple[object, int]:
    log.error("unhandled error on %s %s", request.method, request.path, exc_info=exc)
    if _wants_twiml():
        return twiml_response(apology())
    if _wants_json():
        return {"error": "internal error; it has been logged"}, 500
    return Response("Something went wrong on our side; it has been logged.", 500)
