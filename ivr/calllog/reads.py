"""A read over HTTP (a page or the API), recorded with where the request came from."""

from __future__ import annotations

from collections.abc import Mapping

from ivr.calllog.access import record_access
from ivr.db import get_session
from ivr.security import request_origin
from models import User


def record_read(
    user: User, action: str, *, target: str = "", filters: Mapping[str, str] | None = None
) -> None:
    """Record the read and commit the record, before anything is shown: a read nobody
    recorded must not happen. Reads that are not recorded commit nothing."""
    session = get_session()
    ip, user_agent = request_origin()
    if record_access(session, user, action, target, filters, ip=ip, user_agent=user_agent):
        session.commit()
