"""Call next: the first owed call that may be placed now rings the recruiter; once a call's
outcome is keyed and its leg has ended, the next one does, once, unless they paused."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from ivr.callflow import owed
from ivr.callflow.window import CallingWindow
from models import Call, CallEvent, Candidate, OutcomeCode, OwedCall, User, utcnow
from tests.fixtures.twilio import COMPANY_NUMBER
from tests.test_web_pages import csrf_from, sign_in
from tests.twiml_helpers import parse

PARENT_SID = "CA" + "e" * 32


@pytest.fixture
def db(database_url):
    engine = create_engine(database_url)
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.fixture
def recruiter(make_user):
    return make_user(name="Riley Recruiter", email="riley@example.com", phone="+15005550101")


@pytest.fixture
def owe(session, recruiter):
    def make(candidate, due_in_hours, recruiter_id=None):
        item = OwedCall(reason="closure", candidate_id=candidate.id,
                        recruiter_id=recruiter_id or recruiter.id,
                        due_at=utcnow() + timedelta(hours=due_in_hours), attempts=0,
                        open_key=f"closure:{candidate.id}")  # fmt: skip
        session.add(item)
        session.commit()
        return item

    return make


# Choosing the next owed call ------------------------------------------------------------------


def test_the_next_is_the_soonest_due_that_may_be_called_now(
    db, owe, make_candidate, recruiter, make_user
):
    other = make_user(name="Other")
    dnc = make_candidate(owner=recruiter, name="Dee", do_not_call=True)
    asleep = make_candidate(owner=recruiter, name="Sleepy", timezone="Asia/Tokyo")
    just_called = make_candidate(owner=recruiter, name="Just Called")
    later = make_candidate(owner=recruiter, name="Later")
    owe(dnc, -10)
    owe(asleep, -9)
    owe(just_called, -8)
    owe(make_candidate(owner=other), -7, recruiter_id=other.id)
    owe(later, 5)
    # A window of 00:00-10:00: at 03:00 UTC it is open for the others (UTC), closed in Tokyo.
    window = CallingWindow(opens=time(0), closes=time(10), days=frozenset(range(7)))
    now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 12:00 in Tokyo

    item = owed.next_owed_item(db, db.get(User, recruiter.id), window, now,
                               skip_candidate_id=just_called.id)  # fmt: skip

    assert item.candidate_id == later.id


def test_an_empty_queue_has_no_next(db, recruiter):
    assert owed.next_owed_item(db, db.get(User, recruiter.id)) is None


# Going on after a call ------------------------------------------------------------------------


@pytest.fixture
def marked_call(db, session, owe, make_candidate, recruiter):
    """A Call next call to Jane, with Lou owed next."""

    def make(outcome=True, status="completed", paused=False):
        jane = make_candidate(owner=recruiter, name="Jane Doe")
        item = owe(jane, -2)
        owe(make_candidate(owner=recruiter, name="Lou Next"), -1)
        call = Call(direction="outbound", recruiter_id=recruiter.id, candidate_id=jane.id,
                    company_number=COMPANY_NUMBER, recruiter_number=recruiter.phone,
                    candidate_number=jane.phone, parent_sid=PARENT_SID, status=status,
                    disposition="connected")  # fmt: skip
        call.active_recruiter_id = None if status == "completed" else recruiter.id
        if outcome:
            call.outcome_code_id = session.scalar(
                select(OutcomeCode.id).where(OutcomeCode.digit == "5")
            )
        session.add(call)
        session.commit()
        me = db.get(User, recruiter.id)
        owed.mark_call_next(db, db.get(Call, call.id), db.get(OwedCall, item.id), me)
        if paused:
            owed.pause_call_next(db, db.get(Call, call.id), me)
        db.commit()
        return call

    return make


@pytest.mark.parametrize(
    ("arrange", "goes_on"),
    [
        ({}, True),
        ({"outcome": False}, False),
        ({"status": "in-progress"}, False),
        ({"paused": True}, False),
    ],
)
def test_a_run_goes_on_only_after_the_outcome_and_the_end_unless_paused(
    db, marked_call, arrange, goes_on
):
    call = db.get(Call, marked_call(**arrange).id)

    assert owed.claim_continuation(db, call) is goes_on
    assert owed.claim_continuation(db, call) is False  # once


def test_a_call_not_placed_by_call_next_does_not_go_on(db, session, make_candidate, recruiter):
    jane = make_candidate(owner=recruiter)
    call = Call(direction="outbound", recruiter_id=recruiter.id, candidate_id=jane.id,
                company_number=COMPANY_NUMBER, status="completed", outcome_code_id=1)  # fmt: skip
    session.add(call)
    session.commit()

    assert owed.claim_continuation(db, db.get(Call, call.id)) is False


def status_completed(twilio_post, call):
    return twilio_post(f"/voice/outbound/{call.id}/status",
                       {"CallSid": PARENT_SID, "CallStatus": "completed", "SequenceNumber": "4",
                        "CallDuration": "80"})  # fmt: skip


@pytest.mark.expected_errors
def test_the_end_of_a_call_next_call_rings_the_recruiter_for_the_next(
    twilio_post, session, marked_call
):
    call = marked_call(status="in-progress")

    status_completed(twilio_post, call)

    session.expire_all()
    lou = session.scalar(select(Candidate).where(Candidate.name == "Lou Next"))
    [following] = session.scalars(select(Call).where(Call.candidate_id == lou.id)).all()
    # Placed (this suite's network is not there, so the phone never rang: said on the call).
    assert following.disposition == "not-placed"
    kinds = session.scalars(
        select(CallEvent.kind).where(CallEvent.call_id == call.id).order_by(CallEvent.seq)
    ).all()
    assert kinds[-2:] == ["call_next.continued", "call_next.stopped"]


def test_a_paused_run_stops_at_the_end_of_the_call(twilio_post, session, marked_call):
    call = marked_call(status="in-progress", paused=True)

    response = status_completed(twilio_post, call)

    assert response.status_code == 200
    assert session.scalar(select(Call).where(Call.id != call.id)) is None


def test_the_outcome_saved_while_the_leg_is_up_waits_for_the_end(twilio_post, session, marked_call):
    call = marked_call(status="in-progress", outcome=False)

    response = twilio_post(f"/voice/calls/{call.id}/outcome?attempt=1",
                           {"CallSid": PARENT_SID, "Digits": "5"})  # fmt: skip

    assert parse(response.data).find("Say") is not None
    assert session.scalar(select(Call).where(Call.id != call.id)) is None


def test_the_last_owed_call_ends_the_run(twilio_post, session, marked_call):
    call = marked_call(status="in-progress")
    session.execute(OwedCall.__table__.update().values(closed_at=utcnow(), open_key=None))
    session.commit()

    status_completed(twilio_post, call)

    stopped = session.scalar(select(CallEvent).where(CallEvent.kind == "call_next.stopped"))
    assert stopped.detail == {"reason": "queue done"}


# The page and the API --------------------------------------------------------------------------


def test_the_queue_has_a_call_next_button(app, owe, make_candidate, recruiter):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    sign_in(client)
    owe(make_candidate(owner=recruiter), -1)

    html = client.get("/calls").get_data(as_text=True)

    assert 'action="/owed-calls/next"' in html
    assert 'id="call-next-pause"' in html


def test_call_next_with_nobody_to_call_is_refused(client, api_token, recruiter):
    response = client.post(
        "/api/v1/owed-calls/next", headers={"Authorization": f"Bearer {api_token(recruiter)}"}
    )

    assert response.status_code == 409
    assert response.json == {"error": "nobody in your queue can be called now"}


def test_pausing_from_the_page(app, session, marked_call):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    sign_in(client)
    call = marked_call(status="in-progress")
    token = csrf_from(client.get("/calls").get_data(as_text=True))

    response = client.post(f"/calls/{call.id}/pause-next", data={"csrf_token": token})
    again = client.post(f"/calls/{call.id}/pause-next", data={"csrf_token": token},
                        headers={"Accept": "application/json"})  # fmt: skip

    assert response.status_code == 303
    assert again.status_code == 409
    assert session.scalar(select(CallEvent).where(CallEvent.kind == "call_next.paused"))


@pytest.mark.expected_errors
def test_the_live_panel_waits_for_the_next_call_then_hears_the_run_stopped(
    app, twilio_post, marked_call
):
    client = app.test_client()
    sign_in(client)
    call = marked_call(status="in-progress")

    live = client.get(f"/calls/{call.id}.json").json
    status_completed(twilio_post, call)  # the next call is tried: this suite has no network
    ended = client.get(f"/calls/{call.id}.json").json

    assert (live["call_next"], live["is_live"], live["next_call_id"]) == (True, True, None)
    assert (ended["is_live"], ended["call_next_pending"], ended["next_call_id"]) == (
        False, False, None)  # fmt: skip


def test_an_ended_call_next_call_is_pending_until_the_run_moves_on(db, marked_call):
    call = db.get(Call, marked_call().id)

    assert owed.next_state(db, call) == owed.NextState(True, True, None)
    owed.pause_call_next(db, call, db.get(User, call.recruiter_id))
    assert owed.next_state(db, call) == owed.NextState(True, False, None)
