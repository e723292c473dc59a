"""Logs keep phone numbers out of SQL errors, and webhook values cannot forge log lines."""

from __future__ import annotations

import io
import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from ivr import create_app
from ivr.db import make_engine
from ivr.logs import EscapeControlCharacters
from tests.fixtures.app import base_env
from tests.fixtures.twilio import ACCOUNT_SID, sign

PHONE = "+14155550123"


def test_a_database_error_does_not_print_its_parameters(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (phone VARCHAR(16) UNIQUE)"))
        connection.execute(text("INSERT INTO t VALUES (:phone)"), {"phone": PHONE})
    with pytest.raises(IntegrityError) as error, engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (:phone)"), {"phone": PHONE})
    engine.dispose()

    assert PHONE not in str(error.value)
    assert "hidden" in str(error.value)


def test_the_filter_escapes_line_breaks_in_arguments_and_message():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "a=%s\n", ("one\r\ntwo",), None)
    EscapeControlCharacters().filter(record)

    assert record.getMessage() == "a=one\\r\\ntwo\\n"

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "b=%(b)s", None, None)
    record.args = {"b": "x\u2028y\x00"}
    EscapeControlCharacters().filter(record)
    assert record.getMessage() == "b=x\\u2028y\\x00"


@pytest.fixture
def root_output():
    """What a handler on the root logger (as wsgi.py sets up) writes."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    yield out
    root.removeHandler(handler)


def test_crlf_in_a_webhook_value_reaches_the_log_escaped(database_url, root_output):
    app = create_app(base_env(database_url))
    params = {
        "AccountSid": ACCOUNT_SID,
        "CallSid": "CA" + "f" * 32,
        "ErrorCode": "11200",
        "ErrorUrl": "https://x.example/\r\nERROR ivr.security: forged line",
    }
    url = "http://localhost/voice/fallback"
    response = app.test_client().post(
        "/voice/fallback", data=params, headers={"X-Twilio-Signature": sign(url, params)}
    )
    app.extensions["db_engine"].dispose()

    assert response.status_code == 200
    lines = [line for line in root_output.getvalue().splitlines() if "fallback URL used" in line]
    assert len(lines) == 1
    assert "https://x.example/\\r\\nERROR ivr.security: forged line" in lines[0]
    assert "\nERROR ivr.security: forged line" not in root_output.getvalue()


def test_a_logged_exception_does_not_print_a_phone_number(root_output):
    from ivr import logs

    handler = logging.getLogger().handlers[-1]
    logs.install([handler])
    try:
        raise ValueError(f"duplicate key value: DETAIL: Key (phone)=({PHONE}) already exists.")
    except ValueError:
        logging.getLogger("ivr.test").exception("write failed")

    output = root_output.getvalue()
    assert "write failed" in output
    assert "already exists" in output
    assert PHONE not in output
    assert "+*******0123" in output
