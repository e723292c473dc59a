"""The person reading a page: their timezone (their own, else the team's business timezone),
and the `local_time` filter templates use to show a moment in it, to the second."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from zoneinfo import available_timezones

from flask import current_app
from flask_login import current_user

from ivr import words
from ivr.web import bp


def viewer_zone() -> str:
    own = getattr(current_user, "timezone", None) if current_user.is_authenticated else None
    return own or current_app.config["IVR_SETTINGS"].timezone


AREAS = ("Africa/", "America/", "Antarctica/", "Arctic/", "Asia/", "Atlantic/", "Australia/",
         "Europe/", "Indian/", "Pacific/")  # fmt: skip


@cache
def timezone_choices() -> list[str]:
    """The zones a person picks from: Area/City names and UTC, not legacy aliases (US/Pacific)."""
    return [*sorted(z for z in available_timezones() if z.startswith(AREAS)), "UTC"]


@bp.app_template_filter("local_time")
def local_time(moment: datetime | None) -> str:
    return words.local_time(moment, viewer_zone())


@bp.app_context_processor
def _viewer() -> dict[str, object]:
    return {"viewer_zone": viewer_zone}
