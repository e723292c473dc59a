"""Issue 2: the gateway places, redirects and ends calls, and fetches recordings, over HTTP
through the twilio REST client pointed at the simulator."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from ivr.telephony import TelephonyError, gateway
from models import Call


def test_gateway_places_redirects_and_hangs_up_over_http(line):
    # It reads the REST answer itself: chaos may misbehave otherwise, but answer in time.
    line.sim.set_chaos(replace(line.sim.chaos, rest_delay_seconds=0.0))
    with line.app.app_context():
        placed = gateway().place_call(
            to="+15005550123",
            url=f"{line.url}/voice/fallback",
            status_callback=f"{line.url}/voice/status",
        )
    leg = line.sim.wait_for(sid=placed.sid, waiting_for_input="answer")

    assert placed.sid.startswith("CA")
    assert placed.status == "queued"
    assert (leg.to, leg.from_, leg.direction) == ("+15005550123", "+15005550006", "outbound-api")

    line.sim.answer(placed.sid)
    line.sim.wait_for(sid=placed.sid, state="completed")  # the fallback apologises and hangs up
    assert line.sim.said(placed.sid), "the answered leg heard the app's TwiML"

    with line.app.app_context():
        again = gateway().place_call(
            to="+15005550124", url=f"{line.url}/voice/fallback",
            status_callback=f"{line.url}/voice/status",
        )  # fmt: skip
        line.sim.wait_for(sid=again.sid, waiting_for_input="answer")
        gateway().hang_up(again.sid)
    assert line.sim.wait_for(sid=again.sid, state="canceled").state == "canceled"


def test_a_placed_call_falls_back_to_our_fallback_url_when_its_webhook_fails(line):
    line.sim.set_chaos(replace(line.sim.chaos, rest_delay_seconds=0.0))  # reads its REST answer
    with line.app.app_context():
        placed = gateway().place_call(
            to="+15005550125",
            url=f"{line.url}/no-such-webhook",
            status_callback=f"{line.url}/voice/status",
        )
    line.sim.answer(line.sim.wait_for(sid=placed.sid, waiting_for_input="answer").sid)
    line.sim.wait_for(sid=placed.sid, state="completed")

    [fallback] = [r for r in line.sim.delivered() if r.kind == "fallback"]
    assert fallback.url == f"{line.url}/voice/fallback"
    assert fallback.params["ErrorUrl"] == f"{line.url}/no-such-webhook"
    assert line.sim.said(placed.sid) == [
        "Sorry, something went wrong on our side. Please try again in a few minutes."
    ]
    # The failed primary webhook is this test's subject: checked, then cleared for teardown.
    errors = line.sim.errors
    assert len(errors) == 1, errors
    assert "/no-such-webhook failed: HTTP 404" in errors[0], errors
    with line.sim._cond:
        line.sim._errors.clear()


def test_gateway_reports_a_refused_call_as_a_telephony_error(line):
    with line.app.app_context(), pytest.raises(TelephonyError, match="refused"):
        gateway().place_call(to="not-a-number", url=f"{line.url}/voice/fallback",
                             status_callback=f"{line.url}/voice/status")  # fmt: skip

    assert line.sim.legs() == []


def test_gateway_fetches_a_recording_with_the_account_credentials(line, db):
    sid = line.sim.incoming_call("+15005550999", "+15005550006")
    line.sim.wait_for(sid=sid, waiting_for_input="digits")
    line.sim.press(sid, "2")  # unknown caller: leave a message
    line.sim.wait_for(sid=sid, waiting_for_input="recording")
    line.sim.record(sid, 4, finish_key="#")
    line.sim.wait_for(sid=sid, state="completed")
    voicemail = db.scalar(select(Call).where(Call.parent_sid == sid))
    assert voicemail.recording_url.startswith(line.sim.base_url)

    with line.app.app_context():
        audio = gateway().fetch_recording(voicemail.recording_url)

    assert audio[:4] == b"RIFF"
    assert audio[8:12] == b"WAVE"
