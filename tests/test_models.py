"""Model constraints hold in the database itself, not just in Python."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from models import ApiToken, Call, CallEvent, Candidate, OutcomeCode, User
from models.call import AppendOnlyViolation
from models.phone import InvalidPhoneNumber, mask_phone, normalize_phone
from models.user import hash_token


@pytest.fixture
def call(session, make_user, make_candidate):
    recruiter = make_user()
    candidate = make_candidate(owner=recruiter)
    call = Call(
        direction="outbound",
        recruiter=recruiter,
        candidate=candidate,
        company_number="+15005550006",
    )
    session.add(call)
    session.add(CallEvent(call=call, kind="created", source="app"))
    session.commit()
    return call


def test_phone_numbers_are_normalised_to_e164():
    assert normalize_phone("(500) 555-0199") == "+15005550199"
    assert normalize_phone("+44 20 7946 0958") == "+442079460958"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [("", "a phone number is required"), ("hello", "is not a phone number"), ("+1 555", "valid")],
)
def test_invalid_phone_number_is_refused_with_a_reason(raw, reason):
    with pytest.raises(InvalidPhoneNumber, match=reason):
        normalize_phone(raw)


def test_masked_phone_keeps_country_and_last_four_digits():
    assert mask_phone("+14155550123") == "+*******0123"


def test_candidate_phone_is_stored_as_e164(session, make_candidate):
    candidate = make_candidate(phone="500.555.0177")

    stored = session.scalar(select(Candidate.phone).where(Candidate.id == candidate.id))

    assert stored == "+15005550177"


def test_candidate_phone_is_unique(session, make_candidate):
    make_candidate(phone="+15005550177")

    session.add(Candidate(name="Copy", phone="(500) 555-0177", code="999111"))

    with pytest.raises(IntegrityError):
        session.commit()


def test_candidate_code_is_unique(session, make_candidate):
    make_candidate(code="424242")

    session.add(Candidate(name="Other", phone="+15005550178", code="424242"))

    with pytest.raises(IntegrityError):
        session.commit()


def test_candidate_code_must_be_six_digits():
    with pytest.raises(ValueError, match="6 digits"):
        Candidate(name="X", phone="+15005550178", code="12ab")


def test_user_email_is_unique_whatever_its_case(session, make_user):
    make_user(email="Riley@Example.com")

    session.add(User(name="Other", email="riley@example.com", role="auditor"))

    with pytest.raises(IntegrityError):
        session.commit()


def test_unknown_role_is_refused_by_the_database(session, make_user):
    user = make_user()

    with pytest.raises(IntegrityError):
        session.execute(text("UPDATE users SET role = 'owner' WHERE id = :id"), {"id": user.id})


def test_unknown_call_flow_is_refused_by_the_database(session, call):
    with pytest.raises(IntegrityError):
        session.execute(text("UPDATE calls SET flow = 'one-click' WHERE id = :id"), {"id": call.id})


def test_password_is_stored_hashed(make_user):
    user = make_user()

    assert "password-123" not in (user.password_hash or "")
    assert user.check_password("password-123")
    assert not user.check_password("password-124")


def test_api_token_is_stored_only_as_a_hash(session, make_user):
    user = make_user()

    token = ApiToken.issue(session, user)
    session.commit()

    stored = session.scalars(select(ApiToken.token_hash)).all()
    assert stored == [hash_token(token)]
    assert ApiToken.find_user(session, token) == user


def test_outcome_codes_are_seeded_by_the_migration(session):
    codes = {c.digit: c.label for c in session.scalars(select(OutcomeCode))}

    assert codes["1"] == "interview scheduled"
    assert codes["5"] == "not selected, told personally"
    assert sorted(codes) == list("123456789")


def test_only_one_live_call_per_recruiter(session, call):
    call.active_recruiter_id = call.recruiter_id
    session.commit()

    session.add(
        Call(
            direction="outbound",
            recruiter_id=call.recruiter_id,
            company_number="+15005550006",
            active_recruiter_id=call.recruiter_id,
        )
    )

    with pytest.raises(IntegrityError):
        session.commit()


def test_call_event_update_is_refused_by_the_orm(session, call):
    event = session.scalar(select(CallEvent))

    event.kind = "rewritten"

    with pytest.raises(AppendOnlyViolation):
        session.flush()


def test_call_event_delete_is_refused_by_the_orm(session, call):
    session.delete(session.scalar(select(CallEvent)))

    with pytest.raises(AppendOnlyViolation):
        session.flush()


@pytest.mark.parametrize(
    "statement",
    ["UPDATE call_events SET kind = 'rewritten'", "DELETE FROM call_events"],
)
def test_call_event_changes_are_refused_by_the_database(session, call, statement):
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text(statement))
    session.rollback()

    assert session.scalar(select(func.count()).select_from(CallEvent)) == 1
    assert session.scalar(select(CallEvent.kind)) == "created"


def test_call_events_accept_new_rows(session, call):
    session.add(CallEvent(call_id=call.id, kind="status", source="twilio", payload={"a": "b"}))
    session.commit()

    kinds = session.scalars(select(CallEvent.kind).order_by(CallEvent.id)).all()
    assert kinds == ["created", "status"]


def test_duplicate_idempotency_key_is_refused(session, call):
    session.add(CallEvent(call_id=call.id, kind="status", source="twilio", idempotency_key="k1"))
    session.commit()

    session.add(CallEvent(call_id=call.id, kind="status", source="twilio", idempotency_key="k1"))

    with pytest.raises(IntegrityError):
        session.commit()
