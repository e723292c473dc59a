"""The control API and dev page a developer uses to play the phones, and the command line."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import phonenumbers
import pytest
import requests
from twilio.twiml.voice_response import VoiceResponse

from ivr.cli import DEMO_CANDIDATES
from simulator import Chaos, Simulator
from simulator.__main__ import build, parse_number, parse_status_callback
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


def test_control_api_sets_and_shows_chaos(sim: Simulator) -> None:
    changed = requests.post(
        f"{sim.base_url}/control/chaos",
        json={"duplicate_rate": 0.25, "reorder": True, "seed": 9},
        timeout=5,
    )
    again = requests.post(f"{sim.base_url}/control/chaos", json={"drop_rate": 0.1}, timeout=5)
    shown = requests.get(f"{sim.base_url}/control/chaos", timeout=5)
    wrong = requests.post(f"{sim.base_url}/control/chaos", json={"drop_rate": 3}, timeout=5)
    unknown = requests.post(f"{sim.base_url}/control/chaos", json={"lies": 1}, timeout=5)

    assert changed.status_code == 200
    assert again.json() == shown.json()
    assert shown.json() == {
        "duplicate_rate": 0.25,
        "reorder": True,
        "drop_rate": 0.1,
        "rest_delay_seconds": 0.0,
        "seed": 9,
    }
    assert sim.chaos == Chaos(duplicate_rate=0.25, reorder=True, drop_rate=0.1, seed=9)
    assert (wrong.status_code, unknown.status_code) == (400, 400)
    assert "drop_rate must be between 0 and 1" in wrong.json()["error"]


def test_dev_page_shows_chaos_and_its_form_changes_it(sim: Simulator) -> None:
    sim.set_chaos(Chaos(reorder=True, drop_rate=0.2, seed=4))
    page = requests.get(sim.base_url + "/", timeout=5).text

    posted = requests.post(
        f"{sim.base_url}/control/chaos",
        data={"duplicate_rate": "0.5", "drop_rate": "0", "rest_delay_seconds": "0", "seed": "4"},
        allow_redirects=False,
        timeout=5,
    )

    assert "Chaos: <b>on</b>" in page
    assert 'name="drop_rate" value="0.2"' in page
    assert 'name="reorder" value="1" checked' in page
    assert "POST /control/chaos" in page
    assert posted.status_code == 302
    assert sim.chaos == Chaos(duplicate_rate=0.5, seed=4)  # the unticked box turned reorder off


def test_control_api_lets_an_answering_machine_pick_up(sim: Simulator, fake: FakeApp) -> None:
    fake.on("/answer", _menu(fake))
    leg = sim.create_call(to="+14155550102", from_=COMPANY, url=fake.url("/answer"))
    sim.wait_for(sid=leg.sid, waiting_for_input="answer")

    answered = requests.post(
        f"{sim.base_url}/control/calls/{leg.sid}/answer-machine", json={}, timeout=5
    )
    sim.wait_for(sid=leg.sid, state="completed")

    assert answered.status_code == 200
    assert fake.to("/choice") == []
    assert sim.said(leg.sid) == ["Press 1."]


def test_command_line_takes_status_callbacks_and_chaos() -> None:
    sim, _ = build(
        [
            "--number",
            "+15005550006=http://a/voice",
            "--number",
            "+15005550007=http://b/voice",
            "--status-callback",
            "+15005550007=http://b/status",
            "--status-callback",
            "http://a/status",
            "--chaos",
            "drop=0.1,reorder,seed=3",
        ]
    )

    assert sim.status_callbacks == {
        "+15005550006": "http://a/status",
        "+15005550007": "http://b/status",
    }
    assert sim.chaos == Chaos(drop_rate=0.1, reorder=True, seed=3)
    assert parse_status_callback("http://x/voice/status") == (None, "http://x/voice/status")
    with pytest.raises(argparse.ArgumentTypeError):
        parse_status_callback("+15005550006=ftp://x")


def test_bin_run_gives_the_simulator_the_numbers_status_callback() -> None:
    script = (Path(__file__).parents[2] / "bin" / "run").read_text()

    assert '--status-callback "$PUBLIC_BASE_URL/voice/status"' in script
