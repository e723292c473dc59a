"""Fixtures: a tiny TwiML app that records what it is sent, and a simulator wired to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from twilio.rest import Client

from simulator import Simulator
from simulator.app import create_simulator_app
from simulator.server import serve_in_thread
from tests.simulator.fakes import ACCOUNT_SID, AUTH_TOKEN, COMPANY, FakeApp


@pytest.fixture
def fake() -> Iterator[FakeApp]:
    app = FakeApp()
    handle = serve_in_thread(app.flask)
    app.base_url = handle.base_url
    yield app
    handle.shutdown()
    assert all(r.signature_valid for r in app.received), "a webhook had a bad signature"


@pytest.fixture
def sim(fake: FakeApp, request: pytest.FixtureRequest) -> Iterator[Simulator]:
    simulator = Simulator(
        ACCOUNT_SID, AUTH_TOKEN, {COMPANY: (fake.url("/voice"), fake.url("/fallback"))}
    )
    handle = serve_in_thread(create_simulator_app(simulator))
    simulator.base_url = handle.base_url
    yield simulator
    simulator.close()
    handle.shutdown()
    if request.node.get_closest_marker("expected_errors") is None:
        assert simulator.errors == []


@pytest.fixture
def client(sim: Simulator) -> Iterator[Client]:
    """The real Twilio REST client, pointed at the simulator exactly as ivr.telephony does."""
    rest = Client(ACCOUNT_SID, AUTH_TOKEN)
    rest.api.base_url = sim.base_url
    yield rest
    session = getattr(rest.http_client, "session", None)
    if session is not None:
        session.close()
