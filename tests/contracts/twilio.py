"""The contract with Twilio's REST API: every request the simulator receives, checked against
Twilio's published OpenAPI description of the 2010 API (twilio-oai/, MIT, source in its
README), with openapi-core.

A request breaks the contract when no operation of the description matches its path and
method, when a path or query parameter or a form field fails its schema (type, enum, pattern,
a required field missing), when it carries a form field or query parameter the operation does
not take (the description leaves those open; Twilio ignores them, so a misspelt
"StatusCallbackEvents" would fail silently in production), or when it has no Basic auth.

Twilio takes arrays in form bodies as repeated keys (StatusCallbackEvent=initiated&
StatusCallbackEvent=ringing): the description does not say so, so on loading, every array
property of a form body gets an `encoding` of `style: form, explode: true`, which is how
OpenAPI 3 spells repeated keys. Requests are never changed to suit the validator.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest
from werkzeug import Request

SPEC_FILE = Path(__file__).parent / "twilio-oai" / "twilio_api_v2010.json"
SPEC_SERVER = "https://api.twilio.com"
FORM = "application/x-www-form-urlencoded"
# A recording's audio is fetched by appending .wav or .mp3 to its URI; Twilio documents that
# on the Recording page (https://www.twilio.com/docs/voice/api/recording), not in the API
# description, whose FetchRecording is the .json metadata only.
RECORDING_MEDIA = re.compile(
    r"^/2010-04-01/Accounts/[^/]+/Recordings/RE[0-9a-fA-F]{32}\.(wav|mp3)$"
)
METHODS = ("get", "post", "put", "patch", "delete")


def with_repeated_form_keys(spec: dict[str, Any]) -> dict[str, Any]:
    """`spec` with `style: form, explode: true` encoding for every array in a form body."""
    for item in spec["paths"].values():
        for method in METHODS:
            content = item.get(method, {}).get("requestBody", {}).get("content", {})
            media = content.get(FORM)
            if media is None:
                continue
            encoding = media.setdefault("encoding", {})
            for name, schema in media["schema"].get("properties", {}).items():
                if schema.get("type") == "array":
                    encoding.setdefault(name, {"style": "form", "explode": True})
    return spec


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile(
        "^" + "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$"
    )


class _TwilioHostRequest(WerkzeugOpenAPIRequest):
    """The request as if sent to the description's server (the simulator listens elsewhere)."""

    @property
    def host_url(self) -> str:
        return SPEC_SERVER + "/"


class TwilioContract:
    """simulator.engine.ContractCheck over Twilio's API description."""

    def __init__(self, spec: dict[str, Any] | None = None) -> None:
        self.spec = with_repeated_form_keys(spec if spec is not None else _read_spec())
        # Twilio's own description: not re-validated on every load (a second or two).
        # "phone-number" is Twilio's own format: E.164, or a client:/sip: address; read as
        # text (a query filter like To= needs a formatter to be read at all).
        config = Config(
            spec_validator_cls=None,
            extra_format_validators={"phone-number": lambda value: isinstance(value, str)},
            extra_format_unmarshallers={"phone-number": str},
        )
        self._openapi = OpenAPI.from_dict(self.spec, config=config)
        literal_first = sorted(self.spec["paths"], key=lambda t: (t.count("{"), t))
        self._routes = [(_pattern(t), t) for t in literal_first]

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        """(path template, operation) of the description matching this request, or None."""
        for pattern, template in self._routes:
            if pattern.match(path):
                operation = self.spec["paths"][template].get(method.lower())
                if operation is not None:
                    return template, operation
        return None

    def violations(self, request: Request) -> list[str]:
        if request.method == "GET" and RECORDING_MEDIA.match(request.path):
            return []
        found = self.operation(request.method, request.path)
        if found is None:
            return ["no operation in Twilio's API description has this method and path"]
        template, operation = found
        name = operation.get("operationId", template)
        problems = [
            f"{name}: {_describe(error)}"
            for error in self._openapi.unmarshal_request(_TwilioHostRequest(request)).errors
        ]
        problems += [f"{name}: {problem}" for problem in self._unknown(request, operation)]
        return problems

    def _unknown(self, request: Request, operation: dict[str, Any]) -> list[str]:
        problems = []
        query = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
        for key in sorted(set(request.args) - query):
            problems.append(f"query parameter {key!r} is not one the operation takes")
        content = operation.get("requestBody", {}).get("content", {})
        if request.mimetype == FORM and FORM in content:
            fields = set(content[FORM]["schema"].get("properties", {}))
            for key in sorted(set(request.form) - fields):
                problems.append(f"form field {key!r} is not one the operation takes")
        return problems


def _describe(error: BaseException) -> str:
    """The most telling words in an openapi-core error and its causes."""
    chain = []
    current: BaseException | None = error
    while current is not None and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for link in chain:
        schema_errors = getattr(link, "schema_errors", None)
        if schema_errors:
            return f"{error}".split(":", 1)[0] + ": " + "; ".join(e.message for e in schema_errors)
    return "; ".join(dict.fromkeys(str(link) for link in chain if str(link)))


@cache
def _read_spec_text() -> str:
    return SPEC_FILE.read_text(encoding="utf-8")


def _read_spec() -> dict[str, Any]:
    return json.loads(_read_spec_text())


@cache
def twilio_contract() -> TwilioContract:
    """One shared checker (loading the 1.8 MB description once per test run)."""
    return TwilioContract()
