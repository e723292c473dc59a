"""The app's idea of now: replaceable, so business-hours logic is testable at any hour."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from models import utcnow


def now() -> datetime:
    return current_app.extensions.get("clock", utcnow)()
