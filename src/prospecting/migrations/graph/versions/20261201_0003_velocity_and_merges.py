"""velocity contacts and subject merges

`prospect_subject_contacts` holds one row per provider, prospect and day the provider was in
touch with a subject (under contribute consent): the raw fact behind the velocity hint.
`prospect_subject_keys.merged_into` records that a contact carrying both keys' strong digests
showed two keys to be one person.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 09:00:00

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import prospecting.db


# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "prospect_subject_contacts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("subject_key", sa.String(length=32), nullable=False),
        sa.Column("provider_id", sa.String(length=32), nullable=False),
        sa.Column("prospect_id", sa.String(length=32), nullable=False),
        sa.Column("contacted_on", sa.Date(), nullable=False),
        sa.Column("created_at", prospecting.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prospect_subject_contacts")),
        sa.UniqueConstraint(
            "provider_id",
            "prospect_id",
            "contacted_on",
            name=op.f("uq_prospect_subject_contacts_provider_id_prospect_id_contacted_on"),
        ),
    )
    op.create_index(
        "ix_prospect_subject_contacts_subject",
        "prospect_subject_contacts",
        ["subject_key", "contacted_on"],
        unique=False,
    )
    op.add_column(
        "prospect_subject_keys", sa.Column("merged_into", sa.String(length=32), nullable=True)
    )
    op.create_index(
        op.f("ix_prospect_subject_keys_merged_into"),
        "prospect_subject_keys",
        ["merged_into"],
        unique=False,
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_prospect_subject_keys_merged_into"), table_name="prospect_subject_keys")
    with op.batch_alter_table("prospect_subject_keys") as batch:
        batch.drop_column("merged_into")
    op.drop_index("ix_prospect_subject_contacts_subject", table_name="prospect_subject_contacts")
    op.drop_table("prospect_subject_contacts")
