"""Which consented peers stand behind a positive reachability answer: for the coop only.

Reachability tells the asker *that* a consented peer has a positive outcome with this person;
the coop's intro ask (`coop/asks.py`) needs *which* peers to ask, without ever telling the
asker. `positive_peers` is that read. It never answers the asker directly: its result goes to
the coop, which keeps only vetted peers, asks each of them and tells the asker a count.

It runs the same audited query as reachability (kind `intro_ask`: the minimum-contributor
floor, the asker's query consent, the fresh erasure/consent re-check under share locks and the
audit row every contributor can read), and only when that answer is reachable does it read,
in the same graph transaction and so under the same locks, the subject's live contributions
(a merged key answers as its survivor, like the query): each other provider's newest live
report for each of their prospects, kept when its *noised* class is positive. This is
post-processing of the released (randomized) reports: a peer whose true outcome was positive
may be missed and one whose was not may be asked, exactly at the rate the privacy model
allows. A provider counts only while their contribution consent is effective now (any policy
but none, not revoked; under `per_prospect` only for an opted-in prospect), and a report made
before their latest revocation never counts, as for attribution. An erased subject, an
opted-out one, or a graph store that cannot be reached answers no peers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from prospecting.graph import consent, dp
from prospecting.graph.availability import degrades
from prospecting.graph.models import (
    ContributePolicy,
    Contribution,
    ProspectOptIn,
    SubjectKey,
    SubjectStatus,
    Supersession,
)
from prospecting.graph.query import query
from prospecting.graph.schemas import GraphQueryIn
from prospecting.runtime import Context

KIND = "intro_ask"


@dataclass(frozen=True)
class PositivePeers:
    """The query's state, whether it was reachable, and the (provider id, prospect id) pairs
    of other providers whose live report for this person is positive. For the coop only."""

    state: str
    reachable: bool
    pairs: tuple[tuple[str, str], ...] = ()
    degraded: bool = False


def _degraded(ctx: Context, prospect_id: str) -> PositivePeers:
    return PositivePeers(state="degraded", reachable=False, degraded=True)


@degrades(_degraded)
def positive_peers(ctx: Context, prospect_id: str) -> PositivePeers:
    """The pairs behind a positive reachability answer for the caller's prospect (module doc)."""
    answer = query(ctx, GraphQueryIn(prospect_id=prospect_id), kind=KIND)
    hist = answer.histogram
    if answer.state != "ok" or hist is None or answer.subject_key is None:
        return PositivePeers(state=answer.state, reachable=False, degraded=answer.degraded)
    if not hist.lower.get("positive", 0.0) > 0:  # reachability's own rule
        return PositivePeers(state="not_reachable", reachable=False)
    pairs = _positive_pairs(ctx, answer.subject_key)
    return PositivePeers(state="ok", reachable=True, pairs=pairs)


def _positive_pairs(ctx: Context, subject_key: str) -> tuple[tuple[str, str], ...]:
    """Other providers' newest live report per prospect on the (surviving) key, positive
    ones kept, of providers whose contribution consent is effective now (module doc)."""
    subject = ctx.graph.get(SubjectKey, subject_key)
    if subject is None or subject.status != SubjectStatus.ACTIVE:
        return ()
    superseded = select(Supersession.superseded_id).where(Supersession.subject_key == subject_key)
    rows = ctx.graph.execute(
        select(
            Contribution.provider_id,
            Contribution.prospect_id,
            Contribution.outcome_version,
            Contribution.generation,
            Contribution.withheld,
            Contribution.noised_outcome,
            Contribution.created_at,
        ).where(
            Contribution.subject_key == subject_key,
            Contribution.provider_id != ctx.actor.id,
            Contribution.id.not_in(superseded),
        )
    ).all()
    newest: dict[tuple[str, str], tuple[int, int, bool, str | None, datetime]] = {}
    for provider_id, prospect_id, version, generation, withheld, noised, created_at in rows:
        key = (provider_id, prospect_id)
        if key not in newest or (version, generation) > newest[key][:2]:
            newest[key] = (version, generation, bool(withheld), noised, created_at)
    positive = {
        key: created_at
        for key, (_, _, withheld, noised, created_at) in newest.items()
        if not withheld and noised is not None and _is_positive(noised)
    }
    if not positive:
        return ()
    states = consent.effective_many(
        ctx.tenant, ctx.graph, {provider for provider, _ in positive}, lock=True
    )
    per_prospect = {
        provider
        for provider, _ in positive
        if states[provider].contribute is ContributePolicy.PER_PROSPECT
    }
    opted: set[tuple[str, str]] = set()
    if per_prospect:
        opted = {
            (provider, prospect)
            for provider, prospect in ctx.graph.execute(
                select(ProspectOptIn.provider_id, ProspectOptIn.prospect_id).where(
                    ProspectOptIn.provider_id.in_(sorted(per_prospect))
                )
            )
        }
    kept = []
    for (provider, prospect), created_at in positive.items():
        state = states[provider]
        if state.revoked or state.contribute is ContributePolicy.NONE:
            continue
        if consent.before_revocation(created_at, state):
            continue
        if provider in per_prospect and (provider, prospect) not in opted:
            continue
        kept.append((provider, prospect))
    return tuple(sorted(kept))


def _is_positive(noised: str) -> bool:
    """A report's class is positive: `positive` in the four-class domain, booked or
    rescheduled in the older six-outcome one."""
    return noised == "positive" or dp.CLASS_OF.get(noised) == "positive"
