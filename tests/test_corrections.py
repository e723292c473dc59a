"""A wrong outcome is fixed by a new, attributed event; the original stays (issue 5)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Call, CallEvent, OutcomeCode
from models.chain import verify_chain
from tests.fixtures.twilio import COMPANY_NUMBER


@pytest.fixture
def recorded_call(session, make_user, make_candidate):
    recruiter = make_user(name="Riley Recruiter")
    candidate = make_candidate(owner=recruiter, stage="not_selected")
    not_selected = session.scalar(select(OutcomeCode).where(OutcomeCode.digit == "5"))
    call = Call(direction="outbound", recruiter_id=recruiter.id, candidate_id=candidate.id,
                company_number=COMPANY_NUMBER, status="completed")  # fmt: skip
    session.add(call)
    session.flush()
    session.add(CallEvent(call_id=call.id, kind="outcome.recorded", source="twilio",
                          actor_id=recruiter.id, detail={"digit": "5"}))  # fmt: skip
    call.outcome_code_id = not_selected.id
    call.outcome_by_id = recruiter.id
    session.commit()
    return recruiter, candidate, call


def correct(client, token, call_id, **body):
    return client.post(
        f"/api/v1/calls/{call_id}/outcome-corrections",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )


def test_a_correction_keeps_the_original_and_says_who_what_and_why(
    client, api_token, session, recorded_call
):
    recruiter, candidate, call = recorded_call

    response = correct(client, api_token(recruiter), call.id, digit="1", reason="misdialled 5")

    assert response.status_code == 201
    assert response.json["call"]["outcome"]["digit"] == "1"
    events = session.scalars(
        select(CallEvent).where(CallEvent.call_id == call.id).order_by(CallEvent.seq)
    ).all()
    assert [e.kind for e in events] == ["outcome.recorded", "outcome.corrected",
                                        "candidate.stage_changed"]  # fmt: skip
    original, correction = events[0], events[1]
    assert original.detail == {"digit": "5"}
    assert correction.actor_id == recruiter.id
    assert correction.detail["from"] == {"digit": "5", "label": "not selected, told personally"}
    assert correction.detail["to"]["digit"] == "1"
    assert correction.detail["reason"] == "misdialled 5"
    session.refresh(call)
    session.refresh(candidate)
    assert (call.outcome.digit, call.outcome_by_id) == ("1", recruiter.id)
    assert candidate.stage == "interviewing"  # digit 1 schedules an interview
    assert verify_chain(session, CallEvent).ok


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"digit": "1"}, 422),
        ({"digit": "1", "reason": "   "}, 422),
        ({"digit": "x", "reason": "typo"}, 422),
        ({"digit": "0", "reason": "typo"}, 422),
        ({"digit": "5", "reason": "same again"}, 409),
        ({"digit": "1", "reason": "r" * 501}, 422),
    ],
)
def test_a_correction_that_cannot_be_made_changes_nothing(
    client, api_token, session, recorded_call, body, status
):
    recruiter, _, call = recorded_call

    response = correct(client, api_token(recruiter), call.id, **body)

    assert response.status_code == status
    assert response.json["error"]
    kinds = session.scalars(select(CallEvent.kind).where(CallEvent.call_id == call.id)).all()
    assert kinds == ["outcome.recorded"]


def test_only_the_calls_recruiter_may_correct_it(
    client, api_token, session, recorded_call, make_user
):
    _, _, call = recorded_call

    stranger = correct(client, api_token(make_user()), call.id, digit="1", reason="mine now")
    auditor = correct(client, api_token(make_user("auditor")), call.id, digit="1", reason="x")

    assert stranger.status_code == 404
    assert auditor.status_code == 403
    session.refresh(call)
    assert call.outcome.digit == "5"


def test_a_live_call_is_not_corrected(client, api_token, session, recorded_call):
    recruiter, _, call = recorded_call
    call.status = "in-progress"
    session.commit()

    response = correct(client, api_token(recruiter), call.id, digit="1", reason="early")

    assert response.status_code == 409


@pytest.fixture
def keyed_call(session, make_user, make_candidate):
    """A call whose outcome was keyed in on the phone, with the effects that outcome had."""
    from ivr.callflow.outbound import apply_outcome_effects

    def keyed(digit: str, stage: str = "interviewing"):
        recruiter = make_user(name="Riley Recruiter")
        candidate = make_candidate(owner=recruiter, stage=stage)
        code = session.scalar(select(OutcomeCode).where(OutcomeCode.digit == digit))
        call = Call(direction="outbound", recruiter_id=recruiter.id, candidate_id=candidate.id,
                    company_number=COMPANY_NUMBER, status="completed",
                    outcome_code_id=code.id, outcome_by_id=recruiter.id)  # fmt: skip
        session.add(call)
        session.flush()
        session.add(CallEvent(call_id=call.id, kind="outcome.recorded", source="twilio",
                              actor_id=recruiter.id, detail={"digit": digit}))  # fmt: skip
        session.flush()
        apply_outcome_effects(session, call, code, recruiter)
        session.commit()
        return recruiter, candidate, call

    return keyed


def test_a_correction_reverts_the_first_outcomes_stage_before_applying_the_new_one(
    client, api_token, session, keyed_call
):
    recruiter, candidate, call = keyed_call("2", stage="interviewing")
    session.refresh(candidate)
    assert candidate.stage == "offer"

    response = correct(client, api_token(recruiter), call.id, digit="7", reason="it rang out")

    assert response.status_code == 201
    session.refresh(candidate)
    assert candidate.stage == "interviewing"
    changes = session.scalars(
        select(CallEvent).where(CallEvent.call_id == call.id,
                                CallEvent.kind == "candidate.stage_changed")
        .order_by(CallEvent.seq)
    ).all()  # fmt: skip
    assert [(e.detail["from"], e.detail["to"]) for e in changes] == [
        ("interviewing", "offer"),
        ("offer", "interviewing"),
    ]
    assert changes[1].detail["reverts"] == changes[0].id
    assert changes[1].candidate_id == candidate.id
    assert verify_chain(session, CallEvent).ok


def test_a_correction_away_from_wrong_number_clears_do_not_call_as_an_event(
    client, api_token, session, keyed_call
):
    recruiter, candidate, call = keyed_call("9")
    session.refresh(candidate)
    assert candidate.do_not_call is True

    correct(client, api_token(recruiter), call.id, digit="7", reason="pressed 9 by mistake")
    response = correct(client, api_token(recruiter), call.id, digit="9", reason="it was wrong")

    assert response.status_code == 201
    session.refresh(candidate)
    assert candidate.do_not_call is True
    kinds = session.scalars(
        select(CallEvent.kind).where(CallEvent.call_id == call.id).order_by(CallEvent.seq)
    ).all()
    assert kinds == ["outcome.recorded", "candidate.do_not_call", "outcome.corrected",
                     "candidate.do_not_call_cleared", "outcome.corrected",
                     "candidate.do_not_call"]  # fmt: skip
