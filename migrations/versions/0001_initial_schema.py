"""Initial schema: users, candidates, calls, append-only call events, seeded outcome codes.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 07:28:34.013473
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base
from migrations.append_only import drop_append_only, make_append_only

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outcome_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digit", sa.String(length=1), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("sets_stage", sa.String(length=20), nullable=True),
        sa.Column("marks_do_not_call", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_codes")),
        sa.UniqueConstraint("digit", name=op.f("uq_outcome_codes_digit")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.CheckConstraint("role IN ('recruiter', 'auditor', 'admin')", name=op.f("ck_users_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("phone", name=op.f("uq_users_phone")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("do_not_call", sa.Boolean(), nullable=False),
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "stage IN ('applied', 'screening', 'interviewing', 'offer', 'hired', "
            "'not_selected', 'withdrawn')",
            name=op.f("ck_candidates_stage"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_candidates_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidates")),
        sa.UniqueConstraint("code", name=op.f("uq_candidates_code")),
        sa.UniqueConstraint("phone", name=op.f("uq_candidates_phone")),
    )
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_candidates_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("recruiter_id", sa.Integer(), nullable=True),
        sa.Column("candidate_id", sa.Integer(), nullable=True),
        sa.Column("company_number", sa.String(length=16), nullable=False),
        sa.Column("recruiter_number", sa.String(length=16), nullable=True),
        sa.Column("candidate_number", sa.String(length=16), nullable=True),
        sa.Column("parent_sid", sa.String(length=34), nullable=True),
        sa.Column("child_sid", sa.String(length=34), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("child_status", sa.String(length=12), nullable=True),
        sa.Column("disposition", sa.String(length=40), nullable=True),
        sa.Column("active_recruiter_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("answered_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("ended_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("duration", sa.Integer(), nullable=True),
        sa.Column("talk_duration", sa.Integer(), nullable=True),
        sa.Column("outcome_code_id", sa.Integer(), nullable=True),
        sa.Column("outcome_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("outcome_by_id", sa.Integer(), nullable=True),
        sa.Column("recording_sid", sa.String(length=34), nullable=True),
        sa.Column("recording_url", sa.Text(), nullable=True),
        sa.Column("recording_duration", sa.Integer(), nullable=True),
        sa.Column("is_voicemail", sa.Boolean(), nullable=False),
        sa.CheckConstraint("direction IN ('outbound', 'inbound')", name=op.f("ck_calls_direction")),
        sa.CheckConstraint(
            "status IN ('queued', 'initiated', 'ringing', 'in-progress', 'completed', 'busy', "
            "'no-answer', 'failed', 'canceled')",
            name=op.f("ck_calls_status"),
        ),
        sa.ForeignKeyConstraint(
            ["candidate_id"], ["candidates.id"], name=op.f("fk_calls_candidate_id_candidates")
        ),
        sa.ForeignKeyConstraint(
            ["outcome_by_id"], ["users.id"], name=op.f("fk_calls_outcome_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["outcome_code_id"],
            ["outcome_codes.id"],
            name=op.f("fk_calls_outcome_code_id_outcome_codes"),
        ),
        sa.ForeignKeyConstraint(
            ["recruiter_id"], ["users.id"], name=op.f("fk_calls_recruiter_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
        sa.UniqueConstraint("active_recruiter_id", name=op.f("uq_calls_active_recruiter_id")),
        sa.UniqueConstraint("child_sid", name=op.f("uq_calls_child_sid")),
        sa.UniqueConstraint("parent_sid", name=op.f("uq_calls_parent_sid")),
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calls_candidate_id"), ["candidate_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_calls_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_calls_recruiter_id"), ["recruiter_id"], unique=False)

    op.create_table(
        "call_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("call_sid", sa.String(length=34), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_call_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_call_events_call_id_calls")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_events")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_call_events_idempotency_key")),
    )
    with op.batch_alter_table("call_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_events_call_id"), ["call_id"], unique=False)

    make_append_only("call_events")
    _seed_outcome_codes()


def downgrade() -> None:
    drop_append_only("call_events")
    with op.batch_alter_table("call_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_events_call_id"))

    op.drop_table("call_events")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calls_recruiter_id"))
        batch_op.drop_index(batch_op.f("ix_calls_created_at"))
        batch_op.drop_index(batch_op.f("ix_calls_candidate_id"))

    op.drop_table("calls")
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_candidates_owner_id"))

    op.drop_table("candidates")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    op.drop_table("users")
    op.drop_table("outcome_codes")


# Outcome codes as first shipped; admins may relabel or add codes later, so this is data, not code.
OUTCOME_CODES = [
    ("1", "interview scheduled", "interviewing", False),
    ("2", "offer extended", "offer", False),
    ("3", "offer accepted", "hired", False),
    ("4", "offer declined", "withdrawn", False),
    ("5", "not selected, told personally", "not_selected", False),
    ("6", "left voicemail", None, False),
    ("7", "no answer", None, False),
    ("8", "call back later", None, False),
    ("9", "wrong number, do not call", None, True),
]


def _seed_outcome_codes() -> None:
    table = sa.table(
        "outcome_codes",
        sa.column("digit", sa.String),
        sa.column("label", sa.String),
        sa.column("sets_stage", sa.String),
        sa.column("marks_do_not_call", sa.Boolean),
        sa.column("is_active", sa.Boolean),
    )
    op.bulk_insert(
        table,
        [
            {
                "digit": d,
                "label": label,
                "sets_stage": stage,
                "marks_do_not_call": dnc,
                "is_active": True,
            }
            for d, label, stage, dnc in OUTCOME_CODES
        ],
    )
