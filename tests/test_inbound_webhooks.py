"""Calls to the company number, one webhook at a time: routing, whisper, voicemail, dial-in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from models import Call, CallbackTask, CallEvent
from tests.fixtures.people import LINE_PIN
from tests.fixtures.twilio import COMPANY_NUMBER
from tests.twiml_helpers import parse, spoken, url_path, url_query, verbs

CALL_SID = "CA" + "1" * 32
CHILD_SID = "CA" + "2" * 32


@pytest.fixture
def owner(make_user):
    return make_user(name="Olive Owner", phone="+15005550111")


@pytest.fixture
def candidate(make_candidate, owner):
    return make_candidate(owner=owner, name="Jane Doe", phone="+15005550201", code="123456")


def incoming(twilio_post, from_number, sid=CALL_SID):
    return twilio_post(
        "/voice/incoming",
        {"CallSid": sid, "From": from_number, "To": COMPANY_NUMBER, "CallStatus": "ringing",
         "Direction": "inbound"},
    )  # fmt: skip


def the_call(session, sid=CALL_SID) -> Call:
    session.expire_all()
    return session.scalar(select(Call).where(Call.parent_sid == sid))


def kinds(session, call) -> list[str]:
    return list(
        session.scalars(
            select(CallEvent.kind).where(CallEvent.call_id == call.id).order_by(CallEvent.id)
        )
    )


def dial_in(twilio_post, session, recruiter, pin=LINE_PIN):
    """The recruiter calls in and keys their PIN: the answer is the code prompt."""
    incoming(twilio_post, recruiter.phone)
    call = the_call(session)
    return call, twilio_post(f"/voice/dial-in/{call.id}/pin?attempt=1",
                             {"CallSid": CALL_SID, "Digits": f"{pin}#"})  # fmt: skip


def dialled(response) -> tuple[str, dict[str, str]]:
    number = parse(response.data).find("Dial/Number")
    return number.text, url_query(number.get("url"))


def test_candidate_is_greeted_by_first_name_and_rings_their_last_caller(
    twilio_post, session, candidate, make_user
):
    last = make_user(name="Lee Last", phone="+15005550112")
    session.add(Call(direction="outbound", recruiter_id=last.id, candidate_id=candidate.id,
                     company_number=COMPANY_NUMBER, status="completed"))  # fmt: skip
    session.commit()

    response = incoming(twilio_post, "(500) 555-0201")

    root = parse(response.data)
    assert spoken(root) == "Hi Jane, thanks for calling."
    dial = root.find("Dial")
    assert dial.get("answerOnBridge") == "true"
    assert dialled(response) == ("+15005550112", {"r": str(last.id)})
    call = the_call(session)
    assert (call.direction, call.flow, call.candidate_id) == ("inbound", "candidate", candidate.id)


def test_candidate_rings_the_owner_when_the_last_caller_is_unavailable(
    twilio_post, session, candidate, owner, make_user
):
    last = make_user(phone="+15005550112", is_available=False)
    session.add(Call(direction="outbound", recruiter_id=last.id, candidate_id=candidate.id,
                     company_number=COMPANY_NUMBER, status="completed"))  # fmt: skip
    session.commit()

    response = incoming(twilio_post, "+15005550201")

    assert dialled(response)[0] == owner.phone


def test_hunt_group_is_tried_in_order_then_voicemail(
    twilio_post, session, make_user, make_candidate
):
    make_candidate(owner=None, phone="+15005550202")
    second = make_user(phone="+15005550122", hunt_order=2)
    first = make_user(phone="+15005550121", hunt_order=1)
    make_user(phone="+15005550123", hunt_order=None)

    response = incoming(twilio_post, "+15005550202")
    call = the_call(session)
    assert dialled(response)[0] == first.phone
    action = parse(response.data).find("Dial").get("action")
    assert url_query(action) == {"i": "0", "r": str(first.id)}

    missed = {"CallSid": CALL_SID, "CallStatus": "in-progress", "DialCallStatus": "no-answer",
              "DialCallSid": CHILD_SID}  # fmt: skip
    response = twilio_post(f"/voice/inbound/{call.id}/hunt-result?i=0&r={first.id}", missed)
    assert dialled(response)[0] == second.phone

    response = twilio_post(f"/voice/inbound/{call.id}/hunt-result?i=1&r={second.id}", missed)
    root = parse(response.data)
    assert verbs(root) == ["Say", "Record", "Say", "Hangup"]
    assert "not available right now" in spoken(root)
    assert kinds(session, call).count("hunt.missed") == 2


def test_whisper_names_the_candidate_and_asks_for_1(twilio_post, session, candidate, owner):
    incoming(twilio_post, "+15005550201")
    call = the_call(session)

    response = twilio_post(f"/voice/inbound/{call.id}/whisper?r={owner.id}",
                           {"CallSid": CHILD_SID, "CallStatus": "in-progress"})  # fmt: skip

    root = parse(response.data)
    assert verbs(root) == ["Gather", "Hangup"]
    assert spoken(root.find("Gather")) == "Call from candidate Jane Doe. Press 1 to accept."


def test_accepted_whisper_bridges_and_the_call_is_logged_as_answered(
    twilio_post, session, candidate, owner
):
    incoming(twilio_post, "+15005550201")
    call = the_call(session)

    accept = twilio_post(f"/voice/inbound/{call.id}/whisper-answer?r={owner.id}",
                         {"CallSid": CHILD_SID, "Digits": "1"})  # fmt: skip
    result = twilio_post(
        f"/voice/inbound/{call.id}/hunt-result?i=0&r={owner.id}",
        {"CallSid": CALL_SID, "CallStatus": "in-progress", "DialCallStatus": "completed",
         "DialCallSid": CHILD_SID, "DialCallDuration": "75"},
    )  # fmt: skip

    assert verbs(parse(accept.data)) == []
    assert verbs(parse(result.data)) == ["Say", "Hangup"]
    call = the_call(session)
    assert (call.recruiter_id, call.disposition, call.talk_duration) == (owner.id, "answered", 75)
    assert "whisper.accepted" in kinds(session, call)
    # The recruiter's leg is gone with the caller, so the app rings them for the outcome.
    assert "outcome.call_requested" in kinds(session, call)


def test_rejected_whisper_hangs_up_the_recruiter_and_rings_the_next(
    twilio_post, session, candidate, owner, make_user
):
    backup = make_user(phone="+15005550131", hunt_order=1)
    incoming(twilio_post, "+15005550201")
    call = the_call(session)

    reject = twilio_post(f"/voice/inbound/{call.id}/whisper-answer?r={owner.id}",
                         {"CallSid": CHILD_SID, "Digits": "9"})  # fmt: skip
    result = twilio_post(
        f"/voice/inbound/{call.id}/hunt-result?i=0&r={owner.id}",
        {"CallSid": CALL_SID, "CallStatus": "in-progress", "DialCallStatus": "completed",
         "DialCallSid": CHILD_SID, "DialCallDuration": "0"},
    )  # fmt: skip

    assert verbs(parse(reject.data)) == ["Hangup"]
    assert dialled(result)[0] == backup.phone
    assert the_call(session).recruiter_id is None


def test_voicemail_becomes_one_callback_task_for_the_candidates_recruiter(
    twilio_post, session, candidate, owner
):
    incoming(twilio_post, "+15005550201")
    call = the_call(session)
    recording = {"CallSid": CALL_SID, "RecordingSid": "RE" + "3" * 32,
                 "RecordingUrl": "http://127.0.0.1:9/RE333", "RecordingDuration": "14"}  # fmt: skip

    action = twilio_post(f"/voice/inbound/{call.id}/voicemail", {**recording, "Digits": "#"})
    status = twilio_post(f"/voice/inbound/{call.id}/recording",
                         {**recording, "RecordingStatus": "completed"})  # fmt: skip
    twilio_post(f"/voice/inbound/{call.id}/recording",
                {**recording, "RecordingStatus": "completed"})  # fmt: skip

    assert "Thank you for your message" in spoken(parse(action.data))
    assert status.status_code == 200
    assert the_call(session).recording_url == "http://127.0.0.1:9/RE333"
    tasks = session.scalars(select(CallbackTask)).all()
    assert len(tasks) == 1
    assert (tasks[0].candidate_id, tasks[0].recruiter_id) == (candidate.id, owner.id)
    call = the_call(session)
    assert (call.is_voicemail, call.recording_duration, call.disposition) == (True, 14, "voicemail")


def test_a_voicemail_offers_no_playback_until_its_recording_is_completed(
    twilio_post, session, candidate, owner
):
    incoming(twilio_post, "+15005550201", sid="CA" + "9" * 32)
    voicemail = the_call(session, "CA" + "9" * 32)
    recording = {"CallSid": voicemail.parent_sid, "RecordingSid": "RE" + "4" * 32,
                 "RecordingUrl": "http://127.0.0.1:9/RE444", "RecordingDuration": "9"}  # fmt: skip
    twilio_post(f"/voice/inbound/{voicemail.id}/voicemail", recording)
    call, _ = dial_in(twilio_post, session, owner)

    before = parse(twilio_post(f"/voice/dial-in/{call.id}/code?attempt=1",
                               {"CallSid": CALL_SID, "Digits": "*"}).data)  # fmt: skip
    twilio_post(f"/voice/inbound/{voicemail.id}/recording",
                {**recording, "RecordingStatus": "completed"})  # fmt: skip
    after = parse(twilio_post(f"/voice/dial-in/{call.id}/code?attempt=1",
                              {"CallSid": CALL_SID, "Digits": "*"}).data)  # fmt: skip

    # The callback is waiting at once; its message is played once the recording is ready.
    assert "You have one callback waiting: Jane Doe, just now." in spoken(before)
    assert before.find("Play") is None
    assert after.find("Play").text == "http://127.0.0.1:9/RE444"
    assert len(session.scalars(select(CallbackTask)).all()) == 1


def test_unknown_caller_hears_a_menu_and_is_logged_without_a_candidate(twilio_post, session):
    response = incoming(twilio_post, "+15005550999")

    root = parse(response.data)
    assert "To speak with a recruiter, press 1. To leave a message, press 2." in spoken(root)
    call = the_call(session)
    assert (call.direction, call.candidate_id, call.flow) == ("inbound", None, "unknown-caller")


def test_unknown_caller_pressing_2_leaves_a_message(twilio_post, session):
    incoming(twilio_post, "+15005550999")
    call = the_call(session)

    response = twilio_post(f"/voice/inbound/{call.id}/choice", {"CallSid": CALL_SID, "Digits": "2"})

    assert parse(response.data).find("Record") is not None


def test_unknown_caller_pressing_1_rings_the_team(twilio_post, session, make_user):
    team = make_user(phone="+15005550141", hunt_order=1)
    incoming(twilio_post, "+15005550999")
    call = the_call(session)

    response = twilio_post(f"/voice/inbound/{call.id}/choice", {"CallSid": CALL_SID, "Digits": "1"})

    assert dialled(response)[0] == team.phone


def test_withheld_number_is_an_unknown_caller_not_an_error(twilio_post, session):
    response = incoming(twilio_post, "anonymous")

    assert parse(response.data).find("Gather") is not None
    assert the_call(session).candidate_number is None


def test_candidate_with_an_offer_hears_the_decision_line(twilio_post, session, candidate):
    candidate.stage = "offer"
    session.commit()

    response = incoming(twilio_post, "+15005550201")

    assert "To give us your answer on your offer, press 2." in spoken(parse(response.data))


def test_pressing_2_on_the_decision_line_tells_the_recruiter_why(
    twilio_post, session, candidate, owner
):
    candidate.stage = "offer"
    session.commit()
    incoming(twilio_post, "+15005550201")
    call = the_call(session)

    ring = twilio_post(f"/voice/inbound/{call.id}/choice", {"CallSid": CALL_SID, "Digits": "2"})
    whisper = twilio_post(f"/voice/inbound/{call.id}/whisper?r={owner.id}", {"CallSid": CHILD_SID})

    assert dialled(ring)[0] == owner.phone
    assert "with their answer on your offer" in spoken(parse(whisper.data))
    assert the_call(session).flow == "decision"


def test_after_hours_callers_go_straight_to_voicemail_with_a_promise(
    app, twilio_post, session, candidate
):
    app.config["IVR_SETTINGS"] = app.config["IVR_SETTINGS"].__class__(
        **{**app.config["IVR_SETTINGS"].__dict__, "business_hours": "09:00-18:00",
           "business_days": "mon,tue,wed,thu,fri", "timezone": "America/New_York"}
    )  # fmt: skip
    # Saturday 28 November 2026, noon in New York.
    app.extensions["clock"] = lambda: datetime(2026, 11, 28, 17, 0, tzinfo=UTC)

    response = incoming(twilio_post, "+15005550201")

    root = parse(response.data)
    assert verbs(root) == ["Say", "Record", "Say", "Hangup"]
    text = spoken(root)
    assert "Our office is closed now." in text
    assert "Monday to Friday, 9 AM to 6 PM, America/New York time" in text
    assert "We will call you back on Monday morning." in text


def test_recruiter_dialling_in_is_asked_for_a_code(twilio_post, session, owner):
    _call, response = dial_in(twilio_post, session, owner)

    gather = parse(response.data).find("Gather")
    assert gather.get("finishOnKey") == "#"
    assert "Hi Olive. Enter the candidate's code, then press pound." in spoken(gather)
    call = the_call(session)
    assert (call.direction, call.flow, call.recruiter_id) == ("outbound", "dial-in", owner.id)


def test_a_valid_code_bridges_the_recruiter_to_the_candidate_with_the_outcome_menu_after(
    twilio_post, session, owner, candidate
):
    call, _ = dial_in(twilio_post, session, owner)

    response = twilio_post(f"/voice/dial-in/{call.id}/code?attempt=1",
                           {"CallSid": CALL_SID, "Digits": "123456"})  # fmt: skip

    root = parse(response.data)
    assert spoken(root) == "Calling Jane Doe."
    dial = root.find("Dial")
    assert (dial.get("callerId"), dial.find("Number").text) == (COMPANY_NUMBER, candidate.phone)
    assert url_path(dial.get("action")) == f"/voice/outbound/{call.id}/dial-result"
    # Answering machine detection on the candidate's leg, as for a one-click call.
    number = dial.find("Number")
    assert number.get("machineDetection") == "Enable"
    assert url_path(number.get("url")) == f"/voice/outbound/{call.id}/candidate-answered"
    assert the_call(session).candidate_id == candidate.id


def dial_in_result(twilio_post, session, owner, call_status: str, dial_status: str):  # type: ignore[no-untyped-def]
    call, _ = dial_in(twilio_post, session, owner)
    twilio_post(f"/voice/dial-in/{call.id}/code?attempt=1",
                {"CallSid": CALL_SID, "Digits": "123456"})  # fmt: skip
    twilio_post(
        f"/voice/outbound/{call.id}/dial-result",
        {"CallSid": CALL_SID, "CallStatus": call_status, "DialCallStatus": dial_status,
         "DialCallSid": CHILD_SID, "DialCallDuration": "30"},
    )  # fmt: skip
    return the_call(session)


def test_a_dial_in_recruiter_who_hangs_up_during_the_bridge_is_rung_back_for_the_outcome(
    twilio_post, session, owner, candidate
):
    call = dial_in_result(twilio_post, session, owner, "completed", "completed")

    assert call.disposition == "connected"
    assert kinds(session, call).count("outcome.call_requested") == 1


def test_a_dial_in_recruiter_still_on_the_line_hears_the_menu_and_is_not_rung_back(
    twilio_post, session, owner, candidate
):
    call = dial_in_result(twilio_post, session, owner, "in-progress", "completed")

    assert "outcome.call_requested" not in kinds(session, call)


def test_a_dial_in_recruiter_who_hangs_up_while_the_candidate_rings_is_not_rung_back(
    twilio_post, session, owner, candidate
):
    call = dial_in_result(twilio_post, session, owner, "completed", "no-answer")

    assert "outcome.call_requested" not in kinds(session, call)


@pytest.mark.parametrize(
    ("code", "said"),
    [("999999", "No candidate has the code 9 9 9 9 9 9."), ("", "I did not hear a code.")],
)
def test_an_unknown_code_is_explained_and_asked_again(twilio_post, session, owner, code, said):
    call, _ = dial_in(twilio_post, session, owner)

    response = twilio_post(f"/voice/dial-in/{call.id}/code?attempt=1",
                           {"CallSid": CALL_SID, "Digits": code})  # fmt: skip

    gather = parse(response.data).find("Gather")
    assert spoken(gather).startswith(said)
    assert url_query(gather.get("action")) == {"attempt": "2"}


def test_a_do_not_call_code_is_explained_and_asked_again(twilio_post, session, owner, candidate):
    candidate.do_not_call = True
    session.commit()
    call, _ = dial_in(twilio_post, session, owner)

    response = twilio_post(f"/voice/dial-in/{call.id}/code?attempt=1",
                           {"CallSid": CALL_SID, "Digits": "123456"})  # fmt: skip

    root = parse(response.data)
    assert root.find("Dial") is None
    assert spoken(root).startswith("Jane Doe is marked do not call.")


def test_star_lists_waiting_callbacks_and_1_calls_the_first_back(
    twilio_post, session, owner, candidate
):
    incoming(twilio_post, "+15005550201", sid="CA" + "9" * 32)
    voicemail = the_call(session, "CA" + "9" * 32)
    recording = {"CallSid": voicemail.parent_sid, "RecordingSid": "RE" + "4" * 32,
                 "RecordingUrl": "http://127.0.0.1:9/RE444", "RecordingDuration": "9"}  # fmt: skip
    twilio_post(f"/voice/inbound/{voicemail.id}/voicemail", recording)
    twilio_post(f"/voice/inbound/{voicemail.id}/recording",
                {**recording, "RecordingStatus": "completed"})  # fmt: skip
    call, _ = dial_in(twilio_post, session, owner)

    menu = twilio_post(f"/voice/dial-in/{call.id}/code?attempt=1",
                       {"CallSid": CALL_SID, "Digits": "*"})  # fmt: skip
    root = parse(menu.data)
    assert "You have one callback waiting: Jane Doe, just now." in spoken(root)
    assert root.find("Play").text == "http://127.0.0.1:9/RE444"
    choice = twilio_post(root.find("Gather").get("action").replace("http://localhost", ""),
                         {"CallSid": CALL_SID, "Digits": "1"})  # fmt: skip

    assert parse(choice.data).find("Dial/Number").text == candidate.phone


def test_caller_hanging_up_while_ringing_leaves_a_missed_call_and_nothing_half_done(
    twilio_post, session, candidate, owner
):
    incoming(twilio_post, "+15005550201")
    call = the_call(session)

    twilio_post("/voice/status", {"CallSid": CALL_SID, "CallStatus": "completed",
                                  "SequenceNumber": "3", "CallDuration": "6"})  # fmt: skip
    late = twilio_post(
        f"/voice/inbound/{call.id}/hunt-result?i=0&r={owner.id}",
        {"CallSid": CALL_SID, "CallStatus": "completed", "DialCallStatus": "canceled"},
    )  # fmt: skip

    assert verbs(parse(late.data)) == []
    call = the_call(session)
    assert (call.status, call.disposition, call.duration) == ("completed", "missed", 6)
    assert session.scalars(select(CallbackTask)).all() == []
    assert "hunt.ringing" in kinds(session, call)
    assert kinds(session, call).count("hunt.ringing") == 1


def test_a_retried_incoming_webhook_does_not_create_a_second_call(twilio_post, session, candidate):
    incoming(twilio_post, "+15005550201")
    incoming(twilio_post, "+15005550201")

    assert len(session.scalars(select(Call)).all()) == 1
