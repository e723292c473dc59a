"""Business hours in words: when we are open, and when we will call back."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def spoken_hours(days: Iterable[int], opens: time, closes: time | None) -> str:
    """'Monday to Friday, 9 AM to 6 PM'; days are weekday numbers, Monday 0."""
    ordered = sorted(days)
    if ordered and ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 2:
        named = f"{DAY_NAMES[ordered[0]]} to {DAY_NAMES[ordered[-1]]}"
    else:
        named = ", ".join(DAY_NAMES[d] for d in ordered)
    until = "midnight" if closes is None else spoken_time(closes)
    return f"{named}, {spoken_time(opens)} to {until}"


def spoken_time(value: time) -> str:
    hour = value.hour % 12 or 12
    suffix = "AM" if value.hour < 12 else "PM"
    return f"{hour} {suffix}" if value.minute == 0 else f"{hour}:{value.minute:02d} {suffix}"


def spoken_zone(key: str) -> str:
    """'America/New_York' as it is said: 'America/New York'."""
    return key.replace("_", " ")


def callback_promise(opening: datetime, now: datetime) -> str:
    """'later today' / 'tomorrow morning' / 'on Monday morning': both times in the same zone."""
    days = (opening.date() - now.date()).days
    part = "morning" if opening.hour < 12 else "afternoon"
    if days == 0:
        return "later today"
    if days == 1:
        return f"tomorrow {part}"
    return f"on {DAY_NAMES[opening.weekday()]} {part}"
