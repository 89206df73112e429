"""The query audit: every cross-provider read, readable by its consumer and its contributors.

A contributor sees that an answer used their rows (subject, time, state) but not who asked:
naming the consumer would tell one provider that another is in contact with the same person.
Every row is hash-chained (`graph.ledger`), its contributors included; an erasure appends an
`erasure` row (opt-out id and counts removed) instead of rewriting any.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, insert, select, text
from sqlalchemy.orm import Session

from prospecting.db import core, new_id, utcnow
from prospecting.graph import ledger
from prospecting.graph.models import QueryAudit, QueryAuditContributor
from prospecting.graph.schemas import AuditEntry
from prospecting.runtime import Context

MAX_ENTRIES = 200
AUDIT: Table = QueryAudit.__table__  # type: ignore[assignment]
CONTRIBUTORS: Table = QueryAuditContributor.__table__  # type: ignore[assignment]
_AUDIT_KEYS = tuple(column.key for column in AUDIT.columns)
_INSERT_AUDIT = insert(AUDIT)
_INSERT_CONTRIBUTOR = insert(CONTRIBUTORS)
_INSERT_CONTRIBUTORS_PG = text(
    "INSERT INTO graph_query_audit_contributors (id, audit_id, provider_id) "
    "SELECT i, :audit, p FROM unnest(CAST(:ids AS varchar[]), CAST(:pids AS varchar[])) "
    "AS t(i, p)"
)


def record(
    graph: Session,
    *,
    consumer_id: str,
    subject_key: str | None,
    kind: str,
    scope: dict[str, Any],
    result_state: str,
    contributor_ids: Iterable[str] = (),
) -> QueryAudit:
    """Append one chained audit row (in the caller's graph transaction, with the answer).

    Three statements whatever the number of contributors: the chain head (locked), the audit
    row, and every contributor row in one executemany, all through Core (no unit of work).
    The returned row is not attached to the session; it carries what was written."""
    contributors = sorted(set(contributor_ids))
    row = QueryAudit(
        id=new_id(),
        consumer_id=consumer_id,
        subject_key=subject_key,
        kind=kind,
        scope=scope,
        result_state=result_state,
        contributor_count=len(contributors),
        created_at=utcnow(),
    )
    ledger.stamp(graph, ledger.QUERY_AUDIT, row, ledger.audit_content(row, contributors))
    conn = core(graph)
    conn.execute(_INSERT_AUDIT, {key: getattr(row, key) for key in _AUDIT_KEYS})
    if not contributors:
        return row
    ids = [new_id() for _ in contributors]
    if conn.dialect.name == "postgresql":  # one statement, two arrays: no row-by-row round trips
        conn.execute(_INSERT_CONTRIBUTORS_PG, {"ids": ids, "audit": row.id, "pids": contributors})
    else:  # SQLite runs an executemany in-process, one prepared statement
        conn.execute(
            _INSERT_CONTRIBUTOR,
            [
                {"id": i, "audit_id": row.id, "provider_id": p}
                for i, p in zip(ids, contributors, strict=True)
            ],
        )
    return row


def verify(graph: Session) -> ledger.Verification:
    """Recompute both hash chains (query audit with its contributors, consent history) in one
    snapshot; the answer names every row that does not match."""
    if graph.get_bind().dialect.name == "postgresql":
        graph.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
    return ledger.verify(graph)


def entries(ctx: Context, *, limit: int = 50) -> list[AuditEntry]:
    """Audit rows about the caller: as consumer, and as a contributor to someone's answer."""
    limit = max(1, min(limit, MAX_ENTRIES))
    mine = ctx.graph.scalars(
        select(QueryAudit)
        .where(QueryAudit.consumer_id == ctx.actor.id)
        .order_by(QueryAudit.created_at.desc())
        .limit(limit)
    )
    used = ctx.graph.scalars(
        select(QueryAudit)
        .join(QueryAuditContributor, QueryAuditContributor.audit_id == QueryAudit.id)
        .where(QueryAuditContributor.provider_id == ctx.actor.id)
        .order_by(QueryAudit.created_at.desc())
        .limit(limit)
    )
    out = [_entry(r, "consumer") for r in mine] + [_entry(r, "contributor") for r in used]
    out.sort(key=lambda e: (e.created_at, e.id), reverse=True)
    return out[:limit]


def _entry(row: QueryAudit, role: str) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        role=role,  # type: ignore[arg-type]
        kind=row.kind,
        subject_key=row.subject_key,
        result_state=row.result_state,
        contributor_count=row.contributor_count,
        scope=dict(row.scope),
        created_at=row.created_at,
    )
