"""Hash-chain call events (seq, prev_hash, hash) and add append-only, chained access records.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 07:50:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base
from migrations.append_only import drop_append_only, make_append_only
from models.chain import GENESIS, chain_hash

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENT_FIELDS = (
    "call_id", "created_at", "kind", "source", "call_sid", "actor_id", "payload", "detail",
    "idempotency_key",
)  # fmt: skip


def upgrade() -> None:
    # The chain columns are filled in for rows that exist already, which the guards forbid.
    drop_append_only("call_events")
    with op.batch_alter_table("call_events") as batch_op:
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _backfill_event_chain()
    with op.batch_alter_table("call_events") as batch_op:
        batch_op.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_call_events_seq"), ["seq"])
    make_append_only("call_events")

    op.create_table(
        "access_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=120), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.Column("user_agent", sa.String(length=200), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_access_records_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_records")),
        sa.UniqueConstraint("seq", name=op.f("uq_access_records_seq")),
    )
    with op.batch_alter_table("access_records") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_access_records_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_access_records_user_id"), ["user_id"], unique=False)
    make_append_only("access_records")


def _backfill_event_chain() -> None:
    events = sa.table(
        "call_events",
        sa.column("id", sa.Integer),
        sa.column("seq", sa.BigInteger),
        sa.column("prev_hash", sa.String),
        sa.column("hash", sa.String),
        sa.column("created_at", models.base.UTCDateTime()),
        sa.column("payload", sa.JSON),
        sa.column("detail", sa.JSON),
        *(
            sa.column(name)
            for name in EVENT_FIELDS
            if name not in ("created_at", "payload", "detail")
        ),
    )
    bind = op.get_bind()
    prev = GENESIS
    rows = bind.execute(sa.select(events).order_by(events.c.id)).mappings().all()
    for seq, row in enumerate(rows, start=1):
        content = {"seq": seq, **{name: row[name] for name in EVENT_FIELDS}}
        for name in ("payload", "detail"):
            if isinstance(content[name], str):
                content[name] = json.loads(content[name])
        digest = chain_hash(prev, content)
        bind.execute(
            events.update()
            .where(events.c.id == row["id"])
            .values(seq=seq, prev_hash=prev, hash=digest)
        )
        prev = digest


def downgrade() -> None:
    drop_append_only("access_records")
    op.drop_table("access_records")
    drop_append_only("call_events")
    with op.batch_alter_table("call_events") as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_call_events_seq"), type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
    make_append_only("call_events")
