"""When an owed call falls due (business days in the team's calendar, across DST) and how the
queue is grouped: pure rules, no database."""

from __future__ import annotations

from datetime import UTC, datetime, time
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from ivr.callflow.hours import BusinessHours
from ivr.callflow.owed import OwedPolicy, sort_queue

WEEKDAYS = frozenset(range(5))


def policy(zone="UTC", days=WEEKDAYS, opens=time(9), closes=time(18), due=3):
    hours = BusinessHours(zone=ZoneInfo(zone), opens=opens, closes=closes, days=days)
    return OwedPolicy(hours=hours, due_days=due)


@pytest.mark.parametrize(
    ("decided", "due"),
    [
        # Monday: Tuesday, Wednesday, Thursday; due by Thursday's close.
        (datetime(2026, 11, 23, 10, 0, tzinfo=UTC), datetime(2026, 11, 26, 18, 0, tzinfo=UTC)),
        # Friday: Monday, Tuesday, Wednesday.
        (datetime(2026, 11, 27, 17, 59, tzinfo=UTC), datetime(2026, 12, 2, 18, 0, tzinfo=UTC)),
        # Saturday: counted from Monday.
        (datetime(2026, 11, 28, 12, 0, tzinfo=UTC), datetime(2026, 12, 2, 18, 0, tzinfo=UTC)),
        # Late on Monday, after closing: still Thursday.
        (datetime(2026, 11, 23, 23, 30, tzinfo=UTC), datetime(2026, 11, 26, 18, 0, tzinfo=UTC)),
    ],
)
def test_a_closure_call_is_due_at_the_close_of_the_third_business_day(decided, due):
    assert policy().due_after(decided) == due


def test_the_days_are_counted_in_the_teams_calendar():
    mon_wed_fri = policy(days=frozenset({0, 2, 4}), due=1)

    assert mon_wed_fri.due_after(datetime(2026, 11, 23, 10, tzinfo=UTC)) == datetime(
        2026, 11, 25, 18, tzinfo=UTC
    )


def test_the_days_are_counted_in_the_teams_zone_not_utc():
    # 23:30 UTC on Monday is already Tuesday in Sydney (UTC+11 in November).
    sydney = policy(zone="Australia/Sydney", due=1)

    due = sydney.due_after(datetime(2026, 11, 23, 23, 30, tzinfo=UTC))

    assert due.astimezone(ZoneInfo("Australia/Sydney")) == datetime(
        2026, 11, 25, 18, tzinfo=ZoneInfo("Australia/Sydney")
    )


@pytest.mark.parametrize(
    ("decided", "due_utc"),
    [
        # New York springs forward on Sunday 8 March 2026: 18:00 EDT is 22:00 UTC.
        (datetime(2026, 3, 6, 20, 0, tzinfo=UTC), datetime(2026, 3, 11, 22, 0, tzinfo=UTC)),
        # And falls back on Sunday 1 November 2026: 18:00 EST is 23:00 UTC.
        (datetime(2026, 10, 30, 20, 0, tzinfo=UTC), datetime(2026, 11, 4, 23, 0, tzinfo=UTC)),
    ],
)
def test_a_dst_change_in_between_keeps_the_local_closing_time(decided, due_utc):
    new_york = policy(zone="America/New_York")

    due = new_york.due_after(decided)

    assert due == due_utc
    assert due.astimezone(ZoneInfo("America/New_York")).time() == time(18)


def test_hours_open_until_midnight_are_due_at_the_end_of_the_day():
    late = policy(closes=None, due=1)

    assert late.due_after(datetime(2026, 11, 23, 10, tzinfo=UTC)) == datetime(
        2026, 11, 25, 0, 0, tzinfo=UTC
    )


def test_the_queue_puts_overdue_first_then_today_then_later_in_the_viewers_zone():
    now = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)  # 15:00 in New York
    zone = ZoneInfo("America/New_York")
    overdue = SimpleNamespace(due_at=datetime(2026, 11, 23, 19, 0, tzinfo=UTC))
    tonight = SimpleNamespace(due_at=datetime(2026, 11, 24, 4, 59, tzinfo=UTC))  # 23:59 NY
    tomorrow = SimpleNamespace(due_at=datetime(2026, 11, 24, 5, 0, tzinfo=UTC))  # 00:00 NY

    view = sort_queue([overdue, tonight, tomorrow], now, zone)  # type: ignore[list-item]

    assert (view.overdue, view.today, view.later) == ([overdue], [tonight], [tomorrow])
