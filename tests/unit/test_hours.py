"""Business hours in the team's timezone: open or closed, the next opening, and what the caller
is promised, across weekends and both daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ivr.callflow.hours import BusinessHours
from ivr.config import load_settings

# 2025's daylight-saving changes: New York springs forward on Sunday 9 March and falls back on
# Sunday 2 November; London on Sunday 30 March and Sunday 26 October.
NEW_YORK = "America/New_York"
LONDON = "Europe/London"


def hours(spec: str = "09:00-18:00", days: str = "mon-fri", zone: str = NEW_YORK) -> BusinessHours:
    """Through the settings, exactly as the app builds them."""
    settings = load_settings(
        {"BUSINESS_HOURS": spec, "BUSINESS_DAYS": days, "BUSINESS_TIMEZONE": zone}
    )
    return BusinessHours.from_settings(settings)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# Open or closed ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (utc(2025, 1, 15, 13, 59), False),  # Wednesday 08:59 EST
        (utc(2025, 1, 15, 14, 0), True),  # 09:00, the opening minute
        (utc(2025, 1, 15, 22, 59), True),  # 17:59
        (utc(2025, 1, 15, 23, 0), False),  # 18:00, the closing minute
    ],
)
def test_open_from_the_opening_minute_until_the_closing_minute(moment, is_open):
    assert hours().is_open(moment) is is_open


@pytest.mark.parametrize("moment", [utc(2025, 1, 18, 17, 0), utc(2025, 1, 19, 17, 0)])
def test_closed_all_weekend_on_weekdays_only(moment):
    assert not hours().is_open(moment)  # Saturday and Sunday, noon in New York


def test_open_on_a_weekend_day_that_is_a_business_day():
    saturday_noon = utc(2025, 1, 18, 17, 0)

    assert hours(days="mon-sun").is_open(saturday_noon)


def test_the_day_is_the_teams_day_not_utcs():
    # Friday 20:00 in New York is already Saturday 01:00 in UTC: still Friday, still a weekday.
    friday_evening = utc(2025, 1, 18, 1, 0)

    assert hours(spec="09:00-21:00").is_open(friday_evening)


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (utc(2025, 3, 7, 13, 30), False),  # Friday before: 08:30 EST
        (utc(2025, 3, 7, 14, 0), True),  # 09:00 EST
        (utc(2025, 3, 10, 12, 59), False),  # Monday after: 08:59 EDT
        (utc(2025, 3, 10, 13, 0), True),  # 09:00 EDT, an hour earlier in UTC
    ],
)
def test_opening_follows_new_york_springing_forward(moment, is_open):
    assert hours().is_open(moment) is is_open


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (utc(2025, 10, 31, 13, 0), True),  # Friday before: 09:00 EDT
        (utc(2025, 11, 3, 13, 0), False),  # Monday after: 08:00 EST
        (utc(2025, 11, 3, 14, 0), True),  # 09:00 EST, an hour later in UTC
    ],
)
def test_opening_follows_new_york_falling_back(moment, is_open):
    assert hours().is_open(moment) is is_open


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (utc(2025, 3, 28, 8, 30), False),  # Friday before: 08:30 GMT
        (utc(2025, 3, 31, 8, 30), True),  # Monday after: 09:30 BST
        (utc(2025, 10, 24, 8, 30), True),  # Friday before: 09:30 BST
        (utc(2025, 10, 27, 8, 30), False),  # Monday after: 08:30 GMT
    ],
)
def test_opening_follows_london_in_both_directions(moment, is_open):
    assert hours(zone=LONDON).is_open(moment) is is_open


# Around the clock ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "moment",
    [
        utc(2025, 1, 15, 5, 0),  # midnight in New York
        utc(2025, 1, 15, 4, 59, 59),  # a second before it
        utc(2025, 1, 18, 17, 0),  # a Saturday
        utc(2025, 3, 9, 7, 0),  # 03:00 EDT, just after the skipped hour
        utc(2025, 11, 2, 6, 30),  # 01:30 EST, the repeated hour
    ],
)
def test_00_00_to_24_00_every_day_is_always_open(moment):
    assert hours(spec="00:00-24:00", days="mon-sun").is_open(moment)


@pytest.mark.parametrize("spec", ["00:00-24:00", "00:00-00:00"])
def test_24_00_and_00_00_as_the_end_both_mean_midnight(spec):
    around_the_clock = hours(spec=spec, days="mon-sun")

    assert around_the_clock.closes is None
    assert around_the_clock.describe() == "Monday to Sunday, 12 AM to midnight"


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (utc(2025, 1, 16, 2, 59), False),  # Wednesday 21:59 EST
        (utc(2025, 1, 16, 3, 0), True),  # 22:00
        (utc(2025, 1, 16, 4, 59, 59), True),  # 23:59:59
        (utc(2025, 1, 16, 5, 0), False),  # Thursday 00:00: the next day, before 22:00
    ],
)
def test_hours_ending_at_00_00_run_until_midnight(moment, is_open):
    assert hours(spec="22:00-00:00").is_open(moment) is is_open


# The next opening ----------------------------------------------------------------------------


def test_before_opening_the_next_opening_is_today():
    wednesday_early = utc(2025, 1, 15, 12, 0)  # 07:00 EST

    assert hours().next_opening(wednesday_early) == utc(2025, 1, 15, 14, 0)


def test_after_closing_the_next_opening_is_tomorrow():
    wednesday_evening = utc(2025, 1, 16, 0, 0)  # 19:00 EST

    assert hours().next_opening(wednesday_evening) == utc(2025, 1, 16, 14, 0)


def test_while_open_the_next_opening_is_tomorrow():
    wednesday_noon = utc(2025, 1, 15, 17, 0)

    assert hours().next_opening(wednesday_noon) == utc(2025, 1, 16, 14, 0)


@pytest.mark.parametrize(
    "moment",
    [
        utc(2025, 1, 18, 0, 0),  # Friday 19:00 EST
        utc(2025, 1, 18, 17, 0),  # Saturday noon
        utc(2025, 1, 20, 4, 59),  # Sunday 23:59
    ],
)
def test_across_the_weekend_the_next_opening_is_monday(moment):
    assert hours().next_opening(moment) == utc(2025, 1, 20, 14, 0)


def test_across_springing_forward_the_next_opening_is_monday_in_summer_time():
    friday_evening = utc(2025, 3, 8, 0, 0)  # 19:00 EST; Monday 09:00 is EDT

    assert hours().next_opening(friday_evening) == utc(2025, 3, 10, 13, 0)


def test_across_falling_back_the_next_opening_is_monday_in_standard_time():
    friday_evening = utc(2025, 11, 1, 0, 0)  # 20:00 EDT; Monday 09:00 is EST

    assert hours().next_opening(friday_evening) == utc(2025, 11, 3, 14, 0)


def test_across_london_springing_forward_the_next_opening_is_in_summer_time():
    saturday = utc(2025, 3, 29, 12, 0)

    assert hours(zone=LONDON).next_opening(saturday) == utc(2025, 3, 31, 8, 0)


def test_the_next_opening_is_in_the_teams_timezone():
    wednesday_noon = utc(2025, 1, 15, 12, 0)

    opening = hours(zone=LONDON).next_opening(wednesday_noon)

    assert (str(opening.tzinfo), opening.hour, opening.minute) == (LONDON, 9, 0)
    assert opening == utc(2025, 1, 16, 9, 0)


# What the caller is promised -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "promise"),
    [
        (utc(2025, 1, 15, 12, 0), "later today"),  # Wednesday 07:00
        (utc(2025, 1, 16, 0, 0), "tomorrow morning"),  # Wednesday 19:00
        (utc(2025, 1, 18, 0, 0), "on Monday morning"),  # Friday 19:00
        (utc(2025, 1, 18, 17, 0), "on Monday morning"),  # Saturday
        (utc(2025, 1, 19, 17, 0), "tomorrow morning"),  # Sunday
        (utc(2025, 3, 8, 0, 0), "on Monday morning"),  # the Friday before springing forward
    ],
)
def test_the_callback_promise_names_the_next_opening(moment, promise):
    assert hours().callback_promise(moment) == promise


def test_the_callback_promise_says_afternoon_when_the_team_opens_after_noon():
    wednesday_evening = utc(2025, 1, 16, 0, 0)

    assert hours(spec="13:00-20:00").callback_promise(wednesday_evening) == "tomorrow afternoon"


def test_the_callback_promise_counts_days_in_the_teams_timezone():
    # Wednesday 19:00 in New York is already Thursday in UTC; Thursday's opening is "tomorrow".
    wednesday_evening = utc(2025, 1, 16, 0, 30)

    assert hours().callback_promise(wednesday_evening) == "tomorrow morning"


# How the hours are described -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "days", "described"),
    [
        ("09:00-18:00", "mon-fri", "Monday to Friday, 9 AM to 6 PM"),
        ("08:30-17:45", "mon-fri", "Monday to Friday, 8:30 AM to 5:45 PM"),
        ("12:00-13:00", "mon-sun", "Monday to Sunday, 12 PM to 1 PM"),
        ("09:00-18:00", "mon,wed,fri", "Monday, Wednesday, Friday, 9 AM to 6 PM"),
        ("10:00-14:00", "sat-sun", "Saturday, Sunday, 10 AM to 2 PM"),
        ("09:00-17:00", "fri", "Friday, 9 AM to 5 PM"),
        ("18:00-00:00", "tue-thu", "Tuesday to Thursday, 6 PM to midnight"),
    ],
)
def test_describe_says_the_days_and_hours_in_words(spec, days, described):
    assert hours(spec=spec, days=days).describe() == described


def test_inside_the_repeated_hour_an_opening_already_passed_is_not_next():
    # London falls back at 02:00 BST on 26 October 2025: 01:00-02:00 happens twice. Opening at
    # 01:30 on that Sunday: at 01:15 on the second pass (01:15 GMT, 01:15 UTC), 01:30 BST has
    # already happened (00:30 UTC), so the next opening is Monday's.
    sunday_hours = hours("01:30-18:00", days="mon,sun", zone=LONDON)
    second_pass = utc(2025, 10, 26, 1, 15)  # 01:15 GMT, after the clocks went back

    opening = sunday_hours.next_opening(second_pass)

    assert opening.astimezone(UTC) > second_pass
    assert opening.date().isoformat() == "2025-10-27"
