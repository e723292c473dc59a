"""What the @webhook decorator owns for every voice view: raced duplicate deliveries and
bounded query arguments, through signed requests as Twilio sends them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ivr.callflow import outbound
from models import Call, CallEvent
from tests.fixtures.twilio import COMPANY_NUMBER
from tests.twiml_helpers import parse, spoken, url_query, verbs

PARENT_SID = "CA" + "e" * 32
CHILD_SID = "CA" + "f" * 32


@pytest.fixture
def call(session, make_user, make_candidate):
    recruiter = make_user(name="Riley Recruiter")
    candidate = make_candidate(owner=recruiter, name="Jane Doe")
    call = Call(direction="outbound", recruiter_id=recruiter.id, candidate_id=candidate.id,
                company_number=COMPANY_NUMBER, recruiter_number=recruiter.phone,
                candidate_number=candidate.phone, parent_sid=PARENT_SID, status="in-progress",
                active_recruiter_id=recruiter.id)  # fmt: skip
    session.add(call)
    session.commit()
    return call


def leg(**params: str) -> dict[str, str]:
    return {"CallSid": PARENT_SID, "CallStatus": "in-progress", **params}


def test_a_duplicate_that_races_past_the_check_gets_the_same_answer_and_writes_nothing(
    twilio_post, session, call, monkeypatch
):
    params = leg(DialCallStatus="completed", DialCallSid=CHILD_SID, DialCallDuration="42")
    first = twilio_post(f"/voice/outbound/{call.id}/dial-result", params)
    real, checked = outbound.already_recorded, []

    def raced(db, key: str) -> bool:
        # The duplicate checks before the first delivery's event is visible: it writes, and
        # the unique idempotency key refuses it.
        checked.append(key)
        return len(checked) > 1 and real(db, key)

    monkeypatch.setattr(outbound, "already_recorded", raced)

    second = twilio_post(f"/voice/outbound/{call.id}/dial-result", params)

    assert second.status_code == 200
    assert spoken(parse(second.data)) == spoken(parse(first.data))
    assert verbs(parse(second.data)) == ["Gather", "Redirect"]
    kinds = session.scalars(select(CallEvent.kind).where(CallEvent.call_id == call.id)).all()
    assert kinds == ["twilio.dial_result"]


@pytest.fixture
def dial_in_call(session, make_user):
    recruiter = make_user(name="Riley Recruiter")
    call = Call(direction="outbound", flow="dial-in", recruiter_id=recruiter.id,
                company_number=COMPANY_NUMBER, recruiter_number=recruiter.phone,
                parent_sid=PARENT_SID, status="in-progress")  # fmt: skip
    session.add(call)
    session.commit()
    return call


@pytest.mark.parametrize("junk", ["²", "0", "99999999999999999999"])
def test_a_junk_attempt_is_the_first_attempt_not_an_error(twilio_post, dial_in_call, junk):
    response = twilio_post(f"/voice/dial-in/{dial_in_call.id}/pin?attempt={junk}", leg())

    root = parse(response.data)
    assert verbs(root) == ["Gather", "Redirect"]
    assert "Recruiter line. Enter your PIN" in spoken(root)
    assert url_query(root.find("Gather").get("action")) == {"attempt": "1"}
    assert url_query(root.find("Redirect").text) == {"attempt": "2"}
