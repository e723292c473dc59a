"""A CHECK on calls.flow: only the call flows the code knows (models.enums.Flow), or none.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The flows as they stood when this ran; a later flow comes with its own migration.
FLOWS = ("callback", "dial-in", "candidate", "decision", "unknown-caller")


def upgrade() -> None:
    allowed = ", ".join(f"'{flow}'" for flow in FLOWS)
    with op.batch_alter_table("calls") as batch_op:
        batch_op.create_check_constraint(batch_op.f("ck_calls_flow"), f"flow IN ({allowed})")


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_calls_flow"), type_="check")
