"""The query audit: every cross-provider read, readable by its consumer and its contributors.

A contributor sees that an answer used their rows (subject, time, state) but not who asked:
naming the consumer would tell one provider that another is in contact with the same person.
Every row is hash-chained (`graph.ledger`), its contributors included; an erasure appends an
`erasure` row (opt-out id and counts removed) instead of rewriting any.

The contributors behind an answer are a content-addressed `ContributorSet`, written the first
time that exact set of providers feeds an answer and named by every later one: a subject's
contributors rarely change between two reads, so an audited read writes one row however many
providers contributed (a busy subject's 250 contributors used to cost 250 rows per read).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, insert, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from prospecting.db import core, ordered_id, utcnow
from prospecting.graph import ledger
from prospecting.graph.models import (
    ContributorSet,
    ContributorSetMember,
    QueryAudit,
)
from prospecting.graph.schemas import AuditEntry
from prospecting.runtime import Context

MAX_ENTRIES = 200
AUDIT: Table = QueryAudit.__table__  # type: ignore[assignment]
SETS: Table = ContributorSet.__table__  # type: ignore[assignment]
MEMBERS: Table = ContributorSetMember.__table__  # type: ignore[assignment]
_AUDIT_KEYS = tuple(column.key for column in AUDIT.columns)
_INSERT_AUDIT = insert(AUDIT)
_INSERT_MEMBERS = insert(MEMBERS)
# PostgreSQL: the set and its members in one statement (the members only if the set is new)
_STORE_SET_PG = text(
    "WITH new_set AS (INSERT INTO graph_contributor_sets (id, member_count, created_at) "
    "VALUES (:id, :member_count, :created_at) ON CONFLICT (id) DO NOTHING RETURNING id) "
    "INSERT INTO graph_contributor_set_members (set_id, provider_id) "
    "SELECT new_set.id, p FROM new_set, unnest(CAST(:pids AS varchar[])) AS t(p)"
)
# SQLite: the set's row, unless that set is stored already (then nothing is returned)
_INSERT_SET = sqlite.insert(SETS).on_conflict_do_nothing(index_elements=["id"]).returning(SETS.c.id)


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

    Three statements, all through Core: the chain head (locked), the contributor set (a no-op
    when an earlier answer stored it; on PostgreSQL its members go in the same statement, on
    SQLite in one executemany more the first time the set is seen), the audit row. The head is
    locked first, so writers that meet the same new set take turns. The returned row is not
    attached to the session; it carries what was written."""
    contributors = sorted(set(contributor_ids))
    now = utcnow()
    row = QueryAudit(
        id=ordered_id(),  # the primary key's index grows at its right edge
        consumer_id=consumer_id,
        subject_key=subject_key,
        kind=kind,
        scope=scope,
        result_state=result_state,
        contributor_count=len(contributors),
        contributor_set_id=ledger.contributor_set_id(contributors) if contributors else None,
        created_at=now,
    )
    ledger.stamp(graph, ledger.QUERY_AUDIT, row, ledger.audit_content(row, contributors))
    conn = core(graph)
    if row.contributor_set_id is not None:
        _store_set(conn, row.contributor_set_id, contributors, now)
    conn.execute(_INSERT_AUDIT, {key: getattr(row, key) for key in _AUDIT_KEYS})
    return row


def _store_set(conn: Connection, set_id: str, contributors: list[str], now: datetime) -> None:
    """The set's row and its members, unless an earlier answer stored that set already: one
    statement on PostgreSQL (one round trip, the members as one array); on SQLite the set's
    insert, then, if it was new, one executemany."""
    params = {"id": set_id, "member_count": len(contributors), "created_at": now}
    if conn.dialect.name == "postgresql":
        conn.execute(_STORE_SET_PG, params | {"pids": contributors})
    elif conn.execute(_INSERT_SET, params).first() is not None:
        conn.execute(_INSERT_MEMBERS, [{"set_id": set_id, "provider_id": p} for p in contributors])


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
        .join(
            ContributorSetMember,
            ContributorSetMember.set_id == QueryAudit.contributor_set_id,
        )
        .where(ContributorSetMember.provider_id == ctx.actor.id)
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
