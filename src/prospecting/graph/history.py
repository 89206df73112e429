"""A provider's imported history enters the graph as one set-based batch: links, contact days and
the latest outcome per prospect, on exactly the rules of the live paths.

The rules are the live ones, applied in memory over a few bulk reads: contribute consent per
prospect (`consent.contributable`), blocked digests refuse a link, linkage decides through
`linkage.link_score`/`decide` against the subjects already in the graph *and* those this batch
creates (so two imported rows of one person meet), every outcome is randomized by OpenDP at
this moment within the subject's budget, and an outcome version already stored is a replay
(nothing new). Three rare cases take the one-at-a-time path instead, so their rules live in
one place: a contact anchored on two subjects (a merge), a prospect already linked before the
import, and a higher version over a stored one (a supersession).

Reads are a handful per batch and writes are one executemany per table: the import bench
(`bench/import.py`) holds the figures.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date

from sqlalchemy import insert, select, update

from prospecting.db import new_id, utcnow
from prospecting.errors import Conflict, ConsentRequired, NotFound, SubjectOptedOut
from prospecting.graph import consent, dp, linkage
from prospecting.graph.contribute import contribute, fingerprint
from prospecting.graph.models import (
    BlockedDigest,
    Contribution,
    ProspectLink,
    SubjectBudget,
    SubjectDimension,
    SubjectKey,
    SubjectStatus,
)
from prospecting.graph.schemas import ContributionIn, HistoryItem, HistoryResult
from prospecting.graph.subjects import link_prospect, lock_linking, score
from prospecting.graph.velocity import record_contacts
from prospecting.prospects.identifiers import prospect_chains
from prospecting.resolver.keys import STRONG_DIMENSIONS, Digest
from prospecting.runtime import Context

_CHUNK = 500
DigestKey = tuple[str, str, str]  # (dimension, key_id, digest)


@dataclass
class _Prospect:
    prospect_id: str
    days: set[date] = field(default_factory=set)
    outcome: HistoryItem | None = None


@dataclass
class _Batch:
    """In-memory view of the graph for this batch, and the rows it will write."""

    holders: dict[DigestKey, set[str]] = field(default_factory=lambda: defaultdict(set))
    present: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    reports: dict[tuple[str, str], int] = field(default_factory=dict)
    spent: dict[str, int] = field(default_factory=dict)
    limits: dict[str, int] = field(default_factory=dict)
    withheld: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # totals
    new_subjects: list[str] = field(default_factory=list)
    dimensions: list[dict[str, object]] = field(default_factory=list)
    links: list[dict[str, object]] = field(default_factory=list)
    contributions: list[dict[str, object]] = field(default_factory=list)


def contribute_history(ctx: Context, items: Sequence[HistoryItem]) -> HistoryResult:
    """Link each consented prospect, record its contact days and contribute its latest
    outcome once; returns counts only (see the module doc)."""
    result = HistoryResult()
    wanted = _group(items)
    allowed = consent.contributable(ctx, wanted)
    result.not_consented += len(wanted) - len(allowed)
    if not allowed:
        return result
    lock_linking(ctx.graph)
    chains = prospect_chains(
        session=ctx.tenant,
        person_id=ctx.actor.id,
        prospect_ids=sorted(allowed),
        key_id=ctx.resolver.active_key_id,
    )
    result.not_found += len(allowed - set(chains))
    linked = _existing_links(ctx, sorted(chains))
    stored = _stored_versions(ctx, sorted(chains))
    batch = _load(ctx, [chains[p] for p in sorted(chains) if p not in linked])
    blocked = _blocked(ctx, chains.values())
    contacts: list[tuple[str, str, str, date]] = []
    for prospect_id in sorted(chains):
        entry, chain = wanted[prospect_id], chains[prospect_id]
        if prospect_id in linked:
            subject_key = _one_at_a_time(ctx, prospect_id)
        elif any(_key(d) in blocked for d in chain):
            subject_key = None
        else:
            subject_key = _link(ctx, batch, prospect_id, chain)
        if subject_key is None:
            result.opted_out += 1
            continue
        result.linked += 1
        contacts += [(subject_key, ctx.actor.id, prospect_id, d) for d in sorted(entry.days)]
        _outcome(ctx, batch, result, entry, subject_key, stored.get(prospect_id))
    _write(ctx, batch)
    record_contacts(ctx.graph, contacts)
    result.contacts += len(contacts)
    return result


def _group(items: Sequence[HistoryItem]) -> dict[str, _Prospect]:
    grouped: dict[str, _Prospect] = {}
    for item in items:
        entry = grouped.setdefault(item.prospect_id, _Prospect(item.prospect_id))
        if item.contacted_at is not None:
            entry.days.add(item.contacted_at.date())
        if item.outcome is not None and (
            entry.outcome is None or item.outcome_version > entry.outcome.outcome_version
        ):
            entry.outcome = item
    return grouped


def _key(d: Digest) -> DigestKey:
    return (d.dimension, d.key_id, d.value)


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


def _existing_links(ctx: Context, prospect_ids: list[str]) -> set[str]:
    found: set[str] = set()
    for part in _chunks(prospect_ids):
        found |= set(
            ctx.graph.scalars(
                select(ProspectLink.prospect_id).where(
                    ProspectLink.provider_id == ctx.actor.id, ProspectLink.prospect_id.in_(part)
                )
            )
        )
    return found


def _stored_versions(ctx: Context, prospect_ids: list[str]) -> dict[str, int]:
    """The caller's highest contributed version per prospect."""
    found: dict[str, int] = {}
    for part in _chunks(prospect_ids):
        for prospect_id, version in ctx.graph.execute(
            select(Contribution.prospect_id, Contribution.outcome_version).where(
                Contribution.provider_id == ctx.actor.id, Contribution.prospect_id.in_(part)
            )
        ):
            found[prospect_id] = max(found.get(prospect_id, 0), version)
    return found


def _blocked(ctx: Context, chains: Iterable[list[Digest]]) -> set[DigestKey]:
    strong = {d.value for chain in chains for d in chain if d.dimension in STRONG_DIMENSIONS}
    found: set[DigestKey] = set()
    for part in _chunks(strong):
        found |= {
            (dim, key_id, digest)
            for dim, key_id, digest in ctx.graph.execute(
                select(BlockedDigest.dimension, BlockedDigest.key_id, BlockedDigest.digest).where(
                    BlockedDigest.digest.in_(part)
                )
            )
        }
    return found


def _load(ctx: Context, chains: list[list[Digest]]) -> _Batch:
    """Active subjects holding any digest of these chains, their dimensions, collision reports
    and budgets: everything linkage needs, in four bulk reads."""
    batch = _Batch()
    digests = {d.value for chain in chains for d in chain}
    subjects: set[str] = set()
    for part in _chunks(digests):
        for subject_key, dim, key_id, digest in ctx.graph.execute(
            select(
                SubjectDimension.subject_key,
                SubjectDimension.dimension,
                SubjectDimension.key_id,
                SubjectDimension.digest,
            )
            .join(SubjectKey, SubjectKey.subject_key == SubjectDimension.subject_key)
            .where(SubjectDimension.digest.in_(part), SubjectKey.status == SubjectStatus.ACTIVE)
        ):
            batch.holders[(dim, key_id, digest)].add(subject_key)
            subjects.add(subject_key)
    key_id = ctx.resolver.active_key_id
    for part in _chunks(subjects):
        for subject_key, dim, count in ctx.graph.execute(
            select(
                SubjectDimension.subject_key,
                SubjectDimension.dimension,
                SubjectDimension.collision_reports,
            ).where(SubjectDimension.subject_key.in_(part), SubjectDimension.key_id == key_id)
        ):
            batch.present[subject_key].add(dim)
            if count:
                batch.reports[(subject_key, dim)] = max(
                    batch.reports.get((subject_key, dim), 0), count
                )
        for subject_key, limit, spent in ctx.graph.execute(
            select(SubjectBudget.subject_key, SubjectBudget.limit_units, SubjectBudget.spent_units)
            .where(SubjectBudget.subject_key.in_(part))
            .with_for_update()
        ):
            batch.limits[subject_key], batch.spent[subject_key] = limit, spent
    return batch


def _link(ctx: Context, batch: _Batch, prospect_id: str, chain: list[Digest]) -> str | None:
    """The subject this chain links to under the live rules, or a new one; a chain anchored on
    two subjects is a merge and takes the one-at-a-time path."""
    agreeing: dict[str, set[str]] = defaultdict(set)
    for d in chain:
        for subject_key in batch.holders.get(_key(d), ()):
            agreeing[subject_key].add(d.dimension)
    mine = {d.dimension for d in chain}
    decided = []
    for subject_key, agree in agreeing.items():
        if not agree & STRONG_DIMENSIONS:
            continue  # a name alone is no candidate
        result = score(subject_key, agree, mine, batch.present[subject_key], batch.reports)
        if linkage.decide(result):
            decided.append((-result.confidence, subject_key, result, agree))
    decided.sort(key=lambda row: (row[0], row[1]))
    if sum(1 for _, _, r, _ in decided if r.anchored) > 1:
        _write(ctx, batch)
        survivor = _one_at_a_time(ctx, prospect_id)
        for _, other, _, _ in decided:
            _forget(batch, other, alias=survivor)
        return survivor
    if decided:
        _, subject_key, result, agree = decided[0]
        confidence = result.confidence
        matched = sorted(agree & result.scored) or sorted(agree)
        _remember(batch, subject_key, chain, new=False)
    else:
        subject_key, confidence, matched = new_id(), 1.0, []
        batch.new_subjects.append(subject_key)
        batch.limits[subject_key] = ctx.settings.graph_subject_budget_units
        batch.spent[subject_key] = 0
        _remember(batch, subject_key, chain, new=True)
    now = utcnow()
    batch.links.append(
        {
            "id": new_id(),
            "provider_id": ctx.actor.id,
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


def _remember(batch: _Batch, subject_key: str, chain: list[Digest], *, new: bool) -> None:
    """Bind the chain's digests to the subject, in memory now and in the store at the write."""
    for d in chain:
        holders = batch.holders[_key(d)]
        if subject_key in holders:
            continue
        holders.add(subject_key)
        batch.present[subject_key].add(d.dimension)
        batch.dimensions.append(
            {
                "id": new_id(),
                "subject_key": subject_key,
                "dimension": d.dimension,
                "key_id": d.key_id,
                "digest": d.value,
                "collision_reports": 0,
                "created_at": utcnow(),
            }
        )


def _forget(batch: _Batch, subject_key: str, *, alias: str | None) -> None:
    """After a merge the stored state of these keys changed: the absorbed key answers as its
    survivor, and both leave the batch's budget view (their outcomes go one at a time)."""
    for holders in batch.holders.values():
        if subject_key in holders:
            holders.discard(subject_key)
            if alias is not None:
                holders.add(alias)
    batch.limits.pop(subject_key, None)
    batch.spent.pop(subject_key, None)
    if alias is not None:
        batch.limits.pop(alias, None)
        batch.spent.pop(alias, None)


def _one_at_a_time(ctx: Context, prospect_id: str) -> str | None:
    try:
        with ctx.graph.begin_nested():
            link, _ = link_prospect(ctx, prospect_id)
    except (SubjectOptedOut, NotFound, ConsentRequired):
        return None
    return link.subject_key


def _outcome(
    ctx: Context,
    batch: _Batch,
    result: HistoryResult,
    entry: _Prospect,
    subject_key: str,
    stored: int | None,
) -> None:
    """Contribute the prospect's latest outcome: noised here, within the subject's budget."""
    item = entry.outcome
    if (
        item is None
        or item.outcome is None
        or (stored is not None and stored >= item.outcome_version)
    ):
        return
    data = ContributionIn(
        prospect_id=entry.prospect_id, outcome=item.outcome, outcome_version=item.outcome_version
    )
    if stored is not None or subject_key not in batch.limits:  # supersession or merged key
        _write(ctx, batch)
        try:
            with ctx.graph.begin_nested():
                out = contribute(ctx, data)
        except Conflict:  # another payload under this version: the stored one stands
            result.conflicts += 1
            return
        result.withheld += out.budget_exhausted
        result.contributed += not out.budget_exhausted
        return
    remaining = max(0, batch.limits[subject_key] - batch.spent[subject_key])
    spend = dp.widen_for_budget(
        remaining, requested_units=ctx.settings.graph_contribution_epsilon_units
    )
    row: dict[str, object] = {
        "id": new_id(),
        "provider_id": ctx.actor.id,
        "prospect_id": entry.prospect_id,
        "outcome_version": item.outcome_version,
        "generation": 0,
        "subject_key": subject_key,
        "noised_outcome": None,
        "outcome_noise": None,
        "noised_days": None,
        "days_noise": None,
        "epsilon_units": 0,
        "withheld": spend.exhausted,
        "fingerprint": fingerprint(ctx.resolver, entry.prospect_id, data),
        "created_at": utcnow(),
    }
    if spend.exhausted:
        batch.withheld[subject_key] += 1
        result.withheld += 1
    else:
        noised, params = dp.randomize_outcome(item.outcome.value, epsilon_units=spend.epsilon_units)
        row |= {
            "noised_outcome": noised,
            "outcome_noise": asdict(params),
            "epsilon_units": spend.epsilon_units,
        }
        batch.spent[subject_key] = min(
            batch.limits[subject_key], batch.spent[subject_key] + spend.epsilon_units
        )
        result.contributed += 1
    batch.contributions.append(row)


def _write(ctx: Context, batch: _Batch) -> None:
    """One executemany per table for what the batch has gathered so far, then start over."""
    graph = ctx.graph
    now = utcnow()
    new = set(batch.new_subjects)
    if batch.new_subjects:
        graph.execute(
            insert(SubjectKey),
            [
                {
                    "subject_key": k,
                    "status": SubjectStatus.ACTIVE,
                    "created_at": now,
                    "updated_at": now,
                }
                for k in batch.new_subjects
            ],
        )
        graph.execute(
            insert(SubjectBudget),
            [
                {
                    "subject_key": k,
                    "limit_units": batch.limits[k],
                    "spent_units": batch.spent[k],
                    "withheld": batch.withheld.get(k, 0),
                }
                for k in batch.new_subjects
            ],
        )
    for model, rows in (
        (SubjectDimension, batch.dimensions),
        (ProspectLink, batch.links),
        (Contribution, batch.contributions),
    ):
        if rows:
            graph.execute(insert(model), rows)
    touched = {str(r["subject_key"]) for r in batch.contributions} - new
    if touched:
        graph.execute(  # ORM bulk UPDATE by primary key: one executemany
            update(SubjectBudget),
            [
                {"subject_key": k, "spent_units": batch.spent[k], "withheld": batch.withheld[k]}
                for k in sorted(touched)
            ],
        )
    batch.new_subjects, batch.dimensions, batch.links, batch.contributions = [], [], [], []
    for k in new:  # written: from now on these are stored subjects like any other
        batch.limits.setdefault(k, ctx.settings.graph_subject_budget_units)
    graph.expire_all()
