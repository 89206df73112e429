"""Linking many hash chains at once, on exactly the rules of `subjects.link_prospect`.

`link_prospect` links one chain against the subjects in the store. A provider's import links
thousands, and two of its rows (or rows of two providers imported one after the other) may be
one person, so the batch must decide each chain against the store *and* the subjects the
batch itself created or merged so far, in order, exactly as one-at-a-time linking would:

- **Load** (a few statements per chunk of digests): the active subjects holding any digest of
  the batch, the dimensions and collision reports of those subjects.
- **Link** (memory only): for each chain, the candidates that share a strong digest, scored by
  `linkage.link_score` with the subject's collision down-weights, best first; the best linked
  candidate wins, a chain anchored on two subjects merges them (survivor: the best), no
  linked candidate mints a new key. A merge re-points the absorbed key's digests to the
  survivor in memory (union-find), so later chains see one person.
- **Write** (one executemany per table): new keys and budgets, bound digests, links; then the
  merges in order, set-based (`_Merges`): the absorbed key is marked merged, its digests,
  links and contact days move, its budget is folded in, a `merge` correction is recorded. A
  merge whose absorbed key has contributions, attestations or attributions to move takes
  `lineage.merge` (replay, unique moves), so those rules live in one place.

Blocked digests, consent and existing links are the caller's (`graph.history`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from prospecting.db import utcnow
from prospecting.graph import lineage, linkage
from prospecting.graph.models import (
    Contribution,
    Correction,
    PeerAttestation,
    ProspectLink,
    SubjectAttribution,
    SubjectBudget,
    SubjectContact,
    SubjectDimension,
    SubjectKey,
    SubjectStatus,
    Supersession,
)
from prospecting.resolver.keys import STRONG_DIMENSIONS, Digest
from prospecting.runtime import Context

CHUNK = 2_000
"""Values per IN list: well under SQLite's 32,766 variables, few statements per batch."""
DigestKey = tuple[str, str, str]  # (dimension, key_id, digest)
_ScoreKey = tuple[frozenset[str], frozenset[str], tuple[tuple[str, float], ...]]


def table(model: type[Any]) -> Table:
    t = model.__table__
    assert isinstance(t, Table)
    return t


def fresh_ids(batch: int = 4096) -> Iterator[str]:
    """Ids in `db.new_id`'s format (32 hex digits, 128 random bits), drawn in bulk."""
    while True:
        pool = os.urandom(16 * batch).hex()
        for start in range(0, len(pool), 32):
            yield pool[start : start + 32]


def chunks(values: Iterable[str], size: int = CHUNK) -> Iterator[list[str]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


@dataclass(frozen=True, slots=True)
class Merge:
    survivor: str
    absorbed: str
    provider_id: str
    prospect_id: str


@dataclass
class BatchLinker:
    """In-memory view of the subjects a batch can meet, and the rows it will write."""

    ctx: Context
    holders: dict[DigestKey, set[str]] = field(default_factory=dict)
    held: dict[str, set[DigestKey]] = field(default_factory=dict)
    present: dict[str, set[str]] = field(default_factory=dict)
    reports: dict[str, dict[str, int]] = field(default_factory=dict)
    alias: dict[str, str] = field(default_factory=dict)  # absorbed -> survivor
    new_subjects: list[str] = field(default_factory=list)
    merges: list[Merge] = field(default_factory=list)
    dimensions: list[dict[str, object]] = field(default_factory=list)
    links: list[dict[str, object]] = field(default_factory=list)
    _scores: dict[_ScoreKey, linkage.LinkResult] = field(default_factory=dict)
    _ids: Iterator[str] = field(default_factory=fresh_ids)

    @classmethod
    def load(cls, ctx: Context, chains: Iterable[Sequence[Digest]]) -> BatchLinker:
        """The active subjects holding any digest of these chains, with their dimensions and
        collision reports under the active key: what linkage needs, in bulk reads."""
        linker = cls(ctx)
        strong = {d.value for chain in chains for d in chain if d.dimension in STRONG_DIMENSIONS}
        conn = ctx.graph.connection()  # Core rows: no ORM row processing
        candidates: set[str] = set()
        for part in chunks(strong):
            candidates.update(
                conn.scalars(
                    select(SubjectDimension.subject_key)
                    .join(SubjectKey, SubjectKey.subject_key == SubjectDimension.subject_key)
                    .where(
                        SubjectDimension.digest.in_(part),
                        SubjectKey.status == SubjectStatus.ACTIVE,
                    )
                    .distinct()
                )
            )
        # every digest of those subjects (a subject sharing only a name with a chain is no
        # candidate, and one sharing a strong digest is among these)
        key_id = ctx.resolver.active_key_id
        for part in chunks(candidates):
            for subject_key, dim, row_key, digest, count in conn.execute(
                select(
                    SubjectDimension.subject_key,
                    SubjectDimension.dimension,
                    SubjectDimension.key_id,
                    SubjectDimension.digest,
                    SubjectDimension.collision_reports,
                ).where(SubjectDimension.subject_key.in_(part))
            ):
                linker._hold((dim, row_key, digest), subject_key)
                if row_key != key_id:
                    continue
                linker.present.setdefault(subject_key, set()).add(dim)
                mine = linker.reports.setdefault(subject_key, {})
                mine[dim] = max(mine.get(dim, 0), count)
        return linker

    def _hold(self, key: DigestKey, subject_key: str) -> None:
        self.holders.setdefault(key, set()).add(subject_key)
        self.held.setdefault(subject_key, set()).add(key)

    def root(self, subject_key: str) -> str:
        """The key a (possibly merged) key lives on in now."""
        while subject_key in self.alias:
            subject_key = self.alias[subject_key]
        return subject_key

    def _score(self, subject_key: str, agree: set[str], mine: set[str]) -> linkage.LinkResult:
        """`subjects.score`, memoized on what it depends on."""
        reports = self.reports.get(subject_key, {})
        weights = tuple(
            sorted((dim, linkage.collision_downweight(n)) for dim, n in reports.items() if n)
        )
        compared = frozenset((self.present.get(subject_key, set()) & mine) | agree)
        key = (frozenset(agree), compared, weights)
        result = self._scores.get(key)
        if result is None:
            result = linkage.link_score(agree, compared, downweights=dict(weights))
            self._scores[key] = result
        return result

    def link(self, provider_id: str, prospect_id: str, chain: Sequence[Digest]) -> str:
        """Link one chain as `link_prospect` would at this point of the batch; returns the
        subject key it is bound to now."""
        agreeing: dict[str, set[str]] = {}
        for d in chain:
            for subject_key in self.holders.get((d.dimension, d.key_id, d.value), ()):
                agreeing.setdefault(subject_key, set()).add(d.dimension)
        mine = {d.dimension for d in chain}
        found = []
        for subject_key, agree in agreeing.items():
            if agree & STRONG_DIMENSIONS:  # a name alone is no candidate
                found.append((self._score(subject_key, agree, mine), subject_key, agree))
        found.sort(key=lambda row: (-row[0].confidence, row[1]))
        linked = [row for row in found if linkage.decide(row[0])]
        if linked:
            result, subject_key, agree = linked[0]
            confidence = result.confidence
            matched = sorted(agree & result.scored) or sorted(agree)
            for other, other_key, _ in linked[1:]:  # anchored on both: one person
                if result.anchored and other.anchored:
                    self._merge(subject_key, other_key, provider_id, prospect_id)
        else:
            subject_key = next(self._ids)
            self.new_subjects.append(subject_key)
            confidence = 1.0 - (found[0][0].confidence if found else 0.0)
            matched = []
        now = utcnow()
        for d in chain:  # bind_digests
            key = (d.dimension, d.key_id, d.value)
            if key in self.held.get(subject_key, ()):
                continue
            self._hold(key, subject_key)
            if d.key_id == self.ctx.resolver.active_key_id:
                self.present.setdefault(subject_key, set()).add(d.dimension)
            self.dimensions.append(
                {
                    "id": next(self._ids),
                    "subject_key": subject_key,
                    "dimension": d.dimension,
                    "key_id": d.key_id,
                    "digest": d.value,
                    "collision_reports": 0,
                    "created_at": now,
                }
            )
        self.links.append(
            {
                "id": next(self._ids),
                "provider_id": provider_id,
                "prospect_id": prospect_id,
                "subject_key": subject_key,
                "confidence": round(confidence, 6),
                "matched_on": matched,
                "chain": [[d.dimension, d.key_id, d.value] for d in chain],
                "created_at": now,
                "updated_at": now,
            }
        )
        return subject_key

    def _merge(self, survivor: str, absorbed: str, provider_id: str, prospect_id: str) -> None:
        """What `lineage.merge` does to what linking sees: the absorbed key's digests answer
        as the survivor's, with the higher collision count of the two."""
        for key in self.held.pop(absorbed, set()):
            holders = self.holders[key]
            holders.discard(absorbed)
            holders.add(survivor)
            self.held.setdefault(survivor, set()).add(key)
        self.present.setdefault(survivor, set()).update(self.present.pop(absorbed, set()))
        kept = self.reports.setdefault(survivor, {})
        for dim, n in self.reports.pop(absorbed, {}).items():
            kept[dim] = max(kept.get(dim, 0), n)
        self.alias[absorbed] = survivor
        self.merges.append(Merge(survivor, absorbed, provider_id, prospect_id))

    def merged_keys(self) -> set[str]:
        """Every key a merge of this batch touched (their stored state changed)."""
        return {m.survivor for m in self.merges} | {m.absorbed for m in self.merges}

    def write(self, *, budget_units: int) -> None:
        """New keys and budgets, bound digests and links (one executemany each), then the
        merges in order; the batch starts over empty."""
        graph = self.ctx.graph
        now = utcnow()
        if self.new_subjects:
            graph.execute(
                insert(table(SubjectKey)),
                [
                    {
                        "subject_key": k,
                        "status": SubjectStatus.ACTIVE,
                        "split_from": None,
                        "merged_into": None,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for k in self.new_subjects
                ],
            )
            graph.execute(
                insert(table(SubjectBudget)),
                [
                    {"subject_key": k, "limit_units": budget_units, "spent_units": 0, "withheld": 0}
                    for k in self.new_subjects
                ],
            )
        if self.dimensions:
            graph.execute(insert(table(SubjectDimension)), self.dimensions)
        if self.links:
            graph.execute(insert(table(ProspectLink)), self.links)
        if self.merges:
            _Merges(self.ctx, self.merges, self._ids).apply()
        self.new_subjects, self.dimensions, self.links, self.merges = [], [], [], []


class _Merges:
    """`lineage.merge` for many merges at once, in order. Only the state a merge of keys
    without contributions, attestations or attributions changes: dimensions, budgets, links,
    contact days, the key's status and the correction. Any other merge goes through
    `lineage.merge` itself, after the merges before it are written."""

    def __init__(self, ctx: Context, merges: Sequence[Merge], ids: Iterator[str]) -> None:
        self.ctx, self.merges, self.ids = ctx, merges, ids

    def apply(self) -> None:
        heavy = self._heavy({m.absorbed for m in self.merges})
        pending: list[Merge] = []
        for m in self.merges:
            if m.absorbed in heavy:
                self._fast(pending)
                pending = []
                self.ctx.graph.expire_all()
                lineage.merge(
                    self.ctx,
                    survivor=m.survivor,
                    absorbed=m.absorbed,
                    bridge=(m.provider_id, m.prospect_id),
                )
                heavy.add(m.survivor)
            else:
                pending.append(m)
        self._fast(pending)

    def _heavy(self, keys: set[str]) -> set[str]:
        """Keys with rows only `lineage.merge` may move: live contributions, attestations,
        attributions."""
        graph: Session = self.ctx.graph
        found: set[str] = set()
        for part in chunks(keys):
            superseded = select(Supersession.superseded_id).where(
                Supersession.subject_key.in_(part)
            )
            found |= set(
                graph.scalars(
                    select(Contribution.subject_key)
                    .where(Contribution.subject_key.in_(part), Contribution.id.not_in(superseded))
                    .distinct()
                )
            )
            for model in (PeerAttestation, SubjectAttribution):
                found |= set(
                    graph.scalars(
                        select(model.subject_key).where(model.subject_key.in_(part)).distinct()
                    )
                )
        return found

    def _fast(self, merges: Sequence[Merge]) -> None:
        if not merges:
            return
        graph = self.ctx.graph
        keys = {m.survivor for m in merges} | {m.absorbed for m in merges}
        dims: dict[str, dict[DigestKey, list[Any]]] = {k: {} for k in keys}
        for part in chunks(keys):
            for row_id, subject_key, dim, key_id, digest, count in graph.execute(
                select(
                    SubjectDimension.id,
                    SubjectDimension.subject_key,
                    SubjectDimension.dimension,
                    SubjectDimension.key_id,
                    SubjectDimension.digest,
                    SubjectDimension.collision_reports,
                ).where(SubjectDimension.subject_key.in_(part))
            ):
                dims[subject_key][(dim, key_id, digest)] = [row_id, count]
        budgets: dict[str, list[int]] = {}
        for part in chunks(keys):
            for subject_key, limit, spent, withheld in graph.execute(
                select(
                    SubjectBudget.subject_key,
                    SubjectBudget.limit_units,
                    SubjectBudget.spent_units,
                    SubjectBudget.withheld,
                )
                .where(SubjectBudget.subject_key.in_(part))
                .with_for_update()
            ):
                budgets[subject_key] = [limit, spent, withheld]
        now = utcnow()
        inserts: dict[str, dict[str, object]] = {}  # id -> new dimension row
        raised: dict[str, int] = {}  # stored dimension id -> new collision count
        changed: set[str] = set()
        for m in merges:
            have = dims[m.survivor]
            for ident, (_row_id, count) in dims[m.absorbed].items():
                if ident in have:
                    mine = have[ident]
                    if count > mine[1]:
                        mine[1] = count
                        if mine[0] in inserts:
                            inserts[mine[0]]["collision_reports"] = count
                        else:
                            raised[mine[0]] = count
                    continue
                new = next(self.ids)
                have[ident] = [new, count]
                inserts[new] = {
                    "id": new,
                    "subject_key": m.survivor,
                    "dimension": ident[0],
                    "key_id": ident[1],
                    "digest": ident[2],
                    "collision_reports": count,
                    "created_at": now,
                }
            kept, gone = budgets.get(m.survivor), budgets.get(m.absorbed)
            if kept is not None and gone is not None:
                kept[1] = min(kept[0], kept[1] + gone[1])
                kept[2] += gone[2]
                changed.add(m.survivor)
        if inserts:
            graph.execute(insert(table(SubjectDimension)), list(inserts.values()))
        if raised:
            dimensions = table(SubjectDimension)
            graph.execute(
                update(dimensions)
                .where(dimensions.c.id == bindparam("row_id"))
                .values(collision_reports=bindparam("count")),
                [{"row_id": k, "count": v} for k, v in raised.items()],
            )
        if changed:
            budget = table(SubjectBudget)
            graph.execute(
                update(budget)
                .where(budget.c.subject_key == bindparam("key"))
                .values(spent_units=bindparam("spent"), withheld=bindparam("held")),
                [
                    {"key": k, "spent": budgets[k][1], "held": budgets[k][2]}
                    for k in sorted(changed)
                ],
            )
        moves = [{"absorbed": m.absorbed, "survivor": m.survivor} for m in merges]
        for model in (ProspectLink, SubjectContact):
            t = table(model)
            graph.execute(
                update(t)
                .where(t.c.subject_key == bindparam("absorbed"))
                .values(subject_key=bindparam("survivor")),
                moves,
            )
        keys_table = table(SubjectKey)
        graph.execute(
            update(keys_table)
            .where(keys_table.c.subject_key == bindparam("absorbed"))
            .values(
                status=SubjectStatus.MERGED,
                merged_into=bindparam("survivor"),
                updated_at=now,
            ),
            moves,
        )
        graph.execute(
            insert(table(Correction)),
            [
                {
                    "id": next(self.ids),
                    "kind": "merge",
                    "provider_id": m.provider_id,
                    "prospect_id": m.prospect_id,
                    "subject_key": m.survivor,
                    "dimension": None,
                    "detail": {"merged": m.absorbed},
                    "created_at": now,
                }
                for m in merges
            ],
        )
        graph.expire_all()
