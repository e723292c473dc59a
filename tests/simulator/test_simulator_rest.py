"""The REST API as the real twilio client sees it: create, fetch, update, auth and errors."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from simulator import Simulator
from tests.contracts.twilio import twilio_contract
from tests.fixtures.simulator import ACCOUNT_SID, AUTH_TOKEN, CALLER, COMPANY, RECRUITER, FakeApp

EVENTS = ["initiated", "ringing", "answered", "completed"]


def _menu(action: str) -> VoiceResponse:
    response = VoiceResponse()
    gather = response.gather(num_digits=1, action=action, method="POST", timeout=5)
    gather.say("Press 1 to connect.")
    return response


def _ring_recruiter() -> VoiceResponse:
    response = VoiceResponse()
    response.dial(RECRUITER)
    return response


def _place(rest_client: Client, fake: FakeApp, events: list[str] | None = None) -> str:
    call = rest_client.calls.create(
        to=RECRUITER,
        from_=COMPANY,
        url=fake.url("/answer"),
        method="POST",
        status_callback=fake.url("/status"),
        status_callback_method="POST",
        status_callback_event=events or EVENTS,
        timeout=20,
    )
    return call.sid


def test_create_returns_a_queued_call_that_rings_until_answered(
    sim: Simulator, rest_client: Client, fake: FakeApp
) -> None:
    call = rest_client.calls.create(to=RECRUITER, from_=COMPANY, url=fake.url("/answer"))

    leg = sim.wait_for(sid=call.sid, waiting_for_input="answer")

    assert call.sid.startswith("CA")
    assert len(call.sid) == 34
    assert call.status == "queued"
    assert call.direction == "outbound-api"
    assert (call.to, call._from) == (RECRUITER, COMPANY)
    assert call.date_created is not None
    assert leg.state == "ringing"
    assert leg.ring_timeout == 60
    assert rest_client.calls(call.sid).fetch().status == "ringing"
    assert fake.to("/answer") == []


def test_status_callbacks_arrive_in_order_with_sequence_numbers(
    sim: Simulator, rest_client: Client, fake: FakeApp
) -> None:
    fake.on("/answer", _menu(fake.url("/screen")))
    sid = _place(rest_client, fake)
    sim.answer(sim.wait_for(sid=sid, waiting_for_input="answer").sid)
    sim.wait_for(sid=sid, waiting_for_input="digits")
    sim.clock.advance(75)

    sim.hangup(sid)
    sim.wait_for(sid=sid, state="completed")

    callbacks = fake.to("/status")
    assert [c.form["CallStatus"] for c in callbacks] == [
        "initiated",
        "ringing",
        "in-progress",
        "completed",
    ]
    assert [c.form["SequenceNumber"] for c in callbacks] == ["0", "1", "2", "3"]
    for callback in callbacks:
        assert callback.form["CallbackSource"] == "call-progress-events"
        assert callback.form["CallSid"] == sid
        assert callback.form["AccountSid"] == ACCOUNT_SID
        assert callback.form["Direction"] == "outbound-api"
        assert callback.form["ApiVersion"] == "2010-04-01"
        assert parsedate_to_datetime(callback.form["Timestamp"]).tzinfo is not None
    assert callbacks[-1].form["CallDuration"] == "75"
    assert callbacks[-1].form["Duration"] == "2"
    answer = fake.to("/answer")[0].form
    assert answer["CallStatus"] == "in-progress"
    assert answer["From"] == COMPANY


def test_only_requested_status_events_are_sent(
    sim: Simulator, rest_client: Client, fake: FakeApp
) -> None:
    sid = _place(rest_client, fake, events=["completed"])

    sim.no_answer(sim.wait_for(sid=sid, waiting_for_input="answer").sid)
    leg = sim.wait_for(sid=sid, state="no-answer")

    assert [c.form["CallStatus"] for c in fake.to("/status")] == ["no-answer"]
    assert fake.to("/status")[0].form["SequenceNumber"] == "0"
    assert fake.to("/answer") == []
    assert leg.ended


@pytest.mark.parametrize(("act", "status"), [("busy", "busy"), ("fail", "failed")])
def test_a_call_that_is_not_picked_up_ends_with_that_status(
    sim: Simulator, rest_client: Client, fake: FakeApp, act: str, status: str
) -> None:
    sid = _place(rest_client, fake)

    getattr(sim, act)(sim.wait_for(sid=sid, waiting_for_input="answer").sid)
    sim.wait_for(sid=sid, state=status)

    assert [c.form["CallStatus"] for c in fake.to("/status")] == ["initiated", "ringing", status]
    assert rest_client.calls(sid).fetch().status == status


def test_rest_hangup_ends_a_call_in_progress(
    sim: Simulator, rest_client: Client, fake: FakeApp
) -> None:
    fake.on("/answer", _menu(fake.url("/screen")))
    sid = _place(rest_client, fake)
    sim.answer(sid)
    sim.wait_for(sid=sid, waiting_for_input="digits")

    rest_client.calls(sid).update(status="completed")
    sim.wait_for(sid=sid, state="completed")

    assert fake.to("/status")[-1].form["CallStatus"] == "completed"
    assert fake.to("/screen") == []


def test_rest_hangup_of_a_ringing_call_cancels_it(
    sim: Simulator, rest_client: Client, fake: FakeApp
) -> None:
    sid = _place(rest_client, fake)
    sim.wait_for(sid=sid, waiting_for_input="answer")

    rest_client.calls(sid).update(status="completed")
    sim.wait_for(sid=sid, state="canceled")

    assert fake.to("/status")[-1].form["CallStatus"] == "canceled"
    assert fake.to("/answer") == []


def test_rest_redirect_leaves_the_current_verb_for_the_new_url(
    sim: Simulator, rest_client: Client, fake: FakeApp
) -> None:
    fake.on("/answer", _menu(fake.url("/screen")))
    elsewhere = VoiceResponse()
    elsewhere.say("Moved along.")
    fake.on("/elsewhere", elsewhere)
    sid = _place(rest_client, fake)
    sim.answer(sid)
    sim.wait_for(sid=sid, waiting_for_input="digits")

    rest_client.calls(sid).update(url=fake.url("/elsewhere"), method="POST")
    sim.wait_for(sid=sid, state="completed")

    assert sim.said(sid) == ["Press 1 to connect.", "Moved along."]
    assert fake.to("/elsewhere")[0].form["CallSid"] == sid
    assert fake.to("/screen") == []


def test_create_with_inline_twiml_runs_it_on_answer(sim: Simulator, rest_client: Client) -> None:
    call = rest_client.calls.create(
        to=RECRUITER, from_=COMPANY, twiml="<Response><Say>Inline.</Say></Response>"
    )

    sim.answer(sim.wait_for(sid=call.sid, waiting_for_input="answer").sid)
    sim.wait_for(sid=call.sid, state="completed")

    assert sim.said(call.sid) == ["Inline."]


def test_bad_credentials_are_refused_with_401(sim: Simulator, fake: FakeApp) -> None:
    wrong = Client(ACCOUNT_SID, "not-the-token")
    wrong.api.base_url = sim.base_url

    with pytest.raises(TwilioRestException) as refused:
        wrong.calls.create(to=RECRUITER, from_=COMPANY, url=fake.url("/answer"))

    assert refused.value.status == 401
    assert refused.value.code == 20003
    wrong.http_client.session.close()
    assert sim.legs() == []


def test_missing_auth_is_refused_with_twilio_error_json(sim: Simulator) -> None:
    url = f"{sim.base_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"

    response = requests.post(url, data={"To": RECRUITER}, timeout=5)

    assert response.status_code == 401
    assert response.json()["code"] == 20003
    assert response.headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"From": COMPANY, "Url": "http://x.test/a"}, 21201),
        ({"To": "5551234", "From": COMPANY, "Url": "http://x.test/a"}, 21211),
        ({"To": RECRUITER, "From": COMPANY}, 21205),
        ({"To": RECRUITER, "From": COMPANY, "Url": "not a url"}, 21205),
    ],
)
def test_invalid_create_is_refused_with_400_twilio_error(
    sim: Simulator, form: dict[str, str], code: int
) -> None:
    url = f"{sim.base_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"

    response = requests.post(url, data=form, auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code
    assert body["status"] == 400
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    assert body["message"]


def test_bad_to_raises_twilio_rest_exception_in_the_client(
    sim: Simulator, rest_client: Client
) -> None:
    with pytest.raises(TwilioRestException) as refused:
        rest_client.calls.create(to="12", from_=COMPANY, url="http://x.test/a")

    assert (refused.value.status, refused.value.code) == (400, 21211)


def test_unknown_call_sid_is_404(sim: Simulator, rest_client: Client) -> None:
    with pytest.raises(TwilioRestException) as missing:
        rest_client.calls("CA" + "0" * 32).update(status="completed")

    assert (missing.value.status, missing.value.code) == (404, 20404)


def test_list_filters_calls_as_twilio_does(
    sim: Simulator, rest_client: Client, fake: FakeApp
) -> None:
    fake.on("/voice", _ring_recruiter())
    parent = sim.incoming_call(CALLER, COMPANY)
    child = sim.wait_for(parent_sid=parent, waiting_for_input="answer")
    other = sim.wait_for(sid=_place(rest_client, fake), waiting_for_input="answer").sid

    children = rest_client.calls.list(parent_call_sid=parent)
    ringing = rest_client.calls.list(status="ringing", to=RECRUITER)
    everything = rest_client.calls.list()

    assert [c.sid for c in children] == [child.sid]
    assert {c.sid for c in ringing} == {child.sid, other}
    assert [c.sid for c in everything] == [other, child.sid, parent]  # newest first


def test_a_deleted_recording_is_gone(sim: Simulator, rest_client: Client, fake: FakeApp) -> None:
    fake.on("/voice", '<Response><Record maxLength="30"/></Response>')
    sid = sim.incoming_call(CALLER, COMPANY)
    sim.wait_for(sid=sid, waiting_for_input="recording")
    sim.record(sid, 3, hang_up=True)
    sim.wait_for(sid=sid, state="completed")
    [recording_sid] = [r.params["RecordingSid"] for r in sim.requests if r.kind == "action"]

    deleted = rest_client.recordings(recording_sid).delete()

    assert deleted is True
    assert sim.recording(recording_sid) is None
    with pytest.raises(TwilioRestException) as missing:
        rest_client.recordings(recording_sid).fetch()
    assert missing.value.status == 404


def test_a_request_within_twilios_api_description_is_no_error(
    sim: Simulator, rest_client: Client, fake: FakeApp
) -> None:
    sim.contract = twilio_contract()

    sid = _place(rest_client, fake)
    rest_client.calls(sid).fetch()
    rest_client.calls(sid).update(status="canceled")
    sim.wait_for(sid=sid, state="canceled")

    assert sim.errors == []


@pytest.mark.expected_errors
def test_a_request_outside_twilios_api_description_is_a_simulator_error(
    sim: Simulator, fake: FakeApp
) -> None:
    sim.contract = twilio_contract()
    url = f"{sim.base_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"
    form = {"To": RECRUITER, "From": COMPANY, "Url": fake.url("/a"), "MachineDetect": "Enable"}

    placed = requests.post(url, data=form, auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5)
    sim.update_call(placed.json()["sid"], status="canceled")

    assert placed.status_code == 201  # Twilio ignores a parameter it does not know...
    assert sim.errors == [  # ...which is why the contract check does not
        f"contract: POST /2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json: "
        "CreateCall: form field 'MachineDetect' is not one the operation takes"
    ]
