"""The person reading a page: their timezone (their own, else the team's business timezone),
and what every template may use to speak plainly: the words module, `when()` and the
`local_time` filter, both showing a moment in the reader's zone to the second."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from flask_login import current_user

from ivr import words
from ivr.config import settings
from ivr.web import bp


def viewer_zone() -> str:
    own = getattr(current_user, "timezone", None) if current_user.is_authenticated else None
    return words.viewer_zone(own, settings().timezone)


def when(moment: datetime | None) -> str:
    """2026-11-23 09:04:05 EST: a moment as this reader reads it."""
    return words.local_time(moment, viewer_zone())


AREAS = ("Africa/", "America/", "Antarctica/", "Arctic/", "Asia/", "Atlantic/", "Australia/",
         "Europe/", "Indian/", "Pacific/")  # fmt: skip


@cache
def timezone_choices() -> list[str]:
    """The zones a person picks from: Area/City names and UTC, not legacy aliases (US/Pacific)."""
    return [*sorted(z for z in available_timezones() if z.startswith(AREAS)), "UTC"]


@bp.app_template_filter("local_time")
def local_time(moment: datetime | None) -> str:
    return when(moment)


@bp.app_context_processor
def _viewer() -> dict[str, Any]:
    return {"words": words, "when": when, "viewer_zone": viewer_zone}
