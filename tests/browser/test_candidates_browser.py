"""Issue 9, in a browser: a team brings its candidates in and works them. A recruiter finds a
candidate, adds one by typing a national-format number, moves the stage, calls, notes what was
said, and reads it all back on the candidate's timeline."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import CallEvent, Candidate
from tests.fixtures.line import Line


@pytest.fixture
def team_line(make_line) -> Line:
    line = make_line()
    line.app.config["WTF_CSRF_ENABLED"] = True
    return line


def sign_in(page, line: Line, email: str) -> None:
    page.goto(f"{line.url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "password-123")
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_recruiter_adds_works_and_notes_a_candidate(team_line, page, session, make_user,
                                                    make_candidate):  # fmt: skip
    line = team_line
    riley = make_user(name="Riley Recruiter", email="riley@example.com")
    make_candidate(owner=riley, name="Grace Hopper", phone="+15005550204")
    sign_in(page, line, "riley@example.com")

    # Search: the existing candidate is found by a fragment of her number.
    page.goto(f"{line.url}/candidates")
    page.fill("input[name=q]", "555-0204")
    page.click("form.filters button[type=submit]")
    expect(page.locator("#candidates tbody tr")).to_have_count(1)
    expect(page.locator("#candidates tbody")).to_contain_text("Grace Hopper")

    # Add: a number typed the way people say it, with a mistake first.
    page.click("text=Add a candidate")
    page.fill("input[name=name]", "Jane Doe")
    page.fill("input[name=phone]", "(415) 555-01")
    page.click("#candidate-form button[type=submit]")
    expect(page.locator("#phone-error")).to_contain_text("not a valid phone number")
    page.fill("input[name=phone]", "(415) 555-0133")
    page.click("#candidate-form button[type=submit]")
    expect(page.locator("h1")).to_have_text("Jane Doe")
    jane = session.scalar(select(Candidate).where(Candidate.name == "Jane Doe"))
    assert (jane.phone, jane.timezone, jane.owner_id) == (
        "+14155550133",
        "America/Los_Angeles",
        riley.id,
    )

    # Edit: move her to screening, saying why.
    page.click("#edit-candidate")
    page.select_option("select[name=stage]", "screening")
    page.fill("input[name=reason]", "CV looks strong")
    page.click("#candidate-form button[type=submit]")
    expect(page.locator("#stage")).to_have_text("screening")

    # Call her from the company number; the phones are the simulator's.
    page.click("form.call-form button.call")
    page.wait_for_url(f"{line.url}/calls")
    recruiter_leg = line.sim.wait_for(to=riley.phone, waiting_for_input="answer")
    line.sim.answer(recruiter_leg.sid)
    line.sim.wait_for(sid=recruiter_leg.sid, waiting_for_input="digits")
    line.sim.press(recruiter_leg.sid, "1")
    jane_leg = line.sim.wait_for(to=jane.phone, waiting_for_input="answer")
    line.sim.answer(jane_leg.sid)
    line.sim.wait_for(sid=recruiter_leg.sid, waiting_for_input="bridge")
    expect(page.locator("#call-status")).to_have_text("Talking with Jane")
    line.sim.clock.advance(95)
    line.sim.hangup(jane_leg.sid)
    line.sim.wait_for(sid=recruiter_leg.sid, waiting_for_input="digits")
    line.sim.press(recruiter_leg.sid, "1")
    line.sim.wait_for(sid=recruiter_leg.sid, state="completed")
    expect(page.locator("#call-status")).to_have_text("Outcome saved: interview scheduled")

    # A note after the call, from the live panel.
    page.fill("#call-note textarea", "Prefers Tuesday mornings.")
    page.click("#call-note button[type=submit]")
    expect(page.locator("#call-note .note-result")).to_have_text("Note added.")

    # The candidate's timeline holds the note, the stage changes and the call.
    page.goto(f"{line.url}/candidates/{jane.id}")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Prefers Tuesday mornings.")
    expect(timeline).to_contain_text("applied → screening (CV looks strong)")
    expect(timeline).to_contain_text("screening → interviewing (interview scheduled)")
    expect(timeline).to_contain_text("Call to the candidate")
    expect(page.locator("#stage")).to_have_text("interviewing")
    first = timeline.locator("li").first
    expect(first).to_contain_text("Prefers Tuesday mornings.")
    notes = session.scalars(
        select(CallEvent).where(CallEvent.kind == "note.added", CallEvent.candidate_id == jane.id)
    ).all()
    assert [n.actor_id for n in notes] == [riley.id]


def test_admin_imports_a_csv_and_sees_the_bad_row_reported(team_line, page, session, make_user,
                                                           tmp_path):  # fmt: skip
    line = team_line
    make_user("admin", name="Alex Admin", email="admin@example.com")
    make_user(name="Riley Recruiter", email="riley@example.com")
    upload = tmp_path / "pipeline.csv"
    upload.write_text(
        "name,phone,email,owner_email,stage,favourite_colour\n"
        "Ada Lovelace,+44 20 7946 0958,ada@example.net,riley@example.com,screening,green\n"
        "Bad Number,555-01,,riley@example.com,applied,blue\n"
        "Grace Hopper,(415) 555-0133,,riley@example.com,interviewing,red\n"
    )
    sign_in(page, line, "admin@example.com")

    page.goto(f"{line.url}/candidates")
    page.click("text=Import a CSV")
    page.set_input_files("input[type=file]", str(upload))
    page.click("#import-form button[type=submit]")

    expect(page.locator("#import-summary")).to_have_text("created 2, updated 0, rejected 1")
    rejected = page.locator("#rejected-rows tbody tr")
    expect(rejected).to_have_count(1)
    expect(rejected.first).to_contain_text("3")
    expect(rejected.first).to_contain_text("not a valid phone number")
    expect(page.locator("#ignored-columns")).to_contain_text("favourite_colour")
    names = set(session.scalars(select(Candidate.name)))
    assert names == {"Ada Lovelace", "Grace Hopper"}
