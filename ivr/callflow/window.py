"""The calling window: a candidate is called only inside their own local hours (CALLING_HOURS
on CALLING_DAYS, in the candidate's timezone). Outside it a call is refused with when the
window opens; the recruiter may still call, giving a reason, and the override is a chained
event on the call. Decisions only; nothing here commits."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ivr import words
from ivr.callflow.events import record_event
from ivr.callflow.hours import BusinessHours
from ivr.callflow.outbound import CallRefused
from ivr.config import WEEKDAYS, Settings
from models import Call, User

REASON_MAX = 500


@dataclass(frozen=True)
class CallingWindow:
    opens: time
    closes: time | None  # None: until midnight
    days: frozenset[int]

    @classmethod
    def from_settings(cls, settings: Settings) -> CallingWindow:
        start, end = settings.calling_hours.split("-")
        return cls(
            opens=time.fromisoformat(start),
            closes=None if end in ("24:00", "00:00") else time.fromisoformat(end),
            days=frozenset(WEEKDAYS.index(d) for d in settings.calling_days.split(",")),
        )

    def in_zone(self, zone: ZoneInfo) -> BusinessHours:
        return BusinessHours(zone=zone, opens=self.opens, closes=self.closes, days=self.days)

    def check(self, zone: ZoneInfo, at: datetime) -> WindowCheck:
        """Whether `at` is inside the window on the clock of `zone`, and if not, when it opens
        (compared as instants, so the hour repeated or skipped at a DST change is right)."""
        hours = self.in_zone(zone)
        if hours.is_open(at):
            return WindowCheck(zone=zone, at=at, opens_at=None)
        return WindowCheck(zone=zone, at=at, opens_at=hours.next_opening(at))


@dataclass(frozen=True)
class WindowCheck:
    zone: ZoneInfo
    at: datetime
    opens_at: datetime | None  # None: the window is open now

    @property
    def is_open(self) -> bool:
        return self.opens_at is None


class OutsideWindow(CallRefused):
    """A call refused because it is outside the candidate's calling window: the reason says
    when it opens, in their time and the recruiter's (`viewer_zone`)."""

    def __init__(self, check: WindowCheck, name: str, viewer_zone: ZoneInfo) -> None:
        assert check.opens_at is not None
        super().__init__(words.outside_window(name, check.at, check.opens_at, check.zone,
                                              viewer_zone), 409)  # fmt: skip
        self.check = check
        self.opens_at = check.opens_at


def parse_override(value: object) -> str | None:
    """The reason a recruiter gives for calling outside the window (None: they gave none)."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        return None
    if len(text) > REASON_MAX or any(unicodedata.category(ch) == "Cc" for ch in text):
        raise ValueError(f"keep the reason under {REASON_MAX} characters, on one line")
    return text


def require_window(
    check: WindowCheck, name: str, override: str | None, viewer_zone: ZoneInfo
) -> None:
    """Refuse a call outside the window unless the recruiter gave a reason for it."""
    if not check.is_open and override is None:
        raise OutsideWindow(check, name, viewer_zone)


def record_override(
    session: Session, call: Call, check: WindowCheck, reason: str, actor: User
) -> None:
    """The call placed outside the window: who, why, and the hour it was for the candidate."""
    assert check.opens_at is not None
    record_event(
        session,
        call,
        "call.window_overridden",
        source="user",
        actor=actor,
        candidate=call.candidate,
        detail={
            "reason": reason,
            "timezone": check.zone.key,
            "their_time": check.at.astimezone(check.zone).isoformat(timespec="minutes"),
            "window_opens": check.opens_at.isoformat(timespec="minutes"),
        },
    )
