"""The task queue: work a webhook must not wait for is queued, and a real worker runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr import create_app
from ivr.config import PROJECT_ROOT
from ivr.tasks import huey_of
from models import Call, CallEvent
from simulator import Chaos, Simulator
from simulator.app import create_simulator_app
from simulator.server import ServerHandle, serve_in_thread
from tests.fixtures.app import base_env
from tests.fixtures.twilio import ACCOUNT_SID, AUTH_TOKEN, COMPANY_NUMBER, sign

CALL_SID = "CA" + "1" * 32
CHILD_SID = "CA" + "2" * 32


@pytest.fixture
def network() -> Iterator[tuple[Simulator, ServerHandle]]:
    """Twilio's REST API played by the simulator, with our account; nothing answers its
    webhooks (no test here needs them)."""
    sim = Simulator(ACCOUNT_SID, AUTH_TOKEN, {})
    handle = serve_in_thread(create_simulator_app(sim))
    sim.base_url = handle.base_url
    yield sim, handle
    sim.close()
    handle.shutdown()


@pytest.fixture
def queued_env(database_url: str, tmp_path: Path, network) -> dict[str, str]:  # type: ignore[no-untyped-def]
    sim, _ = network
    return base_env(
        database_url,
        TASKS_EAGER="0",
        TASKS_DB=str(tmp_path / "tasks.sqlite3"),
        TWILIO_API_BASE_URL=sim.base_url,
        PUBLIC_BASE_URL="http://localhost",
    )


@pytest.fixture
def queued_app(queued_env: dict[str, str]) -> Iterator[Flask]:
    app = create_app(queued_env)
    yield app
    app.extensions["db_engine"].dispose()


def post(client: FlaskClient, path: str, params: dict[str, str]):  # type: ignore[no-untyped-def]
    params = {"AccountSid": ACCOUNT_SID, **params}
    signature = sign("http://localhost" + path, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def bridged_inbound_call(client: FlaskClient, session: Session, recruiter) -> Call:  # type: ignore[no-untyped-def]
    """A stranger's call the recruiter took and talked through: the caller has hung up, and
    the hunt's action (the one that asks for the outcome call-back) is still to come."""
    answered = post(
        client,
        "/voice/incoming",
        {"CallSid": CALL_SID, "From": "+15005550999", "To": COMPANY_NUMBER,
         "CallStatus": "ringing", "Direction": "inbound"},
    )  # fmt: skip
    assert answered.status_code == 200
    call = session.scalar(select(Call).where(Call.parent_sid == CALL_SID))
    assert call is not None
    post(client, f"/voice/inbound/{call.id}/whisper-answer?r={recruiter.id}",
         {"CallSid": CHILD_SID, "Digits": "1"})  # fmt: skip
    return call


def hunt_result(client: FlaskClient, call: Call, recruiter):  # type: ignore[no-untyped-def]
    return post(
        client,
        f"/voice/inbound/{call.id}/hunt-result?i=0&r={recruiter.id}",
        {"CallSid": CALL_SID, "CallStatus": "in-progress", "DialCallStatus": "completed",
         "DialCallSid": CHILD_SID, "DialCallDuration": "75"},
    )  # fmt: skip


def event_kinds(session: Session, call: Call) -> list[str]:
    return list(
        session.scalars(
            select(CallEvent.kind).where(CallEvent.call_id == call.id).order_by(CallEvent.id)
        )
    )


def test_the_webhook_queues_the_outcome_call_back_and_never_waits_on_rest(
    queued_app, session, make_user, network
):
    """Issue 11, item 7: the REST API hangs (every create held for a minute); the webhook that
    asks for the call-back answers without sending it a single request. The queued task, run
    once the API answers again, places the call."""
    sim, _ = network
    sim.set_chaos(Chaos(rest_delay_seconds=60))
    recruiter = make_user(name="Olive Owner", phone="+15005550111", hunt_order=1)
    client = queued_app.test_client()
    call = bridged_inbound_call(client, session, recruiter)

    response = hunt_result(client, call, recruiter)

    assert response.status_code == 200
    assert sim.legs() == []  # no REST request reached the network
    assert "outcome.call_requested" in event_kinds(session, call)
    assert "outcome.call_placed" not in event_kinds(session, call)
    huey = huey_of(queued_app)
    assert [task.name for task in huey.pending()] == ["ring_back"]

    sim.set_chaos(Chaos())
    task = huey.dequeue()
    huey.execute(task)

    leg = sim.wait_for(to=recruiter.phone)
    assert leg.url == f"http://localhost/voice/calls/{call.id}/outcome-prompt"
    assert event_kinds(session, call).count("outcome.call_placed") == 1
    # Run again (a retry, a worker restarted mid-task): nobody is rung twice.
    huey.execute(task)
    assert len(sim.legs()) == 1
    assert event_kinds(session, call).count("outcome.call_placed") == 1


def test_a_real_worker_runs_the_queued_task(queued_app, queued_env, session, make_user, network):
    """`flask --app ivr worker` (Huey's consumer, SQLite storage) picks the task up from the
    queue the webhook wrote to, and does it."""
    sim, _ = network
    recruiter = make_user(name="Olive Owner", phone="+15005550111", hunt_order=1)
    client = queued_app.test_client()
    call = bridged_inbound_call(client, session, recruiter)
    hunt_result(client, call, recruiter)
    assert huey_of(queued_app).pending_count() == 1

    env = {**os.environ, **queued_env}
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "ivr", "worker", "--workers", "1"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        leg = sim.wait_for(to=recruiter.phone, timeout=30)
        deadline = time.monotonic() + 10
        while "outcome.call_placed" not in event_kinds(session, call):
            assert time.monotonic() < deadline, "the worker placed the call but logged nothing"
            time.sleep(0.05)
    finally:
        worker.send_signal(2)  # SIGINT: Huey's consumer finishes its task and exits
        output, _ = worker.communicate(timeout=20)
    assert leg.url == f"http://localhost/voice/calls/{call.id}/outcome-prompt"
    assert huey_of(queued_app).pending_count() == 0
    assert f"task ring_back({call.id}) finished" in output, output
