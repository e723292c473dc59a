"""Issue 3, in a browser: a recruiter clicks Call, the phones (the simulator) do their part, and
the page follows the call live until the outcome keyed in on the phone shows up."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from models import Call
from tests.e2e.conftest import Line, line_env, make_line  # noqa: F401  (fixtures, used by name)


@pytest.fixture
def recruiter_line(make_line) -> Line:  # noqa: F811  (the imported fixture, by name)
    line = make_line()
    line.app.config["WTF_CSRF_ENABLED"] = True  # the page's form must carry its token
    return line


def test_recruiter_clicks_call_and_sees_status_and_outcome(
    recruiter_line, page, session, make_user, make_candidate
):
    line = recruiter_line
    riley = make_user(name="Riley Recruiter", email="riley@example.com")
    make_candidate(owner=riley, name="Ann Applicant")
    jane = make_candidate(owner=riley, name="Jane Doe")
    status = page.locator("#call-status")
    outcome = page.locator("#call-outcome")

    page.goto(f"{line.url}/login")
    page.fill("input[name=email]", "riley@example.com")
    page.fill("input[name=password]", "password-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{line.url}/calls")
    expect(status).to_have_text("No call in progress.")
    page.locator(f"#candidate-{jane.id} button.call").click()

    recruiter_leg = line.sim.wait_for(to=riley.phone, waiting_for_input="answer")
    expect(status).to_have_text(re.compile(r"^Call to Jane Doe: (queued|initiated|ringing)$"))
    expect(page.locator("button.call").first).to_be_disabled()
    line.sim.answer(recruiter_leg.sid)
    line.sim.wait_for(sid=recruiter_leg.sid, waiting_for_input="digits")
    expect(status).to_have_text("Call to Jane Doe: in-progress")
    expect(outcome).to_have_text("Outcome: pending")
    line.sim.press(recruiter_leg.sid, "1")
    candidate_leg = line.sim.wait_for(to=jane.phone, waiting_for_input="answer")
    line.sim.answer(candidate_leg.sid)
    line.sim.wait_for(sid=recruiter_leg.sid, waiting_for_input="bridge")
    line.sim.clock.advance(42)
    line.sim.hangup(candidate_leg.sid)
    line.sim.wait_for(sid=recruiter_leg.sid, waiting_for_input="digits")
    expect(status).to_have_text("Call to Jane Doe: in-progress (connected)")
    line.sim.press(recruiter_leg.sid, "1")
    line.sim.wait_for(sid=recruiter_leg.sid, state="completed")

    expect(status).to_have_text("Call to Jane Doe: completed (connected)")
    expect(outcome).to_have_text("Outcome: interview scheduled")
    row = page.locator(f"#candidate-{jane.id} tbody tr").first
    expect(row.locator('[data-field="outcome"]')).to_have_text("interview scheduled")
    expect(row.locator('[data-field="duration"]')).to_have_text("42 s")
    expect(page.locator("button.call").first).to_be_enabled()
    call = session.get(Call, int(row.get_attribute("data-call-id")))
    assert (call.status, call.outcome.digit, call.candidate_id) == ("completed", "1", jane.id)
    expect(page.locator(f"#candidate-{jane.id} tbody tr")).to_have_count(1)
