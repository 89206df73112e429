"""directory version: one counter row that triggers advance on every Person or membership change

The graph's network view is rebuilt when the tenant directory it reads (every Person's
categories and region, every active Org membership) has changed. It used to tell by counting
Persons and memberships on every graph query, which grew with the network (35% of a query's
time at 10,000 providers) and could not see a profile change made by another process. Now
triggers advance one counter in the same transaction as the change, on both backends, and a
query reads that one row by its key.

SQLite: row triggers after INSERT, UPDATE and DELETE on `persons` and `org_memberships`.
PostgreSQL: statement triggers after INSERT, UPDATE, DELETE and TRUNCATE (which skips row
triggers) on the same two tables. On PostgreSQL two transactions that change Persons or
memberships take turns on the counter's row until the first commits: sign-ups, profile edits
and Org changes are rare, and no hot path (inbound, queries, lists) writes either table. A
sequence would not serialize them, but its value moves before the change commits, so a
reader could cache a view without the change under the version that has it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 18:00:00

"""

import uuid
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: Union[str, Sequence[str], None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

WATCHED = ("persons", "org_memberships")
BUMP = "UPDATE directory_version SET version = version + 1 WHERE id = 1"


def upgrade() -> None:
    """Upgrade schema."""
    counter = op.create_table(
        "directory_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store", sa.String(length=32), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_directory_version_singleton")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_version")),
    )
    # `store` tells two stores built at the same URL apart (the view's cache is per URL)
    op.bulk_insert(counter, [{"id": 1, "store": uuid.uuid4().hex, "version": 0}])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION directory_version_bump() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN {BUMP}; RETURN NULL; END $$"
        )
        for table in WATCHED:
            op.execute(
                f"CREATE TRIGGER trg_{table}_directory_version AFTER INSERT OR UPDATE OR DELETE "
                f"OR TRUNCATE ON {table} FOR EACH STATEMENT "
                "EXECUTE FUNCTION directory_version_bump()"
            )
        return
    for table in WATCHED:
        for event in ("insert", "update", "delete"):
            op.execute(
                f"CREATE TRIGGER trg_{table}_directory_version_{event} AFTER {event.upper()} "
                f"ON {table} BEGIN {BUMP}; END"
            )


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_directory_version ON {table}")
        op.execute("DROP FUNCTION IF EXISTS directory_version_bump()")
    else:
        for table in WATCHED:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_directory_version_{event}")
    op.drop_table("directory_version")
