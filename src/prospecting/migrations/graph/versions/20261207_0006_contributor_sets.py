"""audit contributors as content-addressed sets

An audited answer used to write one `graph_query_audit_contributors` row per contributor, each
a random insert into two indexes: a subject with 250 contributors cost 500 index pages per read,
and most of a busy read's time. The providers behind an answer are now a
`graph_contributor_sets` row, named by SHA-256 over their sorted ids (`graph.ledger`), and one
`graph_contributor_set_members` row per provider, keyed (provider_id, set_id) so that a
contributor finds the answers that used their rows. `graph_query_audit.contributor_set_id` names
the set. A set is written once; every later answer with the same contributors names it again,
so a read writes one audit row however many providers contributed.

Guards (both backends): sets and members are append-only (no UPDATE, DELETE or TRUNCATE); a set
takes no member once an audit row names it; an audit row may name only an existing set of its
contributor_count. The hash chain is unchanged: an audit row's hash still covers its sorted
contributor ids, now read through its set, so existing rows verify as before.

Existing contributor rows move into sets and their audit rows name them; downgrade moves them
back.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 01:30:00

"""

from collections.abc import Sequence
from typing import Union

import sqlalchemy as sa
from alembic import op

import prospecting.db
from prospecting.graph import ledger

revision: str = "0006"
down_revision: Union[str, None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

AUDIT = "graph_query_audit"
SETS = "graph_contributor_sets"
MEMBERS = "graph_contributor_set_members"
LEGACY = "graph_query_audit_contributors"
NEW_TABLES = (SETS, MEMBERS)

SEALED = f"EXISTS (SELECT 1 FROM {AUDIT} a WHERE a.contributor_set_id = NEW.set_id)"  # noqa: S608
SET_MATCHES = (
    f"EXISTS (SELECT 1 FROM {SETS} s WHERE s.id = NEW.contributor_set_id "  # noqa: S608
    "AND s.member_count = NEW.contributor_count)"
)
SEALED_MESSAGE = f"{MEMBERS}: the set is already named by an audit row: INSERT refused"
SET_MESSAGE = f"{AUDIT}: contributor_set_id must name a set of contributor_count members"

PG_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION prospecting_contributor_set_sealed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF {SEALED} THEN
    RAISE EXCEPTION '{SEALED_MESSAGE}';
  END IF;
  RETURN NEW;
END
$$;
CREATE OR REPLACE FUNCTION prospecting_audit_contributor_set() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.contributor_set_id IS NOT NULL AND NOT {SET_MATCHES} THEN
    RAISE EXCEPTION '{SET_MESSAGE}';
  END IF;
  RETURN NEW;
END
$$
"""
# 0005's guard on the legacy table, re-created by downgrade
PG_LEGACY_FUNCTION = """
CREATE OR REPLACE FUNCTION prospecting_ledger_contributor() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM graph_query_audit a JOIN graph_chain_heads h
                 ON h.chain = 'query_audit' AND h.seq = a.chain_seq WHERE a.id = NEW.audit_id) THEN
    RAISE EXCEPTION 'graph_query_audit_contributors: only the newest audit row takes contributors';
  END IF;
  RETURN NEW;
END
$$
"""
LEGACY_NEWEST_SQLITE = (
    "CREATE TRIGGER trg_graph_query_audit_contributors_newest BEFORE INSERT ON "
    "graph_query_audit_contributors WHEN NOT EXISTS (SELECT 1 FROM graph_query_audit a "
    "JOIN graph_chain_heads h ON h.chain = 'query_audit' AND h.seq = a.chain_seq "
    "WHERE a.id = NEW.audit_id) BEGIN SELECT RAISE(ABORT, "
    "'graph_query_audit_contributors: only the newest audit row takes contributors'); END"
)


def _postgres() -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")


def _append_only(table: str) -> None:
    """The 0002 guard: no UPDATE or DELETE (nor TRUNCATE on PostgreSQL), ever."""
    if _postgres():
        op.execute(
            f"CREATE TRIGGER trg_{table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION prospecting_append_only('never')"
        )
        op.execute(
            f"CREATE TRIGGER trg_{table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION prospecting_append_only('never')"
        )
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER trg_{table}_no_{verb.lower()} BEFORE {verb} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb} refused'); END"
        )


def _audit_updates(allowed: bool) -> None:
    """Lift (or restore) the audit table's UPDATE guard for the backfill in this migration."""
    if _postgres():
        verb = "DISABLE" if allowed else "ENABLE"
        op.execute(f"ALTER TABLE {AUDIT} {verb} TRIGGER trg_{AUDIT}_append_only")
    elif allowed:
        op.execute(f"DROP TRIGGER trg_{AUDIT}_no_update")
    else:
        op.execute(
            f"CREATE TRIGGER trg_{AUDIT}_no_update BEFORE UPDATE ON {AUDIT} "
            f"BEGIN SELECT RAISE(ABORT, '{AUDIT} is append-only: UPDATE refused'); END"
        )


def _tables() -> tuple[sa.TableClause, sa.TableClause, sa.TableClause, sa.TableClause]:
    audit = sa.table(
        AUDIT,
        sa.column("id", sa.String),
        sa.column("contributor_set_id", sa.String),
        sa.column("created_at", prospecting.db.UTCDateTime(timezone=True)),
    )
    sets = sa.table(
        SETS,
        sa.column("id", sa.String),
        sa.column("member_count", sa.Integer),
        sa.column("created_at", prospecting.db.UTCDateTime(timezone=True)),
    )
    members = sa.table(MEMBERS, sa.column("set_id", sa.String), sa.column("provider_id", sa.String))
    legacy = sa.table(
        LEGACY,
        sa.column("id", sa.String),
        sa.column("audit_id", sa.String),
        sa.column("provider_id"),
    )
    return audit, sets, members, legacy


def upgrade() -> None:
    op.create_table(
        SETS,
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("created_at", prospecting.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{SETS}")),
        sqlite_with_rowid=False,  # one B-tree, keyed by the hash
    )
    op.create_table(
        MEMBERS,
        sa.Column("set_id", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["set_id"], [f"{SETS}.id"], name=op.f(f"fk_{MEMBERS}_set_id_{SETS}")
        ),
        sa.PrimaryKeyConstraint("provider_id", "set_id", name=op.f(f"pk_{MEMBERS}")),
        sqlite_with_rowid=False,
    )
    op.add_column(AUDIT, sa.Column("contributor_set_id", sa.String(length=64), nullable=True))
    op.create_index(
        "ix_graph_query_audit_contributor_set", AUDIT, ["contributor_set_id", "created_at"]
    )

    audit, sets, members, legacy = _tables()
    bind = op.get_bind()
    by_audit: dict[str, list[str]] = {}
    for audit_id, provider_id in bind.execute(sa.select(legacy.c.audit_id, legacy.c.provider_id)):
        by_audit.setdefault(audit_id, []).append(provider_id)
    created = dict(bind.execute(sa.select(audit.c.id, audit.c.created_at)).all())
    seen: set[str] = set()
    _audit_updates(allowed=True)
    for audit_id in sorted(by_audit, key=lambda a: (created[a], a)):
        contributors = sorted(set(by_audit[audit_id]))
        set_id = ledger.contributor_set_id(contributors)
        if set_id not in seen:
            seen.add(set_id)
            bind.execute(
                sets.insert().values(
                    id=set_id, member_count=len(contributors), created_at=created[audit_id]
                )
            )
            bind.execute(
                members.insert(), [{"set_id": set_id, "provider_id": p} for p in contributors]
            )
        bind.execute(audit.update().where(audit.c.id == audit_id).values(contributor_set_id=set_id))
    _audit_updates(allowed=False)
    op.drop_table(LEGACY)  # its triggers go with it

    for table in NEW_TABLES:
        _append_only(table)
    if _postgres():
        op.execute("DROP FUNCTION IF EXISTS prospecting_ledger_contributor()")
        op.execute(PG_FUNCTIONS)
        op.execute(
            f"CREATE TRIGGER trg_{MEMBERS}_sealed BEFORE INSERT ON {MEMBERS} "
            "FOR EACH ROW EXECUTE FUNCTION prospecting_contributor_set_sealed()"
        )
        op.execute(
            f"CREATE TRIGGER trg_{AUDIT}_contributor_set BEFORE INSERT ON {AUDIT} "
            "FOR EACH ROW EXECUTE FUNCTION prospecting_audit_contributor_set()"
        )
        return
    op.execute(
        f"CREATE TRIGGER trg_{MEMBERS}_sealed BEFORE INSERT ON {MEMBERS} WHEN {SEALED} "
        f"BEGIN SELECT RAISE(ABORT, '{SEALED_MESSAGE}'); END"
    )
    op.execute(
        f"CREATE TRIGGER trg_{AUDIT}_contributor_set BEFORE INSERT ON {AUDIT} "
        f"WHEN NEW.contributor_set_id IS NOT NULL AND NOT {SET_MATCHES} "
        f"BEGIN SELECT RAISE(ABORT, '{SET_MESSAGE}'); END"
    )


def downgrade() -> None:
    postgres = _postgres()
    if postgres:
        op.execute(f"DROP TRIGGER IF EXISTS trg_{AUDIT}_contributor_set ON {AUDIT}")
        op.execute("DROP FUNCTION IF EXISTS prospecting_audit_contributor_set()")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS trg_{AUDIT}_contributor_set")
    op.create_table(  # as 0002 made it
        LEGACY,
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("audit_id", sa.String(length=32), nullable=False),
        sa.Column("provider_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_id"], [f"{AUDIT}.id"], name=op.f(f"fk_{LEGACY}_audit_id_{AUDIT}")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{LEGACY}")),
        sa.UniqueConstraint(
            "audit_id", "provider_id", name=op.f(f"uq_{LEGACY}_audit_id_provider_id")
        ),
    )
    op.create_index(f"ix_{LEGACY}_provider", LEGACY, ["provider_id"])

    audit, _sets, members, legacy = _tables()
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(audit.c.id, members.c.provider_id).join(
            members, members.c.set_id == audit.c.contributor_set_id
        )
    ).all()
    if rows:
        bind.execute(
            legacy.insert(),
            [
                {"id": prospecting.db.new_id(), "audit_id": audit_id, "provider_id": provider_id}
                for audit_id, provider_id in rows
            ],
        )
    _append_only(LEGACY)
    if postgres:
        op.execute(PG_LEGACY_FUNCTION)
        op.execute(
            f"CREATE TRIGGER trg_{LEGACY}_newest BEFORE INSERT ON {LEGACY} FOR EACH ROW "
            "EXECUTE FUNCTION prospecting_ledger_contributor()"
        )
    else:
        op.execute(LEGACY_NEWEST_SQLITE)

    op.drop_index("ix_graph_query_audit_contributor_set", table_name=AUDIT)
    if postgres:
        op.execute(f"DROP TRIGGER IF EXISTS trg_{MEMBERS}_sealed ON {MEMBERS}")
        op.execute("DROP FUNCTION IF EXISTS prospecting_contributor_set_sealed()")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS trg_{MEMBERS}_sealed")
    op.drop_table(MEMBERS)
    op.drop_table(SETS)
    op.execute(f"ALTER TABLE {AUDIT} DROP COLUMN contributor_set_id")
