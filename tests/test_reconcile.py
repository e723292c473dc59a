"""Reconciliation of calls we have no CallSid for (their creation timed out, or the app stopped
before it could ask), against the REST API played by the simulator."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr import create_app
from ivr.tasks import run_now
from models import Call, CallEvent, utcnow
from simulator import Simulator
from simulator.app import create_simulator_app
from simulator.server import serve_in_thread
from tests.fixtures.app import base_env
from tests.fixtures.twilio import ACCOUNT_SID, AUTH_TOKEN, COMPANY_NUMBER


@pytest.fixture
def network() -> Iterator[Simulator]:
    sim = Simulator(ACCOUNT_SID, AUTH_TOKEN, {})
    handle = serve_in_thread(create_simulator_app(sim))
    sim.base_url = handle.base_url
    yield sim
    sim.close()
    handle.shutdown()


@pytest.fixture
def rest_app(database_url: str, network: Simulator) -> Iterator[Flask]:
    app = create_app(base_env(database_url, TWILIO_API_BASE_URL=network.base_url))
    yield app
    app.extensions["db_engine"].dispose()


def unconfirmed_call(session: Session, recruiter, candidate, minutes_ago: float) -> Call:  # type: ignore[no-untyped-def]
    """A one-click call whose creation got no answer, `minutes_ago`, still holding the line."""
    at = utcnow() - timedelta(minutes=minutes_ago)
    call = Call(
        direction="outbound",
        recruiter_id=recruiter.id,
        candidate_id=candidate.id,
        company_number=COMPANY_NUMBER,
        recruiter_number=recruiter.phone,
        candidate_number=candidate.phone,
        status="queued",
        active_recruiter_id=recruiter.id,
        unconfirmed=True,
        created_at=at,
    )
    session.add(call)
    session.flush()
    reason = {"reason": "the phone network did not answer in time"}
    event = CallEvent(call_id=call.id, kind="call.unconfirmed", source="app", created_at=at)
    event.detail = reason
    session.add(event)
    session.commit()
    return call


def kinds(session: Session, call: Call) -> list[str]:
    session.expire_all()
    query = select(CallEvent.kind).where(CallEvent.call_id == call.id).order_by(CallEvent.id)
    return list(session.scalars(query))


def test_a_call_twilio_never_created_is_recorded_not_placed_and_frees_the_line(
    rest_app, session, make_user, make_candidate, network
):
    riley = make_user(name="Riley Recruiter")
    jane = make_candidate(owner=riley)
    call = unconfirmed_call(session, riley, jane, minutes_ago=3)
    # Another call to the same phone, from before ours was asked for, is not ours.
    network.clock.advance(-600)
    network.create_call(to=riley.phone, from_=COMPANY_NUMBER, url="http://example.com/x")

    run_now(rest_app, "reconcile")

    session.expire_all()
    call = session.get(Call, call.id)
    assert (call.status, call.disposition) == ("failed", "not-placed")
    assert (call.active_recruiter_id, call.unconfirmed, call.parent_sid) == (None, False, None)
    assert kinds(session, call)[-1] == "call.not_placed"
    before = kinds(session, call)
    run_now(rest_app, "reconcile")
    assert kinds(session, call) == before


def test_a_call_twilio_did_create_is_found_by_its_number_and_time(
    rest_app, session, make_user, make_candidate, network
):
    riley = make_user(name="Riley Recruiter")
    jane = make_candidate(owner=riley)
    call = unconfirmed_call(session, riley, jane, minutes_ago=3)
    network.clock.advance(-170)  # Twilio created it a few seconds after our row
    leg = network.create_call(to=riley.phone, from_=COMPANY_NUMBER, url="http://example.com/x")
    network.wait_for(sid=leg.sid, waiting_for_input="answer")
    network.no_answer(leg.sid)
    network.wait_for(sid=leg.sid, state="no-answer")

    run_now(rest_app, "reconcile")

    session.expire_all()
    call = session.get(Call, call.id)
    assert call.parent_sid == leg.sid
    assert (call.status, call.disposition) == ("no-answer", "recruiter-no-answer")
    assert (call.active_recruiter_id, call.unconfirmed) == (None, False)
    assert kinds(session, call)[-2:] == ["call.confirmed", "call.reconciled"]


def test_a_call_that_is_still_being_placed_is_left_alone(
    rest_app, session, make_user, make_candidate, network
):
    riley = make_user(name="Riley Recruiter")
    jane = make_candidate(owner=riley)
    call = unconfirmed_call(session, riley, jane, minutes_ago=0.5)

    run_now(rest_app, "reconcile")

    session.expire_all()
    assert session.get(Call, call.id).active_recruiter_id == riley.id
    assert kinds(session, call) == ["call.unconfirmed"]
