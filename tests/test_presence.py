"""One notion of presence for every flow: a recruiter on an inbound call or a dial-in is busy
for the hunt and for one-click calls, and free again when that call ends."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Call
from tests.fixtures.people import LINE_PIN
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


def dialled_in(twilio_post, session, recruiter, sid=CALL_SID) -> Call:
    """The recruiter calls the line and keys their PIN (the line is theirs only then)."""
    incoming(twilio_post, recruiter.phone, sid=sid)
    call = the_call(session, sid)
    twilio_post(f"/voice/dial-in/{call.id}/pin?attempt=1",
                {"CallSid": sid, "Digits": f"{LINE_PIN}#"})  # fmt: skip
    return call


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
    dial_in = dialled_in(twilio_post, session, owner)

    response = client.post("/api/v1/calls", json={"candidate_id": jane.id},
                           headers={"Authorization": f"Bearer {api_token(owner)}"})  # fmt: skip

    assert response.status_code == 409
    assert response.json == {"error": f"you already have a call in progress (call {dial_in.id})"}


def test_the_hunt_skips_a_recruiter_on_an_inbound_call(twilio_post, session, jane, owner, backup):
    incoming(twilio_post, jane.phone)
    accept(twilio_post, the_call(session), owner)

    # A second candidate calls while Olive is on the first call: Ben's phone rings first.
    response = incoming(twilio_post, "+15005550299", sid=OTHER_SID)
    choice = twilio_post(f"/voice/inbound/{the_call(session, OTHER_SID).id}/choice",
                         {"CallSid": OTHER_SID, "Digits": "1"})  # fmt: skip

    assert parse(response.data).find("Gather") is not None  # the unknown caller's menu
    assert dialled(choice) == backup.phone


def test_the_hunt_skips_a_recruiter_dialled_in(twilio_post, session, jane, owner, backup):
    dialled_in(twilio_post, session, owner, sid=OTHER_SID)

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


# The live panel shows an inbound call ----------------------------------------------------------


def signed_in(app, user):  # type: ignore[no-untyped-def]
    client = app.test_client()
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = str(user.id)
        flask_session["_fresh"] = True
    return client


def test_no_live_call_reads_null(app, owner):
    assert signed_in(app, owner).get("/calls/live.json").json == {"call": None}


def test_the_live_panel_finds_an_inbound_call_taken_with_who_calls_and_their_history(
    app, twilio_post, session, jane, owner
):
    incoming(twilio_post, jane.phone)
    call = the_call(session)
    accept(twilio_post, call, owner)

    live = signed_in(app, owner).get("/calls/live.json").json["call"]

    assert live["id"] == call.id
    assert live["heading"] == "Call from Jane Doe"
    assert live["live_state"] == {"code": "talking", "text": "Talking with Jane"}
    assert live["history_url"] == f"/candidates/{jane.id}"
    assert live["is_live"] is True


def test_the_dashboard_shows_the_inbound_call_as_it_loads(app, twilio_post, session, jane, owner):
    incoming(twilio_post, jane.phone)
    accept(twilio_post, the_call(session), owner)

    page = signed_in(app, owner).get("/calls").text

    assert f'data-call-id="{the_call(session).id}"' in page
    assert "Call from Jane Doe" in page
    assert "Talking with Jane" in page
    assert f'<p id="call-history"><a href="/candidates/{jane.id}">' in page


def test_an_unknown_caller_is_shown_by_a_masked_number_without_a_history(
    app, twilio_post, session, owner
):
    incoming(twilio_post, "+15005559999")
    call = the_call(session)
    twilio_post(f"/voice/inbound/{call.id}/choice", {"CallSid": CALL_SID, "Digits": "1"})
    accept(twilio_post, call, owner)

    live = signed_in(app, owner).get("/calls/live.json").json["call"]

    assert live["heading"] == "Call from +*******9999"
    assert live["history_url"] is None
    page = signed_in(app, owner).get("/calls").text
    assert "Call from +*******9999" in page
    assert "+15005559999" not in page


def test_another_recruiters_candidate_links_to_what_the_log_shows_of_them(
    app, twilio_post, session, make_candidate, make_user, backup
):
    olive_away = make_user(name="Owen Away", phone="+15005550113", is_available=False)
    sam = make_candidate(owner=olive_away, name="Sam Someone", phone="+15005550203")
    incoming(twilio_post, sam.phone)
    call = the_call(session)
    accept(twilio_post, call, backup)

    live = signed_in(app, backup).get("/calls/live.json").json["call"]

    assert live["heading"] == "Call from Sam Someone"
    assert live["history_url"] == f"/log?candidate_id={sam.id}"


def test_a_replayed_webhook_of_an_ended_dial_in_never_takes_the_line_again(
    twilio_post, session, client, api_token, jane, owner
):
    call = dialled_in(twilio_post, session, owner)
    twilio_post("/voice/status", {"CallSid": CALL_SID, "CallStatus": "completed",
                                  "SequenceNumber": "4"})  # fmt: skip
    assert the_call(session).active_recruiter_id is None

    # The same signed requests again, later (a replay needs no new signature).
    incoming(twilio_post, owner.phone)
    twilio_post(f"/voice/dial-in/{call.id}/pin?attempt=1",
                {"CallSid": CALL_SID, "Digits": f"{LINE_PIN}#"})  # fmt: skip
    response = client.post("/api/v1/calls", json={"candidate_id": jane.id},
                           headers={"Authorization": f"Bearer {api_token(owner)}"})  # fmt: skip

    assert the_call(session).active_recruiter_id is None
    assert response.status_code == 502  # not 409 nor 500: only the network is missing here
