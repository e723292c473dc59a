"""The recruiter's page opens on the calls they owe: overdue first (marked), then due today,
each with why, the candidate's local time, the attempts and a Call button; closing one by
hand after the attempts, with a written reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from models import CallEvent, OwedCall
from tests.test_web_pages import csrf_from, sign_in

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a Monday, 15:00 UTC


@pytest.fixture
def web_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    app.extensions["clock"] = lambda: NOW
    return app


@pytest.fixture
def recruiter(make_user):
    return make_user(name="Riley Recruiter", email="riley@example.com")


@pytest.fixture
def owe(session, recruiter):
    def make(candidate, due_in, reason="closure", attempts=0, recruiter_id=None):
        item = OwedCall(reason=reason, candidate_id=candidate.id,
                        recruiter_id=recruiter_id or recruiter.id, due_at=NOW + due_in,
                        attempts=attempts, open_key=f"{reason}:{candidate.id}")  # fmt: skip
        session.add(item)
        session.commit()
        return item

    return make


@pytest.fixture
def signed_in(web_app, recruiter):
    client = web_app.test_client()
    sign_in(client)
    return client


def test_the_page_opens_on_the_queue_overdue_first_then_due_today(
    signed_in, owe, make_candidate, recruiter
):
    later = make_candidate(owner=recruiter, name="Lou Later")
    today = make_candidate(owner=recruiter, name="Tia Today", timezone="Asia/Tokyo")
    late = make_candidate(owner=recruiter, name="Olu Overdue", timezone="America/New_York")
    owe(later, timedelta(days=2))
    owe(today, timedelta(hours=3), reason="call_back_later", attempts=1)
    owe(late, timedelta(hours=-5), attempts=2)

    html = signed_in.get("/calls").get_data(as_text=True)

    queue = html[html.index('id="owed-calls"') : html.index('id="current-call"')]
    assert "Calls you owe (3)" in queue
    assert queue.index("Olu Overdue") < queue.index("Tia Today") < queue.index("Lou Later")
    overdue = queue[queue.index('id="owed-overdue"') : queue.index('id="owed-today"')]
    assert "Overdue" in overdue
    assert "is-overdue" in overdue
    assert "interviewed, not selected: tell them personally" in overdue
    assert "their time 2026-11-23 10:00:00 EST" in overdue
    assert "2 attempts" in overdue
    assert f'action="/candidates/{late.id}/call"' in overdue
    today_part = queue[queue.index('id="owed-today"') : queue.index('id="owed-later"')]
    assert "asked to be called back" in today_part
    assert "their time 2026-11-24 00:00:00 JST" in today_part
    assert "is-overdue" not in today_part


def test_nobody_waiting_says_so(signed_in):
    html = signed_in.get("/calls").get_data(as_text=True)

    assert "Nobody is waiting for a call from you." in html


def test_another_recruiters_items_are_not_shown(signed_in, owe, make_candidate, make_user):
    other = make_user(name="Other")
    owe(make_candidate(owner=other, name="Not Mine"), timedelta(hours=1), recruiter_id=other.id)

    assert "Not Mine" not in signed_in.get("/calls").get_data(as_text=True)


def test_a_do_not_call_candidate_has_no_call_button_and_may_be_closed(
    signed_in, owe, make_candidate, recruiter
):
    dnc = make_candidate(owner=recruiter, name="Dee Nocall", do_not_call=True)
    owe(dnc, timedelta(hours=1))

    html = signed_in.get("/calls").get_data(as_text=True)
    queue = html[html.index('id="owed-calls"') : html.index('id="current-call"')]

    assert f"/candidates/{dnc.id}/call" not in queue
    assert "do not call" in queue
    assert "Close with a reason" in queue


def test_the_close_form_shows_only_after_the_attempts(signed_in, owe, make_candidate, recruiter):
    owe(make_candidate(owner=recruiter, name="Two Tries"), timedelta(hours=1), attempts=2)
    owe(make_candidate(owner=recruiter, name="Three Tries"), timedelta(hours=2), attempts=3)

    html = signed_in.get("/calls").get_data(as_text=True)
    two = html[html.index("Two Tries") : html.index("Three Tries")]
    three = html[html.index("Three Tries") : html.index('id="current-call"')]

    assert "Close with a reason" not in two
    assert "Close with a reason" in three


def test_closing_with_a_reason_takes_it_off_the_queue(
    signed_in, session, owe, make_candidate, recruiter
):
    jane = make_candidate(owner=recruiter, name="Jane Doe")
    item = owe(jane, timedelta(hours=-1), attempts=3)
    token = csrf_from(signed_in.get("/calls").get_data(as_text=True))

    response = signed_in.post(
        f"/owed-calls/{item.id}/close", data={"csrf_token": token, "reason": "number dead"}
    )

    assert response.status_code == 303
    session.refresh(item)
    assert (item.closed_reason, item.close_note, item.closed_by_id) == (
        "by_hand", "number dead", recruiter.id)  # fmt: skip
    event = session.scalar(select(CallEvent).where(CallEvent.kind == "owed.closed"))
    assert (event.candidate_id, event.actor_id) == (jane.id, recruiter.id)
    html = signed_in.get("/calls").get_data(as_text=True)
    assert "The call owed to Jane Doe is closed." in html
    assert "Nobody is waiting for a call from you." in html


@pytest.mark.parametrize(("attempts", "reason", "said"), [
    (2, "tried", "try 3 times first (2 attempts so far)"),
    (3, "", "write why this call is no longer owed"),
])  # fmt: skip
def test_closing_too_early_or_without_a_reason_is_refused(
    signed_in, session, owe, make_candidate, recruiter, attempts, reason, said
):
    item = owe(make_candidate(owner=recruiter), timedelta(hours=1), attempts=attempts)
    token = csrf_from(signed_in.get("/calls").get_data(as_text=True))

    response = signed_in.post(
        f"/owed-calls/{item.id}/close",
        data={"csrf_token": token, "reason": reason},
        follow_redirects=True,
    )

    assert f"Not closed: {said}." in response.get_data(as_text=True)
    session.refresh(item)
    assert item.is_open


def test_another_recruiters_item_cannot_be_closed(
    signed_in, session, owe, make_candidate, make_user
):
    other = make_user(name="Other")
    item = owe(make_candidate(owner=other), timedelta(hours=1), attempts=5, recruiter_id=other.id)
    token = csrf_from(signed_in.get("/calls").get_data(as_text=True))

    response = signed_in.post(
        f"/owed-calls/{item.id}/close", data={"csrf_token": token, "reason": "not mine"}
    )

    assert response.status_code == 404
    session.refresh(item)
    assert item.is_open
