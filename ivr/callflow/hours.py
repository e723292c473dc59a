"""Business hours in the team's timezone: open now? and when do we open next?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from ivr.config import WEEKDAYS, Settings

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class BusinessHours:
    zone: ZoneInfo
    opens: time
    closes: time | None  # None: open until midnight
    days: frozenset[int]

    @classmethod
    def from_settings(cls, settings: Settings) -> BusinessHours:
        start, end = settings.business_hours.split("-")
        return cls(
            zone=ZoneInfo(settings.timezone),
            opens=time.fromisoformat(start),
            closes=None if end in ("24:00", "00:00") else time.fromisoformat(end),
            days=frozenset(WEEKDAYS.index(d) for d in settings.business_days.split(",")),
        )

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(self.zone)
        if local.weekday() not in self.days:
            return False
        return self.opens <= local.time() and (self.closes is None or local.time() < self.closes)

    def next_opening(self, at: datetime) -> datetime:
        local = at.astimezone(self.zone)
        for offset in range(8):
            day = (local + timedelta(days=offset)).date()
            opening = datetime.combine(day, self.opens, tzinfo=self.zone)
            if day.weekday() in self.days and opening > local:
                return opening
        return local  # no business days at all: say nothing misleading

    def callback_promise(self, at: datetime) -> str:
        """'on Monday morning' / 'later today' / 'tomorrow morning', said to the caller."""
        opening = self.next_opening(at)
        local = at.astimezone(self.zone)
        days = (opening.date() - local.date()).days
        part = "morning" if opening.hour < 12 else "afternoon"
        if days == 0:
            return "later today"
        if days == 1:
            return f"tomorrow {part}"
        return f"on {DAY_NAMES[opening.weekday()]} {part}"

    def describe(self) -> str:
        ordered = sorted(self.days)
        if ordered and ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 2:
            days = f"{DAY_NAMES[ordered[0]]} to {DAY_NAMES[ordered[-1]]}"
        else:
            days = ", ".join(DAY_NAMES[d] for d in ordered)
        closes = "midnight" if self.closes is None else _spoken_time(self.closes)
        return f"{days}, {_spoken_time(self.opens)} to {closes}"


def _spoken_time(value: time) -> str:
    hour = value.hour % 12 or 12
    suffix = "AM" if value.hour < 12 else "PM"
    return f"{hour} {suffix}" if value.minute == 0 else f"{hour}:{value.minute:02d} {suffix}"
