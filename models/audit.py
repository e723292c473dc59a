"""The tamper-evident chains, together: what `audit verify` walks and `audit heads` publishes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.access import AccessRecord
from models.call import CallEvent
from models.chain import GENESIS, Chained
from models.seal import CallSeal

CHAINS: tuple[tuple[type[Chained], str], ...] = (
    (CallEvent, "events"),
    (AccessRecord, "access records"),
    (CallSeal, "call seals"),
)


def chain_heads(session: Session) -> dict[str, str]:
    """Each chain's newest hash (the genesis hash for an empty one), by table name."""
    heads = {}
    for cls, _ in CHAINS:
        head = session.scalar(select(cls.hash).order_by(cls.seq.desc()).limit(1))
        heads[cls.__tablename__] = head or GENESIS
    return heads
