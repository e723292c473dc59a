"""One notion of presence for every flow: a recruiter on an inbound call or a dial-in is busy
for the hunt and for one-click calls, and free again when that call ends."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Call
from tests.fixtures.twilio import COMPANY_NUMBER
from tests.twiml_helpers import parse

CALL_SID = "CA" + "1" * 32
RECRUITER_LEG = "CA" + "2" * 32
OTHER_SID = "CA" + "3" * 32


@pytest.fixture
def owner(make_user):
    return make_user(name="Olive Owner", phone="+15005550111", hunt_order=1)


@pytest.fixture
def backup(make_user):
    return make_user(name="Ben Backup", phone="+15005550112", hunt_order=2)


@pytest.fixture
def jane(make_candidate, owner):
    return make_candidate(owner=owner, name="Jane Doe", phone="+15005550201", code="123456")


def the_call(session, sid=CALL_SID) -> Call:
    session.expire_all()
    return session.scalar(select(Call).where(Call.parent_sid == sid))


def incoming(twilio_post, from_number, sid=CALL_SID):
    return twilio_post(
        "/voice/incoming",
        {"CallSid": sid, "From": from_number, "To": COMPANY_NUMBER, "CallStatus": "ringing",
         "Direction": "inbound"},
    )  # fmt: skip


def dialled(response) -> str:
    return parse(response.data).find("Dial/Number").text


def accept(twilio_post, call, recruiter):
    return twilio_post(f"/voice/inbound/{call.id}/whisper-answer?r={recruiter.id}",
                       {"CallSid": RECRUITER_LEG, "Digits": "1"})  # fmt: skip


def test_accepting_an_inbound_call_makes_the_recruiter_busy(twilio_post, session, jane, owner):
    incoming(twilio_post, jane.phone)
    call = the_call(session)

    accept(twilio_post, call, owner)

    assert the_call(session).active_recruiter_id == owner.id


def test_a_one_click_call_is_refused_while_the_recruiter_is_on_an_inbound_call(
    twilio_post, session, client, api_token, jane, owner, make_candidate
):
    incoming(twilio_post, jane.phone)
    call = the_call(session)
    accept(twilio_post, call, owner)
    other = make_candidate(owner=owner, name="Sam Other", phone="+15005550202")

    response = client.post("/api/v1/calls", json={"candidate_id": other.id},
                           headers={"Authorization": f"Bearer {api_token(owner)}"})  # fmt: skip

    assert response.status_code == 409
    assert response.json == {"error": f"you already have a call in progress (call {call.id})"}


def test_a_one_click_call_is_refused_while_the_recruiter_is_dialled_in(
    twilio_post, session, client, api_token, jane, owner
):
    incoming(twilio_post, owner.phone)
    dial_in = the_call(session)

    response = client.post("/api/v1/calls", json={"candidate_id": jane.id},
                           headers={"Authorization": f"Bearer {api_token(owner)}"})  # fmt: skip

    assert response.status_code == 409
    assert response.json == {"error": f"you already have a call in progress (call {dial_in.id})"}


def test_the_hunt_skips_a_recruiter_on_an_inbound_call(
    twilio_post, session, jane, owner, backup
):
    incoming(twilio_post, jane.phone)
    accept(twilio_post, the_call(session), owner)

    # A second candidate calls while Olive is on the first call: Ben's phone rings first.
    response = incoming(twilio_post, "+15005550299", sid=OTHER_SID)
    choice = twilio_post(f"/voice/inbound/{the_call(session, OTHER_SID).id}/choice",
                         {"CallSid": OTHER_SID, "Digits": "1"})  # fmt: skip

    assert parse(response.data).find("Gather") is not None  # the unknown caller's menu
    assert dialled(choice) == backup.phone


def test_the_hunt_skips_a_recruiter_dialled_in(twilio_post, session, jane, owner, backup):
    incoming(twilio_post, owner.phone, sid=OTHER_SID)

    response = incoming(twilio_post, jane.phone)

    assert dialled(response) == backup.phone


def test_the_end_of_the_bridge_frees_the_recruiter(twilio_post, session, jane, owner):
    incoming(twilio_post, jane.phone)
    call = the_call(session)
    accept(twilio_post, call, owner)

    twilio_post(
        f"/voice/inbound/{call.id}/hunt-result?i=0&r={owner.id}",
        {"CallSid": CALL_SID, "CallStatus": "in-progress", "DialCallStatus": "completed",
         "DialCallSid": RECRUITER_LEG, "DialCallDuration": "75"},
    )  # fmt: skip

    assert the_call(session).active_recruiter_id is None


def test_the_end_of_an_inbound_call_frees_the_recruiter(twilio_post, session, jane, owner):
    incoming(twilio_post, jane.phone)
    call = the_call(session)
    accept(twilio_post, call, owner)

    twilio_post("/voice/status", {"CallSid": CALL_SID, "CallStatus": "completed",
                                  "SequenceNumber": "4", "CallDuration": "80"})  # fmt: skip

    assert the_call(session).active_recruiter_id is None


def test_accepting_while_another_call_holds_the_line_still_bridges(
    twilio_post, session, jane, owner
):
    held = Call(direction="outbound", recruiter_id=owner.id, company_number=COMPANY_NUMBER,
                status="in-progress", active_recruiter_id=owner.id)  # fmt: skip
    session.add(held)
    session.commit()
    incoming(twilio_post, jane.phone)  # (the hunt rang nobody else: Olive is the owner)
    call = the_call(session)

    response = accept(twilio_post, call, owner)

    assert response.status_code == 200
    call = the_call(session)
    assert (call.recruiter_id, call.active_recruiter_id) == (owner.id, None)
