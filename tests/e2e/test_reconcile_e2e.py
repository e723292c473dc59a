"""Issue 11, items 1 and 2 end to end: calls the network never finished telling the app about
are settled from Twilio's REST API (the reconciliation the worker runs every minute, run here
by hand), a recruiter ends their own call from the page, and a call whose creation timed out
is never logged as "not placed"."""

from __future__ import annotations

import re
import time
from collections import Counter
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from ivr.tasks import run_now
from models import Call, CallEvent, utcnow
from simulator import Chaos
from tests.fixtures.line import Line
from tests.fixtures.people import LINE_PIN
from tests.fixtures.twilio import COMPANY_NUMBER

# Every status callback lost (TwiML requests are never dropped: the call itself goes on).
LOST_CALLBACKS = Chaos(drop_rate=1.0)


def load_call(db, call_id: int) -> Call:
    db.expire_all()
    call = db.get(Call, call_id)
    assert call is not None
    return call


def kinds(db, call_id: int) -> Counter[str]:
    db.expire_all()
    query = select(CallEvent.kind).where(CallEvent.call_id == call_id)
    return Counter(db.scalars(query))


def event_count(db) -> int:
    db.expire_all()
    return len(list(db.scalars(select(CallEvent.id))))


@pytest.fixture
def riley(make_user):  # type: ignore[no-untyped-def]
    return make_user(name="Riley Recruiter", email="riley@example.com")


@pytest.fixture
def jane(make_candidate, riley):  # type: ignore[no-untyped-def]
    return make_candidate(owner=riley, name="Jane Doe", code="123456")


@pytest.fixture
def token(api_token, riley) -> str:
    return api_token(riley)


def converse(line: Line, recruiter, candidate, seconds: int = 60) -> str:  # type: ignore[no-untyped-def]
    """Recruiter answers and presses 1, the candidate answers, they talk, the candidate hangs
    up, the recruiter keys outcome 1; returns the recruiter's leg once it has ended."""
    leg = line.sim.wait_for(to=recruiter.phone, waiting_for_input="answer")
    line.sim.answer(leg.sid)
    line.sim.wait_for(sid=leg.sid, waiting_for_input="digits")
    line.sim.press(leg.sid, "1")
    other = line.sim.wait_for(to=candidate.phone, parent_sid=leg.sid, waiting_for_input="answer")
    line.sim.answer(other.sid)
    line.sim.wait_for(sid=leg.sid, waiting_for_input="bridge")
    line.sim.clock.advance(seconds)
    line.sim.hangup(other.sid)
    line.sim.wait_for(sid=leg.sid, waiting_for_input="digits")
    line.sim.press(leg.sid, "1")
    line.sim.wait_for(sid=leg.sid, state="completed")
    return leg.sid


def test_a_lost_final_status_callback_is_settled_from_the_rest_api(
    make_line, db, riley, jane, token
):
    line = make_line(RECONCILE_AFTER_SECONDS="0")
    line.sim.set_chaos(LOST_CALLBACKS)
    placed = line.api("POST", "/api/v1/calls", token, json={"candidate_id": jane.id})
    assert placed.status_code == 201, placed.text
    call_id = placed.json()["id"]
    sid = converse(line, riley, jane, seconds=95)
    assert [r.params.get("CallStatus") for r in line.sim.dropped if r.call_sid == sid][-1] == (
        "completed"
    )
    stuck = load_call(db, call_id)
    assert stuck.active_recruiter_id == riley.id  # the line is held: nobody said it ended
    assert stuck.status != "completed"

    run_now(line.app, "reconcile")

    call = load_call(db, call_id)
    leg = line.sim.leg(sid)
    assert (call.status, call.disposition, call.outcome.digit) == ("completed", "connected", "1")
    assert call.active_recruiter_id is None
    assert call.duration == leg.duration
    assert call.ended_at is not None
    assert kinds(db, call_id)["call.reconciled"] == 1
    # Running it again finds nothing to do, and writes nothing.
    before = event_count(db)
    run_now(line.app, "reconcile")
    assert event_count(db) == before
    # And the recruiter can call again.
    line.sim.set_chaos(Chaos())
    again = line.api("POST", "/api/v1/calls", token, json={"candidate_id": jane.id})
    assert again.status_code == 201, again.text


def test_a_call_heard_of_recently_is_left_alone_until_two_minutes_pass(
    line, db, riley, jane, token
):
    line.sim.set_chaos(LOST_CALLBACKS)
    call_id = line.api("POST", "/api/v1/calls", token, json={"candidate_id": jane.id}).json()["id"]
    converse(line, riley, jane)

    run_now(line.app, "reconcile")  # the default: two minutes without news first
    assert kinds(db, call_id)["call.reconciled"] == 0

    line.app.extensions["clock"] = lambda: utcnow() + timedelta(seconds=121)
    run_now(line.app, "reconcile")
    call = load_call(db, call_id)
    assert (call.status, call.active_recruiter_id) == ("completed", None)
    assert kinds(db, call_id)["call.reconciled"] == 1


def test_a_dial_in_without_the_numbers_status_url_frees_the_line(make_line, db, riley, jane):
    line = make_line(RECONCILE_AFTER_SECONDS="0")
    line.sim.status_callbacks.pop(COMPANY_NUMBER)  # the console's status URL left empty
    sid = line.sim.incoming_call(riley.phone, COMPANY_NUMBER)
    line.sim.wait_for(sid=sid, waiting_for_input="digits")
    line.sim.press(sid, f"{LINE_PIN}#")  # the line is the recruiter's once the PIN is right
    line.sim.wait_for(sid=sid, waiting_for_input="digits")
    line.sim.hangup(sid)
    line.sim.wait_for(sid=sid, state="completed")
    db.expire_all()
    call = db.scalar(select(Call).where(Call.parent_sid == sid))
    assert call is not None
    assert call.active_recruiter_id == riley.id

    run_now(line.app, "reconcile")

    call = load_call(db, call.id)
    assert (call.status, call.active_recruiter_id) == ("completed", None)
    assert call.ended_at is not None
    assert kinds(db, call.id)["call.reconciled"] == 1


def sign_in(line: Line, email: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(line.url + "/login", timeout=10)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    assert found, page.text
    browser.post(
        line.url + "/login",
        data={"csrf_token": found.group(1), "email": email, "password": "password-123"},
        timeout=10,
    )
    return browser


def test_the_recruiter_hangs_up_their_own_call_from_the_page(line, db, riley, jane, token):
    line.app.config["WTF_CSRF_ENABLED"] = True
    call_id = line.api("POST", "/api/v1/calls", token, json={"candidate_id": jane.id}).json()["id"]
    leg = line.sim.wait_for(to=riley.phone, waiting_for_input="answer")
    line.sim.answer(leg.sid)
    line.sim.wait_for(sid=leg.sid, waiting_for_input="digits")
    browser = sign_in(line, riley.email)
    page = browser.get(line.url + "/calls", timeout=10).text
    form = re.search(
        r'<form id="call-hang-up" method="post" action="([^"]+)">\s*'
        r'<input type="hidden" name="csrf_token" value="([^"]+)">',
        page,
    )
    assert form, page
    assert form.group(1) == f"/calls/{call_id}/hang-up"

    refused = browser.post(line.url + form.group(1), data={}, timeout=10)
    assert refused.status_code == 400  # no CSRF token, nothing done
    ended = browser.post(line.url + form.group(1), data={"csrf_token": form.group(2)}, timeout=10)

    assert ended.status_code == 200  # back on the page, with a flash
    assert "Ending the call." in ended.text
    line.sim.wait_for(sid=leg.sid, state="completed")
    line.settle()  # chaos may have lost the final status callback
    call = load_call(db, call_id)
    assert (call.status, call.active_recruiter_id) == ("completed", None)
    assert kinds(db, call_id)["call.hang_up_requested"] == 1
    # The worker logs the REST request once its answer is in: wait for the worker.
    deadline = time.monotonic() + 5
    while kinds(db, call_id)["call.hung_up"] == 0:
        assert time.monotonic() < deadline, "the worker never logged the hang-up"
        time.sleep(0.02)
    assert kinds(db, call_id)["call.hung_up"] == 1


def test_another_recruiter_cannot_hang_up_the_call(line, db, riley, jane, token, make_user):
    line.app.config["WTF_CSRF_ENABLED"] = True
    sam = make_user(name="Sam Sourcer", email="sam@example.com")
    call_id = line.api("POST", "/api/v1/calls", token, json={"candidate_id": jane.id}).json()["id"]
    leg = line.sim.wait_for(to=riley.phone, waiting_for_input="answer")
    browser = sign_in(line, sam.email)
    page = browser.get(line.url + "/calls", timeout=10).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf, page

    refused = browser.post(
        line.url + f"/calls/{call_id}/hang-up", data={"csrf_token": csrf.group(1)}, timeout=10
    )

    assert refused.status_code == 404
    assert line.sim.leg(leg.sid).state == "ringing"
    line.sim.no_answer(leg.sid)


# Item 2: a slow REST answer ---------------------------------------------------------------


def test_a_call_whose_creation_timed_out_is_logged_as_the_real_conversation(
    make_line, db, riley, jane, token
):
    line = make_line(TWILIO_HTTP_TIMEOUT="0.5", RECONCILE_AFTER_SECONDS="0")
    # Twilio creates the call and answers after 2 s, well past the client's timeout; no
    # status callback arrives either, so the answer webhook is the first word of it.
    line.sim.set_chaos(Chaos(rest_delay_seconds=2, drop_rate=1.0))
    placed = line.api("POST", "/api/v1/calls", token, json={"candidate_id": jane.id})

    assert placed.status_code == 202, placed.text
    body = placed.json()
    assert body["unconfirmed"] is True
    assert body["live_state"]["code"] == "checking"
    assert body["message"] == "We are checking whether the call went through."
    call_id = body["id"]
    assert load_call(db, call_id).active_recruiter_id == riley.id  # the line stays taken

    sid = converse(line, riley, jane)
    call = load_call(db, call_id)
    assert (call.parent_sid, call.unconfirmed) == (sid, False)
    run_now(line.app, "reconcile")  # the final status callback was lost too

    call = load_call(db, call_id)
    assert (call.status, call.disposition, call.outcome.digit) == ("completed", "connected", "1")
    assert call.active_recruiter_id is None
    seen = kinds(db, call_id)
    assert seen["call.unconfirmed"] == 1
    assert seen["call.confirmed"] == 1
    assert seen["call.not_placed"] == 0


def test_a_timed_out_creation_with_its_callbacks_is_placed(make_line, db, riley, jane, token):
    line = make_line(TWILIO_HTTP_TIMEOUT="0.5")
    line.sim.set_chaos(Chaos(rest_delay_seconds=2))
    placed = line.api("POST", "/api/v1/calls", token, json={"candidate_id": jane.id})
    assert placed.status_code in (201, 202), placed.text  # the first callback may beat it
    call_id = placed.json()["id"]

    converse(line, riley, jane)

    call = load_call(db, call_id)
    assert (call.status, call.disposition) == ("completed", "connected")
    assert kinds(db, call_id)["call.not_placed"] == 0
