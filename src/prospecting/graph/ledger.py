"""The hash chains behind the audit log: query audit rows and consent history.

Each chained row stores its position (`chain_seq`), the previous row's hash (`prev_hash`) and
`row_hash` = SHA-256 over the canonical JSON (sorted keys, no spaces) of {seq, prev, row}, where
`row` is every column of the row that never changes (an audit row also covers its sorted
contributor ids, stored once per distinct set as a `ContributorSet` named by
`contributor_set_id`). `graph_chain_heads` holds each chain's newest (seq, hash): the database's
insert trigger refuses a row whose seq and prev_hash do not continue the head, then advances it,
so a chain cannot fork; the head is read under FOR UPDATE on PostgreSQL (SQLite writers are
already serialised by BEGIN IMMEDIATE), one read per appended row, or linked to a head read
earlier in the transaction and locked by the insert's own statement (`audit.record`), which
writes nothing if the head has moved.

Erasure never rewrites a chained row (they hold ids and opaque keys only, never PII); it appends
an `erasure` audit row naming the opt-out and the counts it removed. `verify` recomputes both
chains and names the first row that does not match.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from prospecting.db import core
from prospecting.graph.models import (
    ChainHead,
    ConsentEvent,
    ContributorSet,
    ContributorSetMember,
    ErasureGrant,
    QueryAudit,
)

GENESIS = "0" * 64
QUERY_AUDIT = "query_audit"
CONSENT = "consent"
STREAM = 1000
TABLES = {QUERY_AUDIT: "graph_query_audit", CONSENT: "provider_graph_consent_events"}


def canonical(value: Any) -> bytes:
    """The one encoding hashed: JSON, sorted keys, no whitespace, datetimes as UTC ISO-8601."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_encode,
    ).encode()


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    raise TypeError(f"not canonical: {type(value).__name__}")


def row_hash(seq: int, prev_hash: str, content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical({"seq": seq, "prev": prev_hash, "row": content})).hexdigest()


def contributor_set_id(contributors: Iterable[str]) -> str:
    """A contributor set's id: SHA-256 over the canonical JSON of its sorted, distinct members."""
    members = sorted(set(contributors))
    return hashlib.sha256(canonical({"contributors": members})).hexdigest()


def audit_content(row: QueryAudit, contributors: list[str]) -> dict[str, Any]:
    return {
        "id": row.id,
        "consumer_id": row.consumer_id,
        "subject_key": row.subject_key,
        "kind": row.kind,
        "scope": row.scope,
        "result_state": row.result_state,
        "contributor_count": row.contributor_count,
        "contributors": sorted(contributors),
        "created_at": row.created_at,
    }


def consent_content(row: ConsentEvent) -> dict[str, Any]:
    return {
        "id": row.id,
        "provider_id": row.provider_id,
        "org_id": row.org_id,
        "actor_id": row.actor_id,
        "channel": row.channel,
        "action": row.action,
        "target": row.target,
        "before": row.before,
        "after": row.after,
        "created_at": row.created_at,
    }


_LOCK_HEAD = (
    select(ChainHead.seq, ChainHead.head_hash)
    .where(ChainHead.chain == bindparam("chain"))
    .with_for_update()
)


def stamp(
    graph: Session, chain: str, row: QueryAudit | ConsentEvent, content: dict[str, Any]
) -> None:
    """Give `row` (not yet flushed) the next position of `chain`: one read of the head, locked
    until commit on PostgreSQL; the insert trigger checks the link and advances the head."""
    link(row, head(graph, chain), content)


def head(graph: Session, chain: str) -> tuple[int, str]:
    """The chain's head (seq, hash), locked until commit on PostgreSQL."""
    seq, prev = core(graph).execute(_LOCK_HEAD, {"chain": chain}).one()
    return int(seq), str(prev)


def link(row: QueryAudit | ConsentEvent, after: tuple[int, str], content: dict[str, Any]) -> None:
    """Give `row` the position right after `after` (a head's seq and hash): the insert
    trigger refuses it unless that is still the head when the row goes in."""
    seq, prev = after
    row.chain_seq = seq + 1
    row.prev_hash = prev
    row.row_hash = row_hash(seq + 1, prev, content)


@dataclass
class ChainBreak:
    table: str
    row_id: str
    seq: int | None
    what: str
    expected: str
    found: str


@dataclass
class ChainReport:
    chain: str
    table: str
    rows: int = 0
    head_seq: int = 0
    breaks: list[ChainBreak] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks


@dataclass
class Verification:
    chains: list[ChainReport]
    open_grants: list[str]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.chains) and not self.open_grants


def verify(graph: Session) -> Verification:
    """Recompute both chains from their rows; every mismatch names its table, row and hashes.
    Also checks every contributor set against its members (id and count), and lists erasure
    grants left open (only raw SQL outside the erasure path leaves one)."""
    members: dict[str, list[str]] = defaultdict(list)
    for set_id, provider_id in graph.execute(
        select(ContributorSetMember.set_id, ContributorSetMember.provider_id)
    ):
        members[set_id].append(provider_id)
    audits = graph.scalars(
        select(QueryAudit)
        .order_by(QueryAudit.chain_seq, QueryAudit.id)
        .execution_options(yield_per=STREAM)
    )
    events = graph.scalars(
        select(ConsentEvent)
        .order_by(ConsentEvent.chain_seq, ConsentEvent.id)
        .execution_options(yield_per=STREAM)
    )
    audit_report = _walk(
        graph,
        QUERY_AUDIT,
        ((r, audit_content(r, members.get(r.contributor_set_id or "", []))) for r in audits),
    )
    audit_report.breaks.extend(_set_breaks(graph, members))
    reports = [audit_report, _walk(graph, CONSENT, ((r, consent_content(r)) for r in events))]
    open_grants = list(
        graph.scalars(
            select(ErasureGrant.id)
            .where(ErasureGrant.consumed_at.is_(None))
            .order_by(ErasureGrant.id)
        )
    )
    return Verification(chains=reports, open_grants=open_grants)


def _set_breaks(graph: Session, members: dict[str, list[str]]) -> list[ChainBreak]:
    """A set whose members do not hash to its id or number its member_count was edited."""
    table = ContributorSet.__tablename__
    breaks = []
    for set_id, count in graph.execute(
        select(ContributorSet.id, ContributorSet.member_count).order_by(ContributorSet.id)
    ):
        found = members.pop(set_id, [])
        if contributor_set_id(found) != set_id:
            breaks.append(
                ChainBreak(table, set_id, None, "members", set_id, contributor_set_id(found))
            )
        if len(found) != count:
            breaks.append(
                ChainBreak(table, set_id, None, "member_count", str(count), str(len(found)))
            )
    for set_id in sorted(members):  # members of no set (the foreign key forbids it)
        breaks.append(ChainBreak(table, set_id, None, "set missing", set_id, "none"))
    return breaks


def _walk(
    graph: Session, chain: str, rows: Iterable[tuple[QueryAudit | ConsentEvent, dict[str, Any]]]
) -> ChainReport:
    """Streams the rows (never the whole table in memory) and compares each with its link
    recomputed; the caller's transaction is the snapshot rows and head are read in."""
    table = TABLES[chain]
    report = ChainReport(chain=chain, table=table)
    head = graph.execute(
        select(ChainHead.seq, ChainHead.head_hash).where(ChainHead.chain == chain)
    ).one_or_none()
    head_seq, head_hash = head if head is not None else (0, GENESIS)
    report.head_seq = head_seq
    expected_seq, prev = 1, GENESIS
    for row, content in rows:
        report.rows += 1
        if row.chain_seq is None or row.prev_hash is None or row.row_hash is None:
            report.breaks.append(
                ChainBreak(table, row.id, None, "row is not chained", "chain_seq", "NULL")
            )
            continue
        if row.chain_seq != expected_seq:
            report.breaks.append(
                ChainBreak(
                    table,
                    row.id,
                    row.chain_seq,
                    "sequence gap (rows removed)",
                    str(expected_seq),
                    str(row.chain_seq),
                )
            )
        if row.prev_hash != prev:
            report.breaks.append(
                ChainBreak(table, row.id, row.chain_seq, "prev_hash", prev, row.prev_hash)
            )
        recomputed = row_hash(row.chain_seq, row.prev_hash, content)
        if recomputed != row.row_hash:
            report.breaks.append(
                ChainBreak(table, row.id, row.chain_seq, "row_hash", recomputed, row.row_hash)
            )
        expected_seq, prev = row.chain_seq + 1, row.row_hash
    if (head_seq, head_hash) != (expected_seq - 1, prev):
        report.breaks.append(
            ChainBreak(
                "graph_chain_heads",
                chain,
                head_seq,
                "head does not match the last row",
                f"{expected_seq - 1}:{prev}",
                f"{head_seq}:{head_hash}",
            )
        )
    return report
