"""Call seals: what the log shows of each call, chained each time it changes (models.seal).
Every call that exists gets its first seal here, so `audit verify` can hold every row to one.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 20:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import models.base
from migrations.append_only import drop_append_only, make_append_only
from models.chain import GENESIS, chain_hash, plain_value

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The sealed columns as they stood when this ran (models.seal.CALL_STATE then).
CALL_STATE = (
    "direction", "flow", "recruiter_id", "candidate_id", "company_number", "recruiter_number",
    "candidate_number", "parent_sid", "child_sid", "status", "child_status", "disposition",
    "created_at", "answered_at", "ended_at", "duration", "talk_duration", "outcome_code_id",
    "outcome_at", "outcome_by_id", "recording_sid", "recording_duration", "is_voicemail",
)  # fmt: skip
TIMES = ("created_at", "answered_at", "ended_at", "outcome_at")


def upgrade() -> None:
    seals = op.create_table(
        "call_seals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_call_seals_call_id_calls")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_seals")),
        sa.UniqueConstraint("seq", name=op.f("uq_call_seals_seq")),
    )
    with op.batch_alter_table("call_seals") as batch_op:
        batch_op.create_index(batch_op.f("ix_call_seals_call_id"), ["call_id"], unique=False)
    _seal_existing_calls(seals)
    make_append_only("call_seals")


def _seal_existing_calls(seals: sa.Table) -> None:
    calls = sa.table(
        "calls",
        sa.column("id", sa.Integer),
        *(sa.column(name, _type(name)) for name in CALL_STATE),
    )
    bind = op.get_bind()
    prev, now = GENESIS, datetime.now(UTC)
    rows = bind.execute(sa.select(calls).order_by(calls.c.id)).mappings()
    for seq, row in enumerate(rows.all(), start=1):
        state = {name: plain_value(row[name]) for name in CALL_STATE}
        content = {"seq": seq, "call_id": row["id"], "created_at": now, "state": state}
        digest = chain_hash(prev, content)
        bind.execute(
            seals.insert().values(
                call_id=row["id"], created_at=now, state=state, seq=seq, prev_hash=prev, hash=digest
            )
        )
        prev = digest


def _type(name: str) -> sa.types.TypeEngine[object] | None:
    if name in TIMES:
        return models.base.UTCDateTime()
    return sa.Boolean() if name == "is_voicemail" else None


def downgrade() -> None:
    drop_append_only("call_seals")
    with op.batch_alter_table("call_seals") as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_seals_call_id"))
    op.drop_table("call_seals")
