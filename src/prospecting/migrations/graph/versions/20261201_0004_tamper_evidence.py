"""tamper evidence: guards on budgets, blocked digests and opt-outs

SQLite needs `PRAGMA recursive_triggers=ON` (set in `prospecting.db`) so that `REPLACE INTO`
fires the DELETE guards installed by 0002. Here: a subject's spent budget may only grow (a
budget row goes only with its subject's erasure), blocked digests are never updated nor
deleted, and an opt-out is never deleted nor moved to another subject.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 14:30:00

"""

from typing import Sequence, Union

from alembic import op

revision: str = "0004"
down_revision: Union[str, None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

GUARDED = ("subject_privacy_budgets", "graph_blocked_digests", "subject_opt_outs")

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION prospecting_history_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_LEVEL = 'ROW' THEN
    IF TG_TABLE_NAME = 'subject_privacy_budgets' THEN
      IF TG_OP = 'UPDATE' AND NEW.spent_units >= OLD.spent_units
         AND NEW.subject_key = OLD.subject_key THEN
        RETURN NEW;
      END IF;
      IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM subject_opt_outs o WHERE o.subject_key = OLD.subject_key
             OR o.subject_key IN (SELECT k.merged_into FROM prospect_subject_keys k
                                  WHERE k.subject_key = OLD.subject_key)
             OR o.subject_key IN (SELECT k.subject_key FROM prospect_subject_keys k
                                  WHERE k.merged_into = OLD.subject_key)) THEN
        RETURN OLD;
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

SQLITE_TRIGGERS = (
    (
        "trg_subject_privacy_budgets_spent_grows",
        "BEFORE UPDATE ON subject_privacy_budgets "
        "WHEN NEW.spent_units < OLD.spent_units OR NEW.subject_key IS NOT OLD.subject_key",
        "subject_privacy_budgets: spent may only grow",
    ),
    (
        "trg_subject_privacy_budgets_no_delete",
        "BEFORE DELETE ON subject_privacy_budgets WHEN NOT EXISTS (SELECT 1 FROM "
        "subject_opt_outs o WHERE o.subject_key = OLD.subject_key OR o.subject_key IN "
        "(SELECT k.merged_into FROM prospect_subject_keys k WHERE k.subject_key = OLD.subject_key) "
        "OR o.subject_key IN (SELECT k.subject_key FROM prospect_subject_keys k "
        "WHERE k.merged_into = OLD.subject_key))",
        "subject_privacy_budgets: DELETE refused",
    ),
    (
        "trg_graph_blocked_digests_no_update",
        "BEFORE UPDATE ON graph_blocked_digests",
        "graph_blocked_digests is append-only: UPDATE refused",
    ),
    (
        "trg_graph_blocked_digests_no_delete",
        "BEFORE DELETE ON graph_blocked_digests",
        "graph_blocked_digests is append-only: DELETE refused",
    ),
    (
        "trg_subject_opt_outs_no_move",
        "BEFORE UPDATE ON subject_opt_outs "
        "WHEN NEW.id IS NOT OLD.id OR NEW.subject_key IS NOT OLD.subject_key",
        "subject_opt_outs: UPDATE of id or subject refused",
    ),
    (
        "trg_subject_opt_outs_no_delete",
        "BEFORE DELETE ON subject_opt_outs",
        "subject_opt_outs is append-only: DELETE refused",
    ),
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for table in GUARDED:
            op.execute(
                f"CREATE TRIGGER trg_{table}_history_guard BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION prospecting_history_guard()"
            )
            op.execute(
                f"CREATE TRIGGER trg_{table}_history_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION prospecting_history_guard()"
            )
        return
    for name, when, message in SQLITE_TRIGGERS:
        op.execute(f"CREATE TRIGGER {name} {when} BEGIN SELECT RAISE(ABORT, '{message}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in GUARDED:
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_history_guard ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_history_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS prospecting_history_guard()")
        return
    for name, _when, _message in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
