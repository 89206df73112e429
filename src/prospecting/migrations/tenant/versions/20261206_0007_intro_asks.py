"""coop intro asks: the graph's reachability as a question to the peers behind it

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 20:00:00

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import prospecting.db


# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: Union[str, Sequence[str], None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "coop_intro_asks",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("asker_id", sa.String(length=32), nullable=False),
        sa.Column("asker_prospect_id", sa.String(length=32), nullable=False),
        sa.Column("holder_id", sa.String(length=32), nullable=False),
        sa.Column("holder_prospect_id", sa.String(length=32), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "fulfilled",
                "declined",
                "expired",
                "closed",
                name="introaskstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("intro_id", sa.String(length=32), nullable=True),
        sa.Column("expires_at", prospecting.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", prospecting.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", prospecting.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["asker_id"],
            ["persons.id"],
            name=op.f("fk_coop_intro_asks_asker_id_persons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["asker_prospect_id"],
            ["prospects.id"],
            name=op.f("fk_coop_intro_asks_asker_prospect_id_prospects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["holder_id"],
            ["persons.id"],
            name=op.f("fk_coop_intro_asks_holder_id_persons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["holder_prospect_id"],
            ["prospects.id"],
            name=op.f("fk_coop_intro_asks_holder_prospect_id_prospects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["intro_id"],
            ["coop_intros.id"],
            name=op.f("fk_coop_intro_asks_intro_id_coop_intros"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coop_intro_asks")),
    )
    with op.batch_alter_table("coop_intro_asks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_coop_intro_asks_asker", ["asker_id", "asker_prospect_id", "status"], unique=False
        )
        batch_op.create_index("ix_coop_intro_asks_holder", ["holder_id", "status"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("coop_intro_asks", schema=None) as batch_op:
        batch_op.drop_index("ix_coop_intro_asks_holder")
        batch_op.drop_index("ix_coop_intro_asks_asker")

    op.drop_table("coop_intro_asks")
