"""Absolute URLs Twilio can reach: on PUBLIC_BASE_URL when set, else on the request's own host."""

from __future__ import annotations

from typing import Any

from flask import url_for

from ivr.config import settings


def webhook_url(endpoint: str, **values: Any) -> str:
    base = settings().public_base_url
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)
