"""The webhook spool: what a webhook could not write is kept on local disk and replayed, in the
order Twilio sent it, once the database answers again.

The caller hears an apology at once (Twilio waits at most 15 s), but the delivery is not lost:
the spool is a SQLite file of its own (SPOOL_PATH), outside the database that failed, written
with a synchronous commit before the apology is sent. `flask --app ivr spool replay` (and the
worker's periodic job) feeds each spooled delivery back through the app in arrival order; one
that fails again stays, with its attempts and last error, and stops the replay so that nothing
behind it runs out of order. Every failure is also counted here (across processes), and the
count is on /api/v1/health, so monitoring sees errors that callers only hear as an apology."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, Request
from werkzeug.datastructures import MultiDict

log = logging.getLogger(__name__)

# The request environ key that marks a replay: set only by replay() through the test client,
# never reachable from an HTTP header. Its value is a dict the error handler writes into
# (note_replay_failure), shared because the test client copies the environ.
REPLAY_ENVIRON_KEY = "ivr.spool.replay"
# Headers a replay must carry again (the rest is transport).
KEPT_HEADERS = ("I-Twilio-Idempotency-Token",)
SCHEMA = """
CREATE TABLE IF NOT EXISTS spooled (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    query TEXT NOT NULL,
    form TEXT NOT NULL,
    headers TEXT NOT NULL,
    error TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


@dataclass(frozen=True)
class Spooled:
    id: int
    received_at: str
    method: str
    path: str
    query: str
    form: list[tuple[str, str]]
    headers: dict[str, str]
    error: str
    attempts: int


@dataclass(frozen=True)
class ReplayReport:
    replayed: int
    failed: int
    left: int


class Spool:
    def __init__(self, path: str) -> None:
        self.path = path
        self._ready = False
        self._lock = threading.Lock()

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            if not self._ready:
                with self._lock:
                    Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                    conn.execute("PRAGMA journal_mode=WAL")
                    conn.executescript(SCHEMA)
                    self._ready = True
            conn.execute("PRAGMA synchronous=FULL")
            yield conn
        finally:
            conn.close()

    def keep(self, request: Request, error: BaseException) -> int:
        """Write the delivery down (durably) and count the failure; returns its spool id."""
        form = [(key, value) for key, values in request.form.lists() for value in values]
        headers = {name: request.headers[name] for name in KEPT_HEADERS if name in request.headers}
        with self._db() as conn:
            conn.execute("BEGIN IMMEDIATE")
            cursor = conn.execute(
                "INSERT INTO spooled (received_at, method, path, query, form, headers, error)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    datetime.now(UTC).isoformat(),
                    request.method,
                    request.path,
                    request.query_string.decode("latin-1"),
                    json.dumps(form),
                    json.dumps(headers),
                    describe(error),
                ),
            )
            self._count(conn, "webhook_failures")
            conn.execute("COMMIT")
        return int(cursor.lastrowid or 0)

    def count_failure(self, name: str = "webhook_failures") -> None:
        with self._db() as conn:
            self._count(conn, name)

    @staticmethod
    def _count(conn: sqlite3.Connection, name: str) -> None:
        conn.execute(
            "INSERT INTO counters (name, value) VALUES (?, 1)"
            " ON CONFLICT(name) DO UPDATE SET value = value + 1",
            (name,),
        )

    def counters(self) -> dict[str, int]:
        with self._db() as conn:
            counts = dict(conn.execute("SELECT name, value FROM counters").fetchall())
            counts["spooled"] = conn.execute("SELECT count(*) FROM spooled").fetchone()[0]
        return {"webhook_failures": 0, "replayed": 0, "replay_failures": 0, "request_failures": 0,
                **counts}  # fmt: skip

    def pending(self) -> list[Spooled]:
        with self._db() as conn:
            rows = conn.execute(
                "SELECT id, received_at, method, path, query, form, headers, error, attempts"
                " FROM spooled ORDER BY id"
            ).fetchall()
        return [
            Spooled(
                row[0],
                row[1],
                row[2],
                row[3],
                row[4],
                [tuple(pair) for pair in json.loads(row[5])],
                json.loads(row[6]),
                row[7],
                row[8],
            )  # fmt: skip
            for row in rows
        ]

    def done(self, item: Spooled) -> None:
        with self._db() as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM spooled WHERE id = ?", (item.id,))
            self._count(conn, "replayed")
            conn.execute("COMMIT")

    def failed_again(self, item: Spooled, error: str) -> None:
        with self._db() as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "UPDATE spooled SET attempts = attempts + 1, error = ? WHERE id = ?",
                (error, item.id),
            )
            self._count(conn, "replay_failures")
            conn.execute("COMMIT")


def describe(error: BaseException) -> str:
    """The error in one line, without the SQL parameters (they hold phone numbers)."""
    text = f"{type(error).__name__}: {error}".splitlines()[0]
    return text[:300]


def init_app(app: Flask, path: str) -> None:
    app.extensions["spool"] = Spool(path)


def spool_of(app: Flask) -> Spool:
    spool: Spool = app.extensions["spool"]
    return spool


def is_replay(request: Request) -> bool:
    return REPLAY_ENVIRON_KEY in request.environ


def note_replay_failure(request: Request, error: BaseException) -> None:
    request.environ[REPLAY_ENVIRON_KEY]["error"] = describe(error)


def replay(app: Flask) -> ReplayReport:
    """Feed every spooled delivery back through the app, oldest first. Stops at the first that
    fails again (the database is still down, most likely), so later ones never overtake it."""
    spool = spool_of(app)
    replayed = failed = 0
    items = spool.pending()
    client = app.test_client()
    for item in items:
        outcome: dict[str, str] = {}
        response = client.open(
            item.path,
            method=item.method,
            query_string=item.query,
            data=MultiDict(item.form),
            headers=item.headers,
            environ_overrides={REPLAY_ENVIRON_KEY: outcome},
        )
        error = outcome.get("error")
        if response.status_code == 200 and error is None:
            spool.done(item)
            replayed += 1
            log.info("spooled webhook %s replayed: %s %s", item.id, item.method, item.path)
            continue
        reason = error or f"HTTP {response.status_code}"
        spool.failed_again(item, reason)
        failed += 1
        log.warning("spooled webhook %s failed again (%s); replay stops", item.id, reason)
        break
    return ReplayReport(replayed, failed, len(items) - replayed)


def spool_counters(app: Flask) -> Mapping[str, int]:
    return spool_of(app).counters()
