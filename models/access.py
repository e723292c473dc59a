"""Who read what: every auditor view and export, append-only and hash-chained like call events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow
from models.chain import Chained
from models.user import User

IP_MAX = 45  # an IPv6 address in full, with an IPv4 tail
USER_AGENT_MAX = 200


class AccessRecord(Chained, Base):
    __tablename__ = "access_records"
    __chain_lock__ = 7_301_002
    __chain_fields__ = ("created_at", "user_id", "action", "target", "filters", "ip", "user_agent")

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(120), default="")
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str] = mapped_column(String(IP_MAX), default="")
    user_agent: Mapped[str] = mapped_column(String(USER_AGENT_MAX), default="")

    user: Mapped[User] = relationship()
