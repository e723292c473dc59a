"""The worst minute in a short form: 50 one-click calls whose webhooks overlap (each delivered
twice at once, the outcome digit and the final "completed" together), over HTTP against the
threaded server, on the suite's database (PostgreSQL in CI's second run). bench/worst_minute.py
runs the same driver at 200 flows and prints the figures."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bench.worst_minute import arrange, drive, first_outcome_digit, losses
from ivr import create_app
from models import CallEvent
from models.chain import verify_chain
from simulator.server import serve_in_thread
from tests.fixtures.app import base_env
from tests.fixtures.twilio import AUTH_TOKEN, COMPANY_NUMBER

FLOWS = 50


def test_fifty_overlapping_flows_lose_nothing_and_record_nothing_twice(database_url, session):
    app = create_app(base_env(database_url))
    handle = serve_in_thread(app)
    try:
        flows = arrange(session, FLOWS, COMPANY_NUMBER)
        figures = drive(
            handle.base_url, AUTH_TOKEN, flows, first_outcome_digit(session), concurrency=25
        )
    finally:
        handle.shutdown()
        app.extensions["db_engine"].dispose()

    with Session(session.get_bind()) as fresh:
        lost = losses(fresh, flows)
        chain = verify_chain(fresh, CallEvent)
    assert figures.errors == []
    assert dict(figures.answers) == {200: figures.webhooks}
    assert (figures.apologies, figures.logged_errors) == (0, 0)
    assert lost == {
        "outcomes lost": 0,
        "completed lost": 0,
        "ended but not final": 0,
        "recruiters left locked": 0,
        "duplicate events": 0,
    }
    assert chain.ok, chain.problem
