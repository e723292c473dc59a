"""Owed calls: the queue of calls recruiters owe candidates (closure, callbacks, call back
later, offers waiting for an answer), and what each outcome code means to it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 20:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWED_REASONS = ("closure", "callback", "call_back_later", "offer_answer")
CLOSED_BY = ("told_personally", "reached", "callback_done", "stage_changed", "by_hand")
MEANINGS = ("told_not_selected", "voicemail", "no_answer", "call_back_later", "wrong_number")
# The codes as first shipped (0001), by digit and label: a code an admin has since relabelled
# or reused means whatever they made it, so it is left without a meaning for them to decide.
SEEDED = (
    ("5", "not selected, told personally", "told_not_selected"),
    ("6", "left voicemail", "voicemail"),
    ("7", "no answer", "no_answer"),
    ("8", "call back later", "call_back_later"),
    ("9", "wrong number, do not call", "wrong_number"),
)


def _in(column: str, allowed: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in allowed)})"


def upgrade() -> None:
    op.create_table(
        "owed_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=True),
        sa.Column("recruiter_id", sa.Integer(), nullable=True),
        sa.Column("callback_task_id", sa.Integer(), nullable=True),
        sa.Column("open_key", sa.String(length=40), nullable=True),
        sa.Column("opened_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("due_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("closed_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("closed_reason", sa.String(length=20), nullable=True),
        sa.Column("close_note", sa.String(length=500), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_by_call_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(_in("reason", OWED_REASONS), name=op.f("ck_owed_calls_reason")),
        sa.CheckConstraint(
            _in("closed_reason", CLOSED_BY), name=op.f("ck_owed_calls_closed_reason")
        ),
        sa.ForeignKeyConstraint(
            ["callback_task_id"],
            ["callback_tasks.id"],
            name=op.f("fk_owed_calls_callback_task_id_callback_tasks"),
        ),
        sa.ForeignKeyConstraint(
            ["candidate_id"], ["candidates.id"], name=op.f("fk_owed_calls_candidate_id_candidates")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_call_id"], ["calls.id"], name=op.f("fk_owed_calls_closed_by_call_id_calls")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["users.id"], name=op.f("fk_owed_calls_closed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["recruiter_id"], ["users.id"], name=op.f("fk_owed_calls_recruiter_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_owed_calls")),
        sa.UniqueConstraint("callback_task_id", name=op.f("uq_owed_calls_callback_task_id")),
        sa.UniqueConstraint("open_key", name=op.f("uq_owed_calls_open_key")),
    )
    op.create_index(op.f("ix_owed_calls_candidate_id"), "owed_calls", ["candidate_id"])
    op.create_index(
        "ix_owed_calls_recruiter_closed_due",
        "owed_calls",
        ["recruiter_id", "closed_at", "due_at"],
    )
    with op.batch_alter_table("outcome_codes") as batch_op:
        batch_op.add_column(sa.Column("means", sa.String(length=20), nullable=True))
        batch_op.create_check_constraint("means", _in("means", MEANINGS))
    codes = sa.table(
        "outcome_codes",
        sa.column("digit", sa.String),
        sa.column("label", sa.String),
        sa.column("means", sa.String),
    )
    for digit, label, means in SEEDED:
        op.execute(
            codes.update().where(codes.c.digit == digit, codes.c.label == label).values(means=means)
        )


def downgrade() -> None:
    with op.batch_alter_table("outcome_codes") as batch_op:
        batch_op.drop_constraint("means", type_="check")
        batch_op.drop_column("means")
    op.drop_index("ix_owed_calls_recruiter_closed_due", table_name="owed_calls")
    op.drop_index(op.f("ix_owed_calls_candidate_id"), table_name="owed_calls")
    op.drop_table("owed_calls")
