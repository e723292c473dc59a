"""Liveness and readiness for load balancers and the run script."""

from __future__ import annotations

from flask import g
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from ivr.api import bp
from ivr.db import get_session
from ivr.security import api_auth


@bp.get("/health")
def health() -> ResponseReturnValue:
    get_session().execute(text("SELECT 1"))
    return {"status": "ok"}


@bp.get("/me")
@api_auth()
def me() -> ResponseReturnValue:
    """Who this token belongs to: lets an integration check its token before it acts."""
    user = g.api_user
    return {"id": user.id, "name": user.name, "email": user.email, "role": user.role}
