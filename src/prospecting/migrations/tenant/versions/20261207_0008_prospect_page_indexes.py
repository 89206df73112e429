"""prospects newest first in index order: pages (all, one status) and fuzzy-name blocks

A page of a Person's prospects (newest first, ties by id) walked the Person's whole list and
sorted it for every request; these indexes hold the rows in the page's own order, so the
walk stops after the page. The name-block index gets the same order (ingest's fuzzy-name
candidates, newest first): otherwise SQLite's planner may walk the new page index for its
order instead of taking the block's equality.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 15:00:00

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: Union[str, Sequence[str], None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.drop_index("ix_prospects_person_status", table_name="prospects")
    op.create_index(
        "ix_prospects_person_status",
        "prospects",
        ["person_id", "status", sa.text("created_at DESC"), "id"],
    )
    op.create_index(
        "ix_prospects_person_created",
        "prospects",
        ["person_id", sa.text("created_at DESC"), "id"],
    )
    op.drop_index("ix_prospects_person_name_block", table_name="prospects")
    op.create_index(
        "ix_prospects_person_name_block",
        "prospects",
        ["person_id", "name_block", sa.text("created_at DESC")],
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_prospects_person_name_block", table_name="prospects")
    op.create_index("ix_prospects_person_name_block", "prospects", ["person_id", "name_block"])
    op.drop_index("ix_prospects_person_created", table_name="prospects")
    op.drop_index("ix_prospects_person_status", table_name="prospects")
    op.create_index(
        "ix_prospects_person_status", "prospects", ["person_id", "status", "created_at"]
    )
