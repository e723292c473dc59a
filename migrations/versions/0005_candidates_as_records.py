"""Candidates as first-class records: ATS keys, do-not-call reasons, last contact; candidate
and admin events in the one chain; each user's own timezone.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base
from migrations.append_only import drop_append_only, make_append_only

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("candidates") as batch_op:
        batch_op.add_column(sa.Column("do_not_call_reason", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("external_id", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("source", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("updated_at", models.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_contact_at", models.base.UTCDateTime(), nullable=True))
        batch_op.create_unique_constraint(
            "uq_candidates_source_external_id", ["source", "external_id"]
        )
        batch_op.create_index(
            "ix_candidates_last_contact_at_id", ["last_contact_at", "id"], unique=False
        )
        batch_op.create_index("ix_candidates_owner_id_name", ["owner_id", "name"], unique=False)
    op.execute(
        "UPDATE candidates SET last_contact_at = "
        "(SELECT max(calls.created_at) FROM calls WHERE calls.candidate_id = candidates.id)"
    )

    _renumber_duplicate_hunt_orders()
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_users_hunt_order", ["hunt_order"])

    # SQLite rebuilds the table to relax NOT NULL, which drops its triggers: put them back.
    drop_append_only("call_events")
    with op.batch_alter_table("call_events") as batch_op:
        batch_op.alter_column("call_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("candidate_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("subject", sa.String(length=60), nullable=True))
        batch_op.create_foreign_key(
            "fk_call_events_candidate_id_candidates", "candidates", ["candidate_id"], ["id"]
        )
        batch_op.create_index("ix_call_events_candidate_id", ["candidate_id"], unique=False)
        batch_op.create_index("ix_call_events_subject", ["subject"], unique=False)
    make_append_only("call_events")


def downgrade() -> None:
    drop_append_only("call_events")
    op.execute("DELETE FROM call_events WHERE call_id IS NULL")
    with op.batch_alter_table("call_events") as batch_op:
        batch_op.drop_index("ix_call_events_subject")
        batch_op.drop_index("ix_call_events_candidate_id")
        batch_op.drop_constraint("fk_call_events_candidate_id_candidates", type_="foreignkey")
        batch_op.drop_column("subject")
        batch_op.drop_column("candidate_id")
        batch_op.alter_column("call_id", existing_type=sa.Integer(), nullable=False)
    make_append_only("call_events")

    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_constraint("uq_users_hunt_order", type_="unique")
        batch_op.drop_column("timezone")

    with op.batch_alter_table("candidates") as batch_op:
        batch_op.drop_index("ix_candidates_owner_id_name")
        batch_op.drop_index("ix_candidates_last_contact_at_id")
        batch_op.drop_constraint("uq_candidates_source_external_id", type_="unique")
        batch_op.drop_column("last_contact_at")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("source")
        batch_op.drop_column("external_id")
        batch_op.drop_column("do_not_call_reason")


def _renumber_duplicate_hunt_orders() -> None:
    """Two users at one hunt position rang in id order; keep that order, one position each."""
    bind = op.get_bind()
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("hunt_order", sa.Integer))
    rows = bind.execute(
        sa.select(users.c.id, users.c.hunt_order)
        .where(users.c.hunt_order.is_not(None))
        .order_by(users.c.hunt_order, users.c.id)
    ).all()
    if len({order for _, order in rows}) == len(rows):
        return
    for position, (user_id, _) in enumerate(rows, start=1):
        bind.execute(users.update().where(users.c.id == user_id).values(hunt_order=position))
