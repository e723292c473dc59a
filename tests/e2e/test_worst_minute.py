"""The worst minute in a short form: 50 one-click calls whose webhooks overlap (each delivered
twice at once, the outcome digit and the final "completed" together), over HTTP against the
threaded server, on the suite's database (PostgreSQL in CI's second run). bench/worst_minute.py
runs the same driver at 200 flows and prints the figures."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.worst_minute import arrange, drive, first_outcome_digit, losses
from ivr import create_app
from models import Call, CallEvent
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


def test_three_simultaneous_clicks_place_one_call_and_refuse_two(
    line, db, make_user, make_candidate, api_token
):
    """Each of 10 recruiters clicks Call three times at the same moment: one call each is
    placed, the other two clicks are told why (409), none is a server error."""
    clicks = []
    for n in range(10):
        recruiter = make_user()
        candidate = make_candidate(owner=recruiter, name=f"Racing Candidate {n}")
        clicks += [(api_token(recruiter), candidate.id)] * 3
    barrier = threading.Barrier(len(clicks))

    def click(token: str, candidate_id: int) -> int:
        barrier.wait()
        return line.api("POST", "/api/v1/calls", token, json={"candidate_id": candidate_id})

    with ThreadPoolExecutor(max_workers=len(clicks)) as pool:
        answers = list(pool.map(lambda args: click(*args), clicks))

    # Placed: 201, or 202 while a slow network has not confirmed it (chaos delay).
    placed = [201 if a.status_code in line.placed else a.status_code for a in answers]
    per_recruiter = [sorted(placed[i : i + 3]) for i in range(0, 30, 3)]
    errors = [a.text for a in answers if a.status_code >= 500]
    assert per_recruiter == [[201, 409, 409]] * 10, errors
    refusals = {a.json()["error"].split(" (")[0] for a in answers if a.status_code == 409}
    assert refusals == {"you already have a call in progress"}
    assert db.scalar(select(func.count()).select_from(Call)) == 10
