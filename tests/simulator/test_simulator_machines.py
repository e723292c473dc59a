"""Answering machines (AnsweredBy where the AMD docs put it) and StirVerstat on inbound calls."""

from __future__ import annotations

import pytest
import requests
from twilio.rest import Client
from twilio.twiml.voice_response import Dial, VoiceResponse

from simulator import Simulator
from tests.fixtures.simulator import CALLER, COMPANY, RECRUITER, FakeApp


def _menu(fake: FakeApp) -> VoiceResponse:
    response = VoiceResponse()
    response.gather(num_digits=1, action=fake.url("/choice")).say("Press 1 to talk to us.")
    response.say("Sorry we missed you. Please call us back.")
    return response


def _place(rest_client: Client, fake: FakeApp, **amd: str) -> str:
    fake.on("/answer", _menu(fake))
    return rest_client.calls.create(to=RECRUITER, from_=COMPANY, url=fake.url("/answer"), **amd).sid


@pytest.mark.parametrize(
    ("mode", "answered_by"), [("Enable", "machine_start"), ("DetectMessageEnd", "machine_end_beep")]
)
def test_a_machine_answering_is_reported_on_the_voice_request(
    sim: Simulator, rest_client: Client, fake: FakeApp, mode: str, answered_by: str
) -> None:
    sid = _place(rest_client, fake, machine_detection=mode)

    sim.answer_machine(sim.wait_for(sid=sid, waiting_for_input="answer").sid)
    leg = sim.wait_for(sid=sid, state="completed")

    assert fake.to("/answer")[0].form["AnsweredBy"] == answered_by
    assert leg.answered_by == answered_by
    assert rest_client.calls(sid).fetch().answered_by == answered_by


def test_a_machine_never_presses_a_key_and_takes_the_message(
    sim: Simulator, rest_client: Client, fake: FakeApp
) -> None:
    sid = _place(rest_client, fake, machine_detection="Enable")

    sim.answer_machine(sim.wait_for(sid=sid, waiting_for_input="answer").sid)
    sim.wait_for(sid=sid, state="completed")

    assert fake.to("/choice") == []
    assert sim.said(sid) == ["Press 1 to talk to us.", "Sorry we missed you. Please call us back."]


def test_a_person_answering_is_reported_as_human(
    sim: Simulator, rest_client: Client, fake: FakeApp
) -> None:
    sid = _place(rest_client, fake, machine_detection="DetectMessageEnd")

    sim.answer(sim.wait_for(sid=sid, waiting_for_input="answer").sid)
    sim.wait_for(sid=sid, waiting_for_input="digits")
    sim.press(sid, "1")
    sim.wait_for(sid=sid, state="completed")

    assert fake.to("/answer")[0].form["AnsweredBy"] == "human"
    assert fake.to("/choice")[0].form["Digits"] == "1"


def test_without_machine_detection_nobody_says_who_answered(
    sim: Simulator, rest_client: Client, fake: FakeApp
) -> None:
    sid = _place(rest_client, fake)

    sim.answer_machine(sim.wait_for(sid=sid, waiting_for_input="answer").sid)
    leg = sim.wait_for(sid=sid, state="completed")

    assert "AnsweredBy" not in fake.to("/answer")[0].form
    assert leg.answered_by is None


def test_async_detection_posts_the_result_to_its_own_callback(
    sim: Simulator, rest_client: Client, fake: FakeApp
) -> None:
    sid = _place(
        rest_client,
        fake,
        machine_detection="Enable",
        async_amd="true",
        async_amd_status_callback=fake.url("/amd"),
    )

    sim.answer_machine(sim.wait_for(sid=sid, waiting_for_input="answer").sid)
    sim.wait_for(sid=sid, state="completed")

    assert "AnsweredBy" not in fake.to("/answer")[0].form
    [amd] = fake.to("/amd")
    assert (amd.form["CallSid"], amd.form["AnsweredBy"]) == (sid, "machine_start")
    assert amd.token


def test_a_dialled_number_with_machine_detection_tells_its_url_and_amd_callback(
    sim: Simulator, fake: FakeApp
) -> None:
    response = VoiceResponse()
    dial = Dial(action=fake.url("/dial-result"), timeout=20)
    dial.number(
        RECRUITER,
        url=fake.url("/whisper"),
        machine_detection="Enable",
        amd_status_callback=fake.url("/amd"),
    )
    response.append(dial)
    fake.on("/voice", response)
    whisper = VoiceResponse()
    whisper.gather(num_digits=1, action=fake.url("/accept")).say("Press 1 to accept.")
    whisper.hangup()
    fake.on("/whisper", whisper)
    parent = sim.incoming_call(CALLER, COMPANY)
    child = sim.wait_for(parent_sid=parent, waiting_for_input="answer")

    sim.answer_machine(child.sid)
    sim.wait_for(sid=parent, state="completed")

    assert fake.to("/whisper")[0].form["AnsweredBy"] == "machine_start"
    assert fake.to("/amd")[0].form["AnsweredBy"] == "machine_start"
    assert fake.to("/amd")[0].form["CallSid"] == child.sid
    assert fake.to("/accept") == []
    assert fake.to("/dial-result")[0].form["DialCallStatus"] == "no-answer"


@pytest.mark.expected_errors
def test_async_detection_on_a_dialled_number_is_refused_as_twilio_refuses_it(
    sim: Simulator, fake: FakeApp
) -> None:
    fake.on(
        "/voice",
        '<Response><Dial><Number machineDetection="Enable" asyncAmd="true">'
        f"{RECRUITER}</Number></Dial></Response>",
    )
    parent = sim.incoming_call(CALLER, COMPANY)
    sim.wait_for(parent_sid=parent, waiting_for_input="answer")

    sim.hangup(parent)
    sim.wait_for(sid=parent, state="completed")

    assert [error for error in sim.errors if "21263" in error] == [
        f"{parent}: 21263 <Number> does not take ['asyncAmd']"
    ]


# StirVerstat ---------------------------------------------------------------------------------


def test_an_inbound_call_says_how_its_caller_id_was_verified(sim: Simulator, fake: FakeApp) -> None:
    fake.on("/voice", _menu(fake))

    verified = sim.incoming_call(CALLER, COMPANY)
    sim.press(verified, "1")
    sim.wait_for(sid=verified, state="completed")
    failed = sim.incoming_call(CALLER, COMPANY, stir_verstat="TN-Validation-Failed")
    unknown = sim.incoming_call(CALLER, COMPANY, stir_verstat=None)
    for sid in (failed, unknown):
        sim.hangup(sim.wait_for(sid=sid, waiting_for_input="digits").sid)
        sim.wait_for(sid=sid, state="completed")

    voice = {r.form["CallSid"]: r.form for r in fake.to("/voice")}
    assert voice[verified]["StirVerstat"] == "TN-Validation-Passed-A"
    assert voice[failed]["StirVerstat"] == "TN-Validation-Failed"
    assert "StirVerstat" not in voice[unknown]
    assert "StirVerstat" not in fake.to("/choice")[0].form  # the voice request only


def test_the_control_api_places_a_call_with_a_caller_id_verdict(
    sim: Simulator, fake: FakeApp
) -> None:
    fake.on("/voice", "<Response><Hangup/></Response>")

    placed = requests.post(
        f"{sim.base_url}/control/calls",
        json={"from": CALLER, "to": COMPANY, "stir_verstat": "No-TN-Validation"},
        timeout=5,
    )
    sim.wait_for(sid=placed.json()["sid"], state="completed")

    assert fake.to("/voice")[0].form["StirVerstat"] == "No-TN-Validation"
