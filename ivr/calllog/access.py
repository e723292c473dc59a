"""The record of every auditor's read: who, what, which filter, when and from where."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from ivr.permissions import reads_are_recorded
from models import AccessRecord, User


def record_access(
    session: Session,
    user: User,
    action: str,
    target: str = "",
    filters: Mapping[str, str] | None = None,
    *,
    ip: str,
    user_agent: str,
) -> AccessRecord | None:
    """Add the access record of this read, if the user's reads are recorded (flushed, not
    committed); None when they are not."""
    if not reads_are_recorded(user):
        return None
    record = AccessRecord(
        user_id=user.id,
        action=action,
        target=target,
        filters=dict(filters or {}),
        ip=ip,
        user_agent=user_agent,
    )
    session.add(record)
    session.flush()
    return record
