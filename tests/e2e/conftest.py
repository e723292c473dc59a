"""End to end over HTTP: the app served on a real port, Twilio played by the simulator on
another. Every webhook is a signed HTTP request from the simulator; every REST call from the
app reaches the simulator through the twilio client."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import requests
from flask import Flask
from sqlalchemy.orm import Session

from ivr import create_app
from simulator import Simulator
from simulator.app import create_simulator_app
from simulator.server import serve_in_thread
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, COMPANY_NUMBER, base_env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Line:
    """The running pair: app (its URL, the Flask object) and the simulated phone network."""

    app: Flask
    url: str
    sim: Simulator

    def api(self, method: str, path: str, token: str, **kwargs: object) -> requests.Response:
        return requests.request(
            method,
            self.url + path,
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
            **kwargs,  # type: ignore[arg-type]
        )


@pytest.fixture
def line_env(database_url: str) -> Callable[..., dict[str, str]]:
    def env(**extra: str) -> dict[str, str]:
        return base_env(database_url, **extra)

    return env


@pytest.fixture
def make_line(line_env: Callable[..., dict[str, str]]) -> Iterator[Callable[..., Line]]:
    """make_line(**env overrides) -> Line; torn down after the test, checking that the
    simulator saw no failed webhook and no caller heard an application error."""
    started: list[tuple[Line, object, object]] = []

    def make(**extra: str) -> Line:
        sim = Simulator(ACCOUNT_SID, AUTH_TOKEN, {})
        sim_handle = serve_in_thread(create_simulator_app(sim))
        sim.base_url = sim_handle.base_url
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        app = create_app(line_env(TWILIO_API_BASE_URL=sim.base_url, PUBLIC_BASE_URL=url, **extra))
        app_handle = serve_in_thread(app, port=port)
        sim.numbers[COMPANY_NUMBER] = (f"{url}/voice/incoming", f"{url}/voice/fallback")
        line = Line(app=app, url=url, sim=sim)
        started.append((line, sim_handle, app_handle))
        return line

    yield make
    for line, sim_handle, app_handle in started:
        line.sim.close()
        sim_handle.shutdown()  # type: ignore[attr-defined]
        app_handle.shutdown()  # type: ignore[attr-defined]
        line.app.extensions["db_engine"].dispose()
    for line, _, _ in started:
        assert line.sim.errors == [], f"the phone network saw errors: {line.sim.errors}"


@pytest.fixture
def line(make_line: Callable[..., Line]) -> Line:
    return make_line()


@pytest.fixture
def db(session: Session) -> Session:
    """The suite's autocommit session, for arranging and asserting against the same database."""
    return session
