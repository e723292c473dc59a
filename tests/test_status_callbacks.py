"""Status callbacks are idempotent and order-safe: Twilio retries and may reorder them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models import Call, CallEvent
from tests.fixtures.twilio import COMPANY_NUMBER

SID = "CA" + "c" * 32


@pytest.fixture
def call(session, make_user, make_candidate):
    recruiter = make_user()
    call = Call(
        direction="outbound",
        recruiter_id=recruiter.id,
        candidate_id=make_candidate(owner=recruiter).id,
        company_number=COMPANY_NUMBER,
        status="queued",
        active_recruiter_id=recruiter.id,
    )
    session.add(call)
    session.commit()
    return call


def status(seq: int, call_status: str, **extra: str) -> dict[str, str]:
    return {
        "CallSid": SID,
        "CallStatus": call_status,
        "SequenceNumber": str(seq),
        "CallbackSource": "call-progress-events",
        "Timestamp": f"Mon, 23 Nov 2026 10:00:0{seq} +0000",
        **extra,
    }


def post_all(twilio_post, call, callbacks):
    for params in callbacks:
        response = twilio_post(f"/voice/outbound/{call.id}/status", params)
        assert response.status_code == 200


def count_events(session, call) -> int:
    return session.scalar(
        select(func.count()).select_from(CallEvent).where(CallEvent.call_id == call.id)
    )


def test_status_moves_forward_and_records_times(twilio_post, session, call):
    post_all(twilio_post, call, [status(0, "initiated"), status(1, "ringing"),
                                 status(2, "in-progress"),
                                 status(3, "completed", CallDuration="61")])  # fmt: skip

    session.refresh(call)
    assert call.status == "completed"
    assert call.parent_sid == SID
    assert call.answered_at.isoformat() == "2026-11-23T10:00:02+00:00"
    assert call.ended_at.isoformat() == "2026-11-23T10:00:03+00:00"
    assert call.duration == 61
    assert call.active_recruiter_id is None


def test_a_replayed_callback_adds_nothing(twilio_post, session, call):
    post_all(twilio_post, call, [status(0, "initiated"), status(1, "ringing")])
    before = count_events(session, call)

    post_all(twilio_post, call, [status(1, "ringing"), status(1, "ringing")])

    assert count_events(session, call) == before
    session.refresh(call)
    assert call.status == "ringing"


def test_a_late_ringing_never_overwrites_completed(twilio_post, session, call):
    post_all(twilio_post, call, [status(0, "initiated"),
                                 status(3, "completed", CallDuration="5"),
                                 status(1, "ringing"), status(2, "in-progress")])  # fmt: skip

    session.refresh(call)
    assert call.status == "completed"
    assert call.answered_at is None
    applied = session.scalars(
        select(CallEvent.detail).where(CallEvent.call_id == call.id).order_by(CallEvent.id)
    ).all()
    assert [d["applied"] for d in applied] == [True, True, False, False]
    assert applied[2]["reason"] == "stale: call is already completed"


@pytest.mark.parametrize(
    ("final", "disposition"),
    [
        ("no-answer", "recruiter-no-answer"),
        ("busy", "recruiter-declined"),
        ("failed", "recruiter-unreachable"),
        ("completed", "recruiter-hung-up-before-bridge"),
    ],
)
def test_recruiter_leg_ending_before_the_bridge_says_why(
    twilio_post, session, call, final, disposition
):
    post_all(twilio_post, call, [status(0, "initiated"), status(1, "ringing"),
                                 status(2, final)])  # fmt: skip

    session.refresh(call)
    assert call.status == final
    assert call.disposition == disposition


def test_a_callback_for_another_leg_is_logged_but_not_applied(twilio_post, session, call):
    post_all(twilio_post, call, [status(0, "initiated")])

    post_all(twilio_post, call, [{**status(1, "completed"), "CallSid": "CA" + "d" * 32}])

    session.refresh(call)
    assert call.status == "initiated"
    assert count_events(session, call) == 2


def test_a_status_callback_for_an_unknown_call_is_answered_quietly(twilio_post):
    response = twilio_post("/voice/outbound/424242/status", status(0, "initiated"))

    assert response.status_code == 200


def test_a_huge_or_garbled_field_is_stored_bounded_and_clean(twilio_post, session, call):
    from ivr.callflow.events import MAX_VALUE_LENGTH

    response = twilio_post(
        f"/voice/outbound/{call.id}/status",
        status(0, "initiated", CallerName="x" * 400_000, StirVerstat="TN-Validation\x00-Passed-A"),
    )

    assert response.status_code == 200
    payload = session.scalars(select(CallEvent.payload).where(CallEvent.call_id == call.id)).one()
    assert len(payload["CallerName"]) == MAX_VALUE_LENGTH
    assert payload["StirVerstat"] == "TN-Validation-Passed-A"
