"""Issue 13, in a browser: the recruiter's page opens on two overdue closure calls; Call next
rings for the first, the outcome keyed on the phone closes it, the page follows the next call
the server rings, and the queue is empty at the end."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import OwedCall
from tests.fixtures.line import Line


@pytest.fixture
def recruiter_line(make_line) -> Line:
    line = make_line()
    line.app.config["WTF_CSRF_ENABLED"] = True
    return line


def owe(session, candidate, recruiter, day):
    session.add(OwedCall(reason="closure", candidate_id=candidate.id, recruiter_id=recruiter.id,
                         due_at=datetime(2026, 1, day, tzinfo=UTC), attempts=0,
                         open_key=f"closure:{candidate.id}"))  # fmt: skip
    session.commit()


def test_a_recruiter_clears_two_overdue_closure_calls_with_call_next(
    recruiter_line, page, session, make_user, make_candidate
):
    line = recruiter_line
    riley = make_user(name="Riley Recruiter", email="riley@example.com")
    jane = make_candidate(owner=riley, name="Jane Doe", stage="not_selected")
    lou = make_candidate(owner=riley, name="Lou Smith", stage="not_selected")
    owe(session, jane, riley, 1)
    owe(session, lou, riley, 2)

    page.goto(f"{line.url}/login")
    page.fill("input[name=email]", "riley@example.com")
    page.fill("input[name=password]", "password-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{line.url}/calls")
    overdue = page.locator("#owed-overdue li.owed-call")
    expect(overdue).to_have_count(2)
    expect(overdue.first).to_contain_text("Overdue")
    expect(overdue.first).to_contain_text("Jane Doe")
    expect(overdue.first).to_contain_text("interviewed, not selected: tell them personally")
    page.locator("#call-next button.call").click()

    for person in (jane, lou):
        leg = line.sim.wait_for(to=riley.phone, waiting_for_input="answer")
        expect(page.locator("#call-who")).to_have_text(f"Call to {person.name}")
        expect(page.locator("#call-next-pause")).to_be_visible()
        line.sim.answer(leg.sid)
        line.sim.wait_for(sid=leg.sid, waiting_for_input="digits")
        line.sim.press(leg.sid, "1")
        their_leg = line.sim.wait_for(to=person.phone, waiting_for_input="answer")
        line.sim.answer(their_leg.sid)
        line.sim.wait_for(sid=leg.sid, waiting_for_input="bridge")
        line.sim.clock.advance(60)
        line.sim.hangup(their_leg.sid)
        line.sim.wait_for(sid=leg.sid, waiting_for_input="digits")
        line.sim.press(leg.sid, "5")  # not selected, told personally
        line.sim.wait_for(sid=leg.sid, state="completed")

    expect(page.locator("#call-status")).to_have_text(
        "Outcome saved: not selected, told personally"
    )
    expect(page.locator("#call-next-pause")).to_be_hidden()
    expect(page.locator("button.call").first).to_be_enabled()
    page.reload()
    expect(page.locator("#no-owed-calls")).to_have_text("Nobody is waiting for a call from you.")
    session.expire_all()
    closed = session.scalars(select(OwedCall).order_by(OwedCall.id)).all()
    assert [i.closed_reason for i in closed] == ["told_personally", "told_personally"]
