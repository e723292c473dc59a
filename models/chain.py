"""Hash chains over append-only tables: each row seals its content and the previous row's hash.

Rows get their place (seq) and hashes at insert time, under a lock (PostgreSQL advisory lock;
SQLite's BEGIN IMMEDIATE already serialises writers), so concurrent writers cannot fork a chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import BigInteger, ColumnDefault, String, event, select, text
from sqlalchemy.orm import Mapped, Session, class_mapper, mapped_column

GENESIS = "0" * 64
# One lock order everywhere. On PostgreSQL a transaction takes this lock (the call-event
# chain's) before its first write, and only then row locks and any other chain's lock; so two
# writers can never hold each other's next lock. SQLite gets the same order from the
# BEGIN IMMEDIATE every transaction starts with (ivr.db).
WRITE_ORDER_LOCK = 7_301_001
_LOCKED = "write_order_locked"


class Chained:
    """Mixin: a table whose rows form a hash chain in `seq` order."""

    __chain_lock__: ClassVar[int]
    __chain_fields__: ClassVar[tuple[str, ...]]
    # Fields added after rows were first sealed: hashed only when set, so every row sealed
    # before they existed keeps its hash, and setting one on an old row still breaks it.
    __chain_optional__: ClassVar[tuple[str, ...]] = ()
    if TYPE_CHECKING:  # given by the model class the mixin is part of
        __tablename__: str

    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def chain_content(self) -> dict[str, Any]:
        content = {
            name: plain_value(getattr(self, name)) for name in ("seq", *self.__chain_fields__)
        }
        for name in self.__chain_optional__:
            if (value := getattr(self, name)) is not None:
                content[name] = plain_value(value)
        return content

    def compute_hash(self) -> str:
        return chain_hash(self.prev_hash, self.chain_content())


def chain_hash(prev_hash: str, content: dict[str, Any]) -> str:
    body = json.dumps(
        {key: plain_value(value) for key, value in content.items()},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def plain_value(value: Any) -> Any:
    """A value as the chain hashes it: datetimes as ISO-8601 UTC to the microsecond."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def lock_for_writing(session: Session) -> None:
    """Take the write-order lock for this transaction (once; PostgreSQL only). Webhooks call it
    before they read the call they will change, so they read it after the previous writer's
    commit; every flush that writes calls it too, so no write ever comes before it."""
    connection = session.connection()  # begins the transaction; after_begin clears the mark
    if session.info.get(_LOCKED):
        return
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": WRITE_ORDER_LOCK})
    session.info[_LOCKED] = True


@event.listens_for(Session, "after_begin")
def _new_transaction(session: Session, _transaction: object, _connection: object) -> None:
    session.info.pop(_LOCKED, None)


@event.listens_for(Session, "before_flush")
def _seal_new_rows(session: Session, _ctx: object, _instances: object) -> None:
    if session.new or session.dirty or session.deleted:
        lock_for_writing(session)
    pending: dict[type[Chained], list[Chained]] = {}
    for obj in session.new:
        if isinstance(obj, Chained):
            pending.setdefault(type(obj), []).append(obj)
    for cls, rows in pending.items():
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            # Held to the end of the transaction: the next writer reads our head, not a stale one.
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": cls.__chain_lock__})
        with session.no_autoflush:
            head = session.execute(
                select(cls.seq, cls.hash).order_by(cls.seq.desc()).limit(1)
            ).first()
        seq, prev = (head[0], head[1]) if head else (0, GENESIS)
        for row in rows:
            seq += 1
            row.seq = seq
            _apply_column_defaults(row)
            row.prev_hash = prev
            row.hash = row.compute_hash()
            prev = row.hash


def _apply_column_defaults(row: Chained) -> None:
    """Python-side defaults fire at INSERT, after sealing; the hash must see the stored values."""
    columns = class_mapper(type(row)).columns
    for name in row.__chain_fields__:
        default = columns[name].default
        if getattr(row, name) is None and isinstance(default, ColumnDefault):
            setattr(row, name, default.arg(None) if default.is_callable else default.arg)


@dataclass(frozen=True)
class ChainReport:
    table: str
    count: int
    head: str
    broken_at: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain(session: Session, cls: type[Chained], batch: int = 1000) -> ChainReport:
    """Walk the chain in seq order; the first row whose links or content do not hold is named."""
    table = cls.__tablename__
    expected_prev, expected_seq, count = GENESIS, 1, 0
    for row in _rows(session, cls, batch):
        if row.seq != expected_seq:
            return ChainReport(table, count, expected_prev, row.seq,
                               f"seq {row.seq} where {expected_seq} was expected "
                               "(a row was deleted or reordered)")  # fmt: skip
        if row.prev_hash != expected_prev:
            return ChainReport(table, count, expected_prev, row.seq,
                               "its link to the previous row does not match "
                               "(a row before it was changed, deleted or reordered)")  # fmt: skip
        if row.compute_hash() != row.hash:
            return ChainReport(table, count, expected_prev, row.seq,
                               "its content does not match its hash (it was edited)")  # fmt: skip
        expected_prev, expected_seq, count = row.hash, row.seq + 1, count + 1
    return ChainReport(table, count, expected_prev)


def _rows(session: Session, cls: type[Chained], batch: int) -> Iterator[Chained]:
    last = 0
    while True:
        chunk: Iterable[Chained] = session.scalars(
            select(cls).where(cls.seq > last).order_by(cls.seq).limit(batch)
        ).all()
        chunk = list(chunk)
        if not chunk:
            return
        yield from chunk
        last = chunk[-1].seq
        session.expunge_all()
