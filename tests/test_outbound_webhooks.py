"""The one-click call's webhooks, one at a time: signed requests in, parsed TwiML and rows out."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Call, CallbackTask, CallEvent
from tests.fixtures.twilio import COMPANY_NUMBER
from tests.twiml_helpers import parse, spoken, url_path, url_query, verbs

PARENT_SID = "CA" + "a" * 32
CHILD_SID = "CA" + "b" * 32


@pytest.fixture
def recruiter(make_user):
    return make_user(name="Riley Recruiter", phone="+15005550101")


@pytest.fixture
def candidate(make_candidate, recruiter):
    return make_candidate(owner=recruiter, name="Jane Doe", phone="+15005550201")


@pytest.fixture
def call(session, recruiter, candidate):
    call = Call(
        direction="outbound",
        recruiter_id=recruiter.id,
        candidate_id=candidate.id,
        company_number=COMPANY_NUMBER,
        recruiter_number=recruiter.phone,
        candidate_number=candidate.phone,
        parent_sid=PARENT_SID,
        status="in-progress",
        active_recruiter_id=recruiter.id,
    )
    session.add(call)
    session.commit()
    return call


def leg(**params: str) -> dict[str, str]:
    return {"CallSid": PARENT_SID, "From": COMPANY_NUMBER, "To": "+15005550101",
            "Direction": "outbound-api", "CallStatus": "in-progress", **params}  # fmt: skip


def events(session, call) -> list[str]:
    session.expire_all()
    return list(
        session.scalars(
            select(CallEvent.kind).where(CallEvent.call_id == call.id).order_by(CallEvent.id)
        )
    )


def test_answer_asks_the_recruiter_to_press_1_before_connecting(twilio_post, call):
    response = twilio_post(f"/voice/outbound/{call.id}/answer", leg())

    root = parse(response.data)
    assert verbs(root) == ["Gather", "Redirect"]
    gather = root.find("Gather")
    assert gather.get("numDigits") == "1"
    assert url_path(gather.get("action")) == f"/voice/outbound/{call.id}/screen"
    assert spoken(gather) == "Calling Jane Doe. Press 1 to connect, or hang up."
    assert url_query(root.find("Redirect").text) == {"attempt": "2"}


def test_answer_on_the_last_attempt_goes_to_the_screen_handler_without_a_key(twilio_post, call):
    response = twilio_post(f"/voice/outbound/{call.id}/answer?attempt=2", leg())

    root = parse(response.data)
    assert verbs(root) == ["Gather", "Redirect"]
    redirect = root.find("Redirect").text
    assert url_path(redirect) == f"/voice/outbound/{call.id}/screen"
    assert url_query(redirect) == {"attempt": "2"}


def test_no_key_at_the_last_screening_prompt_is_logged_as_not_accepted(twilio_post, session, call):
    twilio_post(f"/voice/outbound/{call.id}/answer?attempt=2", leg())
    response = twilio_post(f"/voice/outbound/{call.id}/screen?attempt=2", leg())

    root = parse(response.data)
    assert verbs(root) == ["Say", "Hangup"]
    assert spoken(root) == "No key was pressed, so the call was not connected. Goodbye."
    # The recruiter's leg then ends: the status callback must not call it a hang-up.
    twilio_post(f"/voice/outbound/{call.id}/status", leg(CallStatus="completed"))
    session.refresh(call)
    assert call.disposition == "recruiter-did-not-accept"
    assert call.active_recruiter_id is None


def test_pressing_1_dials_the_candidate_from_the_company_number(twilio_post, session, call):
    response = twilio_post(f"/voice/outbound/{call.id}/screen?attempt=1", leg(Digits="1"))

    root = parse(response.data)
    dial = root.find("Dial")
    assert dial.get("callerId") == COMPANY_NUMBER
    assert dial.get("answerOnBridge") == "true"
    assert int(dial.get("timeout")) > 0
    assert url_path(dial.get("action")) == f"/voice/outbound/{call.id}/dial-result"
    assert dial.find("Number").text == "+15005550201"
    assert events(session, call) == ["screen.accepted"]


def test_another_key_at_screening_prompts_again(twilio_post, session, call):
    response = twilio_post(f"/voice/outbound/{call.id}/screen?attempt=1", leg(Digits="7"))

    root = parse(response.data)
    assert root.find("Dial") is None
    assert url_query(root.find("Gather").get("action")) == {"attempt": "2"}
    assert events(session, call) == ["screen.rejected"]


def test_a_wrong_key_on_the_last_screening_attempt_ends_without_connecting(
    twilio_post, session, call
):
    response = twilio_post(f"/voice/outbound/{call.id}/screen?attempt=2", leg(Digits="7"))

    root = parse(response.data)
    assert verbs(root) == ["Say", "Hangup"]
    session.refresh(call)
    assert call.disposition == "recruiter-did-not-accept"


def test_screening_refuses_to_connect_a_candidate_marked_do_not_call_meanwhile(
    twilio_post, session, call, candidate
):
    candidate.do_not_call = True
    session.commit()

    response = twilio_post(f"/voice/outbound/{call.id}/screen?attempt=1", leg(Digits="1"))

    assert parse(response.data).find("Dial") is None


@pytest.mark.parametrize(
    ("dial_status", "disposition", "intro"),
    [
        ("completed", "connected", "The call has ended."),
        ("no-answer", "candidate-no-answer", "Jane did not answer."),
        ("busy", "candidate-busy", "Jane's line was busy."),
        ("failed", "candidate-unreachable", "The call to Jane could not be connected."),
    ],
)
def test_dial_result_is_logged_and_leads_to_the_outcome_menu(
    twilio_post, session, call, dial_status, disposition, intro
):
    response = twilio_post(
        f"/voice/outbound/{call.id}/dial-result",
        leg(DialCallStatus=dial_status, DialCallSid=CHILD_SID, DialCallDuration="42"),
    )

    root = parse(response.data)
    gather = root.find("Gather")
    assert spoken(gather).startswith(intro)
    assert "For interview scheduled, press 1." in spoken(gather)
    assert "For wrong number, do not call, press 9." in spoken(gather)
    assert url_query(gather.get("action")) == {"attempt": "1"}
    session.refresh(call)
    assert (call.child_sid, call.child_status, call.talk_duration) == (CHILD_SID, dial_status, 42)
    assert call.disposition == disposition


@pytest.mark.parametrize("dial_status", ["no-answer", "canceled"])
def test_a_recruiter_hanging_up_while_the_candidate_rings_is_not_a_candidate_no_answer(
    twilio_post, session, call, dial_status
):
    # The recruiter's own leg is gone (CallStatus=completed) when the dial's action comes.
    twilio_post(
        f"/voice/outbound/{call.id}/dial-result",
        leg(CallStatus="completed", DialCallStatus=dial_status, DialCallSid=CHILD_SID),
    )

    session.refresh(call)
    assert call.disposition == "recruiter-hung-up-while-ringing"
    assert call.talk_duration is None


def test_a_replayed_dial_result_is_answered_again_but_logged_once(twilio_post, session, call):
    params = leg(DialCallStatus="completed", DialCallSid=CHILD_SID, DialCallDuration="42")

    first = twilio_post(f"/voice/outbound/{call.id}/dial-result", params)
    second = twilio_post(f"/voice/outbound/{call.id}/dial-result", params)

    assert parse(first.data).find("Gather") is not None
    assert parse(second.data).find("Gather") is not None
    assert events(session, call) == ["twilio.dial_result"]


def test_a_valid_digit_saves_the_outcome_with_who_and_when(
    twilio_post, session, call, recruiter, candidate
):
    response = twilio_post(f"/voice/calls/{call.id}/outcome?attempt=1", leg(Digits="1"))

    root = parse(response.data)
    assert verbs(root) == ["Say", "Hangup"]
    assert spoken(root) == "Saved: interview scheduled. Thank you. Goodbye."
    session.refresh(call)
    assert call.outcome.label == "interview scheduled"
    assert call.outcome_by_id == recruiter.id
    assert call.outcome_at is not None
    session.refresh(candidate)
    assert candidate.stage == "interviewing"
    assert events(session, call) == ["outcome.recorded", "candidate.stage_changed"]


def test_wrong_number_outcome_marks_the_candidate_do_not_call(
    twilio_post, session, call, candidate
):
    twilio_post(f"/voice/calls/{call.id}/outcome?attempt=1", leg(Digits="9"))

    session.refresh(candidate)
    assert candidate.do_not_call is True


def test_an_invalid_digit_prompts_again_with_a_reason(twilio_post, session, call):
    response = twilio_post(f"/voice/calls/{call.id}/outcome?attempt=1", leg(Digits="0"))

    gather = parse(response.data).find("Gather")
    assert spoken(gather).startswith("That is not one of the options.")
    assert url_query(gather.get("action")) == {"attempt": "2"}
    session.refresh(call)
    assert call.outcome_code_id is None


def test_no_key_prompts_again(twilio_post, call):
    response = twilio_post(f"/voice/calls/{call.id}/outcome?attempt=2", leg())

    gather = parse(response.data).find("Gather")
    assert spoken(gather).startswith("I did not hear a key.")
    assert url_query(gather.get("action")) == {"attempt": "3"}


def test_the_third_miss_ends_the_call_with_the_outcome_not_recorded(twilio_post, session, call):
    response = twilio_post(f"/voice/calls/{call.id}/outcome?attempt=3", leg(Digits="0"))

    root = parse(response.data)
    assert verbs(root) == ["Say", "Hangup"]
    assert "No outcome was recorded" in spoken(root)
    assert events(session, call) == ["outcome.invalid", "outcome.not_recorded"]


def test_a_replayed_keypress_does_not_overwrite_a_saved_outcome(twilio_post, session, call):
    twilio_post(f"/voice/calls/{call.id}/outcome?attempt=1", leg(Digits="1"))

    response = twilio_post(f"/voice/calls/{call.id}/outcome?attempt=1", leg(Digits="2"))

    assert "interview scheduled" in spoken(parse(response.data))
    session.refresh(call)
    assert call.outcome.digit == "1"


def test_webhook_for_an_unknown_call_answers_an_apology_not_an_error(twilio_post):
    response = twilio_post("/voice/outbound/999/answer", leg())

    assert response.status_code == 200
    root = parse(response.data)
    assert verbs(root) == ["Say", "Hangup"]
    assert "Sorry" in spoken(root)


@pytest.mark.expected_errors
def test_an_unexpected_error_still_answers_valid_twiml(twilio_post, call, monkeypatch):
    from ivr.callflow import outbound

    def explode(*_args, **_kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(outbound, "screen_recruiter", explode)

    response = twilio_post(f"/voice/outbound/{call.id}/screen?attempt=1", leg(Digits="1"))

    assert response.status_code == 200
    assert "Sorry" in spoken(parse(response.data))


def test_the_candidates_leg_reports_when_it_answers(twilio_post, call):
    response = twilio_post(f"/voice/outbound/{call.id}/screen?attempt=1", leg(Digits="1"))

    number = parse(response.data).find("Dial").find("Number")
    assert url_path(number.get("statusCallback")) == f"/voice/outbound/{call.id}/candidate-status"
    assert number.get("statusCallbackEvent") == "answered"


def test_the_candidate_answering_marks_the_call_as_talking(twilio_post, session, call):
    twilio_post(
        f"/voice/outbound/{call.id}/candidate-status",
        {"CallSid": CHILD_SID, "ParentCallSid": PARENT_SID, "CallStatus": "in-progress"},
    )

    session.refresh(call)
    assert (call.child_sid, call.child_status) == (CHILD_SID, "in-progress")
    assert events(session, call) == ["twilio.candidate_status"]


# Calling back an unknown caller (no candidate: the voicemail's number) ------------------------

STRANGER = "+15005559999"


@pytest.fixture
def call_back(session, recruiter):
    """A team voicemail from a stranger, and the one-click call returning it."""
    voicemail = Call(direction="inbound", flow="unknown-caller", company_number=COMPANY_NUMBER,
                     candidate_number=STRANGER, status="completed", is_voicemail=True)  # fmt: skip
    session.add(voicemail)
    session.flush()
    task = CallbackTask(voicemail_call_id=voicemail.id, caller_number=STRANGER)
    call = Call(direction="outbound", flow="callback", recruiter_id=recruiter.id,
                company_number=COMPANY_NUMBER, recruiter_number=recruiter.phone,
                candidate_number=STRANGER, parent_sid=PARENT_SID, status="in-progress",
                active_recruiter_id=recruiter.id)  # fmt: skip
    session.add_all([task, call])
    session.commit()
    return call, task


def test_answer_on_a_call_back_says_it_returns_a_voicemail(twilio_post, call_back):
    call, _task = call_back

    response = twilio_post(f"/voice/outbound/{call.id}/answer", leg())

    gather = parse(response.data).find("Gather")
    assert spoken(gather) == (
        "Calling back the caller who left a voicemail. Press 1 to connect, or hang up."
    )


def test_pressing_1_on_a_call_back_dials_the_callers_number(twilio_post, session, call_back):
    call, _task = call_back

    response = twilio_post(f"/voice/outbound/{call.id}/screen?attempt=1", leg(Digits="1"))

    dial = parse(response.data).find("Dial")
    assert dial.get("callerId") == COMPANY_NUMBER
    assert dial.find("Number").text == STRANGER
    assert events(session, call) == ["screen.accepted"]


def test_a_call_back_that_connects_closes_the_callers_callback(twilio_post, session, call_back):
    call, task = call_back
    screened = twilio_post(f"/voice/outbound/{call.id}/screen?attempt=1", leg(Digits="1"))
    assert parse(screened.data).find("Dial").find("Number").text == STRANGER

    response = twilio_post(
        f"/voice/outbound/{call.id}/dial-result",
        leg(DialCallStatus="completed", DialCallSid=CHILD_SID, DialCallDuration="30"),
    )

    assert spoken(parse(response.data).find("Gather")).startswith("The call has ended.")
    session.refresh(task)
    assert (task.status, task.done_by_call_id) == ("done", call.id)
    assert events(session, call) == ["screen.accepted", "twilio.dial_result", "callback.done"]


def test_a_call_back_nobody_answers_leaves_the_callback_open(twilio_post, session, call_back):
    call, task = call_back

    response = twilio_post(
        f"/voice/outbound/{call.id}/dial-result",
        leg(DialCallStatus="no-answer", DialCallSid=CHILD_SID),
    )

    assert spoken(parse(response.data).find("Gather")).startswith("The caller did not answer.")
    session.refresh(task)
    assert task.status == "open"


def test_a_call_back_is_not_connected_once_the_number_is_marked_do_not_call(
    twilio_post, session, call_back, make_candidate, recruiter
):
    first, _task = call_back
    connected = twilio_post(f"/voice/outbound/{first.id}/screen?attempt=1", leg(Digits="1"))
    make_candidate(owner=recruiter, phone=STRANGER, do_not_call=True)
    second = Call(direction="outbound", flow="callback", recruiter_id=recruiter.id,
                  company_number=COMPANY_NUMBER, candidate_number=STRANGER,
                  parent_sid="CA" + "c" * 32, status="in-progress")  # fmt: skip
    session.add(second)
    session.commit()

    refused = twilio_post(
        f"/voice/outbound/{second.id}/screen?attempt=1", leg(Digits="1", CallSid=second.parent_sid)
    )

    assert parse(connected.data).find("Dial") is not None
    assert parse(refused.data).find("Dial") is None
    assert events(session, second) == ["screen.rejected"]


# Answering machine detection on the candidate's leg -------------------------------------------

SECOND_CHILD_SID = "CA" + "d" * 32


def candidate_leg(sid: str = CHILD_SID, **params: str) -> dict[str, str]:
    return {"CallSid": sid, "ParentCallSid": PARENT_SID, "Direction": "outbound-dial",
            "CallStatus": "in-progress", **params}  # fmt: skip


def test_pressing_1_asks_for_machine_detection_on_the_candidates_leg(twilio_post, call):
    response = twilio_post(f"/voice/outbound/{call.id}/screen?attempt=1", leg(Digits="1"))

    number = parse(response.data).find("Dial/Number")
    assert number.get("machineDetection") == "Enable"
    assert url_path(number.get("url")) == f"/voice/outbound/{call.id}/candidate-answered"


def test_a_person_answering_is_bridged_and_logged(twilio_post, session, call):
    response = twilio_post(
        f"/voice/outbound/{call.id}/candidate-answered", candidate_leg(AnsweredBy="human")
    )

    assert verbs(parse(response.data)) == []
    session.refresh(call)
    assert call.disposition is None
    assert events(session, call) == ["twilio.candidate_human"]


@pytest.mark.parametrize("answered_by", ["machine_start", "machine_end_beep", "fax"])
def test_a_machine_answering_hangs_up_its_leg_and_makes_the_call_voicemail(
    twilio_post, session, call, answered_by
):
    response = twilio_post(
        f"/voice/outbound/{call.id}/candidate-answered", candidate_leg(AnsweredBy=answered_by)
    )

    assert verbs(parse(response.data)) == ["Hangup"]
    session.refresh(call)
    assert call.disposition == "candidate-voicemail"
    assert events(session, call) == ["twilio.candidate_machine"]


def reach_voicemail(twilio_post, call, dial_status: str = "no-answer"):  # type: ignore[no-untyped-def]
    twilio_post(
        f"/voice/outbound/{call.id}/candidate-answered", candidate_leg(AnsweredBy="machine_start")
    )
    return twilio_post(
        f"/voice/outbound/{call.id}/dial-result",
        leg(DialCallStatus=dial_status, DialCallSid=CHILD_SID, DialCallDuration="3"),
    )


def test_after_a_machine_the_recruiter_hears_it_was_voicemail_and_it_rings_again(
    twilio_post, session, call
):
    response = reach_voicemail(twilio_post, call)

    root = parse(response.data)
    assert verbs(root) == ["Say", "Dial"]
    assert spoken(root) == (
        "You reached Jane's voicemail. "
        "Speak after the tone to leave a personal message, or hang up."
    )
    dial = root.find("Dial")
    assert url_path(dial.get("action")) == f"/voice/outbound/{call.id}/dial-result"
    assert url_query(dial.get("action")) == {"attempt": "2"}
    number = dial.find("Number")
    assert number.text == "+15005550201"
    assert url_query(number.get("url")) == {"attempt": "2"}
    session.refresh(call)
    assert (call.disposition, call.talk_duration) == ("candidate-voicemail", None)


def test_a_machine_answering_the_second_ring_is_bridged_for_the_message(twilio_post, session, call):
    reach_voicemail(twilio_post, call)

    response = twilio_post(
        f"/voice/outbound/{call.id}/candidate-answered?attempt=2",
        candidate_leg(SECOND_CHILD_SID, AnsweredBy="machine_start"),
    )

    assert verbs(parse(response.data)) == []


def test_a_message_left_on_voicemail_counts_no_talk_time(twilio_post, session, call):
    reach_voicemail(twilio_post, call, dial_status="completed")
    twilio_post(
        f"/voice/outbound/{call.id}/candidate-answered?attempt=2",
        candidate_leg(SECOND_CHILD_SID, AnsweredBy="machine_start"),
    )

    response = twilio_post(
        f"/voice/outbound/{call.id}/dial-result?attempt=2",
        leg(DialCallStatus="completed", DialCallSid=SECOND_CHILD_SID, DialCallDuration="40"),
    )

    assert "Please key in the outcome" in spoken(parse(response.data).find("Gather"))
    session.refresh(call)
    assert (call.disposition, call.talk_duration) == ("candidate-voicemail", None)


def test_a_person_answering_the_second_ring_is_a_connected_call(twilio_post, session, call):
    reach_voicemail(twilio_post, call)
    twilio_post(
        f"/voice/outbound/{call.id}/candidate-answered?attempt=2",
        candidate_leg(SECOND_CHILD_SID, AnsweredBy="human"),
    )

    twilio_post(
        f"/voice/outbound/{call.id}/dial-result?attempt=2",
        leg(DialCallStatus="completed", DialCallSid=SECOND_CHILD_SID, DialCallDuration="40"),
    )

    session.refresh(call)
    assert (call.disposition, call.talk_duration) == ("connected", 40)


def test_a_call_back_reaching_voicemail_leaves_the_callback_open(twilio_post, session, call_back):
    call, task = call_back

    reach_voicemail(twilio_post, call, dial_status="completed")

    session.refresh(task)
    assert task.status == "open"


def test_a_candidate_named_with_characters_xml_forbids_can_be_called(
    twilio_post, session, call, candidate
):
    candidate.name = "Jane\x0bDoe\x1f"  # (PostgreSQL cannot store NUL in text at all)
    session.commit()

    response = twilio_post(f"/voice/outbound/{call.id}/answer", leg())

    root = parse(response.data)  # a document Twilio can read
    assert spoken(root.find("Gather")) == "Calling JaneDoe. Press 1 to connect, or hang up."
