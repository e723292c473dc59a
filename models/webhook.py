"""Webhook deliveries already answered, by Twilio's idempotency token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow

TOKEN_MAX = 200  # Twilio's tokens are far shorter; a longer header is not a token we stored
PATH_MAX = 300


class WebhookDelivery(Base):
    """One webhook Twilio delivered and the answer it got. Twilio sends every webhook with an
    I-Twilio-Idempotency-Token header and repeats the token on a retry of the same delivery
    (https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides): a repeat gets
    this stored answer and changes nothing. Not part of the audit trail: old rows are purged
    (ivr.voice.hook.purge_deliveries)."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(TOKEN_MAX), unique=True)
    path: Mapped[str] = mapped_column(String(PATH_MAX))
    status_code: Mapped[int] = mapped_column(Integer, default=200)
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
