"""The simulated phone network: call legs, a TwiML interpreter and signed webhooks."""

from __future__ import annotations

import logging
import math
import random
import re
import secrets
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Protocol
from urllib.parse import urlencode, urljoin, urlsplit

import requests
from twilio.request_validator import RequestValidator
from werkzeug import Request

log = logging.getLogger(__name__)

API_VERSION = "2010-04-01"
TERMINAL_STATES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
CALL_PROGRESS_EVENTS = ("initiated", "ringing", "answered", "completed")
APPLICATION_ERROR = "We are sorry, an application error has occurred. Goodbye."
KNOWN_VERBS = frozenset(
    {"Say", "Play", "Pause", "Gather", "Dial", "Record", "Redirect", "Hangup", "Reject"}
)
E164 = re.compile(r"^\+[1-9]\d{7,14}$")
WEBHOOK_TIMEOUT = 15.0
# Bare digits a caller may key; anything else sent to press() is refused.
DTMF = frozenset("0123456789*#")
# Every webhook carries this header; a retried delivery carries the same value. Twilio: "a
# unique string, that you can use to distinguish retry attempts"
# (https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides).
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
# What an inbound call's voice request says about its caller ID unless told otherwise
# (https://www.twilio.com/docs/voice/trusted-calling-with-shakenstir).
DEFAULT_STIR_VERSTAT = "TN-Validation-Passed-A"
# Answering machine detection: the AnsweredBy a machine gets in each mode, and a human's
# (https://www.twilio.com/docs/voice/answering-machine-detection).
MACHINE_ANSWERS = {"Enable": "machine_start", "DetectMessageEnd": "machine_end_beep"}
# Chaos: how late a reordered callback may be, and how long the REST answer is held by
# default (past ivr.telephony's 10-second client timeout).
REORDER_MAX_DELAY = 0.3
DEFAULT_REST_DELAY = 11.0


class SimulatorError(Exception):
    """A controller request the simulated network cannot honour (or a wait that timed out)."""


class ContractCheck(Protocol):
    """Checks a REST request the simulator received against Twilio's published API
    description (tests/contracts/twilio.py); each problem found becomes a simulator error."""

    def violations(self, request: Request) -> list[str]: ...


class SimClock:
    """Simulated wall time: the real time moving on (monotonic) since `start`, plus every
    advance(). Talk time is real and no timestamp is before the app's own clock; a test that
    needs minutes to pass advances it, and durations are reported in whole seconds (rounded
    down, as Twilio reports them), so a test's advance(95) still reads 95."""

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start or datetime.now(UTC)
        self._origin = time.monotonic()
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._start + timedelta(seconds=time.monotonic() - self._origin) + self._offset

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._offset += timedelta(seconds=seconds)
        return self.now()


@dataclass(frozen=True)
class Chaos:
    """How the simulated network misbehaves, as the real one does now and then.

    duplicate_rate: a callback (status, recording, AMD) is delivered twice with the same
        idempotency token, concurrently or right after the first.
    reorder: callbacks are delivered from their own threads after a small random delay, so
        they may arrive out of order (SequenceNumber stays truthful).
    drop_rate: a callback is never delivered. TwiML requests (voice, action, whisper) are
        never dropped: that would end the call, and Twilio's fallback URL covers them.
    rest_delay_seconds: POST Calls.json creates and starts the call, then answers only after
        this long; past the client's timeout the client gives up while the call rings.
    seed: every decision is drawn from it, keyed by what is delivered, so a run repeats.
    """

    duplicate_rate: float = 0.0
    reorder: bool = False
    drop_rate: float = 0.0
    rest_delay_seconds: float = 0.0
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("duplicate_rate", "drop_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {getattr(self, name)!r}")
        if not 0.0 <= self.rest_delay_seconds <= 60.0:
            raise ValueError(f"rest_delay_seconds must be 0 to 60, not {self.rest_delay_seconds}")

    @property
    def active(self) -> bool:
        return bool(
            self.duplicate_rate or self.reorder or self.drop_rate or self.rest_delay_seconds
        )

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, object], base: Chaos | None = None) -> Chaos:
        """Chaos settings from JSON-like values (unknown keys refused), over `base`."""
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown chaos settings: {sorted(unknown)}; known: {sorted(known)}")
        changes: dict[str, object] = {}
        try:
            for name, value in values.items():
                if name == "reorder":
                    changes[name] = _truthy(value)
                elif name == "seed":
                    changes[name] = None if value in (None, "") else int(value)
                else:
                    changes[name] = float(value or 0)
        except (TypeError, ValueError):
            raise ValueError(f"chaos settings must be numbers: {dict(values)!r}") from None
        return replace(base or cls(), **changes)

    @classmethod
    def parse(cls, text: str) -> Chaos:
        """'duplicate=0.5,reorder,drop=0.2,delay=11,seed=7' (a bare name takes its default:
        duplicate 0.5, drop 0.25, delay 11 s), as `--chaos` and SIM_CHAOS spell it."""
        aliases = {
            "duplicate": "duplicate_rate",
            "drop": "drop_rate",
            "delay": "rest_delay_seconds",
            "rest_delay": "rest_delay_seconds",
            "rest-delay": "rest_delay_seconds",
        }
        bare = {
            "duplicate_rate": 0.5,
            "drop_rate": 0.25,
            "rest_delay_seconds": DEFAULT_REST_DELAY,
            "reorder": True,
        }
        values: dict[str, object] = {}
        for item in filter(None, (part.strip() for part in text.split(","))):
            name, sep, value = item.partition("=")
            name = aliases.get(name.strip(), name.strip())
            if not sep and name not in bare:
                raise ValueError(f"chaos {name!r} needs a value, like {name}=1")
            values[name] = value.strip() if sep else bare[name]
        return cls.from_dict(values)


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


@dataclass(frozen=True)
class SentRequest:
    """One HTTP request the simulator made to the application, and what came back."""

    kind: str  # voice, fallback, action, redirect, whisper, status-callback, recording-callback
    call_sid: str
    method: str
    url: str
    params: dict[str, str]
    status: int | None  # None: no HTTP response at all (connection refused, timeout)
    body: str
    error: str | None = None  # why this request counts as failed, None when it did not
    token: str = ""  # its I-Twilio-Idempotency-Token: a duplicate delivery repeats it
    chaos: str | None = None  # "duplicate" (a second delivery), "dropped" (never sent)


@dataclass(frozen=True)
class LegSnapshot:
    """A consistent, immutable view of one call leg."""

    sid: str
    from_: str
    to: str
    direction: str
    state: str
    parent_sid: str | None
    waiting_for: str | None  # "answer" | "digits" | "recording" | "bridge" | None
    prompt: str | None
    ended: bool = False
    ring_timeout: int | None = None
    date_created: datetime | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    duration: int | None = None
    url: str | None = None
    answered_by: str | None = None


@dataclass(frozen=True)
class Recording:
    sid: str
    call_sid: str
    duration: int
    date_created: datetime


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def new_token() -> str:
    return str(uuid.uuid4())


def rfc2822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC))


# Control flow inside a leg's worker thread -------------------------------------------------


@dataclass(frozen=True)
class _Next:
    """Fetch this URL next; its TwiML replaces the current document."""

    url: str
    method: str
    params: Mapping[str, str]
    kind: str


@dataclass(frozen=True)
class _Doc:
    url: str
    verbs: list[ET.Element]


class _HangupSignal(Exception):
    """The leg is gone: stop interpreting."""


class _RedirectSignal(Exception):
    """Leave the current document for this URL (a REST update with Url=)."""

    def __init__(self, url: str, method: str) -> None:
        super().__init__(url)
        self.url, self.method = url, method


class _InlineSignal(_RedirectSignal):
    """A REST update with Twiml= instead of Url=: run this document next."""

    def __init__(self, doc: _Doc) -> None:
        super().__init__(doc.url, "POST")
        self.doc = doc


_HANGUP = "hangup"
_APP_ERROR = "app-error"


@dataclass
class _Leg:
    sid: str
    from_: str
    to: str
    direction: str
    status: str
    parent_sid: str | None
    created: datetime
    url: str | None = None
    method: str = "POST"
    twiml: str | None = None
    fallback_url: str | None = None
    fallback_method: str = "POST"
    status_callback: str | None = None
    status_callback_method: str = "POST"
    status_events: frozenset[str] = frozenset()
    ring_timeout: int | None = None
    sequence: int = 0
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    ended: bool = False
    waiting_for: str | None = None
    prompt: str | None = None
    inbox: deque[tuple[str, object]] = field(default_factory=deque)
    # ("hangup", final status) or ("redirect", (url, method)), set by the controller or REST.
    interrupt: tuple[str, object] | None = None
    final_status: str | None = None
    said: list[str] = field(default_factory=list)
    played: list[str] = field(default_factory=list)
    # Dial bookkeeping: the child a parent is dialling, and the bridge both legs share.
    dial_child: str | None = None
    bridged: bool = False
    bridge_started: datetime | None = None
    bridge_ended: datetime | None = None
    bridge_end_reason: str | None = None
    answer_announced: bool = False
    ended_by_rest: bool = False
    # Inbound: what the network says about the caller ID (StirVerstat on the voice request).
    stir_verstat: str | None = None
    # Answering machine detection as asked for (MachineDetection / <Number machineDetection>),
    # where its result goes, and who answered: an answering machine never presses a key.
    machine_detection: str | None = None
    async_amd: bool = False
    amd_callback: str | None = None
    amd_callback_method: str = "POST"
    machine: bool = False
    answered_by: str | None = None
    # Callbacks of this leg still on their way (chaos: reorder); the leg ends after them.
    pending: int = 0

    def snapshot(self) -> LegSnapshot:
        duration = None
        if self.ended_at is not None:
            duration = (
                int((self.ended_at - self.answered_at).total_seconds()) if self.answered_at else 0
            )
        return LegSnapshot(
            sid=self.sid,
            from_=self.from_,
            to=self.to,
            direction=self.direction,
            state=self.status,
            parent_sid=self.parent_sid,
            waiting_for=self.waiting_for,
            prompt=self.prompt,
            ended=self.ended,
            ring_timeout=self.ring_timeout,
            date_created=self.created,
            start_time=self.answered_at,
            end_time=self.ended_at,
            duration=duration,
            url=self.url,
            answered_by=self.answered_by,
        )

    def describe(self) -> str:
        parts = [
            f"{self.sid} {self.direction} {self.from_} -> {self.to} state={self.status}",
            f"waiting_for={self.waiting_for}",
        ]
        if self.parent_sid:
            parts.append(f"parent={self.parent_sid}")
        if self.ended:
            parts.append("ended")
        if self.prompt:
            parts.append(f"prompt={self.prompt!r}")
        if self.said:
            parts.append(f"last said={self.said[-1]!r}")
        return " ".join(parts)


class Simulator:
    """Twilio Programmable Voice in one process: drive it from tests or from the dev page.

    numbers maps each company number (E.164) to its voice URL and optional fallback URL.
    Every leg runs in its own daemon thread that interprets TwiML and waits, on one shared
    Condition, for the controller to answer, press keys, record or hang up.
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        numbers: Mapping[str, tuple[str, str | None]],
        *,
        base_url: str = "http://127.0.0.1:5050",
        clock: SimClock | None = None,
        webhook_timeout: float = WEBHOOK_TIMEOUT,
        action_timeout: float = 5.0,
        status_callbacks: Mapping[str, str] | None = None,
        chaos: Chaos | None = None,
        contract: ContractCheck | None = None,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.numbers = dict(numbers)
        # A number's "Call status changes" URL, as set in the Twilio console: it receives the
        # completed event of every call to that number.
        self.status_callbacks: dict[str, str] = dict(status_callbacks or {})
        self.base_url = base_url.rstrip("/")
        self.clock = clock or SimClock()
        self.webhook_timeout = webhook_timeout
        self.action_timeout = action_timeout
        # Checks every REST request received against Twilio's API description (or None).
        self.contract = contract
        self._validator = RequestValidator(auth_token)
        self._cond = threading.Condition()
        self._legs: dict[str, _Leg] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._requests: list[SentRequest] = []
        self._dropped: list[SentRequest] = []
        self._errors: list[str] = []
        self._recordings: dict[str, Recording] = {}
        self._draws: Counter[str] = Counter()
        self._stop = threading.Event()
        self._closed = False
        self.chaos = Chaos()
        self.set_chaos(chaos or Chaos())

    # Chaos ----------------------------------------------------------------------------------

    def set_chaos(self, chaos: Chaos) -> Chaos:
        """Misbehave from now on as `chaos` says; without a seed, one is chosen (and shown)."""
        if chaos.seed is None:
            chaos = replace(chaos, seed=secrets.randbelow(1_000_000))
        with self._cond:
            self.chaos = chaos
            self._draws.clear()
        if chaos.active:
            log.info("simulator chaos: %s", chaos)
        return chaos

    def _draw(self, *key: object) -> random.Random:
        """A random source for one decision, from the seed and what is decided about: the same
        seed makes the same decisions however the legs' threads interleave."""
        base = "|".join(str(part) for part in (self.chaos.seed, *key))
        with self._cond:
            occurrence = self._draws[base]
            self._draws[base] += 1
        return random.Random(f"{base}|{occurrence}")

    def hold_rest_response(self) -> None:
        """Chaos: the REST API has created the call, and takes its time to say so."""
        delay = self.chaos.rest_delay_seconds
        if delay:
            self._stop.wait(delay)

    # Inspection -----------------------------------------------------------------------------

    def legs(self) -> list[LegSnapshot]:
        with self._cond:
            return [leg.snapshot() for leg in self._legs.values()]

    def leg(self, sid: str) -> LegSnapshot:
        with self._cond:
            return self._leg(sid).snapshot()

    @property
    def requests(self) -> list[SentRequest]:
        """Every request sent so far, oldest first."""
        with self._cond:
            return list(self._requests)

    def delivered(self, timeout: float = 5.0) -> list[SentRequest]:
        """Every delivery so far, oldest first, once callbacks still on their way (chaos:
        reorder) have arrived; a duplicated delivery counts once (its first copy)."""
        with self._cond:
            settled = self._cond.wait_for(
                lambda: all(leg.pending == 0 for leg in self._legs.values()), timeout=timeout
            )
            if not settled:
                raise SimulatorError(
                    f"callbacks still on their way after {timeout}s.\n{self._describe_locked()}"
                )
            return [r for r in self._requests if r.chaos != "duplicate"]

    @property
    def dropped(self) -> list[SentRequest]:
        """Callbacks chaos decided never to deliver (status None, chaos "dropped")."""
        with self._cond:
            return list(self._dropped)

    @property
    def errors(self) -> list[str]:
        """Everything that went wrong: failed webhooks (even when a fallback saved the call),
        failed callbacks and application errors. Tests assert this stays empty."""
        with self._cond:
            return list(self._errors)

    def said(self, sid: str) -> list[str]:
        """Every <Say> text the leg heard, in order (Gather prompts included)."""
        with self._cond:
            return list(self._leg(sid).said)

    def played(self, sid: str) -> list[str]:
        """Every <Play> URL the leg heard, and "beep" for each Record beep."""
        with self._cond:
            return list(self._leg(sid).played)

    def recording(self, sid: str) -> Recording | None:
        with self._cond:
            return self._recordings.get(sid)

    def delete_recording(self, sid: str) -> bool:
        """What DELETE .../Recordings/{sid}.json does; False when there is no such recording."""
        with self._cond:
            return self._recordings.pop(sid, None) is not None

    def recording_url(self, recording_sid: str) -> str:
        return (
            f"{self.base_url}/{API_VERSION}/Accounts/{self.account_sid}/Recordings/{recording_sid}"
        )

    def wait_for(
        self,
        *,
        sid: str | None = None,
        to: str | None = None,
        state: str | None = None,
        direction: str | None = None,
        waiting_for_input: str | None = None,
        parent_sid: str | None = None,
        timeout: float = 5.0,
    ) -> LegSnapshot:
        """Block until a leg matches every given criterion, and return it.

        A terminal state matches only once the leg has ended, i.e. its final status callback
        was delivered. Raises SimulatorError describing every leg when the timeout expires.
        """

        def match() -> _Leg | None:
            for leg in self._legs.values():
                if sid is not None and leg.sid != sid:
                    continue
                if to is not None and leg.to != to:
                    continue
                if direction is not None and leg.direction != direction:
                    continue
                if parent_sid is not None and leg.parent_sid != parent_sid:
                    continue
                if waiting_for_input is not None and leg.waiting_for != waiting_for_input:
                    continue
                if state is not None:
                    if leg.status != state or (state in TERMINAL_STATES and not leg.ended):
                        continue
                return leg
            return None

        with self._cond:
            found = self._cond.wait_for(match, timeout=timeout)
            if found is None:
                wanted = {
                    "sid": sid,
                    "to": to,
                    "state": state,
                    "direction": direction,
                    "waiting_for_input": waiting_for_input,
                    "parent_sid": parent_sid,
                }
                criteria = ", ".join(f"{k}={v!r}" for k, v in wanted.items() if v is not None)
                raise SimulatorError(
                    f"no leg with {criteria} after {timeout}s.\n{self._describe_locked()}"
                )
            return found.snapshot()

    def describe(self) -> str:
        with self._cond:
            return self._describe_locked()

    def _describe_locked(self) -> str:
        lines = ["legs:"] + [f"  {leg.describe()}" for leg in self._legs.values()]
        if len(lines) == 1:
            lines.append("  (none)")
        recent = self._requests[-5:]
        if recent:
            lines.append("last requests:")
            lines += [
                f"  {r.kind} {r.method} {r.url} -> {r.status} {r.error or ''}" for r in recent
            ]
        if self._errors:
            lines.append("errors:")
            lines += [f"  {e}" for e in self._errors]
        return "\n".join(lines)

    # Controller ----------------------------------------------------------------------------

    def incoming_call(
        self, from_: str, to: str, *, stir_verstat: str | None = DEFAULT_STIR_VERSTAT
    ) -> str:
        """A caller dials a company number; returns the new inbound leg's CallSid.

        stir_verstat is what the voice request's StirVerstat says about the caller ID (None:
        the parameter is absent, as for calls from outside the United States)."""
        if to not in self.numbers:
            raise SimulatorError(
                f"{to} is not one of the simulator's numbers: {list(self.numbers)}"
            )
        voice_url, fallback_url = self.numbers[to]
        now = self.clock.now()
        leg = _Leg(
            sid=new_sid("CA"),
            from_=from_,
            to=to,
            direction="inbound",
            status="ringing",
            parent_sid=None,
            created=now,
            url=voice_url,
            fallback_url=fallback_url,
            status_callback=self.status_callbacks.get(to),
            status_events=frozenset({"completed"}) if to in self.status_callbacks else frozenset(),
            stir_verstat=stir_verstat,
        )
        self._start(leg, self._run_inbound)
        return leg.sid

    def create_call(
        self,
        *,
        to: str,
        from_: str,
        url: str | None = None,
        method: str = "POST",
        twiml: str | None = None,
        fallback_url: str | None = None,
        fallback_method: str = "POST",
        status_callback: str | None = None,
        status_callback_method: str = "POST",
        status_callback_event: Iterable[str] = (),
        timeout: int | None = None,
        machine_detection: str | None = None,
        async_amd: bool = False,
        async_amd_status_callback: str | None = None,
        async_amd_status_callback_method: str = "POST",
    ) -> LegSnapshot:
        """What POST .../Calls.json does: a queued outbound-api leg that will ring `to`."""
        events = frozenset(e for event in status_callback_event for e in event.split())
        leg = _Leg(
            sid=new_sid("CA"),
            from_=from_,
            to=to,
            direction="outbound-api",
            status="queued",
            parent_sid=None,
            created=self.clock.now(),
            url=url,
            method=(method or "POST").upper(),
            twiml=twiml,
            fallback_url=fallback_url,
            fallback_method=(fallback_method or "POST").upper(),
            status_callback=status_callback,
            status_callback_method=(status_callback_method or "POST").upper(),
            status_events=events or (frozenset({"completed"}) if status_callback else events),
            ring_timeout=timeout,
            machine_detection=machine_detection,
            async_amd=async_amd,
            amd_callback=async_amd_status_callback,
            amd_callback_method=(async_amd_status_callback_method or "POST").upper(),
        )
        snapshot = leg.snapshot()
        self._start(leg, self._run_outbound)
        return snapshot

    def update_call(
        self,
        sid: str,
        *,
        status: str | None = None,
        url: str | None = None,
        method: str = "POST",
        twiml: str | None = None,
    ) -> LegSnapshot:
        """What POST .../Calls/{sid}.json does: hang up, cancel, or redirect a live leg."""
        with self._cond:
            leg = self._leg(sid)
            if status is not None:
                if status not in ("completed", "canceled"):
                    raise SimulatorError(f"Status must be completed or canceled, not {status!r}")
                if leg.ended or leg.status in TERMINAL_STATES:
                    pass  # Twilio answers with the finished call, unchanged
                elif leg.answered_at is None and (
                    leg.direction != "inbound" or status == "canceled"
                ):
                    leg.ended_by_rest = True
                    self._interrupt(leg, "hangup", "canceled")
                elif status == "completed":
                    leg.ended_by_rest = True
                    self._interrupt(leg, "hangup", "completed")
            elif url is not None or twiml is not None:
                if leg.status in TERMINAL_STATES or leg.ended:
                    raise SimulatorError(f"call {sid} is not in progress")
                if twiml is not None and self._parse(twiml)[0] is None:
                    raise SimulatorError(f"Twiml is not valid TwiML: {self._parse(twiml)[1]}")
                target = (url, (method or "POST").upper(), twiml)
                if leg.answered_at is None and leg.waiting_for == "answer":
                    leg.url, leg.method, leg.twiml = target
                else:
                    self._interrupt(leg, "redirect", target)
            return leg.snapshot()

    def answer(self, sid: str) -> None:
        """The ringing phone picks up."""
        self._deliver(sid, "answer", "answer")

    def answer_machine(self, sid: str) -> None:
        """An answering machine picks up: it plays its greeting, takes whatever is said after
        the beep and never presses a key (every Gather and Record it meets hears silence).
        With machine detection asked for, the app learns it from AnsweredBy."""
        self._deliver(sid, "answer", "machine")

    def busy(self, sid: str) -> None:
        """The ringing phone rejects the call: busy."""
        self._deliver(sid, "answer", "busy")

    def no_answer(self, sid: str) -> None:
        """The ringing phone rings out (its timeout, in simulated time)."""
        self._deliver(sid, "answer", "no-answer")

    def fail(self, sid: str) -> None:
        """The number cannot be reached: failed."""
        self._deliver(sid, "answer", "failed")

    def press(self, sid: str, digits: str) -> None:
        """Key digits into the pending Gather (or * during a bridge with hangupOnStar)."""
        if not digits or set(digits) - DTMF:
            raise SimulatorError(f"press() takes keys from 0-9 * #, not {digits!r}")
        self._deliver(sid, ("digits", "bridge"), "digits", digits)

    def silence(self, sid: str) -> None:
        """Say nothing: the pending Gather or Record times out now."""
        self._deliver(sid, ("digits", "recording"), "silence")

    def record(
        self, sid: str, seconds: int, *, finish_key: str | None = None, hang_up: bool = False
    ) -> None:
        """Speak for `seconds` into the pending Record, then stop by silence, by pressing
        finish_key, or by hanging up (hang_up=True)."""
        if seconds < 1:
            raise SimulatorError("record() needs at least one second; use silence() for none")
        self._deliver(sid, "recording", "record", (int(seconds), finish_key, hang_up))

    def hangup(self, sid: str) -> None:
        """This leg's phone hangs up (the caller on an inbound leg, the callee otherwise)."""
        with self._cond:
            leg = self._leg(sid)
            if leg.ended or leg.status in TERMINAL_STATES:
                raise SimulatorError(f"{sid} has already ended ({leg.status})")
            if leg.waiting_for == "answer":
                raise SimulatorError(
                    f"{sid} is still ringing: use busy(), no_answer() or fail() instead"
                )
            self._interrupt(leg, "hangup", "completed")

    def close(self, timeout: float = 5.0) -> None:
        """Hang up every leg still alive and wait for the worker threads to finish."""
        self._stop.set()
        with self._cond:
            self._closed = True
            for leg in self._legs.values():
                if not leg.ended and (leg.interrupt is None or leg.interrupt[0] != "hangup"):
                    self._interrupt(
                        leg, "hangup", "canceled" if leg.answered_at is None else "completed"
                    )
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(timeout)

    # Controller internals ------------------------------------------------------------------

    def _leg(self, sid: str) -> _Leg:
        try:
            return self._legs[sid]
        except KeyError:
            raise SimulatorError(f"no call leg {sid}.\n{self._describe_locked()}") from None

    def _deliver(
        self,
        sid: str,
        expected: str | tuple[str, ...],
        kind: str,
        value: object = None,
    ) -> None:
        wanted = (expected,) if isinstance(expected, str) else expected
        with self._cond:
            leg = self._leg(sid)
            # The phone acts once the network asks it to: wait (briefly) for that moment.
            self._cond.wait_for(
                lambda: leg.ended or leg.waiting_for in wanted, timeout=self.action_timeout
            )
            if leg.ended or leg.waiting_for not in wanted:
                raise SimulatorError(
                    f"{sid} is not waiting for {' or '.join(wanted)} "
                    f"(waited {self.action_timeout}s).\n{self._describe_locked()}"
                )
            # Cleared at once so that a wait_for() right after this call cannot match the
            # state the leg is about to leave; the worker sets it again if it needs more.
            if leg.waiting_for != "bridge":
                leg.waiting_for, leg.prompt = None, None
            leg.inbox.append((kind, value))
            self._cond.notify_all()

    def _interrupt(self, leg: _Leg, kind: str, value: object) -> None:
        if leg.interrupt is not None and leg.interrupt[0] == "hangup":
            return
        leg.interrupt = (kind, value)
        self._cond.notify_all()

    def _start(self, leg: _Leg, target: Callable[[_Leg], None]) -> None:
        with self._cond:
            if self._closed:
                raise SimulatorError("the simulator is closed")
            self._legs[leg.sid] = leg
            thread = threading.Thread(
                target=self._leg_main, args=(leg, target), name=f"leg-{leg.sid[:10]}", daemon=True
            )
            self._threads[leg.sid] = thread
            self._cond.notify_all()
        thread.start()

    def _leg_main(self, leg: _Leg, target: Callable[[_Leg], None]) -> None:
        try:
            target(leg)
        except Exception as exc:  # the simulator itself broke: make that loud, never hang
            log.exception("simulator leg %s crashed", leg.sid)
            self._error(f"{leg.sid}: simulator crashed: {exc!r}")
        finally:
            self._finish(leg)

    # Worker: the life of each kind of leg -------------------------------------------------

    def _run_inbound(self, leg: _Leg) -> None:
        params = {"StirVerstat": leg.stir_verstat} if leg.stir_verstat else {}
        self._drive(leg, _Next(leg.url or "", "POST", params, "voice"))

    def _run_outbound(self, leg: _Leg) -> None:
        self._set_status(leg, "initiated")
        self._set_status(leg, "ringing")
        if not self._ring(leg):
            return
        params = self._machine_detected(leg, leg.amd_callback, leg.amd_callback_method)
        with self._cond:
            start = (
                _Doc(leg.url or "", self._parse(leg.twiml)[0] or [])
                if leg.twiml is not None
                else _Next(leg.url or "", leg.method, params, "voice")
            )
        self._drive(leg, start)

    def _ring(self, leg: _Leg) -> bool:
        """Wait in ringing for the controller; True when answered (status in-progress)."""
        with self._cond:
            leg.waiting_for = "answer"
            self._cond.notify_all()
            while True:
                if leg.interrupt is not None and leg.interrupt[0] == "hangup":
                    leg.waiting_for = None
                    leg.final_status = "canceled"
                    return False
                if leg.inbox:
                    kind, _ = leg.inbox.popleft()
                    break
                self._cond.wait()
        if kind not in ("answer", "machine"):
            with self._cond:
                leg.final_status = kind
            return False
        with self._cond:
            leg.machine = kind == "machine"
        self._mark_answered(leg)
        return True

    def _machine_detected(
        self, leg: _Leg, callback: str | None, callback_method: str
    ) -> dict[str, str]:
        """Answering machine detection's result, where the docs say it goes
        (https://www.twilio.com/docs/voice/answering-machine-detection and
        https://www.twilio.com/en-us/blog/async-answering-machine-detection-tutorial):
        synchronous AMD blocks until it knows and sends AnsweredBy with the next TwiML request
        (returned here, for the Url or the <Number url> request); asynchronous AMD (AsyncAmd)
        runs the TwiML at once and posts AnsweredBy to AsyncAmdStatusCallback; a <Number>'s
        amdStatusCallback is told as well. Without any callback the result is only on the
        Call resource (warning 21262)."""
        if leg.machine_detection is None:
            return {}
        if leg.machine_detection not in MACHINE_ANSWERS:
            self._error(
                f"{leg.sid}: machine detection {leg.machine_detection!r} is neither "
                f"{' nor '.join(MACHINE_ANSWERS)}"
            )
            return {}
        answered_by = MACHINE_ANSWERS[leg.machine_detection] if leg.machine else "human"
        with self._cond:
            leg.answered_by = answered_by
        if callback:
            params = {
                "AccountSid": self.account_sid,
                "CallSid": leg.sid,
                "AnsweredBy": answered_by,
                "MachineDetectionDuration": "2000",
            }
            self._callback(leg, "amd-callback", callback, callback_method, params, later=True)
        return {} if leg.async_amd else {"AnsweredBy": answered_by}

    def _run_child(self, leg: _Leg, parent: _Leg, whisper: _Next | None) -> None:
        self._set_status(leg, "initiated")
        self._set_status(leg, "ringing")
        if not self._ring(leg):
            return
        detected = self._machine_detected(leg, leg.amd_callback, leg.amd_callback_method)
        if whisper is not None and detected:
            whisper = replace(whisper, params={**whisper.params, **detected})
        ran_to_end = True
        if whisper is not None:
            ran_to_end = self._drive(leg, whisper)
        with self._cond:
            can_bridge = (
                ran_to_end
                and leg.interrupt is None
                and parent.dial_child == leg.sid
                and parent.interrupt is None
            )
            if not can_bridge:
                return
            now = self.clock.now()
            for party in (leg, parent):
                party.bridged, party.bridge_started, party.waiting_for = True, now, "bridge"
            if parent.answered_at is None:
                # answerOnBridge: the bridge answers the caller; their thread sends the callback.
                parent.answered_at, parent.status = now, "in-progress"
            self._cond.notify_all()
            while leg.interrupt is None and parent.bridge_end_reason is None:
                self._cond.wait()
            interrupt = leg.interrupt
            if parent.bridge_end_reason is None:
                parent.bridge_end_reason = (
                    "callee-hangup" if interrupt[0] == "hangup" else "callee-redirect"
                )
            self._end_bridge(leg, parent)
            if interrupt is not None and interrupt[0] == "redirect":
                leg.interrupt = None
                url, method, twiml = interrupt[1]
            else:
                return
        start = (
            _Doc(url or "", self._parse(twiml)[0] or [])
            if twiml
            else _Next(url, method, {}, "redirect")
        )
        self._drive(leg, start)

    def _end_bridge(self, child: _Leg, parent: _Leg) -> None:
        now = self.clock.now()
        for party in (child, parent):
            if party.bridged:
                party.bridged = False
                party.bridge_ended = now
                if party.waiting_for == "bridge":
                    party.waiting_for = None
        self._cond.notify_all()

    def _finish(self, leg: _Leg) -> None:
        with self._cond:
            if leg.ended:
                return
            if leg.final_status is None:
                interrupt = leg.interrupt
                leg.final_status = (
                    str(interrupt[1]) if interrupt and interrupt[0] == "hangup" else "completed"
                )
            leg.waiting_for, leg.prompt = None, None
            final = leg.final_status
        self._set_status(leg, final)
        with self._cond:
            # Ended means every callback of the leg has been delivered (or dropped).
            self._cond.wait_for(lambda: leg.pending == 0)
            leg.ended = True
            self._cond.notify_all()

    # Status -------------------------------------------------------------------------------

    def _mark_answered(self, leg: _Leg) -> None:
        """Answer the leg (if not yet) and send its "answered" callback (once), in order."""
        with self._cond:
            if leg.answered_at is None:
                leg.answered_at, leg.status = self.clock.now(), "in-progress"
            if leg.answer_announced:
                return
            leg.answer_announced = True
        self._set_status(leg, "in-progress")

    def _set_status(self, leg: _Leg, status: str) -> None:
        with self._cond:
            leg.status = status
            now = self.clock.now()
            if status in TERMINAL_STATES:
                leg.ended_at = now
            self._cond.notify_all()
            event = {"initiated": "initiated", "ringing": "ringing", "in-progress": "answered"}.get(
                status, "completed" if status in TERMINAL_STATES else None
            )
            if not leg.status_callback or event not in leg.status_events:
                return
            params = self._call_params(leg)
            params.update(
                CallbackSource="call-progress-events",
                SequenceNumber=str(leg.sequence),
                Timestamp=rfc2822(now),
            )
            leg.sequence += 1
            if status in TERMINAL_STATES:
                seconds = leg.snapshot().duration or 0
                params.update(CallDuration=str(seconds), Duration=str(math.ceil(seconds / 60)))
            url, method = leg.status_callback, leg.status_callback_method
        self._callback(leg, "status-callback", url, method, params)

    def _call_params(self, leg: _Leg) -> dict[str, str]:
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "CallSid": leg.sid,
            "CallStatus": leg.status,
            "Direction": leg.direction,
            "From": leg.from_,
            "To": leg.to,
            "Caller": leg.from_,
            "Called": leg.to,
        }
        if leg.parent_sid:
            params["ParentCallSid"] = leg.parent_sid
        return params

    # HTTP ---------------------------------------------------------------------------------

    def signature(self, url: str, params: Mapping[str, str]) -> str:
        return self._validator.compute_signature(url, dict(params))

    def _callback(
        self,
        leg: _Leg,
        kind: str,
        url: str,
        method: str,
        params: Mapping[str, str],
        *,
        later: bool = False,
    ) -> None:
        """A status, recording or AMD callback, delivered as chaos allows: maybe twice with one
        idempotency token, maybe late (from its own thread, the leg ending only after it),
        maybe never. later=True: from its own thread even without chaos."""
        chaos = self.chaos
        draw = self._draw(
            kind,
            leg.direction,
            leg.from_,
            leg.to,
            urlsplit(url).path,
            *(params.get(name, "") for name in ("CallStatus", "SequenceNumber", "RecordingSid")),
        )
        drop, duplicate, together, delay = (draw.random() for _ in range(4))
        token = new_token()
        if drop < chaos.drop_rate:
            dropped = SentRequest(
                kind, leg.sid, method.upper(), url, dict(params), None, "", None, token, "dropped"
            )
            with self._cond:
                self._dropped.append(dropped)
            log.info("chaos: dropped %s %s of %s", kind, url, leg.sid)
            return
        copies = 2 if duplicate < chaos.duplicate_rate else 1
        wait = delay * REORDER_MAX_DELAY if chaos.reorder else 0.0

        def send(copy: int) -> None:
            self._send(
                leg.sid, kind, url, method, params, token=token, chaos="duplicate" if copy else None
            )

        def deliver() -> None:
            if wait:
                self._stop.wait(wait)
            if copies == 2 and together < 0.5:  # both at once, as two edges might
                twins = [threading.Thread(target=send, args=(copy,)) for copy in range(2)]
                for twin in twins:
                    twin.start()
                for twin in twins:
                    twin.join()
            else:
                for copy in range(copies):
                    send(copy)

        if not (later or chaos.reorder):
            deliver()
            return
        with self._cond:
            leg.pending += 1

        def deliver_later() -> None:
            try:
                deliver()
            finally:
                with self._cond:
                    leg.pending -= 1
                    self._cond.notify_all()

        threading.Thread(target=deliver_later, name=f"cb-{leg.sid[:10]}", daemon=True).start()

    def _send(
        self,
        call_sid: str,
        kind: str,
        url: str,
        method: str,
        params: Mapping[str, str],
        *,
        token: str | None = None,
        chaos: str | None = None,
    ) -> SentRequest:
        """One signed webhook request, logged; never raises."""
        method = (method or "POST").upper()
        params = dict(params)
        token = token or new_token()
        if method == "GET":
            target = url + ("&" if urlsplit(url).query else "?") + urlencode(params)
            signature, body = self.signature(target, {}), None
        else:
            target, signature, body = url, self.signature(url, params), params
        headers = {
            "X-Twilio-Signature": signature,
            IDEMPOTENCY_HEADER: token,
            "User-Agent": "TwilioProxy/1.1 (simulator)",
        }
        status: int | None = None
        text, error = "", None
        try:
            response = requests.request(
                method, target, data=body, headers=headers, timeout=self.webhook_timeout
            )
            status, text = response.status_code, response.text
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except requests.RequestException as exc:
            error = f"no response: {type(exc).__name__}"
        sent = SentRequest(kind, call_sid, method, url, params, status, text, error, token, chaos)
        with self._cond:
            self._requests.append(sent)
            if error and kind.endswith("callback"):
                self._errors.append(f"{call_sid}: {kind} {method} {url} failed: {error}")
            self._cond.notify_all()
        return sent

    def report(self, message: str) -> None:
        """Record a problem found outside the legs (a REST request breaking the contract)."""
        self._error(message)

    def _error(self, message: str) -> None:
        log.warning("simulator: %s", message)
        with self._cond:
            self._errors.append(message)
            self._cond.notify_all()

    @staticmethod
    def _parse(body: str | None) -> tuple[list[ET.Element] | None, str | None]:
        """The verbs of a TwiML document, or (None, why it is not valid TwiML)."""
        try:
            root = ET.fromstring((body or "").strip())
        except ET.ParseError as exc:
            return None, f"12100 document parse failure: {exc}"
        if root.tag != "Response":
            return None, f"12100 root element is <{root.tag}>, not <Response>"
        unknown = [child.tag for child in root if child.tag not in KNOWN_VERBS]
        if unknown:
            return None, f"12200 verbs the simulator does not support: {unknown}"
        for dial in root.iter("Dial"):
            nouns = [noun.tag for noun in dial]
            if nouns and nouns != ["Number"]:
                return None, f"12200 the simulator dials exactly one <Number>, not {nouns}"
        return list(root), None

    def _fetch(self, leg: _Leg, target: _Next) -> _Doc | None:
        """Request TwiML, falling back to the leg's fallback URL; None: application error."""
        params = self._call_params(leg) | dict(target.params)
        sent = self._send(leg.sid, target.kind, target.url, target.method, params)
        verbs, problem = (None, sent.error) if sent.error else self._parse(sent.body)
        if verbs is not None:
            return _Doc(target.url, verbs)
        if sent.error:
            code = "11205" if sent.status is None else "11200"
        else:
            code = (problem or "12100").split()[0]
        self._error(f"{leg.sid}: {target.kind} {target.method} {target.url} failed: {problem}")
        if leg.fallback_url:
            params = params | {"ErrorCode": code, "ErrorUrl": target.url}
            sent = self._send(leg.sid, "fallback", leg.fallback_url, leg.fallback_method, params)
            verbs, problem = (None, sent.error) if sent.error else self._parse(sent.body)
            if verbs is not None:
                return _Doc(leg.fallback_url, verbs)
            self._error(f"{leg.sid}: fallback {leg.fallback_url} failed too: {problem}")
        return None

    # The interpreter ----------------------------------------------------------------------

    def _drive(self, leg: _Leg, start: _Next | _Doc) -> bool:
        """Run TwiML until the leg hangs up; True when it simply ran out of verbs."""
        target: _Next | _Doc | str | None = start
        while True:
            try:
                self._check_interrupt(leg)
                if isinstance(target, _Next):
                    target = self._fetch(leg, target) or _APP_ERROR
                    self._check_interrupt(leg)
                if target == _APP_ERROR:
                    self._error(f"{leg.sid}: application error, the caller heard the apology")
                    with self._cond:
                        leg.said.append(APPLICATION_ERROR)
                    return False
                if target is None:
                    return True
                if target == _HANGUP:
                    return False
                assert isinstance(target, _Doc)
                target = self._execute(leg, target)
            except _InlineSignal as inline:
                target = inline.doc
            except _RedirectSignal as redirect:
                target = _Next(redirect.url, redirect.method, {}, "redirect")
            except _HangupSignal:
                return False

    def _check_interrupt(self, leg: _Leg) -> None:
        with self._cond:
            self._raise_interrupt(leg)

    def _raise_interrupt(self, leg: _Leg) -> None:
        interrupt = leg.interrupt
        if interrupt is None:
            return
        if interrupt[0] == "hangup":
            raise _HangupSignal()
        leg.interrupt = None
        leg.waiting_for, leg.prompt = None, None
        leg.inbox.clear()
        url, method, twiml = interrupt[1]
        if twiml is not None:
            raise _InlineSignal(_Doc(url or "", self._parse(twiml)[0] or []))
        raise _RedirectSignal(url, method)

    def _execute(self, leg: _Leg, doc: _Doc) -> _Next | _Doc | str | None:
        for verb in doc.verbs:
            self._check_interrupt(leg)
            handler = getattr(self, f"_verb_{verb.tag.lower()}")
            result = handler(leg, verb, doc)
            if result is not None:
                return result
        return None

    def _ensure_answered(self, leg: _Leg) -> None:
        if not leg.answer_announced:
            self._mark_answered(leg)

    @staticmethod
    def _text(element: ET.Element) -> str:
        return " ".join((element.text or "").split())

    def _verb_say(self, leg: _Leg, verb: ET.Element, doc: _Doc) -> None:
        self._ensure_answered(leg)
        with self._cond:
            leg.said.append(self._text(verb))
            self._cond.notify_all()

    def _verb_play(self, leg: _Leg, verb: ET.Element, doc: _Doc) -> None:
        self._ensure_answered(leg)
        with self._cond:
            leg.played.append(urljoin(doc.url, self._text(verb)))
            self._cond.notify_all()

    def _verb_pause(self, leg: _Leg, verb: ET.Element, doc: _Doc) -> None:
        self._ensure_answered(leg)

    def _verb_hangup(self, leg: _Leg, verb: ET.Element, doc: _Doc) -> str:
        return _HANGUP

    def _verb_reject(self, leg: _Leg, verb: ET.Element, doc: _Doc) -> str:
        with self._cond:
            if leg.answered_at is None:
                leg.final_status = "busy"
        return _HANGUP

    def _verb_redirect(self, leg: _Leg, verb: ET.Element, doc: _Doc) -> _Next:
        url = urljoin(doc.url, self._text(verb))
        return _Next(url, verb.get("method", "POST").upper(), {}, "redirect")

    def _await(self, leg: _Leg, waiting_for: str, prompt: str | None) -> tuple[str, object]:
        """Publish what the leg waits for, then block until the controller delivers input."""
        with self._cond:
            self._raise_interrupt(leg)
            leg.inbox.clear()  # input given before this question cannot answer it
            if leg.machine and waiting_for in ("digits", "recording"):
                return ("silence", None)  # a machine listens; it never keys or speaks
            leg.waiting_for, leg.prompt = waiting_for, prompt
            self._cond.notify_all()
            while not leg.inbox:
                if leg.interrupt is not None:
                    leg.waiting_for, leg.prompt = None, None
                    self._raise_interrupt(leg)
                self._cond.wait()
            leg.waiting_for, leg.prompt = None, None
            return leg.inbox.popleft()

    def _verb_gather(self, leg: _Leg, verb: ET.Element, doc: _Doc) -> _Next | None:
        self._ensure_answered(leg)
        num_digits = int(verb.get("numDigits", "0") or 0)
        finish_on_key = verb.get("finishOnKey", "#")
        action = urljoin(doc.url, verb.get("action", "")) if verb.get("action") else doc.url
        method = verb.get("method", "POST").upper()
        prompt: list[str] = []
        with self._cond:
            for nested in verb:
                if nested.tag == "Say":
                    prompt.append(self._text(nested))
                    leg.said.append(self._text(nested))
                elif nested.tag == "Play":
                    leg.played.append(urljoin(doc.url, self._text(nested)))
        digits, finished_on = "", ""
        while True:
            kind, value = self._await(leg, "digits", " ".join(prompt) or None)
            if kind == "silence":
                break
            done = False
            for key in str(value):
                if key in finish_on_key:
                    finished_on, done = key, True
                    break
                digits += key
                if num_digits and len(digits) >= num_digits:
                    done = True
                    break
            if done:
                break
        with self._cond:
            leg.inbox.clear()
        if not digits and verb.get("actionOnEmptyResult", "false").lower() != "true":
            return None
        params = {"Digits": digits, "msg": "Gather End"}
        if finished_on:
            params["FinishedOnKey"] = finished_on
        return _Next(action, method, params, "action")

    def _verb_record(self, leg: _Leg, verb: ET.Element, doc: _Doc) -> _Doc | str | None:
        self._ensure_answered(leg)
        action = urljoin(doc.url, verb.get("action", "")) if verb.get("action") else doc.url
        method = verb.get("method", "POST").upper()
        max_length = int(verb.get("maxLength", "3600") or 3600) or 3600
        finish_on_key = verb.get("finishOnKey", "1234567890*#")
        if verb.get("playBeep", "true").lower() != "false":
            with self._cond:
                leg.played.append("beep")
        kind, value = self._await(leg, "recording", None)
        if kind == "silence":
            return None  # no audio: Twilio skips the action and goes on with the next verb
        seconds, key, hang_up = value
        if key is not None and key not in finish_on_key:
            self._error(f"{leg.sid}: record() finish_key {key!r} is not in finishOnKey")
        duration = min(int(seconds), max_length)
        self.clock.advance(duration)
        recording = Recording(new_sid("RE"), leg.sid, duration, self.clock.now())
        with self._cond:
            self._recordings[recording.sid] = recording
            if hang_up:
                self._interrupt(leg, "hangup", "completed")
        url = self.recording_url(recording.sid)
        params = {
            "RecordingUrl": url,
            "RecordingSid": recording.sid,
            "RecordingDuration": str(duration),
        }
        if hang_up:
            params.update(Digits="hangup", CallStatus="completed")
        elif key is not None:
            params["Digits"] = key
        if hang_up:
            # The caller is gone: Twilio still reports the recording, and ignores the TwiML.
            self._send(leg.sid, "action", action, method, self._call_params(leg) | params)
            self._recording_callback(leg, verb, doc, recording)
            return _HANGUP
        next_doc = self._fetch(leg, _Next(action, method, params, "action"))
        self._recording_callback(leg, verb, doc, recording)
        return next_doc or _APP_ERROR

    def _recording_callback(
        self, leg: _Leg, verb: ET.Element, doc: _Doc, recording: Recording
    ) -> None:
        callback = verb.get("recordingStatusCallback")
        events = verb.get("recordingStatusCallbackEvent", "completed").replace(",", " ").split()
        if not callback or "completed" not in events:
            return
        params = {
            "AccountSid": self.account_sid,
            "CallSid": leg.sid,
            "RecordingSid": recording.sid,
            "RecordingUrl": self.recording_url(recording.sid),
            "RecordingStatus": "completed",
            "RecordingDuration": str(recording.duration),
            "RecordingChannels": "1",
            "RecordingStartTime": rfc2822(recording.date_created),
            "RecordingSource": "RecordVerb",
        }
        method = verb.get("recordingStatusCallbackMethod", "POST")
        self._callback(leg, "recording-callback", urljoin(doc.url, callback), method, params)

    def _verb_dial(self, leg: _Leg, verb: ET.Element, doc: _Doc) -> _Next | None:
        number_el = verb.find("Number")
        number = self._text(number_el) if number_el is not None else self._text(verb)
        if not E164.match(number):
            self._error(f"{leg.sid}: <Dial> to {number!r}, which is not an E.164 number")
        if verb.get("answerOnBridge", "false").lower() != "true":
            self._ensure_answered(leg)
        attrs = number_el.attrib if number_el is not None else {}
        events = frozenset(attrs.get("statusCallbackEvent", "completed").replace(",", " ").split())
        async_attrs = sorted({"asyncAmd", "asyncAmdStatusCallback"} & set(attrs))
        if async_attrs:
            # https://www.twilio.com/docs/api/errors/21263: not allowed on <Dial><Number>.
            self._error(f"{leg.sid}: 21263 <Number> does not take {async_attrs}")
        child = _Leg(
            sid=new_sid("CA"),
            from_=verb.get("callerId") or leg.from_,
            to=number,
            direction="outbound-dial",
            status="queued",
            parent_sid=leg.sid,
            created=self.clock.now(),
            status_callback=urljoin(doc.url, attrs["statusCallback"])
            if attrs.get("statusCallback")
            else None,
            status_callback_method=attrs.get("statusCallbackMethod", "POST").upper(),
            status_events=events,
            ring_timeout=int(verb.get("timeout", "30") or 30),
            machine_detection=attrs.get("machineDetection"),
            amd_callback=urljoin(doc.url, attrs["amdStatusCallback"])
            if attrs.get("amdStatusCallback")
            else None,
            amd_callback_method=attrs.get("amdStatusCallbackMethod", "POST").upper(),
        )
        whisper = (
            _Next(
                urljoin(doc.url, attrs["url"]), attrs.get("method", "POST").upper(), {}, "whisper"
            )
            if attrs.get("url")
            else None
        )
        with self._cond:
            leg.dial_child, leg.bridge_end_reason = child.sid, None
        self._start(child, lambda c: self._run_child(c, leg, whisper))
        hangup_on_star = verb.get("hangupOnStar", "false").lower() == "true"
        announced = False
        while True:
            with self._cond:
                while not (
                    leg.interrupt is not None
                    or child.ended
                    or (leg.bridged and not announced)
                    or (leg.bridged and leg.inbox)
                    or (announced and not leg.bridged)
                ):
                    self._cond.wait()
                if leg.interrupt is not None or child.ended or (announced and not leg.bridged):
                    break
                if leg.bridged and leg.inbox:
                    _kind, keys = leg.inbox.popleft()
                    if hangup_on_star and "*" in str(keys):
                        leg.bridge_end_reason = "hangup-on-star"
                        self._end_bridge(child, leg)
                    continue
                announced = True
            self._ensure_answered(leg)
        if leg.answered_at is not None:
            self._ensure_answered(leg)  # a bridge that ended at once still answered the caller
        with self._cond:
            interrupt = leg.interrupt
            if interrupt is not None and not child.ended:
                if leg.bridged:
                    leg.bridge_end_reason = (
                        "caller-hangup" if interrupt[0] == "hangup" else "caller-redirect"
                    )
                    self._end_bridge(child, leg)
                self._interrupt(
                    child, "hangup", "canceled" if child.answered_at is None else "completed"
                )
            # A callee redirected out of the bridge lives on; otherwise its end comes first.
            while not (child.ended or leg.bridge_end_reason == "callee-redirect"):
                self._cond.wait()
            leg.dial_child = None
            if leg.waiting_for == "bridge":
                leg.waiting_for = None
            caller_gone = interrupt is not None and interrupt[0] == "hangup"
            params = self._dial_result(child, leg, caller_hung_up=caller_gone)
        record = verb.get("record", "do-not-record")
        if record != "do-not-record" and params["DialBridged"] == "true":
            params.update(self._dial_recording(leg, verb, doc, int(params["DialCallDuration"])))
        action = urljoin(doc.url, verb.get("action", "")) if verb.get("action") else None
        method = verb.get("method", "POST").upper()
        if interrupt is not None and interrupt[0] == "hangup":
            if action:
                # Twilio still reports how the Dial ended; the TwiML it gets back is ignored.
                params["CallStatus"] = str(interrupt[1])
                self._send(leg.sid, "action", action, method, self._call_params(leg) | params)
            raise _HangupSignal()
        if interrupt is not None:
            self._check_interrupt(leg)
        if action:
            return _Next(action, method, params, "action")
        return None

    def _dial_result(
        self, child: _Leg, parent: _Leg, *, caller_hung_up: bool = False
    ) -> dict[str, str]:
        params = {"DialCallSid": child.sid, "DialBridged": "false"}
        if caller_hung_up and child.answered_at is None and not parent.ended_by_rest:
            # The caller hung up while the dialled phone rang. Twilio cancels the child leg
            # (its own status callback says canceled: "Prior to being answered, an outbound
            # call was canceled ... or an incoming call was disconnected by the calling
            # party", https://support.twilio.com/hc/en-us/articles/223132547), but the Dial
            # page defines DialCallStatus=canceled only as "canceled via the REST API before
            # it was answered" and says nothing of a caller hanging up; it does say "If you
            # specify an action URL, Twilio will always pass along the status of the <Dial>
            # attempt" (https://www.twilio.com/docs/voice/twiml/dial#action). So the action
            # is still requested, with CallStatus=completed (the caller is gone) and
            # DialCallStatus=no-answer (the dialled party never answered): an app reads
            # "no-answer with the parent completed" as the caller having hung up. When the
            # app itself ended the parent over REST, the documented canceled stands.
            params["DialCallStatus"] = "no-answer"
            return params
        if child.bridge_started is not None:
            end = child.bridge_ended or child.ended_at or self.clock.now()
            params.update(
                DialCallStatus="completed",
                DialBridged="true",
                DialCallDuration=str(int((end - child.bridge_started).total_seconds())),
            )
        elif child.answered_at is not None:
            # Answered, but the whisper hung up (or nobody accepted): as if never answered.
            params["DialCallStatus"] = "no-answer"
        else:
            params["DialCallStatus"] = child.status if child.status in TERMINAL_STATES else "failed"
        return params

    def _dial_recording(
        self, leg: _Leg, verb: ET.Element, doc: _Doc, duration: int
    ) -> dict[str, str]:
        recording = Recording(new_sid("RE"), leg.sid, duration, self.clock.now())
        with self._cond:
            self._recordings[recording.sid] = recording
        callback = verb.get("recordingStatusCallback")
        if callback:
            params = {
                "AccountSid": self.account_sid,
                "CallSid": leg.sid,
                "RecordingSid": recording.sid,
                "RecordingUrl": self.recording_url(recording.sid),
                "RecordingStatus": "completed",
                "RecordingDuration": str(duration),
                "RecordingChannels": "1",
                "RecordingSource": "DialVerb",
                "RecordingStartTime": rfc2822(recording.date_created),
            }
            method = verb.get("recordingStatusCallbackMethod", "POST")
            self._callback(leg, "recording-callback", urljoin(doc.url, callback), method, params)
        return {
            "RecordingUrl": self.recording_url(recording.sid),
            "RecordingSid": recording.sid,
            "RecordingDuration": str(duration),
        }


def twiml_problem(body: str) -> str | None:
    """Why `body` is not TwiML the simulator can run, or None when it is."""
    return Simulator._parse(body)[1]
