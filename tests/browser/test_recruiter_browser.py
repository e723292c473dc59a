"""Issue 3, in a browser: a recruiter clicks Call, the phones (the simulator) do their part, and
the page follows the call live until the outcome keyed in on the phone shows up."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import Call, CallEvent
from tests.fixtures.line import Line
from tests.fixtures.twilio import COMPANY_NUMBER

STRANGER = "+15005559999"


@pytest.fixture
def recruiter_line(make_line) -> Line:
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
    expect(page.locator("#call-who")).to_have_text("Call to Jane Doe")
    expect(status).to_have_text("Ringing your phone")
    expect(page.locator("button.call").first).to_be_disabled()
    line.sim.answer(recruiter_leg.sid)
    line.sim.wait_for(sid=recruiter_leg.sid, waiting_for_input="digits")
    expect(status).to_have_text("Waiting for you to press 1")
    expect(outcome).to_have_text("pending")
    line.sim.press(recruiter_leg.sid, "1")
    candidate_leg = line.sim.wait_for(to=jane.phone, waiting_for_input="answer")
    expect(status).to_have_text("Ringing Jane")
    line.sim.answer(candidate_leg.sid)
    line.sim.wait_for(sid=recruiter_leg.sid, waiting_for_input="bridge")
    expect(status).to_have_text("Talking with Jane")
    line.sim.clock.advance(42)
    line.sim.hangup(candidate_leg.sid)
    line.sim.wait_for(sid=recruiter_leg.sid, waiting_for_input="digits")
    expect(status).to_have_text("Key in the outcome on your phone")
    line.sim.press(recruiter_leg.sid, "1")
    line.sim.wait_for(sid=recruiter_leg.sid, state="completed")

    expect(status).to_have_text("Outcome saved: interview scheduled")
    expect(outcome).to_have_text("interview scheduled")
    row = page.locator(f"#candidate-{jane.id} tbody tr").first
    expect(row.locator('[data-field="outcome"]')).to_have_text("interview scheduled")
    expect(row.locator('[data-field="status"]')).to_have_text("ended · connected")
    # Talk time as the network reported it: the 42 s advanced plus the real seconds the page
    # took to show "Talking with Jane".
    [talk] = [r.params["DialCallDuration"] for r in line.sim.delivered() if r.kind == "action"
              and "DialCallDuration" in r.params]  # fmt: skip
    assert int(talk) >= 42
    expect(row.locator('[data-field="duration"]')).to_have_text(f"{talk} s")
    expect(page.locator("button.call").first).to_be_enabled()
    call = session.get(Call, int(row.get_attribute("data-call-id")))
    assert (call.status, call.outcome.digit, call.candidate_id) == ("completed", "1", jane.id)
    expect(page.locator(f"#candidate-{jane.id} tbody tr")).to_have_count(1)

    # After the call: a note, from the same panel, without leaving the page.
    page.fill("#call-note textarea", "Free on Tuesdays.")
    page.click("#call-note button[type=submit]")
    expect(page.locator("#call-note .note-result")).to_have_text("Note added.")
    expect(page.locator("#call-notes li")).to_have_count(1)
    notes = session.scalars(
        select(CallEvent).where(CallEvent.call_id == call.id, CallEvent.kind == "note.added")
    ).all()
    assert [(n.detail["text"], n.actor_id) for n in notes] == [("Free on Tuesdays.", riley.id)]

    # The same words after a reload, on the call's page.
    page.goto(f"{line.url}/calls/{call.id}")
    expect(page.locator("#call-status")).to_contain_text("Outcome saved: interview scheduled")
    expect(page.locator("#timeline")).to_contain_text("Free on Tuesdays.")


def test_a_new_voicemail_appears_and_its_unknown_caller_is_called_back(
    recruiter_line, page, session, make_user
):
    line = recruiter_line
    line.sim.status_callbacks[COMPANY_NUMBER] = line.url + "/voice/status"
    riley = make_user(name="Riley Recruiter", email="riley@example.com")
    page.goto(f"{line.url}/login")
    page.fill("input[name=email]", "riley@example.com")
    page.fill("input[name=password]", "password-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{line.url}/calls")
    expect(page.locator("#callbacks-heading")).to_have_text("Callbacks waiting (0)")

    sid = line.sim.incoming_call(STRANGER, COMPANY_NUMBER)
    line.sim.wait_for(sid=sid, waiting_for_input="digits")
    line.sim.press(sid, "2")
    line.sim.wait_for(sid=sid, waiting_for_input="recording")
    line.sim.record(sid, 5, hang_up=True)
    line.sim.wait_for(sid=sid, state="completed")

    item = page.locator("li.callback")
    expect(item).to_have_count(1)  # polled in, no reload
    expect(item).to_contain_text(f"Unknown caller {STRANGER}")
    expect(page.locator("#callbacks-heading")).to_have_text("Callbacks waiting (1)")
    item.locator("button.call").click()
    recruiter_leg = line.sim.wait_for(to=riley.phone, waiting_for_input="answer")
    expect(page.locator("#call-who")).to_have_text("Calling back an unknown caller")
    expect(page.locator("#call-status")).to_have_text("Ringing your phone")
    expect(item.locator("button.call")).to_be_disabled()
    line.sim.no_answer(recruiter_leg.sid)
    expect(page.locator("#call-status")).to_have_text("Call ended: you did not answer your phone")
    expect(item.locator("button.call")).to_be_enabled()


def test_an_inbound_call_taken_shows_up_live_with_who_calls_and_their_history(
    recruiter_line, page, session, make_user, make_candidate
):
    line = recruiter_line
    riley = make_user(name="Riley Recruiter", email="riley@example.com", hunt_order=1)
    jane = make_candidate(owner=riley, name="Jane Doe")
    status = page.locator("#call-status")

    page.goto(f"{line.url}/login")
    page.fill("input[name=email]", "riley@example.com")
    page.fill("input[name=password]", "password-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{line.url}/calls")
    expect(status).to_have_text("No call in progress.")

    # Jane calls the company number while the page is open; Riley takes it on the phone.
    sid = line.sim.incoming_call(jane.phone, COMPANY_NUMBER)
    leg = line.sim.wait_for(to=riley.phone, parent_sid=sid, waiting_for_input="answer")
    line.sim.answer(leg.sid)
    line.sim.wait_for(sid=leg.sid, waiting_for_input="digits")
    line.sim.press(leg.sid, "1")
    line.sim.wait_for(sid=leg.sid, waiting_for_input="bridge")

    expect(page.locator("#call-who")).to_have_text("Call from Jane Doe")
    expect(status).to_have_text("Talking with Jane")
    history = page.locator("#call-history a")
    expect(history).to_be_visible()
    expect(history).to_have_attribute("href", f"/candidates/{jane.id}")
    expect(page.locator("button.call").first).to_be_disabled()

    line.sim.hangup(leg.sid)
    line.sim.wait_for(sid=sid, state="completed")
    outcome_leg = line.sim.wait_for(
        to=riley.phone, direction="outbound-api", waiting_for_input="answer"
    )
    line.sim.answer(outcome_leg.sid)
    line.sim.wait_for(sid=outcome_leg.sid, waiting_for_input="digits")
    line.sim.press(outcome_leg.sid, "1")
    line.sim.wait_for(sid=outcome_leg.sid, state="completed")
    expect(status).to_have_text("Outcome saved: interview scheduled")
    expect(page.locator("button.call").first).to_be_enabled()
