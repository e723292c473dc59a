"""The calling window on the candidate's clock: open or not, when it opens next, across both
DST changes, and the refusal in words in the candidate's and the recruiter's zones."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from ivr import words
from ivr.callflow.window import CallingWindow

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
EVERY_DAY = CallingWindow(opens=time(9), closes=time(20), days=frozenset(range(7)))
WEEKDAYS = CallingWindow(opens=time(9), closes=time(20), days=frozenset(range(5)))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("at", "is_open"),
    [
        # New York springs forward on Sunday 8 March 2026: 13:30 UTC is 08:30 EST the day
        # before, 09:30 EDT that day.
        (utc(2026, 3, 7, 13, 30), False),
        (utc(2026, 3, 8, 13, 30), True),
        # And falls back on Sunday 1 November 2026: 13:30 UTC is 09:30 EDT the day before,
        # 08:30 EST that day.
        (utc(2026, 10, 31, 13, 30), True),
        (utc(2026, 11, 1, 13, 30), False),
    ],
)
def test_the_window_is_read_on_the_candidates_clock_across_dst(at, is_open):
    assert EVERY_DAY.check(NEW_YORK, at).is_open is is_open


@pytest.mark.parametrize(
    ("at", "opens_at"),
    [
        # Saturday 21:00 EST; the night the clocks go forward: 09:00 EDT is 13:00 UTC.
        (utc(2026, 3, 8, 2, 0), utc(2026, 3, 8, 13, 0)),
        # Saturday 21:00 EDT; the night the clocks go back: 09:00 EST is 14:00 UTC.
        (utc(2026, 11, 1, 1, 0), utc(2026, 11, 1, 14, 0)),
    ],
)
def test_the_next_opening_crosses_the_dst_night_at_nine_local(at, opens_at):
    check = EVERY_DAY.check(NEW_YORK, at)

    assert check.opens_at == opens_at
    assert check.opens_at.astimezone(NEW_YORK).time() == time(9)


def test_a_friday_evening_waits_for_monday_morning():
    friday_night = utc(2026, 11, 28, 1, 30)  # Friday 20:30 in New York

    check = WEEKDAYS.check(NEW_YORK, friday_night)

    assert check.opens_at == datetime(2026, 11, 30, 9, 0, tzinfo=NEW_YORK)


def test_the_refusal_says_when_it_opens_in_both_zones():
    check = WEEKDAYS.check(NEW_YORK, utc(2026, 11, 24, 3, 0))  # Monday 22:00 in New York
    assert check.opens_at is not None

    said = words.outside_window("Jane Doe", check.at, check.opens_at, NEW_YORK, LONDON)

    assert said == (
        "it is 22:00 on Monday 23 November for Jane Doe (America/New_York); their calling "
        "hours open at 09:00 on Tuesday 24 November their time, 14:00 on Tuesday 24 November "
        "your time (Europe/London). To call now, give a reason"
    )


def test_in_the_weeks_only_one_side_has_changed_the_gap_between_zones_is_right():
    # 9 to 28 March 2026: New York is on summer time, London not yet: four hours apart.
    check = WEEKDAYS.check(NEW_YORK, utc(2026, 3, 10, 3, 0))  # Monday 23:00 EDT

    said = words.outside_window("Jane Doe", check.at, check.opens_at, NEW_YORK, LONDON)

    assert "09:00 on Tuesday 10 March their time, 13:00 on Tuesday 10 March your time" in said


def test_a_window_open_around_the_clock_never_refuses():
    always = CallingWindow(opens=time(0), closes=None, days=frozenset(range(7)))

    assert always.check(NEW_YORK, utc(2026, 11, 1, 6, 30)).is_open
