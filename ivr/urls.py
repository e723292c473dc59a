"""Absolute URLs Twilio can reach: on PUBLIC_BASE_URL when set, else on the request's own host."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, url_for

from ivr.config import settings


def webhook_url(endpoint: str, **values: Any) -> str:
    base = settings().public_base_url
    if not has_request_context():
        # Background work (a queued task): only PUBLIC_BASE_URL says where we are.
        if not base:
            raise RuntimeError("PUBLIC_BASE_URL must be set for background work to ring anyone")
        return base + current_app.url_map.bind("localhost").build(endpoint, values)
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)
