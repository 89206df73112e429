"""audit hash chain and single-use erasure grants

Hash chain (`prospecting.graph.ledger`): `graph_query_audit` and `provider_graph_consent_events`
gain `chain_seq`, `prev_hash` and `row_hash`; `graph_chain_heads` holds each chain's newest
(seq, hash). Existing rows are chained here in created_at, id order. From now on an insert must
continue its chain's head (trigger), which the insert then advances; the head never moves
otherwise, and audit contributors may be added only to the newest audit row.

Erasure grants: a guarded DELETE (contributions, supersessions, contact days, budgets) used to be
allowed whenever an opt-out row existed for the subject, so inserting a fake opt-out unlocked it.
Now it needs an *open* `graph_erasure_grants` row covering the subject or the row; a grant is
inserted open, may only be consumed (once), is never deleted, and on PostgreSQL a deferred
constraint trigger refuses a commit that leaves one open. `prospect_links` are never deleted,
never re-keyed, and their chain is emptied only under an open grant.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 04:10:00

"""

from typing import Any, Sequence, Union

import sqlalchemy as sa
from alembic import op

import prospecting.db
from prospecting.graph import ledger

revision: str = "0005"
down_revision: Union[str, None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CHAINED = {ledger.QUERY_AUDIT: "graph_query_audit", ledger.CONSENT: "provider_graph_consent_events"}
ERASABLE = (
    "prospect_subject_aggregates",
    "prospect_subject_supersessions",
    "prospect_subject_contacts",
    "subject_privacy_budgets",
)
APPEND_ONLY = ("prospect_subject_aggregates", "prospect_subject_supersessions")
GUARDED = (
    "prospect_subject_contacts",
    "prospect_links",
    "graph_erasure_grants",
    "graph_chain_heads",
)


def _open_grant(key: str, row: str) -> str:
    return (
        "EXISTS (SELECT 1 FROM graph_erasure_grants g WHERE g.consumed_at IS NULL "  # noqa: S608
        f"AND (g.subject_key = {key} OR g.row_id = {row}))"
    )


def _head_row_exists(chain_column: str, seq: str, hash_: str) -> str:
    return " OR ".join(
        f"({chain_column} = '{chain}' AND EXISTS (SELECT 1 FROM {table} r "  # noqa: S608
        f"WHERE r.chain_seq = {seq} AND r.row_hash = {hash_}))"
        for chain, table in CHAINED.items()
    )


# --- PostgreSQL -------------------------------------------------------------------------------

PG_APPEND_ONLY = f"""
CREATE OR REPLACE FUNCTION prospecting_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND TG_ARGV[0] = 'erasable' THEN
    IF {_open_grant("OLD.subject_key", "OLD.id")} THEN
      RETURN OLD;
    END IF;
  END IF;
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END
$$
"""

PG_HISTORY_GUARD = f"""
CREATE OR REPLACE FUNCTION prospecting_history_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_LEVEL = 'ROW' THEN
    IF TG_TABLE_NAME = 'subject_privacy_budgets' THEN
      IF TG_OP = 'UPDATE' AND NEW.spent_units >= OLD.spent_units
         AND NEW.subject_key = OLD.subject_key THEN
        RETURN NEW;
      END IF;
      IF TG_OP = 'DELETE' THEN
        IF {_open_grant("OLD.subject_key", "OLD.subject_key")} THEN
          RETURN OLD;
        END IF;
      END IF;
    ELSIF TG_TABLE_NAME = 'subject_opt_outs' THEN
      IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.subject_key = OLD.subject_key THEN
        RETURN NEW;
      END IF;
    END IF;
  END IF;
  RAISE EXCEPTION '% is guarded history: % refused', TG_TABLE_NAME, TG_OP;
END
$$
"""

PG_TAMPER_GUARD = f"""
CREATE OR REPLACE FUNCTION prospecting_tamper_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_LEVEL = 'ROW' THEN
    IF TG_TABLE_NAME = 'prospect_subject_contacts' THEN
      IF TG_OP = 'UPDATE' THEN
        RETURN NEW;
      END IF;
      IF TG_OP = 'DELETE' THEN
        IF {_open_grant("OLD.subject_key", "OLD.id")} THEN
          RETURN OLD;
        END IF;
      END IF;
    ELSIF TG_TABLE_NAME = 'prospect_links' THEN
      IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.provider_id = OLD.provider_id
         AND NEW.prospect_id = OLD.prospect_id THEN
        IF NEW.chain::text <> '[]' OR OLD.chain::text = '[]' THEN
          RETURN NEW;
        END IF;
        IF {_open_grant("OLD.subject_key", "OLD.id")} THEN
          RETURN NEW;
        END IF;
      END IF;
    ELSIF TG_TABLE_NAME = 'graph_erasure_grants' THEN
      IF TG_OP = 'INSERT' AND NEW.consumed_at IS NULL THEN
        RETURN NEW;
      END IF;
      IF TG_OP = 'UPDATE' AND OLD.consumed_at IS NULL AND NEW.consumed_at IS NOT NULL
         AND NEW.id = OLD.id AND NEW.opt_out_id = OLD.opt_out_id
         AND NEW.row_id IS NOT DISTINCT FROM OLD.row_id
         AND NEW.subject_key IS NOT DISTINCT FROM OLD.subject_key THEN
        RETURN NEW;
      END IF;
    ELSIF TG_TABLE_NAME = 'graph_chain_heads' THEN
      IF TG_OP = 'UPDATE' AND NEW.chain = OLD.chain AND NEW.seq = OLD.seq + 1
         AND ({_head_row_exists("NEW.chain", "NEW.seq", "NEW.head_hash")}) THEN
        RETURN NEW;
      END IF;
    END IF;
  END IF;
  RAISE EXCEPTION '% is guarded: % refused', TG_TABLE_NAME, TG_OP;
END
$$
"""

PG_GRANT_CONSUMED = """
CREATE OR REPLACE FUNCTION prospecting_grant_consumed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM graph_erasure_grants g WHERE g.id = NEW.id AND g.consumed_at IS NULL)
  THEN
    RAISE EXCEPTION 'graph_erasure_grants: grant % left open at commit', NEW.id;
  END IF;
  RETURN NULL;
END
$$
"""

PG_LEDGER = """
CREATE OR REPLACE FUNCTION prospecting_ledger_link() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  head graph_chain_heads%ROWTYPE;
BEGIN
  SELECT * INTO head FROM graph_chain_heads WHERE chain = TG_ARGV[0] FOR UPDATE;
  IF NEW.chain_seq IS DISTINCT FROM head.seq + 1 OR NEW.prev_hash IS DISTINCT FROM head.head_hash
     OR NEW.row_hash IS NULL THEN
    RAISE EXCEPTION '% must continue its hash chain (graph.ledger): INSERT refused', TG_TABLE_NAME;
  END IF;
  RETURN NEW;
END
$$;
CREATE OR REPLACE FUNCTION prospecting_ledger_advance() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE graph_chain_heads SET seq = NEW.chain_seq, head_hash = NEW.row_hash
  WHERE chain = TG_ARGV[0];
  RETURN NULL;
END
$$;
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

PG_FUNCTIONS = (
    "prospecting_tamper_guard()",
    "prospecting_grant_consumed()",
    "prospecting_ledger_link()",
    "prospecting_ledger_advance()",
    "prospecting_ledger_contributor()",
)


def _pg_triggers() -> list[tuple[str, str, str]]:
    """(name, table, definition after the table) of every trigger this revision adds."""
    out: list[tuple[str, str, str]] = []
    for table in GUARDED:
        # contact days and links are written freely; grants and heads are guarded from birth
        ops = (
            "UPDATE OR DELETE"
            if table in (*ERASABLE, "prospect_links")
            else "INSERT OR UPDATE OR DELETE"
        )
        out.append(
            (
                f"trg_{table}_tamper_guard",
                table,
                f"BEFORE {ops} ON {table} FOR EACH ROW EXECUTE FUNCTION prospecting_tamper_guard()",
            )
        )
        out.append(
            (
                f"trg_{table}_tamper_no_truncate",
                table,
                f"BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION prospecting_append_only('never')",
            )
        )
    for chain, table in CHAINED.items():
        out.append(
            (
                f"trg_{table}_chain_link",
                table,
                f"BEFORE INSERT ON {table} FOR EACH ROW "
                f"EXECUTE FUNCTION prospecting_ledger_link('{chain}')",
            )
        )
        out.append(
            (
                f"trg_{table}_chain_advance",
                table,
                f"AFTER INSERT ON {table} FOR EACH ROW "
                f"EXECUTE FUNCTION prospecting_ledger_advance('{chain}')",
            )
        )
    out.append(
        (
            "trg_graph_query_audit_contributors_newest",
            "graph_query_audit_contributors",
            "BEFORE INSERT ON graph_query_audit_contributors FOR EACH ROW "
            "EXECUTE FUNCTION prospecting_ledger_contributor()",
        )
    )
    return out


# --- SQLite -----------------------------------------------------------------------------------


def _sqlite_triggers() -> list[tuple[str, str, str]]:
    """(name, everything between the name and BEGIN, the abort message) of every trigger."""
    out: list[tuple[str, str, str]] = []
    for table in ERASABLE:
        pk = "subject_key" if table == "subject_privacy_budgets" else "id"
        out.append(
            (
                f"trg_{table}_erasure_only",
                f"BEFORE DELETE ON {table} WHEN NOT {_open_grant('OLD.subject_key', f'OLD.{pk}')}",
                f"{table} is {'append-only' if table in APPEND_ONLY else 'guarded'}: "
                "DELETE refused outside an open erasure grant",
            )
        )
    out += [
        (
            "trg_prospect_links_no_delete",
            "BEFORE DELETE ON prospect_links",
            "prospect_links: DELETE refused",
        ),
        (
            "trg_prospect_links_guard",
            "BEFORE UPDATE ON prospect_links WHEN NEW.id IS NOT OLD.id "
            "OR NEW.provider_id IS NOT OLD.provider_id OR NEW.prospect_id IS NOT OLD.prospect_id "
            "OR (NEW.chain = '[]' AND OLD.chain <> '[]' AND NOT "
            f"{_open_grant('OLD.subject_key', 'OLD.id')})",
            "prospect_links: UPDATE refused",
        ),
        (
            "trg_graph_erasure_grants_open_only",
            "BEFORE INSERT ON graph_erasure_grants WHEN NEW.consumed_at IS NOT NULL",
            "graph_erasure_grants: a grant is inserted open",
        ),
        (
            "trg_graph_erasure_grants_consume_once",
            "BEFORE UPDATE ON graph_erasure_grants WHEN OLD.consumed_at IS NOT NULL "
            "OR NEW.consumed_at IS NULL OR NEW.id IS NOT OLD.id "
            "OR NEW.opt_out_id IS NOT OLD.opt_out_id OR NEW.row_id IS NOT OLD.row_id "
            "OR NEW.subject_key IS NOT OLD.subject_key",
            "graph_erasure_grants: a grant is only consumed, once",
        ),
        (
            "trg_graph_erasure_grants_no_delete",
            "BEFORE DELETE ON graph_erasure_grants",
            "graph_erasure_grants: DELETE refused",
        ),
        (
            "trg_graph_chain_heads_no_insert",
            "BEFORE INSERT ON graph_chain_heads",
            "graph_chain_heads: INSERT refused",
        ),
        (
            "trg_graph_chain_heads_no_delete",
            "BEFORE DELETE ON graph_chain_heads",
            "graph_chain_heads: DELETE refused",
        ),
        (
            "trg_graph_chain_heads_forward",
            "BEFORE UPDATE ON graph_chain_heads WHEN NEW.chain IS NOT OLD.chain "
            "OR NEW.seq IS NOT OLD.seq + 1 "
            f"OR NOT ({_head_row_exists('NEW.chain', 'NEW.seq', 'NEW.head_hash')})",
            "graph_chain_heads: the head only follows the newest row",
        ),
        (
            "trg_graph_query_audit_contributors_newest",
            "BEFORE INSERT ON graph_query_audit_contributors WHEN NOT EXISTS (SELECT 1 FROM "
            "graph_query_audit a JOIN graph_chain_heads h ON h.chain = 'query_audit' "
            "AND h.seq = a.chain_seq WHERE a.id = NEW.audit_id)",
            "graph_query_audit_contributors: only the newest audit row takes contributors",
        ),
    ]
    for chain, table in CHAINED.items():
        head = f"(SELECT {{}} FROM graph_chain_heads WHERE chain = '{chain}')"  # noqa: S608
        out.append(
            (
                f"trg_{table}_chain_link",
                f"BEFORE INSERT ON {table} WHEN NEW.chain_seq IS NOT {head.format('seq + 1')} "
                f"OR NEW.prev_hash IS NOT {head.format('head_hash')} OR NEW.row_hash IS NULL",
                f"{table} must continue its hash chain (graph.ledger): INSERT refused",
            )
        )
    return out


SQLITE_ADVANCE = (
    "CREATE TRIGGER trg_{table}_chain_advance AFTER INSERT ON {table} BEGIN "
    "UPDATE graph_chain_heads SET seq = NEW.chain_seq, head_hash = NEW.row_hash "
    "WHERE chain = '{chain}'; END"
)
# the triggers of 0002/0004 this revision replaces (re-created by downgrade)
SQLITE_REPLACED = {
    "trg_prospect_subject_aggregates_no_delete": (
        "BEFORE DELETE ON prospect_subject_aggregates WHEN NOT EXISTS (SELECT 1 FROM "
        "subject_opt_outs o WHERE o.subject_key = OLD.subject_key) AND NOT EXISTS (SELECT 1 FROM "
        "graph_erasure_grants g WHERE g.row_id = OLD.id)",
        "prospect_subject_aggregates is append-only: DELETE refused",
    ),
    "trg_prospect_subject_supersessions_no_delete": (
        "BEFORE DELETE ON prospect_subject_supersessions WHEN NOT EXISTS (SELECT 1 FROM "
        "subject_opt_outs o WHERE o.subject_key = OLD.subject_key) AND NOT EXISTS (SELECT 1 FROM "
        "graph_erasure_grants g WHERE g.row_id = OLD.id)",
        "prospect_subject_supersessions is append-only: DELETE refused",
    ),
    "trg_subject_privacy_budgets_no_delete": (
        "BEFORE DELETE ON subject_privacy_budgets WHEN NOT EXISTS (SELECT 1 FROM "
        "subject_opt_outs o WHERE o.subject_key = OLD.subject_key OR o.subject_key IN "
        "(SELECT k.merged_into FROM prospect_subject_keys k WHERE k.subject_key = OLD.subject_key) "
        "OR o.subject_key IN (SELECT k.subject_key FROM prospect_subject_keys k "
        "WHERE k.merged_into = OLD.subject_key))",
        "subject_privacy_budgets: DELETE refused",
    ),
}


def _sqlite_create(name: str, when: str, message: str) -> None:
    op.execute(f"CREATE TRIGGER {name} {when} BEGIN SELECT RAISE(ABORT, '{message}'); END")


# --- backfill ---------------------------------------------------------------------------------


def _backfill() -> None:
    """Chain the rows already there, in created_at, id order, and seed both heads."""
    bind = op.get_bind()
    when = prospecting.db.UTCDateTime(timezone=True)
    audit = sa.table(
        "graph_query_audit",
        *(sa.column(c, sa.String) for c in ("id", "consumer_id", "subject_key", "kind")),
        sa.column("scope", sa.JSON),
        sa.column("result_state", sa.String),
        sa.column("contributor_count", sa.Integer),
        sa.column("created_at", when),
        sa.column("chain_seq", sa.BigInteger),
        sa.column("prev_hash", sa.String),
        sa.column("row_hash", sa.String),
    )
    contributors = sa.table(
        "graph_query_audit_contributors",
        sa.column("audit_id", sa.String),
        sa.column("provider_id", sa.String),
    )
    events = sa.table(
        "provider_graph_consent_events",
        *(
            sa.column(c, sa.String)
            for c in (
                "id",
                "provider_id",
                "org_id",
                "actor_id",
                "channel",
                "action",
                "target",
            )
        ),
        sa.column("before", sa.JSON),
        sa.column("after", sa.JSON),
        sa.column("created_at", when),
        sa.column("chain_seq", sa.BigInteger),
        sa.column("prev_hash", sa.String),
        sa.column("row_hash", sa.String),
    )
    heads = sa.table(
        "graph_chain_heads",
        sa.column("chain", sa.String),
        sa.column("seq", sa.BigInteger),
        sa.column("head_hash", sa.String),
    )
    by_audit: dict[str, list[str]] = {}
    for audit_id, provider_id in bind.execute(
        sa.select(contributors.c.audit_id, contributors.c.provider_id)
    ):
        by_audit.setdefault(audit_id, []).append(provider_id)

    def chain(table: Any, content: Any) -> tuple[int, str]:
        seq, prev = 0, ledger.GENESIS
        rows = bind.execute(sa.select(table).order_by(table.c.created_at, table.c.id)).all()
        for row in rows:
            seq += 1
            digest = ledger.row_hash(seq, prev, content(row))
            bind.execute(
                table.update()
                .where(table.c.id == row.id)
                .values(chain_seq=seq, prev_hash=prev, row_hash=digest)
            )
            prev = digest
        return seq, prev

    audit_head = chain(audit, lambda r: ledger.audit_content(r, by_audit.get(r.id, [])))
    consent_head = chain(events, ledger.consent_content)
    for name, (seq, digest) in ((ledger.QUERY_AUDIT, audit_head), (ledger.CONSENT, consent_head)):
        bind.execute(heads.insert().values(chain=name, seq=seq, head_hash=digest))


# --- upgrade / downgrade ----------------------------------------------------------------------


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if not postgres:  # they name graph_erasure_grants, which the batch below rebuilds
        for name in SQLITE_REPLACED:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.create_table(
        "graph_chain_heads",
        sa.Column("chain", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_graph_chain_heads")),
    )
    for table in CHAINED.values():
        op.add_column(table, sa.Column("chain_seq", sa.BigInteger(), nullable=True))
        op.add_column(table, sa.Column("prev_hash", sa.String(length=64), nullable=True))
        op.add_column(table, sa.Column("row_hash", sa.String(length=64), nullable=True))
        op.create_index(f"uq_{table}_chain_seq", table, ["chain_seq"], unique=True)
    with op.batch_alter_table("graph_erasure_grants") as batch:
        batch.alter_column("row_id", existing_type=sa.String(length=32), nullable=True)
        batch.add_column(sa.Column("subject_key", sa.String(length=32), nullable=True))
        batch.add_column(
            sa.Column("consumed_at", prospecting.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.create_index(batch.f("ix_graph_erasure_grants_subject_key"), ["subject_key"])
    op.execute("UPDATE graph_erasure_grants SET consumed_at = CURRENT_TIMESTAMP")

    if postgres:
        for table in CHAINED.values():
            op.execute(f"ALTER TABLE {table} DISABLE TRIGGER trg_{table}_append_only")
        _backfill()
        for table in CHAINED.values():
            op.execute(f"ALTER TABLE {table} ENABLE TRIGGER trg_{table}_append_only")
        for sql in (
            PG_APPEND_ONLY,
            PG_HISTORY_GUARD,
            PG_TAMPER_GUARD,
            PG_GRANT_CONSUMED,
            PG_LEDGER,
        ):
            op.execute(sql)
        for name, _table, definition in _pg_triggers():
            op.execute(f"CREATE TRIGGER {name} {definition}")
        op.execute(
            "CREATE CONSTRAINT TRIGGER trg_graph_erasure_grants_consumed AFTER INSERT ON "
            "graph_erasure_grants DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            "EXECUTE FUNCTION prospecting_grant_consumed()"
        )
        return
    for table in CHAINED.values():
        op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_no_update")
    _backfill()
    for table in CHAINED.values():
        op.execute(
            f"CREATE TRIGGER trg_{table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END"
        )
    for name, when, message in _sqlite_triggers():
        _sqlite_create(name, when, message)
    for chain, table in CHAINED.items():
        op.execute(SQLITE_ADVANCE.format(table=table, chain=chain))


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute(
            "DROP TRIGGER IF EXISTS trg_graph_erasure_grants_consumed ON graph_erasure_grants"
        )
        for name, table, _definition in _pg_triggers():
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for function in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {function}")
        # 0002 and 0004 functions: the opt-out row again unlocks erasure (their original rule)
        op.execute(
            PG_APPEND_ONLY.replace(
                _open_grant("OLD.subject_key", "OLD.id"),
                "coalesce(nullif(current_setting('prospecting.erasure', true), ''), 'off') = 'on' "
                "AND (EXISTS (SELECT 1 FROM subject_opt_outs o WHERE o.subject_key = "
                "OLD.subject_key) OR EXISTS (SELECT 1 FROM graph_erasure_grants g "
                "WHERE g.row_id = OLD.id))",
            )
        )
        op.execute(
            PG_HISTORY_GUARD.replace(
                _open_grant("OLD.subject_key", "OLD.subject_key"),
                "EXISTS (SELECT 1 FROM subject_opt_outs o WHERE o.subject_key = OLD.subject_key "
                "OR o.subject_key IN (SELECT k.merged_into FROM prospect_subject_keys k "
                "WHERE k.subject_key = OLD.subject_key) "
                "OR o.subject_key IN (SELECT k.subject_key FROM prospect_subject_keys k "
                "WHERE k.merged_into = OLD.subject_key))",
            )
        )
    else:
        for name, _when, _message in _sqlite_triggers():
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        for table in CHAINED.values():
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_chain_advance")
    op.execute("UPDATE graph_erasure_grants SET row_id = '' WHERE row_id IS NULL")
    with op.batch_alter_table("graph_erasure_grants") as batch:
        batch.drop_index(batch.f("ix_graph_erasure_grants_subject_key"))
        batch.drop_column("consumed_at")
        batch.drop_column("subject_key")
        batch.alter_column("row_id", existing_type=sa.String(length=32), nullable=False)
    if not postgres:
        for name, (when, message) in SQLITE_REPLACED.items():
            _sqlite_create(name, when, message)
    for table in CHAINED.values():
        op.drop_index(f"uq_{table}_chain_seq", table_name=table)
        for column in ("row_hash", "prev_hash", "chain_seq"):
            op.drop_column(table, column)  # ALTER TABLE DROP COLUMN: the table's triggers stay
    op.drop_table("graph_chain_heads")
