"""Business hours in the team's timezone: open now? and when do we open next?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ivr.config import WEEKDAYS, Settings
from twiml import hours as words


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
            # Compared as instants: two times in one zone compare by their clock reading,
            # which is wrong inside the hour repeated when the clocks go back.
            if day.weekday() in self.days and opening.astimezone(UTC) > at.astimezone(UTC):
                return opening
        return local  # no business days at all: say nothing misleading

    def callback_promise(self, at: datetime) -> str:
        """'on Monday morning' / 'later today' / 'tomorrow morning', said to the caller."""
        return words.callback_promise(self.next_opening(at), at.astimezone(self.zone))

    def describe(self) -> str:
        return words.spoken_hours(self.days, self.opens, self.closes)
