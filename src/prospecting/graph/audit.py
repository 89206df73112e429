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

from sqlalchemy import Connection, Table, bindparam, insert, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.orm import Session

from prospecting.db import core, ordered_id, utcnow
from prospecting.graph import ledger
from prospecting.graph.models import (
    ChainHead,
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
_INSERT_MEMBERS = insert(MEMBERS)
_PG = PGDialect_psycopg()  # type: ignore[no-untyped-call]
# typed without a length: an explicit cast to VARCHAR(n) would truncate where an insert refuses
_PG_VALUES = ", ".join(
    f"CAST(:{c.key} AS {c.type.compile(dialect=_PG).split('(')[0]})" for c in AUDIT.columns
)
_PG_COLUMNS = ", ".join(_AUDIT_KEYS)
_TYPED = (
    bindparam("scope", type_=AUDIT.c.scope.type),
    bindparam("created_at", type_=AUDIT.c.created_at.type),
)
# PostgreSQL, one statement: lock the chain head, and only if it is still where the row was
# linked to, insert the contributor set (its members too if it is new) and the audit row. The
# head comes first (`ok` reads it), then the set, then its members (the audit row's filter needs
# their count), then the audit row, which the "sealed" trigger wants last. Nothing is inserted
# when the head moved (the lock is held all the same): the statement returns the head it locked
# with the number of rows written, so the caller links again to it and repeats.
_HEAD = (
    "head AS (SELECT seq, head_hash FROM graph_chain_heads WHERE chain = CAST(:chain AS varchar) "
    "FOR UPDATE), ok AS (SELECT 1 AS go FROM head WHERE head.seq + 1 = CAST(:chain_seq AS bigint) "
    "AND head.head_hash = CAST(:prev_hash AS varchar))"
)
_WRITTEN = "SELECT head.seq, head.head_hash, (SELECT count(*) FROM written) FROM head"
_RECORD_PG = text(
    f"WITH {_HEAD}, written AS (INSERT INTO graph_query_audit ({_PG_COLUMNS}) "  # noqa: S608
    f"SELECT {_PG_VALUES} FROM ok RETURNING id) {_WRITTEN}"
).bindparams(*_TYPED)
_RECORD_WITH_SET_PG = text(
    f"WITH {_HEAD}, new_set AS (INSERT INTO graph_contributor_sets (id, member_count, "  # noqa: S608
    "created_at) SELECT CAST(:contributor_set_id AS varchar), CAST(:contributor_count AS integer), "
    "CAST(:created_at AS timestamptz) FROM ok ON CONFLICT (id) DO NOTHING RETURNING id), "
    "members AS (INSERT INTO graph_contributor_set_members (set_id, provider_id) "
    "SELECT new_set.id, t.p FROM new_set, unnest(CAST(:pids AS varchar[])) AS t(p) RETURNING 1), "
    f"written AS (INSERT INTO graph_query_audit ({_PG_COLUMNS}) SELECT {_PG_VALUES} FROM ok "
    f"WHERE (SELECT count(*) FROM members) >= 0 RETURNING id) {_WRITTEN}"
).bindparams(*_TYPED)
# SQLite (writers serialised by BEGIN IMMEDIATE): the audit row only if the head is still where
# it was linked to; the set's row, unless that set is stored already (then nothing is returned)
_HEAD_IS = select(ChainHead.seq).where(
    ChainHead.chain == ledger.QUERY_AUDIT,
    ChainHead.seq + 1 == bindparam("chain_seq"),
    ChainHead.head_hash == bindparam("prev_hash"),
)
_RECORD_SQLITE = insert(AUDIT).from_select(
    list(_AUDIT_KEYS),
    select(*(bindparam(c.key, type_=c.type) for c in AUDIT.columns)).where(_HEAD_IS.exists()),
)
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
    head: tuple[int, str] | None = None,
) -> QueryAudit:
    """Append one chained audit row (in the caller's graph transaction, with the answer).

    `head` is where the caller last saw the audit chain's head (read in its transaction, e.g.
    with its first lock): the row is linked after it and written only if it is still the head,
    else linked to the head read again (locked) and written then. Without it the head is read
    (locked) first. On PostgreSQL the head's lock, the contributor set (a no-op when an earlier
    answer stored it; its members only if new) and the audit row are one statement, so an
    audited read whose head is current appends in one round trip; on SQLite the set's insert
    (then, if it was new, one executemany of members) and the conditional audit insert. The
    head is locked before the set is written, so writers that meet the same new set take turns.
    The returned row is not attached to the session; it carries what was written."""
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
    content = ledger.audit_content(row, contributors)
    conn = core(graph)
    postgres = conn.dialect.name == "postgresql"
    if not postgres and row.contributor_set_id is not None:
        _store_set(conn, row.contributor_set_id, contributors, now)
    if head is None:
        head = ledger.head(graph, ledger.QUERY_AUDIT)  # locked: the first try matches
    for _ in range(2):
        ledger.link(row, head, content)
        params = {key: getattr(row, key) for key in _AUDIT_KEYS}
        if postgres:
            params["chain"] = ledger.QUERY_AUDIT
            if row.contributor_set_id is not None:
                result = conn.execute(_RECORD_WITH_SET_PG, params | {"pids": contributors})
            else:
                result = conn.execute(_RECORD_PG, params)
            seq, prev, written = result.one()
            head = (int(seq), str(prev))  # locked now: the next try matches
        else:
            written = conn.execute(_RECORD_SQLITE, params).rowcount
            if not written:
                head = ledger.head(graph, ledger.QUERY_AUDIT)
        if written == 1:
            return row
    raise RuntimeError("audit chain head moved while locked")  # pragma: no cover


def _store_set(conn: Connection, set_id: str, contributors: list[str], now: datetime) -> None:
    """SQLite: the set's row and, if an earlier answer did not store that set already, its
    members in one executemany."""
    params = {"id": set_id, "member_count": len(contributors), "created_at": now}
    if conn.execute(_INSERT_SET, params).first() is not None:
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
