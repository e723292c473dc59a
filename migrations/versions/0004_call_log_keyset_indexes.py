"""Composite (…, created_at, id) indexes so call-log pages stay fast at millions of rows.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 11:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SINGLE = ("created_at", "recruiter_id", "candidate_id")
COMPOSITE = {
    "ix_calls_created_at_id": ["created_at", "id"],
    "ix_calls_recruiter_created_at_id": ["recruiter_id", "created_at", "id"],
    "ix_calls_candidate_created_at_id": ["candidate_id", "created_at", "id"],
}


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch_op:
        for name, columns in COMPOSITE.items():
            batch_op.create_index(name, columns, unique=False)
        # Each single-column index is the prefix of a composite one now.
        for column in SINGLE:
            batch_op.drop_index(f"ix_calls_{column}")


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch_op:
        for column in SINGLE:
            batch_op.create_index(f"ix_calls_{column}", [column], unique=False)
        for name in COMPOSITE:
            batch_op.drop_index(name)
