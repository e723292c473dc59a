"""Where a call to the company number goes, decided from plain objects: no app, no database."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from ivr.callflow.dial_in import MAX_CODE_PROMPTS, AskForCode
from ivr.callflow.hours import BusinessHours
from ivr.callflow.inbound import (
    Caller,
    Closed,
    DialIn,
    Greeting,
    OfferMenu,
    RingHunt,
    UnknownCallerMenu,
    callback_promise,
    hunt_order,
    route_for,
)
from models import Candidate, User

OFFICE = BusinessHours(
    zone=ZoneInfo("America/New_York"), opens=time(9), closes=time(18), days=frozenset(range(5))
)
MONDAY_NOON = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # noon in New York
SATURDAY_NOON = datetime(2026, 11, 28, 17, 0, tzinfo=UTC)


def recruiter(n: int, **fields: object) -> User:
    defaults = {"is_active": True, "is_available": True, "phone": f"+150055501{n:02d}"}
    return User(id=n, name=f"Recruiter {n}", email=f"r{n}@example.com", role="recruiter",
                **{**defaults, **fields})  # fmt: skip


def candidate(stage: str = "applied") -> Candidate:
    return Candidate(id=7, name="Jane Doe", phone="+15005550201", code="123456", stage=stage)


def test_a_recruiter_calling_in_reaches_the_recruiter_line_even_after_hours():
    riley = recruiter(1)

    route = route_for(Caller("recruiter", riley.phone, recruiter=riley), OFFICE, SATURDAY_NOON)

    assert route == DialIn(riley)


def test_a_candidate_calling_after_hours_is_told_when_we_open_and_call_back():
    route = route_for(Caller("candidate", "+15005550201", candidate=candidate()), OFFICE,
                      SATURDAY_NOON)  # fmt: skip

    assert route == Closed(
        "Monday to Friday, 9 AM to 6 PM", "America/New_York", "on Monday morning"
    )


def test_an_unknown_caller_after_hours_goes_to_voicemail_too():
    route = route_for(Caller("unknown", None), OFFICE, SATURDAY_NOON)

    assert isinstance(route, Closed)


def test_a_candidate_with_an_offer_hears_the_decision_menu():
    route = route_for(Caller("candidate", "+15005550201", candidate=candidate("offer")), OFFICE,
                      MONDAY_NOON)  # fmt: skip

    assert route == OfferMenu("Jane")


def test_a_candidate_rings_the_hunt_greeted_by_first_name():
    route = route_for(Caller("candidate", "+15005550201", candidate=candidate()), OFFICE,
                      MONDAY_NOON)  # fmt: skip

    assert route == RingHunt(Greeting.CANDIDATE, "Jane")


def test_an_unknown_caller_in_hours_hears_the_menu():
    assert route_for(Caller("unknown", "+15005550999"), OFFICE, MONDAY_NOON) == UnknownCallerMenu()


def test_the_hunt_rings_the_preferred_first_then_the_team_each_once():
    last, owner, first, second = recruiter(1), recruiter(2), recruiter(3), recruiter(4)

    ordered = hunt_order([last, owner], [first, owner, second, last])

    assert ordered == [last, owner, first, second]


@pytest.mark.parametrize(
    "away",
    [
        {"is_available": False},
        {"is_active": False},
        {"phone": None},
    ],
)
def test_the_hunt_skips_who_cannot_take_a_call(away):
    skipped, team = recruiter(1, **away), recruiter(2)

    assert hunt_order([skipped], [skipped, team]) == [team]


def test_the_hunt_skips_a_recruiter_busy_on_another_call():
    busy, team = recruiter(1), recruiter(2)

    assert hunt_order([busy], [busy, team], busy={busy.id}) == [team]


def test_the_hunt_without_a_preferred_recruiter_is_the_team():
    team = [recruiter(1), recruiter(2)]

    assert hunt_order([None, None], team) == team


def test_a_voicemail_in_hours_is_called_back_as_soon_as_we_can():
    assert callback_promise(OFFICE, MONDAY_NOON) is None


def test_a_voicemail_after_hours_is_promised_the_next_opening():
    assert callback_promise(OFFICE, SATURDAY_NOON) == "on Monday morning"


@pytest.mark.parametrize(
    ("attempt", "may_retry"),
    [(1, True), (MAX_CODE_PROMPTS - 1, True), (MAX_CODE_PROMPTS, False)],
)
def test_the_code_prompt_is_asked_again_until_the_last_attempt(attempt, may_retry):
    assert AskForCode(attempt).may_retry is may_retry
