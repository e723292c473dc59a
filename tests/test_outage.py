"""The database stops mid-call: callers hear an apology, nothing Twilio sent is lost. Every
failed webhook is counted and logged with its call, spooled on local disk, and replayed in
order once the database answers; the call ends in its true state."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, select, text

from models import Call, CallEvent, Direction
from tests.fixtures.app import base_env
from tests.fixtures.database import Outage
from tests.fixtures.twilio import COMPANY_NUMBER

pytestmark = pytest.mark.expected_errors  # the outage is logged as errors, on purpose

SID = "CA" + "d" * 32
INBOUND_SID = "CA" + "e" * 32


@pytest.fixture
def app_env(database_url):
    return base_env(database_url, DATABASE_TIMEOUT="1")


@contextmanager
def database_hung(database_url):
    """Another client holds the calls table (PostgreSQL) or the whole database (SQLite's
    write lock) and does not let go: what a stuck migration or a wedged server looks like."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("LOCK TABLE calls IN ACCESS EXCLUSIVE MODE"))
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.rollback()
    engine.dispose()


@pytest.fixture
def outage(app) -> Outage:
    return Outage(app.extensions["db_engine"])


@pytest.fixture
def bridged_call(session, make_user, make_candidate, twilio_post):
    recruiter = make_user()
    candidate = make_candidate(owner=recruiter, name="Jane Doe")
    call = Call(
        direction=Direction.OUTBOUND,
        recruiter_id=recruiter.id,
        candidate_id=candidate.id,
        company_number=COMPANY_NUMBER,
        candidate_number=candidate.phone,
        status="ringing",
        parent_sid=SID,
        active_recruiter_id=recruiter.id,
    )
    session.add(call)
    session.commit()
    base = {"CallSid": SID, "CallStatus": "in-progress"}
    assert twilio_post(f"/voice/outbound/{call.id}/answer", base).status_code == 200
    response = twilio_post(f"/voice/outbound/{call.id}/screen?attempt=1", {**base, "Digits": "1"})
    assert "<Dial" in response.text
    return call


def during_the_outage(twilio_post, call) -> list[str]:
    """What Twilio sends while the database is down: the dial result, the outcome digit, the
    final status, and a new inbound call. Returns what each caller heard."""
    base = {"CallSid": SID, "CallStatus": "in-progress"}
    answers = [
        twilio_post(
            f"/voice/outbound/{call.id}/dial-result",
            {
                **base,
                "DialCallSid": "CA" + "f" * 32,
                "DialCallStatus": "completed",
                "DialCallDuration": "95",
            },
        ),  # fmt: skip
        twilio_post(f"/voice/calls/{call.id}/outcome?attempt=1", {**base, "Digits": "1"}),
        twilio_post(
            f"/voice/outbound/{call.id}/status",
            {
                "CallSid": SID,
                "CallStatus": "completed",
                "CallDuration": "120",
                "SequenceNumber": "3",
            },
        ),  # fmt: skip
        twilio_post(
            "/voice/incoming",
            {
                "CallSid": INBOUND_SID,
                "From": "+15005550999",
                "To": COMPANY_NUMBER,
                "CallStatus": "ringing",
                "Direction": "inbound",
            },
        ),  # fmt: skip
    ]
    assert [a.status_code for a in answers] == [200] * 4
    return [a.text for a in answers]


def test_webhooks_during_an_outage_are_apologised_for_counted_and_replayed_in_order(
    app, client, session, twilio_post, bridged_call, outage, caplog
):
    outage.start()
    heard = during_the_outage(twilio_post, bridged_call)
    health = client.get("/api/v1/health")
    outage.end()

    assert all("something went wrong on our side" in text for text in heard)
    assert health.status_code == 503
    assert health.json["webhook_failures"] == 4
    assert health.json["spooled"] == 4
    failures = [r for r in caplog.records if r.name == "ivr.errors" and "spooled as" in r.message]
    assert len(failures) == 4
    assert f"call_sid={SID}" in failures[0].getMessage()

    result = app.test_cli_runner().invoke(args=["spool", "replay"])

    assert result.exit_code == 0, result.output
    assert "replayed 4, failed 0, left 0" in result.output
    session.expire_all()
    call = session.get(Call, bridged_call.id)
    assert (call.status, call.child_status, call.disposition) == (
        "completed",
        "completed",
        "connected",
    )
    assert call.outcome_code_id is not None
    assert call.talk_duration == 95
    assert call.active_recruiter_id is None
    assert call.ended_at is not None
    kinds = session.scalars(
        select(CallEvent.kind).where(CallEvent.call_id == call.id).order_by(CallEvent.seq)
    ).all()
    replayed = [
        k for k in kinds if k in ("twilio.dial_result", "outcome.recorded", "twilio.status")
    ]
    assert replayed == ["twilio.dial_result", "outcome.recorded", "twilio.status"], kinds
    inbound = session.scalar(select(Call).where(Call.parent_sid == INBOUND_SID))
    assert inbound is not None
    assert inbound.direction == "inbound"
    after = client.get("/api/v1/health").json
    assert after["request_failures"] == 0  # every counter is there, zero or not
    assert (after["status"], after["spooled"], after["replayed"]) == ("ok", 0, 4)


def test_a_replay_while_the_database_is_still_down_keeps_everything_in_order(
    app, twilio_post, bridged_call, outage
):
    outage.start()
    during_the_outage(twilio_post, bridged_call)
    the_spool = app.extensions["spool"]

    result = app.test_cli_runner().invoke(args=["spool", "replay"])

    assert result.exit_code == 1
    assert "replayed 0, failed 1, left 4" in result.output
    pending = the_spool.pending()
    assert [item.attempts for item in pending] == [1, 0, 0, 0]
    assert pending[0].path.endswith("/dial-result")
    assert "OperationalError" in pending[0].error
    outage.end()
    assert "replayed 4" in app.test_cli_runner().invoke(args=["spool", "replay"]).output


def test_a_replay_is_not_a_way_in_for_an_unsigned_request(client, bridged_call):
    response = client.post(
        f"/voice/calls/{bridged_call.id}/outcome",
        data={"CallSid": SID, "Digits": "1"},
        headers={"X-Ivr-Spool-Replay": "1", "Ivr.Spool.Replay": "1"},
    )
    assert response.status_code == 403


def test_a_hung_database_gives_the_caller_an_answer_and_the_delivery_is_kept(
    app, database_url, session, twilio_post, bridged_call
):
    answered = []
    with database_hung(database_url):
        # In a thread, so that a webhook that waits for ever fails this test instead of
        # hanging it: the join's bound is a safety net, not a measure of speed.
        worker = threading.Thread(
            target=lambda: answered.append(
                twilio_post(
                    f"/voice/outbound/{bridged_call.id}/status",
                    {"CallSid": SID, "CallStatus": "completed", "SequenceNumber": "3"},
                )
            )
        )
        worker.start()
        worker.join(timeout=60)
        assert not worker.is_alive(), "the webhook waited on the hung database"

    assert answered[0].status_code == 200
    assert app.extensions["spool"].counters()["spooled"] == 1
    assert "replayed 1" in app.test_cli_runner().invoke(args=["spool", "replay"]).output
    session.expire_all()
    call = session.get(Call, bridged_call.id)
    assert call.status == "completed"
    assert call.active_recruiter_id is None


def test_connections_to_postgresql_carry_the_timeouts(app):
    engine = app.extensions["db_engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's wait is its busy timeout, exercised above")
    with engine.connect() as conn:
        assert conn.execute(text("SHOW statement_timeout")).scalar() == "1s"
        assert conn.execute(text("SHOW lock_timeout")).scalar() == "1s"
