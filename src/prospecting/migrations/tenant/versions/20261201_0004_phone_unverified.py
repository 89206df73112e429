"""phone unverified: keep an inbound whose phone fails validation

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 14:35:00

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0004"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("prospects") as batch:
        batch.add_column(
            sa.Column("phone_unverified", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("prospect_touchpoints") as batch:
        batch.add_column(sa.Column("sender_phone_raw", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("prospect_touchpoints") as batch:
        batch.drop_column("sender_phone_raw")
    with op.batch_alter_table("prospects") as batch:
        batch.drop_column("phone_unverified")
