"""POST /api/v1/calls refuses with a reason and writes nothing; GET shows state and timeline."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from models import Call, CallEvent
from tests.fixtures.twilio import COMPANY_NUMBER


@pytest.fixture
def recruiter(make_user):
    return make_user(name="Riley Recruiter")


@pytest.fixture
def candidate(make_candidate, recruiter):
    return make_candidate(owner=recruiter, name="Jane Doe")


@pytest.fixture
def post_call(client, api_token, recruiter):
    token = api_token(recruiter)

    def post(body, token=token):
        return client.post("/api/v1/calls", json=body, headers={"Authorization": f"Bearer {token}"})

    return post


def call_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Call))


def test_do_not_call_candidate_is_refused(post_call, session, candidate):
    candidate.do_not_call = True
    session.commit()

    response = post_call({"candidate_id": candidate.id})

    assert response.status_code == 409
    assert response.json == {"error": "Jane Doe is marked do-not-call"}
    assert call_count(session) == 0


def test_candidate_without_a_valid_phone_is_refused(post_call, session, candidate):
    # Rows written before validation existed, or by hand, can still hold junk.
    session.execute(text("UPDATE candidates SET phone = '12' WHERE id = :id"), {"id": candidate.id})
    session.commit()

    response = post_call({"candidate_id": candidate.id})

    assert response.status_code == 422
    assert response.json == {"error": "Jane Doe has no valid phone number"}
    assert call_count(session) == 0


def test_recruiter_without_a_phone_is_refused(
    client, api_token, make_user, make_candidate, session
):
    phoneless = make_user(phone=None)
    candidate = make_candidate(owner=phoneless)

    response = client.post(
        "/api/v1/calls",
        json={"candidate_id": candidate.id},
        headers={"Authorization": f"Bearer {api_token(phoneless)}"},
    )

    assert response.status_code == 422
    assert response.json == {"error": "you have no phone number on your profile to ring"}
    assert call_count(session) == 0


def test_recruiter_with_a_call_in_progress_is_refused(post_call, session, recruiter, candidate):
    live = Call(direction="outbound", recruiter_id=recruiter.id, candidate_id=candidate.id,
                company_number=COMPANY_NUMBER, status="in-progress",
                active_recruiter_id=recruiter.id)  # fmt: skip
    session.add(live)
    session.commit()

    response = post_call({"candidate_id": candidate.id})

    assert response.status_code == 409
    assert response.json == {"error": f"you already have a call in progress (call {live.id})"}
    assert call_count(session) == 1


def test_another_recruiters_candidate_is_refused(post_call, make_user, make_candidate, session):
    theirs = make_candidate(owner=make_user())

    response = post_call({"candidate_id": theirs.id})

    assert response.status_code == 403
    assert call_count(session) == 0


def test_unknown_candidate_is_404(post_call):
    response = post_call({"candidate_id": 4242})

    assert response.status_code == 404
    assert response.json == {"error": "no such candidate"}


@pytest.mark.parametrize(
    "body", [None, [], {"candidate_id": "7"}, {"candidate_id": True}, {"candidate_id": 0}, {}]
)
def test_malformed_body_is_400_with_a_reason(post_call, body, session):
    response = post_call(body)

    assert response.status_code == 400
    assert response.json["error"]
    assert call_count(session) == 0


def test_auditor_cannot_place_calls(post_call, api_token, make_user, candidate, session):
    response = post_call({"candidate_id": candidate.id}, token=api_token(make_user("auditor")))

    assert response.status_code == 403
    assert call_count(session) == 0


def test_unreachable_phone_network_is_502_and_the_call_is_logged_as_not_placed(
    post_call, session, candidate
):
    response = post_call({"candidate_id": candidate.id})

    assert response.status_code == 502
    assert response.json == {"error": "the phone network could not be reached"}
    call = session.scalar(select(Call))
    assert (call.status, call.disposition, call.active_recruiter_id) == (
        "failed",
        "not-placed",
        None,
    )
    kinds = session.scalars(select(CallEvent.kind).order_by(CallEvent.id)).all()
    assert kinds == ["call.requested", "call.not_placed"]


def test_get_call_shows_state_outcome_and_timeline(
    client, api_token, session, recruiter, candidate
):
    call = Call(direction="outbound", recruiter_id=recruiter.id, candidate_id=candidate.id,
                company_number=COMPANY_NUMBER, status="completed")  # fmt: skip
    session.add(call)
    session.flush()
    session.add(CallEvent(call_id=call.id, kind="call.requested", source="user"))
    session.commit()

    response = client.get(
        f"/api/v1/calls/{call.id}", headers={"Authorization": f"Bearer {api_token(recruiter)}"}
    )

    assert response.status_code == 200
    body = response.json
    assert (body["id"], body["status"], body["candidate_id"]) == (
        call.id,
        "completed",
        candidate.id,
    )
    assert body["outcome_state"] == "not recorded"
    assert [e["kind"] for e in body["events"]] == ["call.requested"]


def test_get_call_of_another_recruiter_is_404(client, api_token, make_user, session, candidate):
    call = Call(direction="outbound", recruiter_id=candidate.owner_id, candidate_id=candidate.id,
                company_number=COMPANY_NUMBER)  # fmt: skip
    session.add(call)
    session.commit()

    response = client.get(
        f"/api/v1/calls/{call.id}", headers={"Authorization": f"Bearer {api_token(make_user())}"}
    )

    assert response.status_code == 404
