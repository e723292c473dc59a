"""Liveness and readiness for load balancers and the run script."""

from __future__ import annotations

from flask import current_app, g
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from ivr.api import bp
from ivr.db import get_session
from ivr.security import api_auth
from ivr.spool import spool_counters


@bp.get("/health")
def health() -> ResponseReturnValue:
    """Up, and what went wrong since the spool was created: webhooks that failed (callers
    heard an apology), spooled deliveries waiting for replay, failed pages and API calls.
    A monitor alerts on webhook_failures growing or spooled staying above zero."""
    counters = dict(spool_counters(current_app))
    try:
        get_session().execute(text("SELECT 1"))
    except OperationalError:
        return {"status": "database unavailable", **counters}, 503
    return {"status": "ok", **counters}


@bp.get("/me")
@api_auth()
def me() -> ResponseReturnValue:
    """Who this token belongs to: lets an integration check its token before it acts."""
    user = g.api_user
    return {"id": user.id, "name": user.name, "email": user.email, "role": user.role}
