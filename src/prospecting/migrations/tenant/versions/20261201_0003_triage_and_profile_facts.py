"""triage and profile facts

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 05:45:00

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("qualify_profiles") as batch:
        batch.add_column(sa.Column("facts", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("crisis", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("qualify_qualifications") as batch:
        batch.add_column(sa.Column("triage", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("qualify_drafts") as batch:
        batch.add_column(
            sa.Column("needs_review", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("review_reasons", sa.JSON(), nullable=False, server_default="[]")
        )


def downgrade() -> None:
    with op.batch_alter_table("qualify_drafts") as batch:
        batch.drop_column("review_reasons")
        batch.drop_column("needs_review")
    with op.batch_alter_table("qualify_qualifications") as batch:
        batch.drop_column("triage")
    with op.batch_alter_table("qualify_profiles") as batch:
        batch.drop_column("crisis")
        batch.drop_column("facts")
