"""Inbound routing (hunt order, availability, call flow) and voicemail callback tasks.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 07:39:19.113251
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "callback_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("voicemail_call_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=True),
        sa.Column("recruiter_id", sa.Integer(), nullable=True),
        sa.Column("caller_number", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("done_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("done_by_call_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('open', 'done')", name=op.f("ck_callback_tasks_status")),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_callback_tasks_candidate_id_candidates"),
        ),
        sa.ForeignKeyConstraint(
            ["done_by_call_id"], ["calls.id"], name=op.f("fk_callback_tasks_done_by_call_id_calls")
        ),
        sa.ForeignKeyConstraint(
            ["recruiter_id"], ["users.id"], name=op.f("fk_callback_tasks_recruiter_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["voicemail_call_id"],
            ["calls.id"],
            name=op.f("fk_callback_tasks_voicemail_call_id_calls"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_tasks")),
        sa.UniqueConstraint("voicemail_call_id", name=op.f("uq_callback_tasks_voicemail_call_id")),
    )
    with op.batch_alter_table("callback_tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_callback_tasks_candidate_id"), ["candidate_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_callback_tasks_recruiter_id"), ["recruiter_id"], unique=False
        )

    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("flow", sa.String(length=20), nullable=True))

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hunt_order", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("is_available", sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("is_available")
        batch_op.drop_column("hunt_order")

    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_column("flow")

    with op.batch_alter_table("callback_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_callback_tasks_recruiter_id"))
        batch_op.drop_index(batch_op.f("ix_callback_tasks_candidate_id"))

    op.drop_table("callback_tasks")
