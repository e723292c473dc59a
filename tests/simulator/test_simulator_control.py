"""The control API and dev page a developer uses to play the phones, and the command line."""

from __future__ import annotations

import argparse
import re

import phonenumbers
import pytest
import requests
from twilio.twiml.voice_response import VoiceResponse

from ivr.cli import DEMO_CANDIDATES
from simulator import Simulator
from simulator.__main__ import parse_number
from tests.fixtures.simulator import CALLER, COMPANY, FakeApp


def _menu(fake: FakeApp) -> VoiceResponse:
    response = VoiceResponse()
    response.gather(num_digits=1, action=fake.url("/choice")).say("Press 1.")
    return response


def test_control_api_places_a_call_and_presses_keys(sim: Simulator, fake: FakeApp) -> None:
    fake.on("/voice", _menu(fake))

    created = requests.post(
        f"{sim.base_url}/control/calls", json={"from": CALLER, "to": COMPANY}, timeout=5
    )
    sid = created.json()["sid"]
    sim.wait_for(sid=sid, waiting_for_input="digits")
    listed = requests.get(f"{sim.base_url}/control/calls", timeout=5).json()["calls"]
    pressed = requests.post(
        f"{sim.base_url}/control/calls/{sid}/press", json={"digits": "1"}, timeout=5
    )
    sim.wait_for(sid=sid, state="completed")

    assert created.status_code == 201
    assert listed[0]["sid"] == sid
    assert listed[0]["waiting_for"] == "digits"
    assert listed[0]["said"] == ["Press 1."]
    assert pressed.status_code == 200
    assert fake.to("/choice")[0].form["Digits"] == "1"


def test_control_api_refuses_what_the_leg_is_not_waiting_for(sim: Simulator, fake: FakeApp) -> None:
    sim.action_timeout = 0.05
    fake.on("/voice", _menu(fake))
    sid = sim.incoming_call(CALLER, COMPANY)
    sim.wait_for(sid=sid, waiting_for_input="digits")

    wrong = requests.post(f"{sim.base_url}/control/calls/{sid}/answer", json={}, timeout=5)
    missing = requests.post(f"{sim.base_url}/control/calls/CAnope/hangup", json={}, timeout=5)

    assert wrong.status_code == 409
    assert "not waiting for answer" in wrong.json()["error"]
    assert missing.status_code == 404


def test_dev_page_lists_legs_and_its_forms_drive_them(sim: Simulator, fake: FakeApp) -> None:
    fake.on("/voice", _menu(fake))
    placed = requests.post(
        f"{sim.base_url}/control/calls", data={"from": CALLER, "to": COMPANY}, timeout=5
    )
    sid = sim.wait_for(to=COMPANY, waiting_for_input="digits").sid

    page = requests.get(sim.base_url + "/", timeout=5)
    pressed = requests.post(
        f"{sim.base_url}/control/calls/{sid}/press",
        data={"digits": "1"},
        allow_redirects=False,
        timeout=5,
    )
    sim.wait_for(sid=sid, state="completed")

    assert placed.status_code == 200  # the form's redirect back to the page was followed
    assert page.status_code == 200
    assert sid in page.text
    assert "Press 1." in page.text
    assert f'action="/control/calls/{sid}/press"' in page.text
    assert pressed.status_code == 302


def test_number_option_parses_voice_and_fallback_urls() -> None:
    assert parse_number("+15005550006=http://a/voice,http://a/fallback") == (
        "+15005550006",
        ("http://a/voice", "http://a/fallback"),
    )
    assert parse_number("+15005550006=http://a/voice") == ("+15005550006", ("http://a/voice", None))
    with pytest.raises(argparse.ArgumentTypeError):
        parse_number("15005550006")


def test_dev_page_offers_a_valid_caller_number_by_default(sim: Simulator) -> None:
    page = requests.get(sim.base_url + "/", timeout=5)

    caller = re.search(r'<input name="from" value="([^"]*)"', page.text)
    assert caller is not None
    number = phonenumbers.parse(caller.group(1), None)
    assert phonenumbers.is_valid_number(number)
    assert caller.group(1) in {phone for _, phone, _ in DEMO_CANDIDATES}
