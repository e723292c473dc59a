"""Issue 9 end to end: an unknown caller leaves a voicemail for the team; a recruiter sees it
appear on their callback list, calls the number back with one click (no candidate), and
the callback closes when they connect. Over HTTP, every webhook from the simulator."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import select

from models import Call, CallbackTask, CallEvent
from tests.e2e.test_inbound_e2e import sign_in, wired
from tests.fixtures.twilio import COMPANY_NUMBER
from tests.twiml_helpers import parse

STRANGER = "+15005559999"
CALL_BACK_PROMPT = "Calling back the caller who left a voicemail. Press 1 to connect, or hang up."


def leave_a_message_for_the_team(line) -> str:  # type: ignore[no-untyped-def]
    sid = line.sim.incoming_call(STRANGER, COMPANY_NUMBER)
    line.sim.wait_for(sid=sid, waiting_for_input="digits")
    line.sim.press(sid, "2")
    line.sim.wait_for(sid=sid, waiting_for_input="recording")
    line.sim.record(sid, 7, hang_up=True)
    line.sim.wait_for(sid=sid, state="completed")
    return sid


def call_back(browser, line, task_id: int):  # type: ignore[no-untyped-def]
    """Click "Call back" as the page's script does: the form's CSRF token, JSON back."""
    page = browser.get(f"{line.url}/calls", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token
    return browser.post(
        f"{line.url}/callbacks/{task_id}/call",
        data={"csrf_token": token.group(1)},
        headers={"Accept": "application/json"},
        timeout=10,
    )


def live(browser, line, call_id: int) -> dict:  # type: ignore[type-arg]
    return browser.get(f"{line.url}/calls/{call_id}.json", timeout=10).json()


def test_an_unknown_callers_voicemail_is_called_back_with_one_click(make_line, db, make_user):
    line = wired(make_line())
    line.without_drops()  # the page follows each callback as it arrives
    riley = make_user(name="Riley Recruiter", email="riley@example.com")
    browser = sign_in(line, "riley@example.com")
    assert browser.get(f"{line.url}/callbacks.json", timeout=10).json()["callbacks"] == []

    leave_a_message_for_the_team(line)
    [waiting] = browser.get(f"{line.url}/callbacks.json", timeout=10).json()["callbacks"]
    assert (waiting["caller"], waiting["team"]) == (f"Unknown caller {STRANGER}", True)

    placed = call_back(browser, line, waiting["id"])
    assert placed.status_code in line.placed, placed.text
    call_id = placed.json()["id"]
    assert placed.json()["heading"] == "Calling back an unknown caller"
    recruiter_leg = line.sim.wait_for(to=riley.phone, waiting_for_input="answer")
    assert recruiter_leg.from_ == COMPANY_NUMBER
    line.sim.answer(recruiter_leg.sid)
    screening = line.sim.wait_for(sid=recruiter_leg.sid, waiting_for_input="digits")
    assert screening.prompt == CALL_BACK_PROMPT
    assert live(browser, line, call_id)["live_state"]["text"] == "Waiting for you to press 1"
    line.sim.press(recruiter_leg.sid, "1")
    stranger_leg = line.sim.wait_for(
        to=STRANGER, parent_sid=recruiter_leg.sid, waiting_for_input="answer"
    )
    assert stranger_leg.from_ == COMPANY_NUMBER
    assert live(browser, line, call_id)["live_state"]["text"] == "Ringing the caller"
    line.sim.answer(stranger_leg.sid)
    line.sim.wait_for(sid=recruiter_leg.sid, waiting_for_input="bridge")
    answered = [
        r
        for r in line.sim.delivered()
        if urlsplit(r.url).path == f"/voice/outbound/{call_id}/candidate-status"
    ]
    assert [(r.params["CallSid"], r.status) for r in answered] == [(stranger_leg.sid, 200)]
    assert live(browser, line, call_id)["live_state"]["text"] == "Talking with the caller"
    line.sim.clock.advance(40)
    line.sim.hangup(stranger_leg.sid)
    menu = line.sim.wait_for(sid=recruiter_leg.sid, waiting_for_input="digits")
    assert (menu.prompt or "").startswith("The call has ended. Please key in the outcome")
    assert live(browser, line, call_id)["live_state"]["text"] == "Key in the outcome on your phone"
    line.sim.press(recruiter_leg.sid, "8")
    line.sim.wait_for(sid=recruiter_leg.sid, state="completed")

    db.expire_all()
    call = db.get(Call, call_id)
    assert (call.direction, call.flow, call.candidate_id) == ("outbound", "callback", None)
    assert (call.candidate_number, call.child_sid, call.talk_duration) == (
        STRANGER,
        stranger_leg.sid,
        40,
    )
    assert (call.status, call.disposition, call.outcome.label) == (
        "completed",
        "connected",
        "call back later",
    )
    assert call.active_recruiter_id is None
    task = db.get(CallbackTask, waiting["id"])
    assert (task.status, task.done_by_call_id) == ("done", call_id)
    kinds = db.scalars(select(CallEvent.kind).where(CallEvent.call_id == call_id)).all()
    assert {"call.requested", "screen.accepted", "twilio.candidate_status", "callback.done"} <= (
        set(kinds)
    )
    requested = db.scalar(
        select(CallEvent).where(CallEvent.call_id == call_id, CallEvent.kind == "call.requested")
    )
    assert requested.detail == {
        "candidate_id": None,
        "ring": "recruiter",
        "callback_task_id": task.id,
    }
    assert line.sim.said(stranger_leg.sid) == []
    assert line.sim.said(recruiter_leg.sid)[-1] == "Saved: call back later. Thank you. Goodbye."
    assert live(browser, line, call_id)["live_state"]["text"] == "Outcome saved: call back later"
    assert browser.get(f"{line.url}/callbacks.json", timeout=10).json()["callbacks"] == []
    screen = next(
        r
        for r in line.sim.delivered()
        if urlsplit(r.url).path == f"/voice/outbound/{call_id}/screen"
    )
    assert parse(screen.body).find("Dial").find("Number").text == STRANGER


def test_calling_back_a_number_that_became_my_candidate_calls_the_candidate(
    make_line, db, make_user, make_candidate
):
    line = wired(make_line())
    riley = make_user(name="Riley Recruiter", email="riley@example.com")
    leave_a_message_for_the_team(line)
    jane = make_candidate(owner=riley, name="Jane Doe", phone=STRANGER)
    browser = sign_in(line, "riley@example.com")
    [waiting] = browser.get(f"{line.url}/callbacks.json", timeout=10).json()["callbacks"]

    placed = call_back(browser, line, waiting["id"])

    assert placed.status_code in line.placed, placed.text
    assert (placed.json()["candidate_id"], placed.json()["heading"]) == (
        jane.id,
        "Call to Jane Doe",
    )
    recruiter_leg = line.sim.wait_for(to=riley.phone, waiting_for_input="answer")
    line.sim.no_answer(recruiter_leg.sid)
    line.sim.wait_for(sid=recruiter_leg.sid, state="no-answer")
    db.expire_all()
    assert db.get(Call, placed.json()["id"]).flow is None
