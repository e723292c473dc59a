"""Issue 3 end to end: one click rings the recruiter, screening, bridge, outcome keyed in."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import func, select, text

from models import Call, CallEvent
from models.enums import CallStatus
from simulator.engine import SentRequest
from tests.fixtures.twilio import COMPANY_NUMBER
from tests.twiml_helpers import parse, spoken, url_query, verbs

SCREEN_PROMPT = "Calling Jane Doe. Press 1 to connect, or hang up."
MENU = (
    "Please key in the outcome of this call. For interview scheduled, press 1. "
    "For offer extended, press 2."
)


# Helpers -------------------------------------------------------------------------------------


def load_call(line, db, call_id: int) -> Call:
    """The call as the app has it, once the worker has settled whatever callbacks chaos lost
    (Line.settle: nothing without chaos drop, nothing for a leg still live)."""
    line.settle()
    db.expire_all()
    call = db.get(Call, call_id)
    assert call is not None
    return call


def events(db, call_id: int) -> list[CallEvent]:
    db.expire_all()
    return list(
        db.scalars(select(CallEvent).where(CallEvent.call_id == call_id).order_by(CallEvent.seq))
    )


def kinds(db, call_id: int) -> Counter[str]:
    # Webhooks and the REST answer race (the first status callback may beat call.placed), so
    # the timeline is compared as a multiset.
    return Counter(event.kind for event in events(db, call_id))


def statuses_seen(db, call_id: int) -> list[tuple[str, bool]]:
    return [
        (event.payload["CallStatus"], event.detail["applied"])
        for event in events(db, call_id)
        if event.kind == "twilio.status"
    ]


def applied_as_they_arrived(seen: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """What the app must make of status callbacks in the order they arrived (Twilio does not
    promise order): each applied when it moves the call forward, a late one only logged."""
    furthest, expected = CallStatus("queued").rank, []
    for status, _ in seen:
        expected.append((status, CallStatus(status).rank > furthest))
        furthest = max(furthest, CallStatus(status).rank)
    return expected


def sent(line, *, kind: str, path: str, call_sid: str | None = None) -> list[SentRequest]:
    """The simulator's deliveries of this kind to this path (query string ignored): a retried
    delivery once, callbacks still on their way awaited."""
    return [
        r
        for r in line.sim.delivered()
        if r.kind == kind
        and urlsplit(r.url).path == path
        and (call_sid is None or r.call_sid == call_sid)
    ]


# What each of our webhook paths records, for callbacks chaos may drop.
CALLBACK_EVENTS = {"status": "twilio.status", "candidate-status": "twilio.candidate_status"}


def lost(line, call_id: int) -> Counter[str]:
    """The events the callbacks chaos dropped would have written (none without chaos)."""
    return Counter(
        CALLBACK_EVENTS[path.rsplit("/", 1)[1]]
        for path in (urlsplit(r.url).path for r in line.sim.dropped)
        if path.startswith(f"/voice/outbound/{call_id}/")
    )


def lost_statuses(line, call_id: int) -> set[str]:
    path = f"/voice/outbound/{call_id}/status"
    return {r.params["CallStatus"] for r in line.sim.dropped if urlsplit(r.url).path == path}


def settled(line, call_id: int) -> Counter[str]:
    """The worker's reconciliation event, when the final status callback was the one lost."""
    final = lost_statuses(line, call_id) & {"completed", "no-answer", "busy", "failed", "canceled"}
    return Counter({"call.reconciled": 1} if final else {})


PLACED = Counter({"call.placed": 1})
# Twilio's answer to the create came too late (chaos delay); the first webhook confirmed it.
CONFIRMED_LATE = Counter({"call.unconfirmed": 1, "call.confirmed": 1})


def placement(db, call_id: int) -> Counter[str]:
    """How the call's placing was logged: placed, or (chaos delay) confirmed late."""
    seen = Counter(k for k in kinds(db, call_id).elements() if k in PLACED | CONFIRMED_LATE)
    assert seen in (PLACED, CONFIRMED_LATE), seen
    return seen


def only(items: list):  # type: ignore[no-untyped-def]
    assert len(items) == 1, items
    return items[0]


def resend(line, request: SentRequest, **changes: str) -> requests.Response:
    """Deliver a recorded webhook again (optionally altered), signed as Twilio would sign it."""
    params = {**request.params, **changes}
    return requests.post(
        request.url,
        data=params,
        headers={"X-Twilio-Signature": line.sim.signature(request.url, params)},
        timeout=10,
    )


def place(line, token: str, candidate) -> int:
    placed = line.api("POST", "/api/v1/calls", token, json={"candidate_id": candidate.id})
    assert placed.status_code in line.placed, placed.text
    return placed.json()["id"]


def ring_candidate(line, recruiter, candidate):  # type: ignore[no-untyped-def]
    """The recruiter answers and presses 1; returns (recruiter leg, ringing candidate leg)."""
    recruiter_leg = line.sim.wait_for(to=recruiter.phone, waiting_for_input="answer")
    line.sim.answer(recruiter_leg.sid)
    line.sim.wait_for(sid=recruiter_leg.sid, waiting_for_input="digits")
    line.sim.press(recruiter_leg.sid, "1")
    candidate_leg = line.sim.wait_for(
        to=candidate.phone, parent_sid=recruiter_leg.sid, waiting_for_input="answer"
    )
    return recruiter_leg, candidate_leg


def talk_then_candidate_hangs_up(line, recruiter, candidate, seconds: int = 60):  # type: ignore[no-untyped-def]
    """A bridged conversation the candidate ends; returns the legs and the outcome menu leg."""
    recruiter_leg, candidate_leg = ring_candidate(line, recruiter, candidate)
    line.sim.answer(candidate_leg.sid)
    line.sim.wait_for(sid=recruiter_leg.sid, waiting_for_input="bridge")
    line.sim.clock.advance(seconds)
    line.sim.hangup(candidate_leg.sid)
    menu = line.sim.wait_for(sid=recruiter_leg.sid, waiting_for_input="digits")
    return recruiter_leg, candidate_leg, menu


@pytest.fixture
def riley(make_user):  # type: ignore[no-untyped-def]
    return make_user(name="Riley Recruiter")


@pytest.fixture
def jane(make_candidate, riley):  # type: ignore[no-untyped-def]
    return make_candidate(owner=riley, name="Jane Doe")


@pytest.fixture
def token(api_token, riley) -> str:
    return api_token(riley)


# Calls that reach the phones -------------------------------------------------------------------


def test_connected_call_with_outcome_recorded(line, db, make_user, make_candidate, api_token):
    riley = make_user(name="Riley Recruiter")
    jane = make_candidate(owner=riley, name="Jane Doe")
    token = api_token(riley)

    placed = line.api("POST", "/api/v1/calls", token, json={"candidate_id": jane.id})
    assert placed.status_code in line.placed, placed.text
    call_id = placed.json()["id"]

    recruiter_leg = line.sim.wait_for(to=riley.phone, waiting_for_input="answer")
    assert (recruiter_leg.from_, recruiter_leg.direction) == (COMPANY_NUMBER, "outbound-api")
    line.sim.answer(recruiter_leg.sid)
    line.sim.wait_for(sid=recruiter_leg.sid, waiting_for_input="digits")
    line.sim.press(recruiter_leg.sid, "1")
    candidate_leg = line.sim.wait_for(to=jane.phone, waiting_for_input="answer")
    assert (candidate_leg.parent_sid, candidate_leg.from_) == (recruiter_leg.sid, COMPANY_NUMBER)
    line.sim.answer(candidate_leg.sid)
    line.sim.wait_for(sid=recruiter_leg.sid, waiting_for_input="bridge")
    line.sim.clock.advance(95)
    line.sim.hangup(candidate_leg.sid)
    menu = line.sim.wait_for(sid=recruiter_leg.sid, waiting_for_input="digits")
    assert "interview scheduled" in (menu.prompt or "")
    line.sim.press(recruiter_leg.sid, "1")
    line.sim.wait_for(sid=recruiter_leg.sid, state="completed")
    line.sim.wait_for(sid=candidate_leg.sid, state="completed")
    line.settle()  # chaos: what the worker does for callbacks the network lost

    call = load_call(line, db, call_id)
    assert call.status == "completed"
    assert call.disposition == "connected"
    assert call.outcome.digit == "1"
    assert call.parent_sid == recruiter_leg.sid
    assert call.child_sid == candidate_leg.sid
    assert call.child_status == "completed"
    assert call.talk_duration == 95
    assert call.active_recruiter_id is None
    assert call.candidate.stage == "interviewing"
    assert kinds(db, call_id) == Counter(
        {
            "call.requested": 1,
            "twilio.status": 4,
            "twilio.answer": 1,
            "screen.accepted": 1,
            "twilio.candidate_status": 1,
            "twilio.candidate_human": 1,
            "twilio.dial_result": 1,
            "outcome.recorded": 1,
            "candidate.stage_changed": 1,
        }
    ) - lost(line, call_id) + settled(line, call_id) + placement(db, call_id)
    seen = statuses_seen(db, call_id)
    assert sorted(status for status, _ in seen) == sorted(
        set(["initiated", "ringing", "in-progress", "completed"]) - lost_statuses(line, call_id)
    )
    assert seen == applied_as_they_arrived(seen)
    heard = line.sim.said(recruiter_leg.sid)
    assert heard[:2] == [SCREEN_PROMPT, "Connecting."]
    assert heard[2].startswith("The call has ended. " + MENU)
    assert heard[3:] == ["Saved: interview scheduled. Thank you. Goodbye."]
    assert line.sim.said(candidate_leg.sid) == []
    body = line.api("GET", f"/api/v1/calls/{call_id}", token).json()
    assert body["outcome"]["digit"] == "1"
    assert body["candidate_leg_status"] == "completed"


def test_screen_answer_dials_the_candidate_from_the_company_number(line, db, riley, jane, token):
    call_id = place(line, token, jane)

    recruiter_leg, candidate_leg = ring_candidate(line, riley, jane)
    line.sim.busy(candidate_leg.sid)
    line.sim.wait_for(sid=recruiter_leg.sid, waiting_for_input="digits")

    screen = only(sent(line, kind="action", path=f"/voice/outbound/{call_id}/screen"))
    assert screen.params["Digits"] == "1"
    root = parse(screen.body)
    assert verbs(root) == ["Say", "Dial"]
    assert spoken(root) == "Connecting."
    dial = root.find("Dial")
    assert dial.get("callerId") == COMPANY_NUMBER
    assert dial.get("answerOnBridge") == "true"
    assert dial.get("timeout") == "25"
    assert urlsplit(dial.get("action")).path == f"/voice/outbound/{call_id}/dial-result"
    assert [child.tag for child in dial] == ["Number"]
    assert dial.find("Number").text == jane.phone
    assert riley.phone not in ET.tostring(root, encoding="unicode")
    line.sim.press(recruiter_leg.sid, "8")
    line.sim.wait_for(sid=recruiter_leg.sid, state="completed")


def test_candidate_no_answer(line, db, riley, jane, token):
    call_id = place(line, token, jane)

    recruiter_leg, candidate_leg = ring_candidate(line, riley, jane)
    line.sim.no_answer(candidate_leg.sid)
    menu = line.sim.wait_for(sid=recruiter_leg.sid, waiting_for_input="digits")
    assert (menu.prompt or "").startswith("Jane did not answer. " + MENU)
    line.sim.press(recruiter_leg.sid, "7")
    line.sim.wait_for(sid=recruiter_leg.sid, state="completed")
    line.sim.wait_for(sid=candidate_leg.sid, state="no-answer")

    call = load_call(line, db, call_id)
    assert (call.status, call.disposition) == ("completed", "candidate-no-answer")
    assert (call.child_sid, call.child_status) == (candidate_leg.sid, "no-answer")
    assert call.talk_duration is None
    assert call.outcome.label == "no answer"
    assert call.candidate.stage == jane.stage  # "no answer" moves no one along the pipeline
    counts = kinds(db, call_id)
    assert counts["twilio.dial_result"] == 1
    assert counts["outcome.recorded"] == 1
    assert "candidate.stage_changed" not in counts
    dial_result = only([e for e in events(db, call_id) if e.kind == "twilio.dial_result"])
    assert dial_result.detail == {"dial_status": "no-answer", "disposition": "candidate-no-answer"}
    assert line.sim.said(recruiter_leg.sid)[-1] == "Saved: no answer. Thank you. Goodbye."


def test_candidate_busy(line, db, riley, jane, token):
    call_id = place(line, token, jane)

    recruiter_leg, candidate_leg = ring_candidate(line, riley, jane)
    line.sim.busy(candidate_leg.sid)
    menu = line.sim.wait_for(sid=recruiter_leg.sid, waiting_for_input="digits")
    assert (menu.prompt or "").startswith("Jane's line was busy. " + MENU)
    line.sim.press(recruiter_leg.sid, "8")
    line.sim.wait_for(sid=recruiter_leg.sid, state="completed")

    call = load_call(line, db, call_id)
    assert (call.status, call.disposition) == ("completed", "candidate-busy")
    assert (call.child_sid, call.child_status) == (candidate_leg.sid, "busy")
    assert call.outcome.label == "call back later"
    assert kinds(db, call_id)["twilio.dial_result"] == 1
    assert line.sim.leg(candidate_leg.sid).state == "busy"
    assert line.sim.said(recruiter_leg.sid)[-1] == "Saved: call back later. Thank you. Goodbye."


def test_candidates_voicemail_is_its_own_disposition_and_the_recruiter_may_leave_a_message(
    line, db, riley, jane, token
):
    call_id = place(line, token, jane)

    recruiter_leg, candidate_leg = ring_candidate(line, riley, jane)
    line.sim.answer_machine(candidate_leg.sid)
    # Detected, the machine's leg is hung up unbridged; the recruiter is told, and the
    # voicemail is rung again for their message.
    again = line.sim.wait_for(
        to=jane.phone, parent_sid=recruiter_leg.sid, waiting_for_input="answer"
    )
    assert again.sid != candidate_leg.sid
    line.sim.answer_machine(again.sid)
    line.sim.wait_for(sid=recruiter_leg.sid, waiting_for_input="bridge")
    line.sim.clock.advance(20)
    line.sim.hangup(recruiter_leg.sid)
    line.sim.wait_for(sid=recruiter_leg.sid, state="completed")
    line.sim.wait_for(sid=again.sid, state="completed")

    call = load_call(line, db, call_id)
    assert (call.status, call.disposition) == ("completed", "candidate-voicemail")
    assert call.talk_duration is None
    assert call.child_sid == candidate_leg.sid
    assert call.active_recruiter_id is None
    counts = kinds(db, call_id)
    assert counts["twilio.candidate_machine"] == 2
    assert counts["twilio.dial_result"] == 2
    heard = line.sim.said(recruiter_leg.sid)
    assert heard == [
        SCREEN_PROMPT,
        "Connecting.",
        "You reached Jane's voicemail. "
        "Speak after the tone to leave a personal message, or hang up.",
    ]
    assert line.sim.said(candidate_leg.sid) == []
    body = line.api("GET", f"/api/v1/calls/{call_id}", token).json()
    assert body["disposition"] == "candidate-voicemail"


def test_recruiter_hanging_up_while_the_candidate_rings(line, db, riley, jane, token):
    call_id = place(line, token, jane)

    recruiter_leg, candidate_leg = ring_candidate(line, riley, jane)
    line.sim.hangup(recruiter_leg.sid)
    line.sim.wait_for(sid=recruiter_leg.sid, state="completed")
    line.sim.wait_for(sid=candidate_leg.sid, state="canceled")

    call = load_call(line, db, call_id)
    assert (call.status, call.disposition) == ("completed", "recruiter-hung-up-while-ringing")
    assert call.talk_duration is None
    assert call.active_recruiter_id is None
    dial_result = only([e for e in events(db, call_id) if e.kind == "twilio.dial_result"])
    # What the simulator sends, as Twilio does: the parent completed, the dial not answered.
    assert (dial_result.payload["CallStatus"], dial_result.payload["DialCallStatus"]) == (
        "completed",
        "no-answer",
    )


def test_recruiter_no_answer_releases_the_line(line, db, riley, jane, token):
    call_id = place(line, token, jane)

    recruiter_leg = line.sim.wait_for(to=riley.phone, waiting_for_input="answer")
    line.sim.no_answer(recruiter_leg.sid)
    line.sim.wait_for(sid=recruiter_leg.sid, state="no-answer")
    line.settle()

    call = load_call(line, db, call_id)
    assert (call.status, call.disposition) == ("no-answer", "recruiter-no-answer")
    assert (call.child_sid, call.child_status, call.outcome_code_id) == (None, None, None)
    assert call.active_recruiter_id is None
    assert call.ended_at is not None
    assert kinds(db, call_id) == Counter({"call.requested": 1, "twilio.status": 3}) - lost(
        line, call_id
    ) + settled(line, call_id) + placement(db, call_id)
    seen = statuses_seen(db, call_id)
    assert sorted(status for status, _ in seen) == sorted(
        {"initiated", "no-answer", "ringing"} - lost_statuses(line, call_id)
    )
    assert seen == applied_as_they_arrived(seen)
    assert line.sim.said(recruiter_leg.sid) == []
    assert [leg.sid for leg in line.sim.legs()] == [recruiter_leg.sid]  # the candidate never rang
    body = line.api("GET", f"/api/v1/calls/{call_id}", token).json()
    assert body["outcome_state"] == "not recorded"

    # The one-live-call lock is released: the recruiter can click again at once.
    again = place(line, token, jane)
    second_leg = line.sim.wait_for(to=riley.phone, state="ringing", waiting_for_input="answer")
    assert second_leg.sid != recruiter_leg.sid
    line.sim.busy(second_leg.sid)
    line.sim.wait_for(sid=second_leg.sid, state="busy")
    assert load_call(line, db, again).disposition == "recruiter-declined"


def test_recruiter_who_presses_nothing_did_not_accept(line, db, riley, jane, token):
    call_id = place(line, token, jane)

    recruiter_leg = line.sim.wait_for(to=riley.phone, waiting_for_input="answer")
    line.sim.answer(recruiter_leg.sid)
    for _ in range(2):
        line.sim.wait_for(sid=recruiter_leg.sid, waiting_for_input="digits")
        line.sim.silence(recruiter_leg.sid)
    line.sim.wait_for(sid=recruiter_leg.sid, state="completed")

    call = load_call(line, db, call_id)
    assert (call.status, call.disposition) == ("completed", "recruiter-did-not-accept")
    assert call.active_recruiter_id is None
    assert kinds(db, call_id)["screen.rejected"] == 1
    assert line.sim.said(recruiter_leg.sid) == [
        SCREEN_PROMPT,
        SCREEN_PROMPT,
        "No key was pressed, so the call was not connected. Goodbye.",
    ]
    assert [leg.sid for leg in line.sim.legs()] == [recruiter_leg.sid]


def test_recruiter_hangs_up_at_the_screening_prompt(line, db, riley, jane, token):
    call_id = place(line, token, jane)

    recruiter_leg = line.sim.wait_for(to=riley.phone, waiting_for_input="answer")
    line.sim.answer(recruiter_leg.sid)
    screening = line.sim.wait_for(sid=recruiter_leg.sid, waiting_for_input="digits")
    assert screening.prompt == SCREEN_PROMPT
    line.sim.hangup(recruiter_leg.sid)
    line.sim.wait_for(sid=recruiter_leg.sid, state="completed")

    call = load_call(line, db, call_id)
    assert (call.status, call.disposition) == ("completed", "recruiter-hung-up-before-bridge")
    assert (call.child_sid, call.child_status, call.outcome_code_id) == (None, None, None)
    assert call.active_recruiter_id is None
    counts = kinds(db, call_id)
    assert counts["twilio.answer"] == 1
    assert not {"screen.accepted", "screen.rejected", "twilio.dial_result"} & set(counts)
    assert line.sim.said(recruiter_leg.sid) == [SCREEN_PROMPT]
    assert [leg.sid for leg in line.sim.legs()] == [recruiter_leg.sid]

    answer = only(sent(line, kind="voice", path=f"/voice/outbound/{call_id}/answer"))
    root = parse(answer.body)
    assert verbs(root) == ["Gather", "Redirect"]
    gather = root.find("Gather")
    assert gather.get("numDigits") == "1"
    assert gather.get("timeout") == "8"
    assert urlsplit(gather.get("action")).path == f"/voice/outbound/{call_id}/screen"
    assert url_query(gather.get("action")) == {"attempt": "1"}
    assert spoken(gather) == SCREEN_PROMPT
    redirect = root.find("Redirect")
    assert urlsplit(redirect.text).path == f"/voice/outbound/{call_id}/answer"
    assert url_query(redirect.text) == {"attempt": "2"}


def test_invalid_then_valid_outcome_digit(line, db, riley, jane, token):
    call_id = place(line, token, jane)
    recruiter_leg, candidate_leg, _menu = talk_then_candidate_hangs_up(line, riley, jane)

    line.sim.press(recruiter_leg.sid, "0")
    again = line.sim.wait_for(sid=recruiter_leg.sid, waiting_for_input="digits")
    assert (again.prompt or "").startswith("That is not one of the options. " + MENU)
    line.sim.press(recruiter_leg.sid, "2")
    line.sim.wait_for(sid=recruiter_leg.sid, state="completed")

    call = load_call(line, db, call_id)
    assert (call.status, call.disposition, call.child_status) == (
        "completed",
        "connected",
        "completed",
    )
    assert call.outcome.label == "offer extended"
    assert call.outcome_by_id == riley.id
    assert call.candidate.stage == "offer"
    counts = kinds(db, call_id)
    assert (counts["outcome.invalid"], counts["outcome.recorded"]) == (1, 1)
    assert "outcome.not_recorded" not in counts
    timeline = events(db, call_id)
    invalid = only([e for e in timeline if e.kind == "outcome.invalid"])
    assert invalid.detail == {"digits": "0", "attempt": 1, "will_retry": True}
    recorded = only([e for e in timeline if e.kind == "outcome.recorded"])
    assert recorded.detail == {"digit": "2", "label": "offer extended", "attempt": 2}
    assert line.sim.said(recruiter_leg.sid)[-1] == "Saved: offer extended. Thank you. Goodbye."


def test_no_outcome_digit_at_all_is_not_recorded_after_the_retries(line, db, riley, jane, token):
    call_id = place(line, token, jane)
    recruiter_leg, candidate_leg, menu = talk_then_candidate_hangs_up(line, riley, jane)

    line.sim.silence(recruiter_leg.sid)
    for _ in range(2):
        again = line.sim.wait_for(sid=recruiter_leg.sid, waiting_for_input="digits")
        assert (again.prompt or "").startswith("I did not hear a key. " + MENU)
        line.sim.silence(recruiter_leg.sid)
    line.sim.wait_for(sid=recruiter_leg.sid, state="completed")

    call = load_call(line, db, call_id)
    assert (call.status, call.disposition) == ("completed", "connected")
    assert call.outcome_code_id is None
    assert call.candidate.stage == jane.stage
    counts = kinds(db, call_id)
    assert (counts["outcome.no_input"], counts["outcome.not_recorded"]) == (3, 1)
    assert "outcome.recorded" not in counts
    attempts = [e.detail for e in events(db, call_id) if e.kind == "outcome.no_input"]
    assert attempts == [
        {"digits": "", "attempt": 1, "will_retry": True},
        {"digits": "", "attempt": 2, "will_retry": True},
        {"digits": "", "attempt": 3, "will_retry": False},
    ]
    assert line.sim.said(recruiter_leg.sid)[-1] == (
        "No outcome was recorded for this call. You can add it from the web page. Goodbye."
    )
    body = line.api("GET", f"/api/v1/calls/{call_id}", token).json()
    assert (body["outcome"], body["outcome_state"]) == (None, "not recorded")

    # Each menu is a one-key Gather that falls through to the next attempt when nobody keys.
    menus = sent(line, kind="redirect", path=f"/voice/calls/{call_id}/outcome")
    assert [url_query(r.url) for r in menus] == [{"attempt": str(n)} for n in (1, 2, 3)]
    first = parse(
        only(sent(line, kind="action", path=f"/voice/outbound/{call_id}/dial-result")).body
    )
    assert verbs(first) == ["Gather", "Redirect"]
    gather = first.find("Gather")
    assert gather.get("numDigits") == "1"
    assert gather.get("action") == first.find("Redirect").text
    assert url_query(gather.get("action")) == {"attempt": "1"}
    assert parse(menus[-1].body).find("Hangup") is not None


def test_replayed_and_out_of_order_callbacks_change_nothing(line, db, riley, jane, token):
    line.without_drops()  # it replays each delivery: none may be lost
    call_id = place(line, token, jane)
    recruiter_leg, candidate_leg = ring_candidate(line, riley, jane)
    status_path = f"/voice/outbound/{call_id}/status"

    def status_callback(status: str) -> SentRequest:
        return only(
            [
                r
                for r in sent(line, kind="status-callback", path=status_path)
                if r.params["CallStatus"] == status
            ]
        )

    # Mid-call: a late "ringing" (already delivered once) arrives while the call is live.
    ringing = status_callback("ringing")  # once every callback on its way has arrived
    before = kinds(db, call_id)
    assert resend(line, ringing).status_code == 200
    assert load_call(line, db, call_id).status == "in-progress"
    assert kinds(db, call_id) == before

    line.sim.answer(candidate_leg.sid)
    line.sim.wait_for(sid=recruiter_leg.sid, waiting_for_input="bridge")
    line.sim.clock.advance(30)
    line.sim.hangup(candidate_leg.sid)
    line.sim.wait_for(sid=recruiter_leg.sid, waiting_for_input="digits")
    line.sim.press(recruiter_leg.sid, "1")
    line.sim.wait_for(sid=recruiter_leg.sid, state="completed")
    settled = load_call(line, db, call_id)
    snapshot = (settled.status, settled.ended_at, settled.duration, settled.disposition)
    before = kinds(db, call_id)

    # Replays of every status, the newest first, then the older ones after it.
    for status in ("completed", "in-progress", "ringing", "initiated"):
        assert resend(line, status_callback(status)).status_code == 200
    # A genuinely late delivery (a sequence number never seen) of an earlier status.
    late = resend(line, status_callback("in-progress"), SequenceNumber="17")
    assert late.status_code == 200

    call = load_call(line, db, call_id)
    assert (call.status, call.ended_at, call.duration, call.disposition) == snapshot
    assert kinds(db, call_id) == before + Counter({"twilio.status": 1})
    stale = events(db, call_id)[-1]
    assert (stale.kind, stale.payload["SequenceNumber"]) == ("twilio.status", "17")
    assert stale.detail == {
        "applied": False,
        "reason": "stale: call is already completed",
        "status": "completed",
    }

    # Replayed actions answer the same TwiML but write nothing new.
    dial_result = only(sent(line, kind="action", path=f"/voice/outbound/{call_id}/dial-result"))
    replayed = resend(line, dial_result)
    assert replayed.status_code == 200
    assert verbs(parse(replayed.text)) == ["Gather", "Redirect"]
    outcome = only(sent(line, kind="action", path=f"/voice/calls/{call_id}/outcome"))
    assert spoken(parse(resend(line, outcome).text)).startswith("Saved: interview scheduled.")
    # A different key replayed after the outcome was saved must not rewrite it.
    assert spoken(parse(resend(line, outcome, Digits="2").text)).startswith(
        "Saved: interview scheduled."
    )
    call = load_call(line, db, call_id)
    assert (call.outcome.digit, call.child_status, call.talk_duration) == ("1", "completed", 30)
    assert kinds(db, call_id) == before + Counter({"twilio.status": 1})
    keys = [e.idempotency_key for e in events(db, call_id) if e.idempotency_key]
    assert len(keys) == len(set(keys))


# Refusals ------------------------------------------------------------------------------------


def _unknown_candidate(ctx):  # type: ignore[no-untyped-def]
    return ctx.riley, 987_654


def _another_recruiters_candidate(ctx):  # type: ignore[no-untyped-def]
    return ctx.riley, ctx.make_candidate(owner=ctx.make_user(), name="Sam Other").id


def _auditor(ctx):  # type: ignore[no-untyped-def]
    return ctx.make_user("auditor"), ctx.jane.id


def _do_not_call(ctx):  # type: ignore[no-untyped-def]
    ctx.jane.do_not_call = True
    ctx.db.commit()
    return ctx.riley, ctx.jane.id


def _candidate_without_valid_phone(ctx):  # type: ignore[no-untyped-def]
    # Rows written by hand or before validation existed can still hold junk.
    ctx.db.execute(text("UPDATE candidates SET phone = '12' WHERE id = :id"), {"id": ctx.jane.id})
    return ctx.riley, ctx.jane.id


def _recruiter_without_phone(ctx):  # type: ignore[no-untyped-def]
    phoneless = ctx.make_user(phone=None)
    return phoneless, ctx.make_candidate(owner=phoneless, name="Pat Phoneless").id


@pytest.mark.parametrize(
    ("arrange", "status", "reason"),
    [
        (_unknown_candidate, 404, "no such candidate"),
        (_another_recruiters_candidate, 403, "this candidate belongs to another recruiter"),
        (_auditor, 403, "this endpoint is for recruiter users"),
        (_do_not_call, 409, "Jane Doe is marked do-not-call"),
        (_candidate_without_valid_phone, 422, "Jane Doe has no valid phone number"),
        (_recruiter_without_phone, 422, "you have no phone number on your profile to ring"),
    ],
    ids=lambda value: value.__name__.strip("_") if callable(value) else None,
)
def test_refused_call_rings_no_one(
    line, db, riley, jane, make_user, make_candidate, api_token, arrange, status, reason
):
    class Ctx:
        pass

    ctx = Ctx()
    ctx.__dict__.update(
        riley=riley, jane=jane, db=db, make_user=make_user, make_candidate=make_candidate
    )
    user, candidate_id = arrange(ctx)

    response = line.api(
        "POST", "/api/v1/calls", api_token(user), json={"candidate_id": candidate_id}
    )

    assert response.status_code == status
    assert response.json() == {"error": reason}
    assert db.scalar(select(func.count()).select_from(Call)) == 0
    assert line.sim.legs() == []
    assert line.sim.requests == []


def test_second_call_while_one_is_live_is_refused(line, db, riley, jane, make_candidate, token):
    other = make_candidate(owner=riley, name="Ann Applicant")
    first = place(line, token, jane)
    recruiter_leg = line.sim.wait_for(to=riley.phone, waiting_for_input="answer")

    response = line.api("POST", "/api/v1/calls", token, json={"candidate_id": other.id})

    assert response.status_code == 409
    assert response.json() == {"error": f"you already have a call in progress (call {first})"}
    assert db.scalar(select(func.count()).select_from(Call)) == 1
    assert [leg.sid for leg in line.sim.legs()] == [recruiter_leg.sid]
    line.sim.no_answer(recruiter_leg.sid)
    line.sim.wait_for(sid=recruiter_leg.sid, state="no-answer")


def test_concurrent_duplicate_status_callbacks_are_logged_once(line, db, riley, jane, token):
    line.without_drops()  # it replays a delivery: it must have been made
    call_id = place(line, token, jane)
    recruiter_leg = line.sim.wait_for(to=riley.phone, waiting_for_input="answer")
    ringing = only(
        [
            r
            for r in sent(line, kind="status-callback", path=f"/voice/outbound/{call_id}/status")
            if r.params["CallStatus"] == "ringing"
        ]
    )
    before = kinds(db, call_id)

    # Twilio retries a callback it thinks was lost: the same delivery, arriving all at once.
    with ThreadPoolExecutor(8) as pool:
        codes = list(
            pool.map(lambda _: resend(line, ringing, SequenceNumber="42").status_code, range(8))
        )

    assert codes == [200] * 8
    assert kinds(db, call_id) == before + Counter({"twilio.status": 1})
    assert load_call(line, db, call_id).status == "ringing"
    line.sim.no_answer(recruiter_leg.sid)
    line.sim.wait_for(sid=recruiter_leg.sid, state="no-answer")
