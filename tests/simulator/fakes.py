"""A tiny TwiML app for simulator tests: answers each path as told, records every request."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, Response, request
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse

ACCOUNT_SID = "AC" + "5" * 32
AUTH_TOKEN = "simulator-test-token"
COMPANY = "+15005550006"
CALLER = "+14155550101"
RECRUITER = "+14155550102"

Reply = str | VoiceResponse | tuple[str, int] | Callable[[dict[str, str]], "Reply"]


@dataclass(frozen=True)
class Received:
    path: str
    url: str
    form: dict[str, str]
    signature_valid: bool


class FakeApp:
    """Answers each path with the TwiML a test set up, and keeps every request it got."""

    def __init__(self) -> None:
        self.flask = Flask("fake_twiml_app")
        self.base_url = ""
        self.replies: dict[str, Reply] = {}
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._validator = RequestValidator(AUTH_TOKEN)
        self.flask.add_url_rule(
            "/<path:path>", "any", self._handle, methods=["GET", "POST"], strict_slashes=False
        )

    def url(self, path: str) -> str:
        return self.base_url + path

    def on(self, path: str, reply: Reply) -> None:
        self.replies[path] = reply

    def to(self, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.path == path]

    def _handle(self, path: str) -> Response:
        form = request.form.to_dict() if request.method == "POST" else {}
        signature = request.headers.get("X-Twilio-Signature", "")
        valid = self._validator.validate(request.url, form, signature)
        with self._lock:
            self.received.append(Received("/" + path, request.url, form, valid))
        reply = self.replies.get("/" + path, VoiceResponse())
        while callable(reply):
            reply = reply(form)
        body, status = reply if isinstance(reply, tuple) else (str(reply), 200)
        return Response(body, status=status, mimetype="text/xml")
