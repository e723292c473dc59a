"""The @webhook decorator: what every voice view would otherwise repeat, in one place."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from flask import Response, abort, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from ivr.callflow.events import webhook_payload
from ivr.config import Settings, settings
from ivr.db import get_session
from ivr.security import twilio_signature_required
from ivr.twiml_response import twiml_response
from ivr.urls import webhook_url
from ivr.voice import bp
from models import Call, WebhookDelivery, utcnow
from models.base import MAX_ID
from models.chain import lock_for_writing
from models.webhook import TOKEN_MAX
from twiml.common import empty

log = logging.getLogger(__name__)

MAX_ATTEMPT = 9  # the prompts of a retried menu: none asks more than a few times
MAX_HUNT_INDEX = 999  # far beyond any hunt list (hunt orders stop at 99)
MAX_DIGITS = 10  # MAX_ID has ten digits; a longer value is junk before int() reads it
# A duplicate delivery that raced past already_recorded() fails on one of these unique keys.
DEDUP_KEYS = ("idempotency_key", "parent_sid")
# Twilio sends every webhook with this header, and a retry of a delivery repeats its value:
# "a unique string, that you can use to distinguish retry attempts"
# (https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides). Twilio retries
# within seconds (its webhook timeout is 15 s, the connection overrides allow a few retries), so
# a day of answers is far more than a retry can need.
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
DELIVERY_RETENTION = timedelta(days=1)


@dataclass(frozen=True)
class Args:
    """The query arguments our own webhook URLs carry, each within its bounds."""

    attempt: int = 1  # which prompt of a retried menu this is
    index: int = 0  # the hunt list position just rung (i)
    recruiter_id: int | None = None  # the recruiter rung (r)
    task_id: int | None = None  # the callback offered (task)


def parse_args(args: Mapping[str, str]) -> Args:
    """Anything missing, out of bounds or not plain ASCII digits takes the default."""
    return Args(
        attempt=bounded(args.get("attempt"), 1, MAX_ATTEMPT) or 1,
        index=bounded(args.get("i"), 0, MAX_HUNT_INDEX) or 0,
        recruiter_id=bounded(args.get("r"), 1, MAX_ID),
        task_id=bounded(args.get("task"), 1, MAX_ID),
    )


def bounded(value: str | None, low: int, high: int) -> int | None:
    # str.isdigit() alone takes "²" and other digits int() refuses.
    if not value or len(value) > MAX_DIGITS or not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if low <= number <= high else None


@dataclass
class Hook:
    """What a voice view gets: the request's session, Twilio's form as a plain dict, the call
    (when the route names one), the bounded query arguments, and the settings."""

    session: Session
    form: dict[str, str]
    args: Args
    settings: Settings
    _call: Call | None = None
    _after: list[tuple[Callable[..., Any], tuple[Any, ...]]] = field(default_factory=list)

    @property
    def call(self) -> Call:
        """The call the webhook is about: found by the decorator (call=True or "sid"), or
        opened by the view itself (a new inbound call)."""
        if self._call is None:
            raise LookupError("this webhook has no call: register it with call=True or 'sid'")
        return self._call

    @call.setter
    def call(self, call: Call) -> None:
        self._call = call

    @property
    def attempt(self) -> int:
        return self.args.attempt

    @property
    def index(self) -> int:
        return self.args.index

    @property
    def recruiter_id(self) -> int | None:
        return self.args.recruiter_id

    @property
    def task_id(self) -> int | None:
        return self.args.task_id

    def url(self, endpoint: str | None = None, **values: Any) -> str:
        """The absolute URL of a voice webhook of this call (this very webhook by default)."""
        name = endpoint or request.endpoint or ""
        if "." not in name:
            name = f"{bp.name}.{name}"
        if self._call is not None:
            values.setdefault("call_id", self._call.id)
        return webhook_url(name, **values)

    def after_commit(self, work: Callable[..., Any], *args: Any) -> None:
        """Run work(*args) once the view's changes are committed (and not if they are not)."""
        self._after.append((work, args))

    def find(self, model: type[Any], ident: int | None) -> Any:
        """The row, or the webhook is answered as one for an unknown call."""
        found = self.session.get(model, ident) if ident is not None else None
        if found is None:
            log.warning("webhook %s names an unknown %s %s", request.path, model.__name__, ident)
            abort(404)
        return found


View = Callable[[Hook], VoiceResponse]


@dataclass(frozen=True)
class _CallLookup:
    by: str | None  # "id": <call_id> in the route; "sid": the form's CallSid; None: no call
    direction: str | None
    flow: str | None
    quiet: bool

    def find(
        self, session: Session, view_args: Mapping[str, Any], form: Mapping[str, str]
    ) -> Call | None:
        # Read under a row lock (after the write-order lock): a concurrent webhook for the same
        # call waits for this one's commit and then reads what it wrote, never a stale row.
        if self.by == "sid":
            sid = form.get("CallSid")
            query = select(Call).where(Call.parent_sid == sid).with_for_update()
            call = session.scalar(query) if sid else None
        else:
            call = session.get(Call, view_args["call_id"], with_for_update=True)
        if call is None or (self.direction and call.direction != self.direction):
            return None
        return None if self.flow and call.flow != self.flow else call


def webhook(
    rule: str,
    *,
    call: bool | str = False,
    direction: str | None = None,
    flow: str | None = None,
    quiet: bool = False,
) -> Callable[[View], View]:
    """Register a view as a signed POST webhook on the voice blueprint.

    call=True: hook.call is the Call named by <id:call_id>; call="sid": the one whose
    parent_sid is the form's CallSid; `direction` and `flow` narrow it further. Any other call
    is unknown: answered with an apology (a 404, see ivr.errors), or, `quiet`, with empty TwiML
    (status callbacks: nobody listens, and Twilio must not retry)."""
    by = "sid" if call == "sid" else "id" if call else None
    lookup = _CallLookup(by, direction, flow, quiet)

    def register(view: View) -> View:
        @wraps(view)
        def endpoint(**view_args: Any) -> Response:
            session = get_session()
            token = delivery_token()
            stored, token = answered(session, token)
            if stored is not None:
                return stored
            try:
                hook, answer = _decide(view, session, lookup, view_args, token)
            except IntegrityError as exc:
                session.rollback()
                # A retry of this very delivery raced it (same token): the first one's answer
                # is committed by now (the unique token made this one wait for it).
                stored, token = answered(session, token)
                if stored is not None:
                    return stored
                if not any(key in str(exc.orig) for key in DEDUP_KEYS):
                    raise
                # A duplicate delivery raced this one past already_recorded(). Run again in a
                # fresh transaction: it finds the key recorded, writes nothing, answers the same.
                log.info("duplicate delivery to %s answered again call_sid=%s",
                         request.path, request.form.get("CallSid"))  # fmt: skip
                hook, answer = _decide(view, session, lookup, view_args, token)
            for work, args in hook._after:
                work(*args)
            return twiml_response(answer)

        bp.add_url_rule(rule, view.__name__, twilio_signature_required(endpoint), methods=["POST"])
        return view

    return register


def _decide(
    view: View,
    session: Session,
    lookup: _CallLookup,
    view_args: Mapping[str, Any],
    token: str | None,
) -> tuple[Hook, VoiceResponse]:
    lock_for_writing(session)  # before any read or write: one lock order for every writer
    # The token is claimed before anything else is written: a retry racing this delivery
    # waits on the unique token and fails on it, instead of deciding a second time.
    delivery = None
    if token is not None:
        delivery = WebhookDelivery(token=token, path=request.path, status_code=200, body="")
        session.add(delivery)
        session.flush()
    hook = Hook(session, webhook_payload(request.form), parse_args(request.args), settings())
    answer = _answer(view, hook, session, lookup, view_args)
    if delivery is not None:
        delivery.body = str(answer)
    session.commit()
    return hook, answer


def _answer(
    view: View, hook: Hook, session: Session, lookup: _CallLookup, view_args: Mapping[str, Any]
) -> VoiceResponse:
    if lookup.by is not None:
        call = lookup.find(session, view_args, hook.form)
        if call is None:
            log.warning("webhook %s for an unknown call call_sid=%s",
                        request.path, hook.form.get("CallSid"))  # fmt: skip
            if lookup.quiet:
                return empty()
            abort(404)
        hook.call = call
    return view(hook)


def delivery_token() -> str | None:
    """The request's I-Twilio-Idempotency-Token, if it has one we can keep."""
    token = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if not token:
        return None
    if len(token) > TOKEN_MAX:
        log.warning("webhook %s with an over-long idempotency token ignored", request.path)
        return None
    return token


def answered(session: Session, token: str | None) -> tuple[Response | None, str | None]:
    """The stored answer to an earlier delivery with this token, if any, and the token this
    request is answered under (None: a token already used on another webhook)."""
    if token is None:
        return None, None
    stored = session.scalar(select(WebhookDelivery).where(WebhookDelivery.token == token))
    if stored is None:
        return None, token
    if stored.path != request.path:
        # Twilio's tokens are unique per delivery: one reused on another webhook is no retry
        # of it. Answer it afresh, just without the token.
        log.warning("idempotency token of %s reused on %s", stored.path, request.path)
        return None, None
    log.info("retried delivery to %s answered from its first answer call_sid=%s",
             request.path, request.form.get("CallSid"))  # fmt: skip
    response = Response(stored.body, status=stored.status_code, mimetype="text/xml")
    session.rollback()  # nothing was written; end the read transaction
    return response, token


def purge_deliveries(
    session: Session, now: datetime | None = None, keep: timedelta = DELIVERY_RETENTION
) -> int:
    """Forget the answers older than `keep` (no retry comes that late); returns how many.
    Idempotent: a periodic task or `flask --app ivr purge-webhook-deliveries` runs it."""
    cutoff = (now or utcnow()) - keep
    result = session.execute(delete(WebhookDelivery).where(WebhookDelivery.created_at < cutoff))
    session.commit()
    count = int(getattr(result, "rowcount", 0) or 0)
    log.info("purged %d webhook deliveries older than %s", count, cutoff.isoformat())
    return count
