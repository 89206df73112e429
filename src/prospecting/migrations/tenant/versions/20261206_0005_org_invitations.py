"""org invitations: an Org membership is active only once the Person accepts it

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 04:10:00

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import prospecting.db


revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Rows from before invitations existed were memberships already: they stay active.
    with op.batch_alter_table("org_memberships") as batch:
        batch.add_column(
            sa.Column("status", sa.String(16), nullable=False, server_default="active")
        )
        batch.add_column(sa.Column("invited_by", sa.String(32), nullable=True))
        batch.add_column(
            sa.Column("joined_at", prospecting.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.create_foreign_key(
            "fk_org_memberships_invited_by_persons",
            "persons",
            ["invited_by"],
            ["id"],
            ondelete="SET NULL",
        )
    op.execute("UPDATE org_memberships SET joined_at = created_at WHERE status = 'active'")
    # New rows say their status explicitly (the model's default is 'invited').
    with op.batch_alter_table("org_memberships") as batch:
        batch.alter_column("status", existing_type=sa.String(16), server_default=None)


def downgrade() -> None:
    op.execute("DELETE FROM org_memberships WHERE status <> 'active'")
    with op.batch_alter_table("org_memberships") as batch:
        batch.drop_constraint("fk_org_memberships_invited_by_persons", type_="foreignkey")
        batch.drop_column("joined_at")
        batch.drop_column("invited_by")
        batch.drop_column("status")
