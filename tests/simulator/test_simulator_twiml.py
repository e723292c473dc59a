"""The TwiML interpreter: Gather, Dial with a whisper, Record, Redirect, fallbacks and errors."""

from __future__ import annotations

import io
import wave

import pytest
import requests
from twilio.rest import Client
from twilio.twiml.voice_response import Dial, VoiceResponse

from simulator import Simulator, SimulatorError
from simulator.engine import APPLICATION_ERROR
from tests.fixtures.simulator import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CALLER,
    COMPANY,
    RECRUITER,
    FakeApp,
)


def _say(*texts: str, hangup: bool = False) -> VoiceResponse:
    response = VoiceResponse()
    for text in texts:
        response.say(text)
    if hangup:
        response.hangup()
    return response


def _menu(fake: FakeApp, **gather: object) -> VoiceResponse:
    response = VoiceResponse()
    options = {"num_digits": 1, "action": fake.url("/choice"), "method": "POST"} | gather
    response.gather(**options).say("Press 1 for a recruiter.")
    response.say("We did not hear a choice.")
    return response


def _ring(fake: FakeApp, whisper: bool = True, action: bool = True) -> VoiceResponse:
    response = VoiceResponse()
    dial = Dial(
        caller_id=COMPANY,
        answer_on_bridge=True,
        timeout=20,
        action=fake.url("/dial-result") if action else None,
        method="POST",
    )
    if whisper:
        dial.number(RECRUITER, url=fake.url("/whisper"), method="POST")
    else:
        dial.number(RECRUITER)
    response.append(dial)
    response.say("After the dial.")
    return response


def _whisper(fake: FakeApp) -> VoiceResponse:
    response = VoiceResponse()
    response.gather(num_digits=1, action=fake.url("/whisper-answer"), timeout=8).say(
        "Call from a candidate. Press 1 to accept."
    )
    response.hangup()
    return response


# Inbound calls and Gather -------------------------------------------------------------------


def test_incoming_call_fetches_the_voice_url_with_inbound_params(
    sim: Simulator, fake: FakeApp
) -> None:
    fake.on("/voice", _say("Hello.", hangup=True))

    sid = sim.incoming_call(CALLER, COMPANY)
    leg = sim.wait_for(sid=sid, state="completed")

    form = fake.to("/voice")[0].form
    assert form["CallSid"] == sid
    assert form["Direction"] == "inbound"
    assert form["CallStatus"] == "ringing"
    assert (form["From"], form["To"]) == (CALLER, COMPANY)
    assert form["AccountSid"] == ACCOUNT_SID
    assert "ParentCallSid" not in form
    assert sim.said(sid) == ["Hello."]
    assert leg.ended


def test_a_numbers_status_callback_gets_the_completed_event_of_each_call(
    sim: Simulator, fake: FakeApp
) -> None:
    sim.status_callbacks[COMPANY] = fake.url("/status")
    fake.on("/voice", _say("Hello.", hangup=True))

    sid = sim.incoming_call(CALLER, COMPANY)
    sim.wait_for(sid=sid, state="completed")

    [status] = fake.to("/status")
    assert (status.form["CallSid"], status.form["CallStatus"]) == (sid, "completed")
    assert (status.form["Direction"], status.form["To"]) == ("inbound", COMPANY)
    assert "CallDuration" in status.form


def test_gather_sends_pressed_digits_to_its_action(sim: Simulator, fake: FakeApp) -> None:
    fake.on("/voice", _menu(fake))
    fake.on("/choice", _say("Thanks.", hangup=True))
    sid = sim.incoming_call(CALLER, COMPANY)

    leg = sim.wait_for(sid=sid, waiting_for_input="digits")
    sim.press(sid, "1")
    sim.wait_for(sid=sid, state="completed")

    assert leg.prompt == "Press 1 for a recruiter."
    assert leg.state == "in-progress"
    choice = fake.to("/choice")[0].form
    assert choice["Digits"] == "1"
    assert choice["CallStatus"] == "in-progress"
    assert sim.said(sid) == ["Press 1 for a recruiter.", "Thanks."]


def test_gather_finishes_on_key_and_keeps_partial_input(sim: Simulator, fake: FakeApp) -> None:
    fake.on("/voice", _menu(fake, num_digits=None, finish_on_key="#"))
    sid = sim.incoming_call(CALLER, COMPANY)
    sim.wait_for(sid=sid, waiting_for_input="digits")

    sim.press(sid, "12")
    sim.wait_for(sid=sid, waiting_for_input="digits")
    sim.press(sid, "3#")
    sim.wait_for(sid=sid, state="completed")

    choice = fake.to("/choice")[0].form
    assert choice["Digits"] == "123"
    assert choice["FinishedOnKey"] == "#"


def test_gather_timeout_without_input_goes_on_with_the_next_verb(
    sim: Simulator, fake: FakeApp
) -> None:
    fake.on("/voice", _menu(fake))
    sid = sim.incoming_call(CALLER, COMPANY)
    sim.wait_for(sid=sid, waiting_for_input="digits")

    sim.silence(sid)
    sim.wait_for(sid=sid, state="completed")

    assert fake.to("/choice") == []
    assert sim.said(sid)[-1] == "We did not hear a choice."


def test_gather_timeout_with_action_on_empty_result_posts_empty_digits(
    sim: Simulator, fake: FakeApp
) -> None:
    fake.on("/voice", _menu(fake, action_on_empty_result=True))
    sid = sim.incoming_call(CALLER, COMPANY)
    sim.wait_for(sid=sid, waiting_for_input="digits")

    sim.silence(sid)
    sim.wait_for(sid=sid, state="completed")

    assert fake.to("/choice")[0].form["Digits"] == ""


def test_redirect_verb_fetches_the_next_document(sim: Simulator, fake: FakeApp) -> None:
    first = VoiceResponse()
    first.say("One.")
    first.redirect("/second", method="POST")  # relative: resolved against the document's URL
    fake.on("/voice", first)
    fake.on("/second", _say("Two."))

    sid = sim.incoming_call(CALLER, COMPANY)
    sim.wait_for(sid=sid, state="completed")

    assert sim.said(sid) == ["One.", "Two."]
    assert fake.to("/second")[0].form["CallSid"] == sid


def test_caller_hangup_during_gather_ends_the_call_without_action(
    sim: Simulator, fake: FakeApp
) -> None:
    fake.on("/voice", _menu(fake))
    sid = sim.incoming_call(CALLER, COMPANY)
    sim.wait_for(sid=sid, waiting_for_input="digits")

    sim.hangup(sid)
    leg = sim.wait_for(sid=sid, state="completed")

    assert fake.to("/choice") == []
    assert leg.waiting_for is None


def test_reject_ends_an_unanswered_call_as_busy(sim: Simulator, fake: FakeApp) -> None:
    response = VoiceResponse()
    response.reject(reason="busy")
    fake.on("/voice", response)

    sid = sim.incoming_call(CALLER, COMPANY)

    assert sim.wait_for(sid=sid, state="busy").start_time is None


# Dial and whispers ---------------------------------------------------------------------------


def test_dial_with_accepted_whisper_bridges_and_reports_to_the_action(
    sim: Simulator, fake: FakeApp
) -> None:
    fake.on("/voice", _ring(fake))
    fake.on("/whisper", _whisper(fake))
    fake.on("/dial-result", _say("Goodbye.", hangup=True))
    parent = sim.incoming_call(CALLER, COMPANY)
    child = sim.wait_for(parent_sid=parent, waiting_for_input="answer")
    assert sim.leg(parent).state == "ringing"  # answerOnBridge: the caller still hears ringing

    sim.answer(child.sid)
    whisper = sim.wait_for(sid=child.sid, waiting_for_input="digits")
    sim.press(child.sid, "1")
    sim.wait_for(sid=parent, waiting_for_input="bridge")
    sim.clock.advance(42)
    sim.hangup(child.sid)
    sim.wait_for(sid=parent, state="completed")

    assert child.direction == "outbound-dial"
    assert (child.from_, child.to) == (COMPANY, RECRUITER)
    assert whisper.prompt == "Call from a candidate. Press 1 to accept."
    whisper_request = fake.to("/whisper")[0].form
    assert whisper_request["CallSid"] == child.sid
    assert whisper_request["ParentCallSid"] == parent
    assert whisper_request["Direction"] == "outbound-dial"
    assert whisper_request["CallStatus"] == "in-progress"
    assert fake.to("/whisper-answer")[0].form["Digits"] == "1"
    result = fake.to("/dial-result")[0].form
    assert result["CallSid"] == parent
    assert result["CallStatus"] == "in-progress"
    assert result["DialCallStatus"] == "completed"
    assert result["DialCallSid"] == child.sid
    assert result["DialCallDuration"] == "42"
    assert result["DialBridged"] == "true"
    assert sim.leg(child.sid).state == "completed"
    assert sim.said(parent) == ["Goodbye."]
    assert "After the dial." not in sim.said(parent)


def test_whisper_that_hangs_up_makes_the_dial_a_no_answer(sim: Simulator, fake: FakeApp) -> None:
    fake.on("/voice", _ring(fake))
    fake.on("/whisper", _whisper(fake))
    fake.on("/dial-result", _say("Leave a message.", hangup=True))
    parent = sim.incoming_call(CALLER, COMPANY)
    child = sim.wait_for(parent_sid=parent, waiting_for_input="answer")

    sim.answer(child.sid)
    sim.silence(child.sid)
    sim.wait_for(sid=parent, state="completed")

    result = fake.to("/dial-result")[0].form
    assert result["DialCallStatus"] == "no-answer"
    assert result["DialCallSid"] == child.sid
    assert result["DialBridged"] == "false"
    assert "DialCallDuration" not in result
    assert sim.wait_for(sid=child.sid, state="completed").ended
    assert fake.to("/whisper-answer") == []


@pytest.mark.parametrize(
    ("act", "status"), [("busy", "busy"), ("no_answer", "no-answer"), ("fail", "failed")]
)
def test_dial_without_action_goes_on_with_the_next_verb(
    sim: Simulator, fake: FakeApp, act: str, status: str
) -> None:
    fake.on("/voice", _ring(fake, whisper=False, action=False))
    parent = sim.incoming_call(CALLER, COMPANY)
    child = sim.wait_for(parent_sid=parent, waiting_for_input="answer")

    getattr(sim, act)(child.sid)
    sim.wait_for(sid=parent, state="completed")

    assert sim.leg(child.sid).state == status
    assert sim.said(parent) == ["After the dial."]


def test_caller_hanging_up_while_dialling_cancels_the_child_and_reports_no_answer(
    sim: Simulator, fake: FakeApp
) -> None:
    fake.on("/voice", _ring(fake))
    parent = sim.incoming_call(CALLER, COMPANY)
    child = sim.wait_for(parent_sid=parent, waiting_for_input="answer")

    sim.hangup(parent)
    sim.wait_for(sid=parent, state="completed")

    assert sim.leg(child.sid).state == "canceled"
    result = fake.to("/dial-result")[0].form
    assert result["CallStatus"] == "completed"
    assert result["DialCallStatus"] == "no-answer"
    assert result["DialBridged"] == "false"


def test_the_app_ending_the_caller_over_rest_while_dialling_reports_canceled(
    sim: Simulator, fake: FakeApp, rest_client: Client
) -> None:
    fake.on("/voice", _ring(fake))
    parent = sim.incoming_call(CALLER, COMPANY)
    child = sim.wait_for(parent_sid=parent, waiting_for_input="answer")

    rest_client.calls(parent).update(status="completed")
    sim.wait_for(sid=parent, state="completed")

    assert sim.leg(child.sid).state == "canceled"
    assert fake.to("/dial-result")[0].form["DialCallStatus"] == "canceled"


def test_hangup_on_star_ends_the_bridge_and_the_caller_goes_on(
    sim: Simulator, fake: FakeApp
) -> None:
    response = VoiceResponse()
    response.dial(RECRUITER, hangup_on_star=True)
    response.say("Back with the menu.")
    fake.on("/voice", response)
    parent = sim.incoming_call(CALLER, COMPANY)
    child = sim.wait_for(parent_sid=parent, waiting_for_input="answer")
    sim.answer(child.sid)
    sim.wait_for(sid=parent, waiting_for_input="bridge")

    sim.press(parent, "*")
    sim.wait_for(sid=parent, state="completed")

    assert sim.leg(child.sid).state == "completed"
    assert sim.said(parent) == ["Back with the menu."]


# Record --------------------------------------------------------------------------------------


def _voicemail(fake: FakeApp) -> VoiceResponse:
    response = VoiceResponse()
    response.say("Leave a message after the tone.")
    response.record(
        action=fake.url("/voicemail"),
        method="POST",
        max_length=120,
        finish_on_key="#",
        play_beep=True,
        recording_status_callback=fake.url("/recording"),
        recording_status_callback_method="POST",
        recording_status_callback_event="completed",
    )
    response.say("I did not hear a message.")
    return response


def test_record_posts_the_recording_to_action_and_status_callback(
    sim: Simulator, fake: FakeApp
) -> None:
    fake.on("/voice", _voicemail(fake))
    fake.on("/voicemail", _say("Thank you.", hangup=True))
    sid = sim.incoming_call(CALLER, COMPANY)
    sim.wait_for(sid=sid, waiting_for_input="recording")

    sim.record(sid, 12, finish_key="#")
    sim.wait_for(sid=sid, state="completed")

    action = fake.to("/voicemail")[0].form
    assert action["RecordingSid"].startswith("RE")
    assert len(action["RecordingSid"]) == 34
    assert action["RecordingUrl"] == (
        f"{sim.base_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{action['RecordingSid']}"
    )
    assert action["RecordingDuration"] == "12"
    assert action["Digits"] == "#"
    callback = fake.to("/recording")[0].form
    assert callback["RecordingStatus"] == "completed"
    assert callback["RecordingSid"] == action["RecordingSid"]
    assert callback["RecordingUrl"] == action["RecordingUrl"]
    assert callback["RecordingDuration"] == "12"
    assert callback["CallSid"] == sid
    assert sim.said(sid) == ["Leave a message after the tone.", "Thank you."]
    assert sim.played(sid) == ["beep"]


def test_recording_is_a_fetchable_wav_of_its_length(sim: Simulator, fake: FakeApp) -> None:
    fake.on("/voice", _voicemail(fake))
    sid = sim.incoming_call(CALLER, COMPANY)
    sim.wait_for(sid=sid, waiting_for_input="recording")
    sim.record(sid, 3, hang_up=True)
    sim.wait_for(sid=sid, state="completed")
    url = fake.to("/voicemail")[0].form["RecordingUrl"]

    media = requests.get(url + ".wav", auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5)
    anonymous = requests.get(url + ".wav", timeout=5)
    mp3 = requests.get(url + ".mp3", auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5)

    assert media.status_code == 200
    assert media.headers["Content-Type"].startswith("audio/")
    with wave.open(io.BytesIO(media.content)) as audio:
        assert audio.getnframes() / audio.getframerate() == 3
    assert anonymous.status_code == 401
    assert mp3.status_code == 200
    assert mp3.content[:2] == b"\xff\xfb"


def test_record_ended_by_hangup_still_reports_the_recording(sim: Simulator, fake: FakeApp) -> None:
    fake.on("/voice", _voicemail(fake))
    sid = sim.incoming_call(CALLER, COMPANY)
    sim.wait_for(sid=sid, waiting_for_input="recording")

    sim.record(sid, 130, hang_up=True)
    sim.wait_for(sid=sid, state="completed")

    action = fake.to("/voicemail")[0].form
    assert action["Digits"] == "hangup"
    assert action["RecordingDuration"] == "120"  # maxLength
    assert fake.to("/recording")[0].form["RecordingDuration"] == "120"
    assert "I did not hear a message." not in sim.said(sid)


def test_record_with_silence_skips_the_action(sim: Simulator, fake: FakeApp) -> None:
    fake.on("/voice", _voicemail(fake))
    sid = sim.incoming_call(CALLER, COMPANY)
    sim.wait_for(sid=sid, waiting_for_input="recording")

    sim.silence(sid)
    sim.wait_for(sid=sid, state="completed")

    assert fake.to("/voicemail") == []
    assert fake.to("/recording") == []
    assert sim.said(sid)[-1] == "I did not hear a message."


# Failures ------------------------------------------------------------------------------------


@pytest.mark.expected_errors
def test_a_failing_voice_url_falls_back_to_the_fallback_url(sim: Simulator, fake: FakeApp) -> None:
    fake.on("/voice", ("<h1>Internal Server Error</h1>", 500))
    fake.on("/fallback", _say("Sorry, something went wrong.", hangup=True))

    sid = sim.incoming_call(CALLER, COMPANY)
    sim.wait_for(sid=sid, state="completed")

    fallback = fake.to("/fallback")[0].form
    assert fallback["ErrorCode"] == "11200"
    assert fallback["ErrorUrl"] == fake.url("/voice")
    assert fallback["CallSid"] == sid
    assert sim.said(sid) == ["Sorry, something went wrong."]
    assert len(sim.errors) == 1
    assert "/voice" in sim.errors[0]
    assert "HTTP 500" in sim.errors[0]


@pytest.mark.expected_errors
def test_invalid_twiml_also_falls_back(sim: Simulator, fake: FakeApp) -> None:
    fake.on("/voice", "<Response><Say>unclosed</Response>")
    fake.on("/fallback", _say("Fallback.", hangup=True))

    sid = sim.incoming_call(CALLER, COMPANY)
    sim.wait_for(sid=sid, state="completed")

    assert fake.to("/fallback")[0].form["ErrorCode"] == "12100"
    assert sim.said(sid) == ["Fallback."]


@pytest.mark.expected_errors
def test_failure_without_fallback_is_an_application_error(sim: Simulator, fake: FakeApp) -> None:
    fake.on("/voice", _menu(fake))
    fake.on("/choice", ("oops", 500))
    fake.on("/fallback", ("also broken", 500))
    sid = sim.incoming_call(CALLER, COMPANY)
    sim.wait_for(sid=sid, waiting_for_input="digits")

    sim.press(sid, "1")
    sim.wait_for(sid=sid, state="completed")

    assert sim.said(sid)[-1] == APPLICATION_ERROR
    assert any("application error" in error for error in sim.errors)
    assert [r.kind for r in sim.requests if r.error] == ["action", "fallback"]


# The controller ------------------------------------------------------------------------------


def test_wait_for_timeout_describes_every_leg(sim: Simulator, fake: FakeApp) -> None:
    fake.on("/voice", _menu(fake))
    sid = sim.incoming_call(CALLER, COMPANY)
    sim.wait_for(sid=sid, waiting_for_input="digits")

    with pytest.raises(SimulatorError, match="waiting_for=digits") as timed_out:
        sim.wait_for(sid=sid, waiting_for_input="recording", timeout=0.05)

    assert sid in str(timed_out.value)
    assert "Press 1 for a recruiter." in str(timed_out.value)


def test_a_terminal_state_matches_only_after_the_final_callback(
    sim: Simulator, fake: FakeApp
) -> None:
    fake.on("/voice", _say("Bye.", hangup=True))

    sid = sim.incoming_call(CALLER, COMPANY)
    leg = sim.wait_for(sid=sid, state="completed")

    assert leg.ended
    assert leg.end_time is not None


def test_input_the_leg_is_not_asking_for_is_refused(sim: Simulator, fake: FakeApp) -> None:
    sim.action_timeout = 0.05
    fake.on("/voice", _menu(fake))
    sid = sim.incoming_call(CALLER, COMPANY)
    sim.wait_for(sid=sid, waiting_for_input="digits")

    with pytest.raises(SimulatorError, match="not waiting for recording"):
        sim.record(sid, 5)
    with pytest.raises(SimulatorError, match="keys from"):
        sim.press(sid, "x")
    with pytest.raises(SimulatorError, match="not one of the simulator's numbers"):
        sim.incoming_call(CALLER, "+15005550999")


def test_redirecting_the_callee_ends_the_bridge_and_both_go_on(
    sim: Simulator, rest_client: Client, fake: FakeApp
) -> None:
    fake.on("/voice", _ring(fake, whisper=False))
    fake.on("/dial-result", _say("Caller goes on.", hangup=True))
    fake.on("/outcome", _say("Recruiter goes on.", hangup=True))
    parent = sim.incoming_call(CALLER, COMPANY)
    child = sim.wait_for(parent_sid=parent, waiting_for_input="answer")
    sim.answer(child.sid)
    sim.wait_for(sid=child.sid, waiting_for_input="bridge")
    sim.clock.advance(5)

    rest_client.calls(child.sid).update(url=fake.url("/outcome"), method="POST")
    sim.wait_for(sid=parent, state="completed")
    sim.wait_for(sid=child.sid, state="completed")

    result = fake.to("/dial-result")[0].form
    assert result["DialCallStatus"] == "completed"
    assert result["DialCallDuration"] == "5"
    assert sim.said(parent) == ["Caller goes on."]
    assert sim.said(child.sid) == ["Recruiter goes on."]
    assert fake.to("/outcome")[0].form["CallSid"] == child.sid


@pytest.mark.expected_errors
def test_dial_nouns_the_simulator_cannot_dial_are_invalid_twiml(
    sim: Simulator, fake: FakeApp
) -> None:
    fake.on("/voice", "<Response><Dial><Conference>room</Conference></Dial></Response>")
    fake.on("/fallback", _say("Fallback.", hangup=True))

    sid = sim.incoming_call(CALLER, COMPANY)
    sim.wait_for(sid=sid, state="completed")

    assert fake.to("/fallback")[0].form["ErrorCode"] == "12200"


def test_say_play_pause_and_hangup_run_in_order(sim: Simulator, fake: FakeApp) -> None:
    response = VoiceResponse()
    response.say("Hello.")
    response.pause(length=2)
    response.play("https://example.com/hold.mp3")
    response.say("Goodbye.")
    response.hangup()
    response.say("Never heard.")
    fake.on("/voice", response)

    sid = sim.incoming_call(CALLER, COMPANY)
    sim.wait_for(sid=sid, state="completed")

    assert sim.said(sid) == ["Hello.", "Goodbye."]
    assert sim.played(sid) == ["https://example.com/hold.mp3"]
