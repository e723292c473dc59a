"""Issue 4 end to end: calls to the company number, over HTTP, through the simulator.

Every test starts a call the way a phone would (sim.incoming_call), acts only when a leg asks
for it (sim.wait_for), and then checks what is left behind: the Call, its CallEvents, the
CallbackTasks, what each phone heard, and the TwiML the app answered with, parsed as XML."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import requests
from sqlalchemy import select

from models import Call, CallbackTask, CallEvent
from simulator.engine import SentRequest
from tests.fixtures.line import Line, free_port
from tests.fixtures.people import LINE_PIN
from tests.fixtures.twilio import COMPANY_NUMBER
from tests.twiml_helpers import parse, spoken, url_path, url_query, verbs

WHISPER = "Call from candidate Jane Doe. Press 1 to accept."
GREETING = "Hi Jane, thanks for calling."
VOICEMAIL_TAIL = "Please leave a message after the tone, then press pound or hang up."


def wired(line: Line) -> Line:
    """The company number as configured in the Twilio console (README): its "Call status
    changes" URL too, so that an inbound Call learns how and when it ended."""
    line.sim.status_callbacks[COMPANY_NUMBER] = line.url + "/voice/status"
    return line


@pytest.fixture
def line(make_line: Callable[..., Line]) -> Line:
    return wired(make_line())


# Helpers -------------------------------------------------------------------------------------


def the_call(db, sid: str) -> Call:
    db.expire_all()
    call = db.scalar(select(Call).where(Call.parent_sid == sid))
    assert call is not None, f"no Call for {sid}"
    return call


def kinds(db, call: Call) -> list[str]:
    return list(
        db.scalars(
            select(CallEvent.kind).where(CallEvent.call_id == call.id).order_by(CallEvent.id)
        )
    )


def details(db, call: Call, kind: str) -> list[dict]:
    return [
        event.detail
        for event in db.scalars(
            select(CallEvent)
            .where(CallEvent.call_id == call.id, CallEvent.kind == kind)
            .order_by(CallEvent.id)
        )
    ]


def tasks(db) -> list[CallbackTask]:
    db.expire_all()
    return list(db.scalars(select(CallbackTask).order_by(CallbackTask.id)))


def sent(line: Line, path: str, kind: str | None = None) -> list[SentRequest]:
    """The deliveries the simulator made to a path of the app, oldest first (a retried one
    once, callbacks still on their way awaited)."""
    return [
        r
        for r in line.sim.delivered()
        if url_path(r.url) == path and (kind is None or r.kind == kind)
    ]


def answered_with(line: Line, path: str, kind: str | None = None) -> ET.Element:
    """The TwiML of the one request to `path`, parsed; it must have succeeded."""
    matching = sent(line, path, kind)
    assert len(matching) == 1, [(r.kind, r.url) for r in matching]
    assert (matching[0].status, matching[0].error) == (200, None)
    return parse(matching[0].body)


def ring_and_accept(line: Line, caller_sid: str, phone: str, whisper: str = WHISPER) -> str:
    """The recruiter's phone rings, they answer, hear the whisper and press 1: bridged."""
    leg = line.sim.wait_for(to=phone, parent_sid=caller_sid, waiting_for_input="answer")
    line.sim.answer(leg.sid)
    heard = line.sim.wait_for(sid=leg.sid, waiting_for_input="digits")
    assert heard.prompt == whisper
    line.sim.press(leg.sid, "1")
    line.sim.wait_for(sid=caller_sid, waiting_for_input="bridge")
    line.sim.wait_for(sid=leg.sid, waiting_for_input="bridge")
    return leg.sid


def key_outcome(line: Line, phone: str, digit: str, intro: str) -> str:
    """The app rings the recruiter back for the outcome of the inbound call; they key it in."""
    leg = line.sim.wait_for(to=phone, direction="outbound-api", waiting_for_input="answer")
    line.sim.answer(leg.sid)
    menu = line.sim.wait_for(sid=leg.sid, waiting_for_input="digits")
    assert (menu.prompt or "").startswith(intro), menu.prompt
    line.sim.press(leg.sid, digit)
    line.sim.wait_for(sid=leg.sid, state="completed")
    return leg.sid


def assert_ended_cleanly(db, call: Call) -> None:
    """Nothing half-written: a terminal status, an end time, no recruiter lock."""
    assert call.status == "completed"
    assert call.ended_at is not None
    assert call.active_recruiter_id is None


def sign_in(line: Line, email: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(line.url + "/login", timeout=10)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    assert token, page.text
    response = browser.post(
        line.url + "/login",
        data={"csrf_token": token.group(1), "email": email, "password": "password-123"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert url_path(response.url) == "/calls", response.url
    return browser


def add_previous_call(db, recruiter, candidate) -> None:
    db.add(
        Call(
            direction="outbound",
            recruiter_id=recruiter.id,
            candidate_id=candidate.id,
            company_number=COMPANY_NUMBER,
            status="completed",
        )
    )
    db.commit()


# Candidates calling back ---------------------------------------------------------------------


def test_candidate_reaches_the_recruiter_who_last_called_them(line, db, make_user, make_candidate):
    olive = make_user(name="Olive Owner")
    riley = make_user(name="Riley Recruiter")
    jane = make_candidate(owner=olive, name="Jane Doe")
    add_previous_call(db, riley, jane)

    sid = line.sim.incoming_call(jane.phone, COMPANY_NUMBER)
    riley_leg = ring_and_accept(line, sid, riley.phone)
    line.sim.clock.advance(60)
    line.sim.hangup(riley_leg)
    line.sim.wait_for(sid=sid, state="completed")
    outcome_leg = key_outcome(line, riley.phone, "1", "Your call with Jane Doe has ended.")

    call = the_call(db, sid)
    assert (call.direction, call.flow, call.candidate_id) == ("inbound", "candidate", jane.id)
    assert (call.recruiter_id, call.child_sid) == (riley.id, riley_leg)
    assert (call.disposition, call.talk_duration, call.outcome.digit) == ("answered", 60, "1")
    assert_ended_cleanly(db, call)
    events = kinds(db, call)
    for kind in (
        "twilio.incoming",
        "hunt.ringing",
        "whisper.played",
        "whisper.accepted",
        "hunt.connected",
        "outcome.call_requested",
        "outcome.call_placed",
        "outcome.call_answered",
        "outcome.recorded",
        "twilio.status",
    ):
        assert kind in events, (kind, events)
    assert events.count("outcome.call_requested") == 1
    assert details(db, call, "hunt.ringing") == [{"recruiter_id": riley.id, "position": 0}]
    assert tasks(db) == []
    assert line.sim.said(sid) == [GREETING, "Thank you for calling. Goodbye."]
    assert line.sim.said(riley_leg) == [WHISPER]
    assert line.sim.said(outcome_leg)[-1] == "Saved: interview scheduled. Thank you. Goodbye."

    # The Dial the caller got: ringback until the whisper is accepted, from the company number.
    root = answered_with(line, "/voice/incoming", "voice")
    assert verbs(root) == ["Say", "Dial"]
    assert spoken(root) == GREETING
    dial = root.find("Dial")
    assert dial.get("answerOnBridge") == "true"
    assert (dial.get("callerId"), dial.get("timeout"), dial.get("method")) == (
        COMPANY_NUMBER,
        "20",
        "POST",
    )
    assert url_path(dial.get("action")) == f"/voice/inbound/{call.id}/hunt-result"
    assert url_query(dial.get("action")) == {"i": "0", "r": str(riley.id)}
    number = dial.find("Number")
    assert number.text == riley.phone
    assert url_path(number.get("url")) == f"/voice/inbound/{call.id}/whisper"
    assert url_query(number.get("url")) == {"r": str(riley.id)}
    # The whisper the recruiter got: one key, then hang up if none, so voicemail never answers.
    whisper = answered_with(line, f"/voice/inbound/{call.id}/whisper", "whisper")
    assert verbs(whisper) == ["Gather", "Hangup"]
    gather = whisper.find("Gather")
    assert (gather.get("numDigits"), gather.get("timeout")) == ("1", "8")
    assert url_path(gather.get("action")) == f"/voice/inbound/{call.id}/whisper-answer"
    assert spoken(gather) == WHISPER
    accept = answered_with(line, f"/voice/inbound/{call.id}/whisper-answer", "action")
    assert verbs(accept) == []


def test_candidate_reaches_the_owner_when_the_last_caller_is_unavailable(
    line, db, make_user, make_candidate
):
    olive = make_user(name="Olive Owner")
    away = make_user(name="Away Recruiter", is_available=False)
    jane = make_candidate(owner=olive, name="Jane Doe")
    add_previous_call(db, away, jane)

    sid = line.sim.incoming_call(jane.phone, COMPANY_NUMBER)
    olive_leg = ring_and_accept(line, sid, olive.phone)
    line.sim.clock.advance(30)
    line.sim.hangup(sid)
    line.sim.wait_for(sid=sid, state="completed")
    line.sim.wait_for(sid=olive_leg, state="completed")
    key_outcome(line, olive.phone, "1", "Your call with Jane Doe has ended.")

    call = the_call(db, sid)
    assert (call.recruiter_id, call.disposition, call.talk_duration) == (olive.id, "answered", 30)
    assert_ended_cleanly(db, call)
    assert details(db, call, "hunt.ringing") == [{"recruiter_id": olive.id, "position": 0}]
    assert all(leg.to != away.phone for leg in line.sim.legs())
    assert line.sim.said(sid) == [GREETING]
    assert line.sim.said(olive_leg) == [WHISPER]


@pytest.mark.parametrize("owner_state", ["does not answer", "unavailable"])
def test_candidate_reaches_the_hunt_group_after_the_owner(
    line, db, make_user, make_candidate, owner_state
):
    olive = make_user(name="Olive Owner", is_available=owner_state != "unavailable")
    second = make_user(name="Second Hunt", hunt_order=2)
    first = make_user(name="First Hunt", hunt_order=1)
    make_user(name="Not In Hunt", hunt_order=None)
    jane = make_candidate(owner=olive, name="Jane Doe")

    sid = line.sim.incoming_call(jane.phone, COMPANY_NUMBER)
    expected_ringing = []
    if owner_state == "does not answer":
        olive_leg = line.sim.wait_for(to=olive.phone, parent_sid=sid, waiting_for_input="answer")
        line.sim.no_answer(olive_leg.sid)
        expected_ringing.append(olive.id)
    first_leg = line.sim.wait_for(to=first.phone, parent_sid=sid, waiting_for_input="answer")
    line.sim.busy(first_leg.sid)
    expected_ringing.append(first.id)
    second_leg = ring_and_accept(line, sid, second.phone)
    expected_ringing.append(second.id)
    line.sim.clock.advance(45)
    line.sim.hangup(sid)
    line.sim.wait_for(sid=sid, state="completed")

    call = the_call(db, sid)
    assert (call.recruiter_id, call.child_sid) == (second.id, second_leg)
    assert (call.disposition, call.talk_duration) == ("answered", 45)
    assert_ended_cleanly(db, call)
    ringing = details(db, call, "hunt.ringing")
    assert [d["recruiter_id"] for d in ringing] == expected_ringing
    assert [d["position"] for d in ringing] == list(range(len(expected_ringing)))
    missed = details(db, call, "hunt.missed")
    assert [d["dial_status"] for d in missed] == (
        ["no-answer", "busy"] if owner_state == "does not answer" else ["busy"]
    )
    assert kinds(db, call).count("hunt.connected") == 1
    assert "hunt.exhausted" not in kinds(db, call)
    assert tasks(db) == []
    # The hunt goes on without repeating the greeting.
    assert line.sim.said(sid) == [GREETING]


def test_candidate_leaves_a_voicemail_that_becomes_a_callback_on_the_recruiters_page(
    line, db, make_user, make_candidate
):
    olive = make_user(name="Olive Owner", email="olive@example.com")
    jane = make_candidate(owner=olive, name="Jane Doe")

    sid = line.sim.incoming_call(jane.phone, COMPANY_NUMBER)
    olive_leg = line.sim.wait_for(to=olive.phone, parent_sid=sid, waiting_for_input="answer")
    line.sim.no_answer(olive_leg.sid)
    line.sim.wait_for(sid=sid, waiting_for_input="recording")
    line.sim.record(sid, 14, finish_key="#")
    line.sim.wait_for(sid=sid, state="completed")

    call = the_call(db, sid)
    assert (call.is_voicemail, call.disposition, call.recording_duration) == (
        True,
        "voicemail",
        14,
    )
    assert call.recording_sid
    assert line.sim.recording(call.recording_sid).call_sid == sid
    assert call.recording_url == line.sim.recording_url(call.recording_sid)
    assert call.recruiter_id == olive.id
    assert_ended_cleanly(db, call)
    events = kinds(db, call)
    for kind in (
        "hunt.missed",
        "hunt.exhausted",
        "voicemail.recorded",
        "recording.status",
        "callback.created",
    ):
        assert kind in events, (kind, events)
    assert events.count("callback.created") == 1
    [task] = tasks(db)
    assert (task.voicemail_call_id, task.candidate_id, task.recruiter_id) == (
        call.id,
        jane.id,
        olive.id,
    )
    assert (task.status, task.reason, task.caller_number) == ("open", "voicemail", jane.phone)
    assert line.sim.said(sid) == [
        GREETING,
        f"Olive is not available right now. {VOICEMAIL_TAIL}",
        "Thank you for your message. We will call you back as soon as we can. Goodbye.",
    ]
    assert line.sim.played(sid) == ["beep"]

    root = answered_with(line, f"/voice/inbound/{call.id}/hunt-result", "action")
    assert verbs(root) == ["Say", "Record", "Say", "Hangup"]
    record = root.find("Record")
    assert (record.get("maxLength"), record.get("finishOnKey")) == ("120", "#")
    assert url_path(record.get("action")) == f"/voice/inbound/{call.id}/voicemail"
    assert url_path(record.get("recordingStatusCallback")) == f"/voice/inbound/{call.id}/recording"
    [callback] = sent(line, f"/voice/inbound/{call.id}/recording", "recording-callback")
    assert (callback.status, callback.params["RecordingStatus"]) == (200, "completed")

    # The recruiter signs in and finds the voicemail waiting, playable.
    page = sign_in(line, "olive@example.com").get(line.url + "/calls", timeout=10)
    assert page.status_code == 200
    assert "Callbacks waiting (1)" in page.text
    item = re.search(rf'<li class="callback" data-task-id="{task.id}">(.*?)</li>', page.text, re.S)
    assert item, page.text
    assert "Jane Doe" in item.group(1)
    assert "14 s" in item.group(1)
    assert f"/calls/{call.id}/recording" in item.group(1)


def test_after_hours_the_caller_goes_straight_to_voicemail_with_a_promise(
    make_line, db, make_user, make_candidate
):
    line = wired(
        make_line(
            BUSINESS_HOURS="09:00-18:00",
            BUSINESS_DAYS="mon-fri",
            BUSINESS_TIMEZONE="America/New_York",
        )
    )
    # Saturday 28 November 2026, noon in New York.
    line.app.extensions["clock"] = lambda: datetime(2026, 11, 28, 17, 0, tzinfo=UTC)
    olive = make_user(name="Olive Owner")
    jane = make_candidate(owner=olive, name="Jane Doe")

    sid = line.sim.incoming_call(jane.phone, COMPANY_NUMBER)
    line.sim.wait_for(sid=sid, waiting_for_input="recording")
    line.sim.record(sid, 20, hang_up=True)
    line.sim.wait_for(sid=sid, state="completed")

    assert [leg.sid for leg in line.sim.legs()] == [sid]  # nobody was rung
    call = the_call(db, sid)
    assert_ended_cleanly(db, call)
    assert (call.is_voicemail, call.recording_duration) == (True, 20)
    events = kinds(db, call)
    assert "after_hours" in events
    assert "voicemail.recorded" in events
    assert "hunt.ringing" not in events
    [task] = tasks(db)
    assert (task.candidate_id, task.recruiter_id, task.status) == (jane.id, olive.id, "open")
    root = answered_with(line, "/voice/incoming", "voice")
    assert verbs(root) == ["Say", "Record", "Say", "Hangup"]
    assert line.sim.said(sid) == [
        "Thank you for calling the recruiting team. Our office is closed now. "
        "We are open Monday to Friday, 9 AM to 6 PM, America/New York time. "
        f"We will call you back on Monday morning. {VOICEMAIL_TAIL}"
    ]


def test_a_rejected_whisper_rings_the_next_and_then_voicemail(line, db, make_user, make_candidate):
    olive = make_user(name="Olive Owner")
    backup = make_user(name="Backup Hunt", hunt_order=1)
    jane = make_candidate(owner=olive, name="Jane Doe")

    sid = line.sim.incoming_call(jane.phone, COMPANY_NUMBER)
    olive_leg = line.sim.wait_for(to=olive.phone, parent_sid=sid, waiting_for_input="answer")
    line.sim.answer(olive_leg.sid)
    line.sim.wait_for(sid=olive_leg.sid, waiting_for_input="digits")
    line.sim.press(olive_leg.sid, "9")  # declines
    line.sim.wait_for(sid=olive_leg.sid, state="completed")
    backup_leg = line.sim.wait_for(to=backup.phone, parent_sid=sid, waiting_for_input="answer")
    line.sim.answer(backup_leg.sid)
    line.sim.wait_for(sid=backup_leg.sid, waiting_for_input="digits")
    line.sim.silence(backup_leg.sid)  # a voicemail box would do this: never bridged
    line.sim.wait_for(sid=backup_leg.sid, state="completed")
    line.sim.wait_for(sid=sid, waiting_for_input="recording")
    line.sim.record(sid, 8, hang_up=True)
    line.sim.wait_for(sid=sid, state="completed")

    call = the_call(db, sid)
    assert call.child_sid is None
    assert call.recruiter_id == olive.id  # whose callback it is, not who answered
    assert (call.disposition, call.is_voicemail) == ("voicemail", True)
    assert_ended_cleanly(db, call)
    events = kinds(db, call)
    assert events.count("whisper.played") == 2
    assert details(db, call, "whisper.rejected") == [{"recruiter_id": olive.id, "digits": "9"}]
    assert "whisper.accepted" not in events
    assert "hunt.connected" not in events
    assert [d["dial_status"] for d in details(db, call, "hunt.missed")] == [
        "no-answer",
        "no-answer",
    ]
    assert "hunt.exhausted" in events
    assert len(tasks(db)) == 1
    assert line.sim.said(olive_leg.sid) == [WHISPER]
    assert line.sim.said(backup_leg.sid) == [WHISPER]
    assert line.sim.said(sid) == [GREETING, f"Olive is not available right now. {VOICEMAIL_TAIL}"]
    rejected = answered_with(line, f"/voice/inbound/{call.id}/whisper-answer", "action")
    assert verbs(rejected) == ["Hangup"]


@pytest.mark.parametrize("when", ["while the recruiter rings", "during the whisper"])
def test_caller_hanging_up_mid_flow_leaves_nothing_half_written(
    line, db, make_user, make_candidate, when
):
    olive = make_user(name="Olive Owner")
    jane = make_candidate(owner=olive, name="Jane Doe")

    sid = line.sim.incoming_call(jane.phone, COMPANY_NUMBER)
    olive_leg = line.sim.wait_for(to=olive.phone, parent_sid=sid, waiting_for_input="answer")
    if when == "during the whisper":
        line.sim.answer(olive_leg.sid)
        line.sim.wait_for(sid=olive_leg.sid, waiting_for_input="digits")
    line.sim.hangup(sid)
    line.sim.wait_for(sid=sid, state="completed")
    ended = line.sim.wait_for(
        sid=olive_leg.sid, state="canceled" if when == "while the recruiter rings" else "completed"
    )
    assert ended.ended

    call = the_call(db, sid)
    assert_ended_cleanly(db, call)
    assert (call.disposition, call.recruiter_id, call.child_sid) == ("missed", None, None)
    events = kinds(db, call)
    assert events.count("hunt.ringing") == 1
    assert events.count("hunt.missed") == 1
    assert "hunt.exhausted" not in events
    assert "whisper.accepted" not in events
    assert tasks(db) == []
    # Nothing more was rung, and the hunt-result got an empty document.
    assert [leg.sid for leg in line.sim.legs()] == [sid, olive_leg.sid]
    assert verbs(answered_with(line, f"/voice/inbound/{call.id}/hunt-result", "action")) == []


# The decision line ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("digit", "label", "stage"),
    [("3", "offer accepted", "hired"), ("4", "offer declined", "withdrawn")],
)
def test_decision_line_candidate_answers_an_offer_by_phone(
    line, db, make_user, make_candidate, digit, label, stage
):
    olive = make_user(name="Olive Owner")
    jane = make_candidate(owner=olive, name="Jane Doe", stage="offer")

    sid = line.sim.incoming_call(jane.phone, COMPANY_NUMBER)
    menu = line.sim.wait_for(sid=sid, waiting_for_input="digits")
    assert menu.prompt == (
        "Hi Jane, thanks for calling. To give us your answer on your offer, press 2. "
        "To speak with your recruiter, press 1."
    )
    line.sim.press(sid, "2")
    olive_leg = ring_and_accept(
        line,
        sid,
        olive.phone,
        whisper="Call from candidate Jane Doe, with their answer on your offer. Press 1 to accept.",
    )
    line.sim.clock.advance(40)
    line.sim.hangup(sid)
    line.sim.wait_for(sid=sid, state="completed")
    outcome_leg = key_outcome(line, olive.phone, digit, "Your call with Jane Doe has ended.")

    call = the_call(db, sid)
    assert (call.flow, call.recruiter_id, call.disposition) == ("decision", olive.id, "answered")
    assert call.outcome.digit == digit
    assert_ended_cleanly(db, call)
    events = kinds(db, call)
    assert "offer.choice" in events
    assert "decision.requested" in events
    assert details(db, call, "candidate.stage_changed") == [
        {"from": "offer", "to": stage, "because": label}
    ]
    db.refresh(jane)
    assert jane.stage == stage
    assert line.sim.said(sid)[-1] == "Connecting you to your recruiter."
    assert line.sim.said(outcome_leg)[-1] == f"Saved: {label}. Thank you. Goodbye."
    assert line.sim.said(olive_leg) == [
        "Call from candidate Jane Doe, with their answer on your offer. Press 1 to accept."
    ]
    root = answered_with(line, "/voice/incoming", "voice")
    assert verbs(root) == ["Gather", "Redirect"]
    assert url_path(root.find("Gather").get("action")) == f"/voice/inbound/{call.id}/choice"


def test_decision_line_nobody_answers_so_the_offer_answer_becomes_a_callback(
    line, db, make_user, make_candidate
):
    olive = make_user(name="Olive Owner")
    jane = make_candidate(owner=olive, name="Jane Doe", stage="offer")

    sid = line.sim.incoming_call(jane.phone, COMPANY_NUMBER)
    line.sim.wait_for(sid=sid, waiting_for_input="digits")
    line.sim.press(sid, "2")
    olive_leg = line.sim.wait_for(to=olive.phone, parent_sid=sid, waiting_for_input="answer")
    line.sim.no_answer(olive_leg.sid)
    line.sim.wait_for(sid=sid, waiting_for_input="recording")
    line.sim.record(sid, 11, finish_key="#")
    line.sim.wait_for(sid=sid, state="completed")

    call = the_call(db, sid)
    assert (call.flow, call.disposition) == ("decision", "voicemail")
    assert_ended_cleanly(db, call)
    [task] = tasks(db)
    assert (task.reason, task.recruiter_id, task.candidate_id) == (
        "offer answer",
        olive.id,
        jane.id,
    )
    db.refresh(jane)
    assert jane.stage == "offer"


# Unknown callers -----------------------------------------------------------------------------

STRANGER = "+15005559999"


def test_unknown_caller_pressing_1_reaches_the_team(line, db, make_user):
    team = make_user(name="Team Member", hunt_order=1)
    make_user(name="Off Team", hunt_order=None)

    sid = line.sim.incoming_call(STRANGER, COMPANY_NUMBER)
    menu = line.sim.wait_for(sid=sid, waiting_for_input="digits")
    assert menu.prompt == (
        "Thank you for calling the recruiting team. To speak with a recruiter, press 1. "
        "To leave a message, press 2."
    )
    line.sim.press(sid, "1")
    team_leg = ring_and_accept(
        line,
        sid,
        team.phone,
        whisper="Call for the recruiting team from an unknown number. Press 1 to accept.",
    )
    line.sim.clock.advance(20)
    line.sim.hangup(team_leg)
    line.sim.wait_for(sid=sid, state="completed")
    key_outcome(line, team.phone, "1", "Your call with an unknown caller has ended.")

    call = the_call(db, sid)
    assert (call.direction, call.flow, call.candidate_id) == ("inbound", "unknown-caller", None)
    assert (call.candidate_number, call.recruiter_id, call.talk_duration) == (
        STRANGER,
        team.id,
        20,
    )
    assert call.outcome.digit == "1"
    assert_ended_cleanly(db, call)
    assert details(db, call, "unknown.choice")[0]["digits"] == "1"
    assert tasks(db) == []
    assert line.sim.said(sid)[-2:] == [
        "Connecting you to our recruiting team.",
        "Thank you for calling. Goodbye.",
    ]


def test_unknown_caller_pressing_2_leaves_a_message_for_the_team(line, db, make_user):
    team = make_user(name="Team Member", hunt_order=1, email="team@example.com")

    sid = line.sim.incoming_call(STRANGER, COMPANY_NUMBER)
    line.sim.wait_for(sid=sid, waiting_for_input="digits")
    line.sim.press(sid, "2")
    line.sim.wait_for(sid=sid, waiting_for_input="recording")
    line.sim.record(sid, 6, hang_up=True)
    line.sim.wait_for(sid=sid, state="completed")

    assert all(leg.to != team.phone for leg in line.sim.legs())
    call = the_call(db, sid)
    assert (call.flow, call.candidate_id, call.disposition) == ("unknown-caller", None, "voicemail")
    assert_ended_cleanly(db, call)
    [task] = tasks(db)
    assert (task.candidate_id, task.recruiter_id, task.caller_number) == (None, None, STRANGER)
    assert line.sim.said(sid)[-1] == f"Thank you. {VOICEMAIL_TAIL}"
    # Unassigned, it waits on every recruiter's page, attachable to a candidate later.
    page = sign_in(line, "team@example.com").get(line.url + "/calls", timeout=10)
    assert f'data-task-id="{task.id}"' in page.text
    assert f"Unknown caller {STRANGER}" in page.text


def test_a_recruiter_on_an_inbound_call_is_busy_for_the_hunt_and_the_call_button(
    line, db, make_user, make_candidate, api_token
):
    olive = make_user(name="Olive Owner", hunt_order=1)
    ben = make_user(name="Ben Backup", hunt_order=2)
    jane = make_candidate(owner=olive, name="Jane Doe")
    sam = make_candidate(owner=olive, name="Sam Second")

    sid = line.sim.incoming_call(jane.phone, COMPANY_NUMBER)
    olive_leg = ring_and_accept(line, sid, olive.phone)
    assert the_call(db, sid).active_recruiter_id == olive.id
    # Busy: Olive's own Call button is refused, and Sam's call rings Ben, not Olive.
    refused = line.api("POST", "/api/v1/calls", api_token(olive), json={"candidate_id": sam.id})
    assert refused.status_code == 409, refused.text
    second = line.sim.incoming_call(sam.phone, COMPANY_NUMBER)
    ben_leg = line.sim.wait_for(to=ben.phone, parent_sid=second, waiting_for_input="answer")
    assert all(leg.to != olive.phone for leg in line.sim.legs() if leg.parent_sid == second)
    line.sim.no_answer(ben_leg.sid)
    line.sim.wait_for(sid=second, waiting_for_input="recording")
    line.sim.hangup(second)
    line.sim.wait_for(sid=second, state="completed")

    line.sim.hangup(olive_leg)
    line.sim.wait_for(sid=sid, state="completed")
    key_outcome(line, olive.phone, "1", "Your call with Jane Doe has ended.")
    assert the_call(db, sid).active_recruiter_id is None
    placed = line.api("POST", "/api/v1/calls", api_token(olive), json={"candidate_id": sam.id})
    assert placed.status_code == 201, placed.text
    again = line.sim.wait_for(to=olive.phone, direction="outbound-api", waiting_for_input="answer")
    line.sim.no_answer(again.sid)
    line.sim.wait_for(sid=again.sid, state="no-answer")


# Recruiters dialling in ----------------------------------------------------------------------


def dial_in(line: Line, recruiter) -> str:
    """The recruiter calls in from their phone and keys their PIN: the code prompt waits."""
    sid = line.sim.incoming_call(recruiter.phone, COMPANY_NUMBER)
    asked = line.sim.wait_for(sid=sid, waiting_for_input="digits")
    assert asked.prompt == "Recruiter line. Enter your PIN, then press pound."
    line.sim.press(sid, f"{LINE_PIN}#")
    prompt = line.sim.wait_for(sid=sid, waiting_for_input="digits")
    first = recruiter.name.split()[0]
    assert (prompt.prompt or "").endswith(
        f"Hi {first}. Enter the candidate's code, then press pound. For your callbacks, press star."
    )
    return sid


def test_recruiter_dials_in_an_unknown_code_then_a_valid_one_and_keys_the_outcome(
    line, db, make_user, make_candidate
):
    riley = make_user(name="Riley Recruiter")
    jane = make_candidate(owner=riley, name="Jane Doe", code="123456")

    sid = dial_in(line, riley)
    assert the_call(db, sid).active_recruiter_id == riley.id
    line.sim.press(sid, "999999#")
    again = line.sim.wait_for(sid=sid, waiting_for_input="digits")
    assert (again.prompt or "").startswith("No candidate has the code 9 9 9 9 9 9. Hi Riley.")
    line.sim.press(sid, "123456#")
    jane_leg = line.sim.wait_for(to=jane.phone, parent_sid=sid, waiting_for_input="answer")
    line.sim.answer(jane_leg.sid)
    line.sim.wait_for(sid=sid, waiting_for_input="bridge")
    line.sim.clock.advance(90)
    line.sim.hangup(jane_leg.sid)
    menu = line.sim.wait_for(sid=sid, waiting_for_input="digits")
    assert "Please key in the outcome of this call." in (menu.prompt or "")
    line.sim.press(sid, "1")
    line.sim.wait_for(sid=sid, state="completed")

    call = the_call(db, sid)
    assert (call.direction, call.flow) == ("outbound", "dial-in")
    assert (call.recruiter_id, call.candidate_id, call.child_sid) == (
        riley.id,
        jane.id,
        jane_leg.sid,
    )
    assert (call.talk_duration, call.outcome.digit) == (90, "1")
    assert_ended_cleanly(db, call)
    codes = details(db, call, "dial_in.code")
    assert [(d["code"], d["candidate_id"], d["attempt"]) for d in codes] == [
        ("999999", None, 1),
        ("123456", jane.id, 2),
    ]
    assert "outcome.recorded" in kinds(db, call)
    assert "Calling Jane Doe." in line.sim.said(sid)
    assert line.sim.said(jane_leg.sid) == []  # the candidate hears only the recruiter
    # The Dial to the candidate, from the company number, reporting to the outbound flow.
    [code_request] = [
        r
        for r in sent(line, f"/voice/dial-in/{call.id}/code")
        if r.params.get("Digits") == "123456"
    ]
    root = parse(code_request.body)
    assert verbs(root) == ["Say", "Dial"]
    dial = root.find("Dial")
    assert (dial.get("callerId"), dial.find("Number").text) == (COMPANY_NUMBER, jane.phone)
    assert url_path(dial.get("action")) == f"/voice/outbound/{call.id}/dial-result"


def test_recruiter_dials_in_a_do_not_call_code_then_hangs_up(line, db, make_user, make_candidate):
    riley = make_user(name="Riley Recruiter")
    blocked = make_candidate(owner=riley, name="Dana Block", code="555555", do_not_call=True)

    sid = dial_in(line, riley)
    line.sim.press(sid, "555555#")
    again = line.sim.wait_for(sid=sid, waiting_for_input="digits")
    assert (again.prompt or "").startswith(
        "Dana Block is marked do not call. Please enter another code. Hi Riley."
    )
    line.sim.hangup(sid)
    line.sim.wait_for(sid=sid, state="completed")

    assert all(leg.to != blocked.phone for leg in line.sim.legs())
    call = the_call(db, sid)
    assert call.candidate_id is None
    assert_ended_cleanly(db, call)  # the recruiter's lock is released
    [code] = details(db, call, "dial_in.code")
    assert (code["code"], code["candidate_id"]) == ("555555", None)
    # Released: the recruiter can dial in again at once and is asked for a code.
    again_sid = dial_in(line, riley)
    assert the_call(db, again_sid).active_recruiter_id == riley.id
    line.sim.hangup(again_sid)
    line.sim.wait_for(sid=again_sid, state="completed")
    assert the_call(db, again_sid).active_recruiter_id is None


def test_recruiter_hanging_up_a_dial_in_bridge_leaves_nothing_half_written(
    line, db, make_user, make_candidate
):
    riley = make_user(name="Riley Recruiter")
    jane = make_candidate(owner=riley, name="Jane Doe", code="123456")

    sid = dial_in(line, riley)
    line.sim.press(sid, "123456#")
    jane_leg = line.sim.wait_for(to=jane.phone, parent_sid=sid, waiting_for_input="answer")
    line.sim.answer(jane_leg.sid)
    line.sim.wait_for(sid=sid, waiting_for_input="bridge")
    line.sim.clock.advance(12)
    line.sim.hangup(sid)
    line.sim.wait_for(sid=sid, state="completed")
    line.sim.wait_for(sid=jane_leg.sid, state="completed")

    call = the_call(db, sid)
    assert (call.child_sid, call.child_status, call.talk_duration) == (
        jane_leg.sid,
        "completed",
        12,
    )
    assert_ended_cleanly(db, call)
    [result] = details(db, call, "twilio.dial_result")
    assert result["dial_status"] == "completed"
    assert [d["status"] for d in details(db, call, "twilio.status")] == ["completed"]
    # Like after an inbound call, the recruiter is rung back to key in the outcome.
    key_outcome(line, riley.phone, "1", "Your call with Jane Doe has ended.")
    call = the_call(db, sid)
    assert call.outcome.digit == "1"
    assert kinds(db, call).count("outcome.call_requested") == 1


def test_recruiter_callbacks_menu_plays_the_voicemail_and_calls_back(
    line, db, make_user, make_candidate
):
    riley = make_user(name="Riley Recruiter")
    jane = make_candidate(owner=riley, name="Jane Doe")
    # Jane calls, Riley misses it, Jane leaves a message.
    left = line.sim.incoming_call(jane.phone, COMPANY_NUMBER)
    line.sim.no_answer(line.sim.wait_for(to=riley.phone, waiting_for_input="answer").sid)
    line.sim.wait_for(sid=left, waiting_for_input="recording")
    line.sim.record(left, 9, finish_key="#")
    line.sim.wait_for(sid=left, state="completed")
    voicemail = the_call(db, left)
    [task] = tasks(db)

    sid = dial_in(line, riley)
    line.sim.press(sid, "*")
    line.sim.wait_for(sid=sid, waiting_for_input="digits")
    line.sim.silence(sid)  # star, then the Gather's timeout submits it
    menu = line.sim.wait_for(sid=sid, waiting_for_input="digits")
    assert (
        menu.prompt
        == "To call Jane Doe back now, press 1. To enter a candidate code instead, press 2."
    )
    assert line.sim.said(sid)[-3:-1] == [
        "You have one callback waiting: Jane Doe, just now.",
        "Here is the message from Jane Doe.",
    ]
    assert line.sim.played(sid) == [voicemail.recording_url]
    line.sim.press(sid, "1")
    jane_leg = line.sim.wait_for(to=jane.phone, parent_sid=sid, waiting_for_input="answer")
    line.sim.answer(jane_leg.sid)
    line.sim.wait_for(sid=sid, waiting_for_input="bridge")
    line.sim.clock.advance(50)
    line.sim.hangup(jane_leg.sid)
    line.sim.wait_for(sid=sid, waiting_for_input="digits")
    line.sim.press(sid, "1")
    line.sim.wait_for(sid=sid, state="completed")

    call = the_call(db, sid)
    assert (call.flow, call.candidate_id, call.talk_duration) == ("dial-in", jane.id, 50)
    assert_ended_cleanly(db, call)
    assert details(db, call, "dial_in.callback_choice")[0]["task_id"] == task.id
    assert "callback.done" in kinds(db, call)
    [task] = tasks(db)
    assert (task.status, task.done_by_call_id) == ("done", call.id)
    assert "Calling Jane Doe back." in line.sim.said(sid)
    root = parse(
        next(
            r.body
            for r in sent(line, f"/voice/dial-in/{call.id}/code")
            if r.params.get("Digits") == "*"
        )
    )
    assert verbs(root) == ["Say", "Say", "Play", "Gather", "Redirect"]
    assert root.find("Play").text == voicemail.recording_url
    assert url_query(root.find("Gather").get("action")) == {"task": str(task.id)}


# The fallback URL ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("primary", "error_code", "reported"),
    [
        # Outside /voice/ the app answers a plain 404; under /voice/ it would answer an apology
        # itself (ivr/errors.py), which Twilio takes as a success and never falls back.
        ("/not-a-webhook", "11200", "HTTP 404"),
        # The primary host is down: nothing listens there.
        ("unreachable", "11205", "no response: ConnectionError"),
    ],
)
def test_the_fallback_url_answers_valid_twiml_when_the_voice_url_fails(
    line, db, make_user, make_candidate, primary, error_code, reported
):
    olive = make_user(name="Olive Owner")
    jane = make_candidate(owner=olive, name="Jane Doe")
    voice_url = (
        f"http://127.0.0.1:{free_port()}/voice/incoming"
        if primary == "unreachable"
        else (line.url + primary)
    )
    line.sim.numbers[COMPANY_NUMBER] = (voice_url, line.url + "/voice/fallback")

    sid = line.sim.incoming_call(jane.phone, COMPANY_NUMBER)
    line.sim.wait_for(sid=sid, state="completed")

    [failed] = [r for r in line.sim.requests if r.kind == "voice"]
    assert (failed.url, failed.error) == (voice_url, reported)
    [fallback] = sent(line, "/voice/fallback", "fallback")
    assert (fallback.status, fallback.error) == (200, None)
    assert (fallback.params["ErrorCode"], fallback.params["ErrorUrl"]) == (error_code, voice_url)
    root = parse(fallback.body)
    assert verbs(root) == ["Say", "Hangup"]
    assert root.find("Say").get("voice") == "Polly.Joanna"
    apology = "Sorry, something went wrong on our side. Please try again in a few minutes."
    assert spoken(root) == apology
    assert line.sim.said(sid) == [apology]
    # The fallback touches no database: no Call appears for this CallSid.
    assert db.scalar(select(Call).where(Call.parent_sid == sid)) is None
    # The failed primary webhook is exactly what the simulator reports; it is this test's
    # subject, so it is checked here and cleared, which keeps the teardown's check for the rest.
    errors = line.sim.errors
    assert len(errors) == 1, errors
    assert f"voice POST {voice_url} failed: {reported}" in errors[0], errors
    with line.sim._cond:
        line.sim._errors.clear()
