"""Engine and sessions: one Session per request on flask.g, closed at teardown."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, current_app, g
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, timeout: float | None = None) -> Engine:
    """The engine; with `timeout` (seconds), no wait on the database lasts longer: for a pooled
    connection, to connect, for a lock, for a statement. Twilio gives a webhook 15 seconds, so a
    hung database must become an error (and a spooled delivery, see ivr.spool) well before.
    Migrations and the CLI pass none."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        if timeout is None:
            return create_engine(url, pool_pre_ping=True, hide_parameters=True)
        ms = int(timeout * 1000)
        return create_engine(
            url,
            pool_pre_ping=True,
            pool_timeout=timeout,
            # SQL parameters hold phone numbers: errors and logs show the statement only.
            hide_parameters=True,
            connect_args={
                "connect_timeout": max(1, min(5, int(timeout))),
                "options": f"-c statement_timeout={ms} -c lock_timeout={ms}",
            },
        )
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        hide_parameters=True,
        # SQLite's wait is its busy timeout: for the write lock every transaction takes.
        connect_args={"check_same_thread": False, "timeout": timeout or 30},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # pysqlite's own BEGIN handling is deferred and breaks under concurrent writers;
        # take it over so every transaction starts with BEGIN IMMEDIATE below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Webhooks for the same call arrive concurrently; a deferred transaction that later
        # writes can fail with "database is locked" instead of waiting its turn.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def init_app(app: Flask, url: str, timeout: float | None = None) -> None:
    engine = make_engine(url, timeout)
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def get_session() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.extensions["db_sessionmaker"]()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def session_scope(app: Flask) -> Iterator[Session]:
    """A session outside a request (CLI, background work); the caller commits."""
    session = app.extensions["db_sessionmaker"]()
    try:
        yield session
    finally:
        session.close()
