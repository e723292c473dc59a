"""Fixtures: a migrated database per test (SQLite, or PostgreSQL via TEST_DATABASE_URL),
the app, a session to arrange and assert with, and signed Twilio requests."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

from ivr import create_app
from ivr.migrate import upgrade_to_head
from models import ApiToken, Candidate, User

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "test-auth-token-0123456789"
COMPANY_NUMBER = "+15005550006"


def _admin_url(url: str) -> str:
    return make_url(url).set(database="postgres").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrate once from empty; every test then starts from a copy of the result."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        path = tmp_path_factory.mktemp("db") / "template.sqlite3"
        upgrade_to_head(f"sqlite:///{path}")
        yield f"sqlite:///{path}"
        return
    name = f"ivr_tmpl_{uuid.uuid4().hex[:10]}"
    admin = create_engine(_admin_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade_to_head(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def database_url(template_database: str, tmp_path: Path) -> Iterator[str]:
    template = make_url(template_database)
    if template.get_backend_name() == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(str(template.database), path)
        yield f"sqlite:///{path}"
        return
    name = f"ivr_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(_admin_url(template_database), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text(f'CREATE DATABASE "{name}" TEMPLATE "{template.database}" STRATEGY FILE_COPY')
        )
    try:
        yield template.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def base_env(database_url: str, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "TELEPHONY": "simulator",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_PHONE_NUMBER": COMPANY_NUMBER,
        "TWILIO_API_BASE_URL": "http://127.0.0.1:9",  # nothing listens: tests that ring use `sim`
        "SECRET_KEY": "test-secret-key-0123456789",
        "TESTING": "1",
        # Open around the clock unless a test says otherwise, so no test depends on the hour.
        "BUSINESS_HOURS": "00:00-24:00",
        "BUSINESS_DAYS": "mon-sun",
        **extra,
    }


@pytest.fixture
def app_env(database_url: str) -> dict[str, str]:
    return base_env(database_url)


@pytest.fixture
def app(app_env: dict[str, str]) -> Iterator[Flask]:
    app = create_app(app_env)
    yield app
    app.extensions["db_engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    """For arranging and asserting. Autocommit, so it never holds a lock the app waits on
    nor reads from a stale snapshot while the app writes."""
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.fixture(autouse=True)
def no_unhandled_errors(request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture):
    """A webhook that fails still answers 200 with an apology; this makes such a test fail."""
    yield
    if request.node.get_closest_marker("expected_errors"):
        return
    errors = [
        r for r in caplog.get_records("call") if r.name == "ivr.errors" and r.levelname == "ERROR"
    ]
    assert not errors, "the app logged unhandled errors: " + "; ".join(
        f"{r.getMessage()} ({r.exc_info[1]!r})" if r.exc_info else r.getMessage() for r in errors
    )


@pytest.fixture
def twilio_post(client: FlaskClient) -> Callable[..., TestResponse]:
    """POST a webhook signed exactly as Twilio signs it (URL + sorted params, HMAC-SHA1)."""

    def post(path: str, params: dict[str, str] | None = None, **kwargs: object) -> TestResponse:
        params = {"AccountSid": ACCOUNT_SID, **(params or {})}
        url = "http://localhost" + path
        signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
        return client.post(path, data=params, headers={"X-Twilio-Signature": signature}, **kwargs)

    return post


@pytest.fixture
def make_user(session: Session) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(role: str = "recruiter", phone: str | None = "auto", **fields: object) -> User:
        n = next(counter)
        if phone == "auto":
            phone = f"+1500555{1000 + n:04d}" if role == "recruiter" else None
        user = User(
            name=str(fields.pop("name", f"{role.title()} {n}")),
            email=str(fields.pop("email", f"{role}{n}@example.com")),
            role=role,
            phone=phone,
            **fields,
        )
        user.set_password("password-123")
        session.add(user)
        session.commit()
        return user

    return make


@pytest.fixture
def make_candidate(session: Session) -> Callable[..., Candidate]:
    counter = iter(range(1, 10_000))

    def make(owner: User | None = None, **fields: object) -> Candidate:
        n = next(counter)
        candidate = Candidate(
            name=str(fields.pop("name", f"Jane Doe{n}")),
            phone=str(fields.pop("phone", f"+1500555{2000 + n:04d}")),
            code=str(fields.pop("code", f"{100000 + n}")),
            owner=owner,
            **fields,
        )
        session.add(candidate)
        session.commit()
        return candidate

    return make


@pytest.fixture
def api_token(session: Session) -> Callable[[User], str]:
    def issue(user: User) -> str:
        token = ApiToken.issue(session, user, label="test")
        session.commit()
        return token

    return issue
