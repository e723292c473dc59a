"""The recruiter line trusts no caller ID alone (issue 11, item 3): a PIN the recruiter sets on
My settings, stored hashed, asked before codes or callbacks, a few attempts then hang up, every
attempt a chained event without its digits; Twilio's StirVerstat kept and shown on the call."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from models import Call, CallEvent
from models.chain import verify_chain
from tests.fixtures.people import LINE_PIN
from tests.fixtures.twilio import COMPANY_NUMBER
from tests.test_admin_pages import changes, signed_in
from tests.twiml_helpers import parse, spoken, url_path, url_query, verbs

CALL_SID = "CA" + "5" * 32
VOICEMAIL_SID = "CA" + "6" * 32


@pytest.fixture
def riley(make_user):
    return make_user(name="Riley Recruiter", phone="+15005550111")


@pytest.fixture
def jane(make_candidate, riley):
    return make_candidate(owner=riley, name="Jane Doe", phone="+15005550201", code="123456")


def incoming(twilio_post, from_number, sid=CALL_SID, **extra):
    return twilio_post("/voice/incoming", {"CallSid": sid, "From": from_number,
                                           "To": COMPANY_NUMBER, "CallStatus": "ringing",
                                           **extra})  # fmt: skip


def the_call(session, sid=CALL_SID) -> Call:
    session.expire_all()
    return session.scalar(select(Call).where(Call.parent_sid == sid))


def events(session, call, prefix="dial_in.") -> list[CallEvent]:
    session.expire_all()
    stmt = select(CallEvent).where(CallEvent.call_id == call.id, CallEvent.kind.startswith(prefix))
    return list(session.scalars(stmt.order_by(CallEvent.seq)))


def pin(twilio_post, call, digits, attempt=1):
    params = {"CallSid": CALL_SID}
    if digits is not None:
        params["Digits"] = digits
    return twilio_post(f"/voice/dial-in/{call.id}/pin?attempt={attempt}", params)


# On the phone ------------------------------------------------------------------------------


def test_a_recruiter_calling_in_is_asked_for_the_pin_without_being_named(
    twilio_post, session, riley
):
    root = parse(incoming(twilio_post, riley.phone).data)

    assert verbs(root) == ["Gather", "Redirect"]
    assert spoken(root) == "Recruiter line. Enter your PIN, then press pound."
    assert "Riley" not in spoken(root)
    gather = root.find("Gather")
    assert gather.get("finishOnKey") == "#"
    assert url_path(gather.get("action")).endswith("/pin")
    call = the_call(session)
    assert (call.flow, call.recruiter_id) == ("dial-in", riley.id)
    # Nothing is held until the PIN is right: a spoofed caller ID locks nobody out.
    assert call.active_recruiter_id is None


def test_the_right_pin_opens_the_code_prompt_and_takes_the_recruiters_line(
    twilio_post, session, riley
):
    incoming(twilio_post, riley.phone)
    call = the_call(session)

    root = parse(pin(twilio_post, call, f"{LINE_PIN}#").data)

    assert "Hi Riley. Enter the candidate's code, then press pound." in spoken(root)
    assert the_call(session).active_recruiter_id == riley.id
    [event] = events(session, call)
    assert (event.kind, event.detail, event.actor_id) == (
        "dial_in.pin_ok", {"result": "ok", "attempt": 1}, riley.id)  # fmt: skip


def test_three_wrong_pins_hang_up_and_each_attempt_is_chained_without_its_digits(
    twilio_post, session, riley
):
    incoming(twilio_post, riley.phone)
    call = the_call(session)

    first = parse(pin(twilio_post, call, "9081#", attempt=1).data)
    second = parse(pin(twilio_post, call, "7263#", attempt=2).data)
    last = parse(pin(twilio_post, call, "4390#", attempt=3).data)

    assert (
        spoken(first) == "That PIN is not right. Recruiter line. Enter your PIN, then press pound."
    )
    assert url_query(first.find("Gather").get("action")) == {"attempt": "2"}
    assert url_query(second.find("Gather").get("action")) == {"attempt": "3"}
    assert second.find("Redirect") is None  # the last prompt's silence ends the call
    assert verbs(last) == ["Say", "Hangup"]
    assert spoken(last) == "That PIN is not right, and that was the last try. Goodbye."
    attempts = events(session, call)
    assert [(e.kind, e.detail) for e in attempts] == [
        ("dial_in.pin_failed", {"result": "failed", "attempt": n}) for n in (1, 2, 3)
    ]
    stored = json.dumps([[e.payload, e.detail] for e in attempts])
    assert "Digits" not in stored
    assert not any(digits in stored for digits in ("9081", "7263", "4390"))
    assert verify_chain(session, CallEvent).ok
    assert the_call(session).active_recruiter_id is None


def test_silence_at_the_pin_prompt_is_logged_and_asked_again(twilio_post, session, riley):
    incoming(twilio_post, riley.phone)
    call = the_call(session)

    # The prompt's Redirect after a timeout: no Digits, already the next attempt.
    again = parse(pin(twilio_post, call, None, attempt=2).data)
    gone = parse(pin(twilio_post, call, None, attempt=4).data)

    assert spoken(again) == "Recruiter line. Enter your PIN, then press pound."
    assert url_query(again.find("Gather").get("action")) == {"attempt": "2"}
    assert verbs(gone) == ["Say", "Hangup"]
    assert [e.detail["result"] for e in events(session, call)] == ["no-input", "no-input"]


def test_a_recruiter_without_a_pin_is_told_where_to_set_one_and_hung_up_on(
    twilio_post, session, make_user
):
    sam = make_user(name="Sam NoPin", pin=None)

    root = parse(incoming(twilio_post, sam.phone).data)

    assert verbs(root) == ["Say", "Hangup"]
    assert spoken(root) == (
        "This phone has no recruiter line PIN yet. Set one on your My settings page, "
        "then call again. Goodbye."
    )
    call = the_call(session)
    assert [e.kind for e in events(session, call)] == ["dial_in.pin_not_set"]
    assert call.active_recruiter_id is None


@pytest.mark.parametrize("digits", ["123456#", "*"])
def test_a_spoofed_caller_id_without_the_pin_reaches_no_candidate_and_no_voicemail(
    twilio_post, session, riley, jane, digits
):
    # Jane leaves Riley a voicemail.
    incoming(twilio_post, jane.phone, sid=VOICEMAIL_SID)
    left = the_call(session, VOICEMAIL_SID)
    twilio_post(f"/voice/inbound/{left.id}/voicemail",
                {"CallSid": VOICEMAIL_SID, "RecordingSid": "RE" + "4" * 32,
                 "RecordingUrl": "http://127.0.0.1:9/RE444", "RecordingDuration": "9"})  # fmt: skip
    # Someone calls "from" Riley's number and skips the PIN prompt to the code prompt's URL.
    incoming(twilio_post, riley.phone)
    call = the_call(session)

    code = twilio_post(f"/voice/dial-in/{call.id}/code?attempt=1",
                       {"CallSid": CALL_SID, "Digits": digits})  # fmt: skip
    choice = twilio_post(f"/voice/dial-in/{call.id}/callback-choice",
                         {"CallSid": CALL_SID, "Digits": "1"})  # fmt: skip

    for response in (code, choice):
        root = parse(response.data)
        assert verbs(root) == ["Say", "Hangup"]
        assert spoken(root) == "The recruiter line needs your PIN first. Goodbye."
    assert "RE444" not in code.text
    call = the_call(session)
    assert (call.candidate_id, call.candidate_number, call.active_recruiter_id) == (
        None,
        None,
        None,
    )
    assert [e.kind for e in events(session, call)] == ["dial_in.refused", "dial_in.refused"]


# StirVerstat -------------------------------------------------------------------------------


def test_the_caller_id_attestation_is_kept_and_shown_to_auditors(
    app, twilio_post, session, riley, make_user
):
    incoming(twilio_post, riley.phone, StirVerstat="TN-Validation-Failed")
    incoming(twilio_post, "+15005550999", sid=VOICEMAIL_SID, StirVerstat="TN-Validation-Passed-A")
    spoofed, stranger = the_call(session), the_call(session, VOICEMAIL_SID)
    auditor = make_user("auditor", name="Ada Auditor")

    client = signed_in(app, auditor)
    spoofed_page = client.get(f"/calls/{spoofed.id}").text
    stranger_page = client.get(f"/calls/{stranger.id}").text

    assert (spoofed.stir_verstat, stranger.stir_verstat) == (
        "TN-Validation-Failed", "TN-Validation-Passed-A")  # fmt: skip
    assert (
        "verification failed: the caller ID may be spoofed [TN-Validation-Failed]" in spoofed_page
    )
    assert "verified, full attestation (A)" in stranger_page
    assert "caller ID: verified, full attestation (A)" in stranger_page  # the timeline's line


def test_the_api_gives_auditors_the_caller_id_attestation(
    client, twilio_post, session, make_user, api_token
):
    incoming(twilio_post, "+15005550999", StirVerstat="TN-Validation-Passed-B")
    token = api_token(make_user("auditor"))

    body = client.get(f"/api/v1/calls/{the_call(session).id}",
                      headers={"Authorization": f"Bearer {token}"}).json  # fmt: skip

    assert body["stir_verstat"] == "TN-Validation-Passed-B"


def test_a_call_without_stirverstat_says_it_was_not_verified(app, twilio_post, session, make_user):
    incoming(twilio_post, "+15005550999")
    client = signed_in(app, make_user("auditor"))

    page = client.get(f"/calls/{the_call(session).id}").text

    assert the_call(session).stir_verstat is None
    assert "no attestation sent (not verified)" in page


# My settings -------------------------------------------------------------------------------


def test_a_recruiter_sets_their_pin_hashed_chained_and_never_shown(app, session, make_user):
    sam = make_user(name="Sam NoPin", pin=None)
    client = signed_in(app, sam)
    assert "No PIN is set yet" in client.get("/me/settings").text

    response = client.post("/me/line-pin", data={"pin": "908172", "confirm": "908172"})

    assert response.status_code == 303
    session.refresh(sam)
    assert sam.pin_hash
    assert "908172" not in sam.pin_hash
    assert sam.check_pin("908172")
    assert not sam.check_pin("908173")
    [event] = changes(session, "user.line_pin_set")
    assert (event.actor_id, event.subject, event.detail) == (sam.id, f"user:{sam.id}", {})
    page = client.get("/me/settings").text
    assert "A PIN is set" in page
    assert "908172" not in page
    assert "908172" not in json.dumps([event.payload, event.detail])


@pytest.mark.parametrize(
    ("pin", "confirm", "said"),
    [
        ("123", "123", "a PIN is 4 to 8 digits"),
        ("123456789", "123456789", "a PIN is 4 to 8 digits"),
        ("12a4", "12a4", "a PIN is 4 to 8 digits"),
        ("１２３４", "１２３４", "a PIN is 4 to 8 digits"),  # fullwidth digits no phone keys
        ("1234", "1235", "the two PINs differ"),
    ],
)
def test_a_bad_pin_is_refused_with_the_reason(app, session, riley, pin, confirm, said):
    before = riley.pin_hash

    response = signed_in(app, riley).post("/me/line-pin", data={"pin": pin, "confirm": confirm})

    assert response.status_code == 400
    assert said in response.text
    session.refresh(riley)
    assert riley.pin_hash == before


def test_only_recruiters_have_a_line_pin(app, make_user):
    client = signed_in(app, make_user("auditor"))

    assert client.post("/me/line-pin", data={"pin": "1234", "confirm": "1234"}).status_code == 403
    assert "Recruiter line PIN" not in client.get("/me/settings").text
