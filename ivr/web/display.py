"""What every page template may use to speak plainly: the words module, and times in the
viewer's own timezone to the second."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from flask_login import current_user

from ivr import words
from ivr.web import bp


def viewer_zone() -> str:
    """The signed-in reader's timezone, else the team's business timezone."""
    own = getattr(current_user, "timezone", None) if current_user.is_authenticated else None
    return words.viewer_zone(own, current_app.config["IVR_SETTINGS"].timezone)


def when(moment: datetime | None) -> str:
    """2026-11-23 09:04:05 EST: a moment as this reader reads it."""
    return words.local_time(moment, viewer_zone())


@bp.app_context_processor
def plain_words() -> dict[str, Any]:
    return {"words": words, "when": when, "viewer_zone": viewer_zone}
