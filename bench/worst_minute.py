"""The worst minute: many one-click calls whose webhooks overlap the way real networks make
them overlap, against a running service.

Each flow is one placed call (recruiter rung, status ringing, holding its recruiter's lock).
The driver plays Twilio for it: the recruiter answers, presses 1, the candidate's leg ends,
then the recruiter keys the outcome and hangs up at once, so the outcome digit, the final
"completed" status callback and a late "in-progress" one arrive together. Every webhook is
delivered twice at the same moment with the same I-Twilio-Idempotency-Token, as Twilio's
retries do.

    python bench/worst_minute.py --url postgresql+psycopg://postgres@127.0.0.1:5432/test --flows 200

prints, for the database it ran on: webhooks sent, non-200 answers, apologies (a caller hearing
"an application error"), outcomes lost, "completed" lost, recruiters left locked, duplicate
events, and whether the chain verifies. tests/e2e/test_worst_minute.py runs the same driver
in a short form (50 flows) on every CI run and asserts every figure is zero.
"""

from __future__ import annotations

import argparse
import logging
import secrets
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from models import Call, CallEvent, CallStatus, Candidate, Direction, User  # noqa: E402
from models.chain import verify_chain  # noqa: E402
from models.outcome import OutcomeCode  # noqa: E402

ACCOUNT_SID = "AC" + "7" * 32
APOLOGY = "something went wrong on our side"  # twiml.common.apology
# Events a flow must record exactly once, however often Twilio delivers the webhook behind it.
ONCE = ("twilio.answer", "screen.accepted", "twilio.dial_result", "outcome.recorded")


@dataclass
class Flow_:
    call_id: int
    sid: str
    recruiter_id: int


@dataclass
class Figures:
    webhooks: int = 0
    answers: Counter[int] = field(default_factory=Counter)
    apologies: int = 0
    errors: list[str] = field(default_factory=list)
    logged_errors: int = 0  # records ivr.errors logged at ERROR (an unhandled exception)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, response: requests.Response | None, error: str = "") -> None:
        with self.lock:
            self.webhooks += 1
            if response is None:
                self.errors.append(error)
                return
            self.answers[response.status_code] += 1
            if APOLOGY in response.text:
                self.apologies += 1


class ErrorCounter(logging.Handler):
    """Counts the unhandled errors the app logs while the driver runs (same process)."""

    def __init__(self, figures: Figures) -> None:
        super().__init__(logging.ERROR)
        self.figures = figures

    def emit(self, record: logging.LogRecord) -> None:
        with self.figures.lock:
            self.figures.logged_errors += 1


def arrange(session: Session, flows: int, company_number: str) -> list[Flow_]:
    """One recruiter, one candidate and one ringing call per flow (as place_outbound_call
    leaves it once Twilio accepted the call)."""
    arranged = []
    stamp = secrets.token_hex(3)
    for n in range(flows):
        recruiter = User(
            email=f"load-{stamp}-{n}@example.com",
            name=f"Load Recruiter {n}",
            role="recruiter",
            phone=f"+1415555{n:04d}",
            password_hash="!",
        )
        session.add(recruiter)
        session.flush()
        candidate = Candidate(
            name=f"Load Candidate {n}",
            phone=f"+1212555{n:04d}",
            owner_id=recruiter.id,
            code=f"{900000 + n}",
            stage="interviewing",
        )
        session.add(candidate)
        session.flush()
        sid = "CA" + secrets.token_hex(16)
        call = Call(
            direction=Direction.OUTBOUND,
            recruiter_id=recruiter.id,
            candidate_id=candidate.id,
            company_number=company_number,
            candidate_number=candidate.phone,
            status=CallStatus.RINGING,
            parent_sid=sid,
            active_recruiter_id=recruiter.id,
        )
        session.add(call)
        session.flush()
        arranged.append(Flow_(call.id, sid, recruiter.id))
    session.commit()
    return arranged


class Twilio:
    """Signs and posts webhooks to the service at base_url, each delivery twice at once."""

    def __init__(self, base_url: str, auth_token: str, figures: Figures) -> None:
        self.base_url = base_url.rstrip("/")
        self.validator = RequestValidator(auth_token)
        self.figures = figures
        self.http = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=256)
        self.http.mount("http://", adapter)

    def post(self, path: str, params: dict[str, str], token: str) -> None:
        url = self.base_url + path
        params = {"AccountSid": ACCOUNT_SID, **params}
        headers = {
            "X-Twilio-Signature": self.validator.compute_signature(url, params),
            "I-Twilio-Idempotency-Token": token,
        }
        try:
            response = self.http.post(url, data=params, headers=headers, timeout=60)
        except requests.RequestException as exc:
            self.figures.count(None, f"{path}: {type(exc).__name__}")
            return
        self.figures.count(response)

    def twice_at_once(self, *deliveries: tuple[str, dict[str, str]]) -> None:
        """Every delivery twice (same token), all of them at the same moment."""
        barrier = threading.Barrier(2 * len(deliveries))
        threads = []
        for path, params in deliveries:
            token = secrets.token_hex(16)
            for _ in range(2):
                threads.append(
                    threading.Thread(target=self._at_barrier, args=(barrier, path, params, token))
                )
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _at_barrier(
        self, barrier: threading.Barrier, path: str, params: dict[str, str], token: str
    ) -> None:
        barrier.wait()
        self.post(path, params, token)


def play(twilio: Twilio, flow: Flow_, digit: str) -> None:
    base = {"CallSid": flow.sid, "From": "+15005550006", "To": "+14155550100"}
    out = f"/voice/outbound/{flow.call_id}"
    twilio.twice_at_once((f"{out}/answer", {**base, "CallStatus": "in-progress"}))
    twilio.twice_at_once(
        (f"{out}/screen?attempt=1", {**base, "CallStatus": "in-progress", "Digits": "1"})
    )
    twilio.twice_at_once(
        (
            f"{out}/dial-result",
            {
                **base,
                "CallStatus": "in-progress",
                "DialCallSid": "CA" + secrets.token_hex(16),
                "DialCallStatus": "completed",
                "DialCallDuration": "42",
            },
        )
    )
    # The recruiter keys the outcome and hangs up at once.
    twilio.twice_at_once(
        (
            f"/voice/calls/{flow.call_id}/outcome?attempt=1",
            {**base, "CallStatus": "in-progress", "Digits": digit},
        ),
        (  # a progress callback Twilio sent earlier, arriving late with the last one
            f"{out}/status",
            {
                **base,
                "CallStatus": "in-progress",
                "SequenceNumber": "2",
                "CallbackSource": "call-progress-events",
            },
        ),
        (
            f"{out}/status",
            {
                **base,
                "CallStatus": "completed",
                "CallDuration": "60",
                "SequenceNumber": "3",
                "CallbackSource": "call-progress-events",
            },
        ),
    )


def drive(
    base_url: str, auth_token: str, flows: list[Flow_], digit: str, concurrency: int
) -> Figures:
    figures = Figures()
    twilio = Twilio(base_url, auth_token, figures)
    counter = ErrorCounter(figures)
    logging.getLogger("ivr.errors").addHandler(counter)
    try:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            for future in [pool.submit(play, twilio, flow, digit) for flow in flows]:
                future.result()
    finally:
        logging.getLogger("ivr.errors").removeHandler(counter)
    return figures


def losses(session: Session, flows: list[Flow_]) -> dict[str, int]:
    """What the record lost or doubled, flow by flow."""
    ids = [flow.call_id for flow in flows]
    calls = {call.id: call for call in session.scalars(select(Call).where(Call.id.in_(ids)))}
    counts = Counter(
        (call_id, kind)
        for call_id, kind in session.execute(
            select(CallEvent.call_id, CallEvent.kind).where(CallEvent.call_id.in_(ids))
        )
    )
    completed = Counter(
        call_id
        for call_id, payload in session.execute(
            select(CallEvent.call_id, CallEvent.payload).where(
                CallEvent.call_id.in_(ids), CallEvent.kind == "twilio.status"
            )
        )
        if payload.get("CallStatus") == "completed"
    )
    return {
        "outcomes lost": sum(1 for c in calls.values() if c.outcome_code_id is None),
        "completed lost": sum(1 for c in calls.values() if c.status != CallStatus.COMPLETED),
        "ended but not final": sum(
            1
            for c in calls.values()
            if c.ended_at is not None and not CallStatus(c.status).is_terminal
        ),
        "recruiters left locked": sum(
            1 for c in calls.values() if c.active_recruiter_id is not None
        ),
        "duplicate events": sum(n - 1 for (_, kind), n in counts.items() if kind in ONCE and n > 1)
        + sum(n - 1 for n in completed.values() if n > 1),
    }


def report(figures: Figures, lost: dict[str, int], chain_ok: bool, seconds: float) -> None:
    non_200 = sum(n for status, n in figures.answers.items() if status != 200)
    print(f"webhooks sent          {figures.webhooks} in {seconds:.1f} s")
    print(f"non-200 answers        {non_200} {dict(figures.answers)}")
    print(f"transport errors       {len(figures.errors)}")
    print(f"apologies              {figures.apologies}")
    print(f"errors logged          {figures.logged_errors}")
    for name, value in lost.items():
        print(f"{name:<22} {value}")
    print(f"chain verifies         {'yes' if chain_ok else 'NO'}")


def first_outcome_digit(session: Session) -> str:
    digit = session.scalar(
        select(OutcomeCode.digit).where(OutcomeCode.is_active.is_(True)).order_by(OutcomeCode.digit)
    )
    if digit is None:
        raise SystemExit("no active outcome code")
    return digit


def main(argv: list[str] | None = None) -> None:
    from bench.calllog import scratch_database
    from ivr import create_app
    from ivr.migrate import upgrade_to_head
    from simulator.server import serve_in_thread

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="", help="database URL (default: a SQLite file)")
    parser.add_argument("--flows", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("ivr.errors").propagate = False  # counted, not printed
    logging.getLogger("alembic").setLevel(logging.WARNING)

    url, drop = scratch_database(args.url or None)
    try:
        upgrade_to_head(url)
        token = "bench-auth-token-" + secrets.token_hex(8)
        env = {
            "DATABASE_URL": url,
            "TELEPHONY": "simulator",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": token,
            "TWILIO_PHONE_NUMBER": "+15005550006",
            "TWILIO_API_BASE_URL": "http://127.0.0.1:9",
            "SECRET_KEY": secrets.token_hex(16),
            "BUSINESS_HOURS": "00:00-24:00",
            "BUSINESS_DAYS": "mon-sun",
        }
        app = create_app(env)
        handle = serve_in_thread(app)
        session_factory: Callable[[], Session] = lambda: Session(app.extensions["db_engine"])  # noqa: E731
        try:
            with session_factory() as session:
                flows = arrange(session, args.flows, env["TWILIO_PHONE_NUMBER"])
                digit = first_outcome_digit(session)
            started = time.perf_counter()
            figures = drive(handle.base_url, token, flows, digit, args.concurrency)
            seconds = time.perf_counter() - started
            with session_factory() as session:
                lost = losses(session, flows)
                chain_ok = verify_chain(session, CallEvent).ok
            report(figures, lost, chain_ok, seconds)
        finally:
            handle.shutdown()
            app.extensions["db_engine"].dispose()
    finally:
        drop()


if __name__ == "__main__":
    main()
