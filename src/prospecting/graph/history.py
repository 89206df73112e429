"""A provider's imported history enters the graph as one set-based batch: links, contact days and
the latest outcome per prospect, on exactly the rules of the live paths.

The rules are the live ones, applied in memory over a few bulk reads: contribute consent per
prospect (`consent.contributable`), blocked digests refuse a link, linkage decides through
`graph.batch_link` (the rules of `subjects.link_prospect`, against the subjects already in the
graph *and* those this batch creates or merges, in order, so two imported rows of one person
meet and a contact anchored on two subjects merges them), every outcome is randomized by
OpenDP at this moment within the subject's budget, and an outcome version already stored is a
replay (nothing new). Outcomes are contributed after the links and merges are written, under
the key each prospect ends on. Three rare cases take the one-at-a-time path instead, so their
rules live in one place: a prospect already linked before the import, the outcome of a subject
a merge of this batch touched (its budget was folded), and a higher version over a stored one
(a supersession).

Reads are a handful per batch and writes are one executemany per table: the linking bench
(`bench/linking.py`) and the import bench (`bench/import.py`) hold the figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date

from sqlalchemy import bindparam, insert, select, update

from prospecting.db import utcnow
from prospecting.errors import Conflict, ConsentRequired, NotFound, SubjectOptedOut
from prospecting.graph import batch_link, consent, dp
from prospecting.graph.batch_link import BatchLinker, chunks, fresh_ids, in_list, table
from prospecting.graph.contribute import contribute, fingerprint
from prospecting.graph.models import (
    BlockedDigest,
    Contribution,
    ProspectLink,
    SubjectBudget,
)
from prospecting.graph.schemas import ContributionIn, HistoryItem, HistoryResult
from prospecting.graph.subjects import link_prospect, lock_linking
from prospecting.graph.velocity import record_contacts
from prospecting.prospects.identifiers import prospect_chains
from prospecting.resolver.keys import STRONG_DIMENSIONS, Digest
from prospecting.runtime import Context

_LINKS, _CONTRIBUTIONS = table(ProspectLink), table(Contribution)
_BLOCKED = table(BlockedDigest)
# Built once: building a statement of 2,000 literals costs more than SQLite takes to run it.
_LINKED = in_list(
    lambda in_: select(_LINKS.c.prospect_id).where(
        _LINKS.c.provider_id == bindparam("provider_id"), in_(_LINKS.c.prospect_id, "ids")
    )
)
_VERSIONS = in_list(
    lambda in_: select(_CONTRIBUTIONS.c.prospect_id, _CONTRIBUTIONS.c.outcome_version).where(
        _CONTRIBUTIONS.c.provider_id == bindparam("provider_id"),
        in_(_CONTRIBUTIONS.c.prospect_id, "ids"),
    )
)
_IS_BLOCKED = in_list(
    lambda in_: select(_BLOCKED.c.dimension, _BLOCKED.c.key_id, _BLOCKED.c.digest).where(
        in_(_BLOCKED.c.digest, "digests")
    )
)

DigestKey = tuple[str, str, str]  # (dimension, key_id, digest)
_IDS = fresh_ids()


@dataclass
class _Prospect:
    prospect_id: str
    days: set[date] = field(default_factory=set)
    outcome: HistoryItem | None = None


@dataclass
class _Budgets:
    """The budgets of the subjects this batch contributes to, and the rows it will write."""

    spent: dict[str, int] = field(default_factory=dict)
    limits: dict[str, int] = field(default_factory=dict)
    withheld: dict[str, int] = field(default_factory=dict)
    touched: set[str] = field(default_factory=set)
    contributions: list[dict[str, object]] = field(default_factory=list)


def contribute_history(ctx: Context, items: Sequence[HistoryItem]) -> HistoryResult:
    """Link each consented prospect, record its contact days and contribute its latest
    outcome once; returns counts only (see the module doc)."""
    with batch_link.cycle_collection_paused():
        return _contribute_history(ctx, items)


def _contribute_history(ctx: Context, items: Sequence[HistoryItem]) -> HistoryResult:
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
    blocked = _blocked(ctx, chains.values())
    fresh = [
        p
        for p in sorted(chains)
        if p not in linked and not (blocked and any(_key(d) in blocked for d in chains[p]))
    ]
    linker = BatchLinker.load(ctx, [chains[p] for p in fresh])
    subject_of: dict[str, str | None] = {}
    for prospect_id in fresh:
        subject_of[prospect_id] = linker.link(ctx.actor.id, prospect_id, chains[prospect_id])
    touched = linker.merged_keys()
    new = set(linker.new_subjects)
    linker.write(budget_units=ctx.settings.graph_subject_budget_units)
    for prospect_id in sorted(linked):
        subject_of[prospect_id] = _one_at_a_time(ctx, prospect_id)
    budgets = _Budgets()
    outcomes: list[tuple[_Prospect, str]] = []
    contacts: list[tuple[str, str, str, date]] = []
    for prospect_id in sorted(chains):
        subject_key = subject_of.get(prospect_id)
        if subject_key is None:
            result.opted_out += 1
            continue
        if prospect_id not in linked:
            subject_key = linker.root(subject_key)
        result.linked += 1
        entry = wanted[prospect_id]
        contacts += [(subject_key, ctx.actor.id, prospect_id, d) for d in sorted(entry.days)]
        outcomes.append((entry, subject_key))
    _load_budgets(
        ctx,
        budgets,
        {k for e, k in outcomes if e.outcome is not None and k not in new and k not in touched},
        new,
    )
    for entry, subject_key in outcomes:
        one_at_a_time = subject_key in touched or subject_key not in budgets.limits
        _outcome(
            ctx, budgets, result, entry, subject_key, stored.get(entry.prospect_id), one_at_a_time
        )
    _write(ctx, budgets)
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


def _existing_links(ctx: Context, prospect_ids: list[str]) -> set[str]:
    found: set[str] = set()
    conn = ctx.graph.connection()
    for part in chunks(prospect_ids):
        found.update(_LINKED.execute(conn, {"ids": part}, provider_id=ctx.actor.id).scalars().all())
    return found


def _stored_versions(ctx: Context, prospect_ids: list[str]) -> dict[str, int]:
    """The caller's highest contributed version per prospect."""
    found: dict[str, int] = {}
    conn = ctx.graph.connection()
    for part in chunks(prospect_ids):
        for prospect_id, version in _VERSIONS.execute(
            conn, {"ids": part}, provider_id=ctx.actor.id
        ):
            found[prospect_id] = max(found.get(prospect_id, 0), version)
    return found


def _blocked(ctx: Context, chains: Iterable[list[Digest]]) -> set[DigestKey]:
    strong = {d.value for chain in chains for d in chain if d.dimension in STRONG_DIMENSIONS}
    found: set[DigestKey] = set()
    conn = ctx.graph.connection()
    for part in chunks(strong):
        found.update(
            (dim, key_id, digest)
            for dim, key_id, digest in _IS_BLOCKED.execute(conn, {"digests": part})
        )
    return found


def _one_at_a_time(ctx: Context, prospect_id: str) -> str | None:
    try:
        with ctx.graph.begin_nested():
            link, _ = link_prospect(ctx, prospect_id)
    except (SubjectOptedOut, NotFound, ConsentRequired):
        return None
    return link.subject_key


def _load_budgets(ctx: Context, budgets: _Budgets, stored: set[str], new: set[str]) -> None:
    """The budgets of stored subjects (locked for the batch) and of the new ones."""
    for part in chunks(stored):
        for subject_key, limit, spent, withheld in ctx.graph.execute(
            select(
                SubjectBudget.subject_key,
                SubjectBudget.limit_units,
                SubjectBudget.spent_units,
                SubjectBudget.withheld,
            )
            .where(SubjectBudget.subject_key.in_(part))
            .with_for_update()
        ):
            budgets.limits[subject_key], budgets.spent[subject_key] = limit, spent
            budgets.withheld[subject_key] = withheld
    for subject_key in new:
        budgets.limits[subject_key] = ctx.settings.graph_subject_budget_units
        budgets.spent[subject_key], budgets.withheld[subject_key] = 0, 0


def _outcome(
    ctx: Context,
    budgets: _Budgets,
    result: HistoryResult,
    entry: _Prospect,
    subject_key: str,
    stored: int | None,
    one_at_a_time: bool,
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
    if stored is not None or one_at_a_time:  # supersession, or a key a merge touched
        _write(ctx, budgets)
        try:
            with ctx.graph.begin_nested():
                out = contribute(ctx, data)
        except Conflict:  # another payload under this version: the stored one stands
            result.conflicts += 1
            return
        result.withheld += out.budget_exhausted
        result.contributed += not out.budget_exhausted
        return
    remaining = max(0, budgets.limits[subject_key] - budgets.spent[subject_key])
    spend = dp.widen_for_budget(
        remaining, requested_units=ctx.settings.graph_contribution_epsilon_units
    )
    row: dict[str, object] = {
        "id": next(_IDS),
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
    budgets.touched.add(subject_key)
    if spend.exhausted:
        budgets.withheld[subject_key] += 1
        result.withheld += 1
    else:
        noised, params = dp.randomize_outcome(item.outcome.value, epsilon_units=spend.epsilon_units)
        row |= {
            "noised_outcome": noised,
            "outcome_noise": asdict(params),
            "epsilon_units": spend.epsilon_units,
        }
        budgets.spent[subject_key] = min(
            budgets.limits[subject_key], budgets.spent[subject_key] + spend.epsilon_units
        )
        result.contributed += 1
    budgets.contributions.append(row)


def _write(ctx: Context, budgets: _Budgets) -> None:
    """The batch's contributions in one executemany and its budgets in another."""
    if budgets.contributions:
        ctx.graph.execute(insert(table(Contribution)), budgets.contributions)
    if budgets.touched:
        budget = table(SubjectBudget)
        ctx.graph.execute(
            update(budget)
            .where(budget.c.subject_key == bindparam("key"))
            .values(spent_units=bindparam("spent"), withheld=bindparam("held")),
            [
                {"key": k, "spent": budgets.spent[k], "held": budgets.withheld[k]}
                for k in sorted(budgets.touched)
            ],
        )
    budgets.contributions, budgets.touched = [], set()
    ctx.graph.expire_all()
