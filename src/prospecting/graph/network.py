"""Who is in the consented network: peers per category and region, states, weekly metrics.

Network state names by the number of consented peers (excluding the asker): 0-1 `empty` (one
peer is below the minimum that may ever show, so it reads as nobody), 2-10 `sparse`, 11-49
`growing` (the contract leaves this gap unnamed), 50+ `dense`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select

from prospecting.db import utcnow
from prospecting.graph import consent
from prospecting.graph.masking import shown
from prospecting.graph.models import ContributePolicy, Contribution
from prospecting.graph.schemas import (
    GraphMetrics,
    GraphScope,
    NetworkState,
    SegmentState,
    WeeklyRate,
)
from prospecting.identity import service as identity
from prospecting.runtime import Context

State = Literal["empty", "sparse", "growing", "dense"]


def state_for(peers: int) -> State:
    if peers < 2:
        return "empty"
    if peers <= 10:
        return "sparse"
    if peers < 50:
        return "growing"
    return "dense"


@dataclass
class NetworkView:
    """Who is in the network and who counts as a consented peer, as of two versions.

    Built from whole-table reads (every Person's id, categories and region; every own consent
    row, Org policy and active membership) and kept per process (`view`). `consented` holds
    the Persons who currently contribute (any policy but none) and have not revoked.
    """

    tenant_version: tuple[Any, ...]
    consent_version: tuple[int, str]
    people: list[tuple[str, list[str], str | None]]
    consented: frozenset[str]
    _scopes: dict[tuple[str | None, str | None], tuple[frozenset[str], frozenset[str]]] = field(
        default_factory=dict
    )

    def in_scope(self, scope: GraphScope) -> tuple[frozenset[str], frozenset[str]]:
        """(Persons in the scope, those of them consented); memoised per scope."""
        key = (scope.category or None, scope.region or None)
        found = self._scopes.get(key)
        if found is None:
            category, region = key
            people = frozenset(
                pid
                for pid, categories, person_region in self.people
                if (not region or person_region == region)
                and (not category or category in categories)
            )
            found = (people, people & self.consented)
            self._scopes[key] = found
        return found


_VIEWS: dict[tuple[str, str], NetworkView] = {}


def view(ctx: Context, *, consent_version: tuple[int, str] | None = None) -> NetworkView:
    """The network as of now, from this process's cache when nothing it depends on changed.

    Invalidation, correct across processes: every query reads two versions, each one row by
    its key, and rebuilds the view when either moved:
    - the consent history's chain head in the graph store (`consent.consent_version`): every
      consent change and Org policy change appends a hash-chained event whose insert trigger
      advances the head in the same transaction, in whichever process made it;
    - the tenant store's directory version (`identity.directory_version`): triggers advance it
      with every Person created, changed (a profile change moves them between scopes) or
      erased and every Org membership offered, accepted or ended, in whichever process.
    Neither read grows with the network. A write that bypasses the services on consent tables
    (raw SQL, which only tests and the bench do) is seen at the next consent event. The
    caller's own query consent is never taken from here: the query reads and re-checks it
    fresh (`query._recheck`). The cache is keyed by the two stores' URLs.
    """
    key = (
        ctx.tenant.get_bind().engine.url.render_as_string(hide_password=True),
        ctx.graph.get_bind().engine.url.render_as_string(hide_password=True),
    )
    if consent_version is None:  # else the caller read it in this transaction
        consent_version = consent.consent_version(ctx.graph)
    tenant_version = identity.directory_version(session=ctx.tenant)
    cached = _VIEWS.get(key)
    if (
        cached is not None
        and cached.consent_version == consent_version
        and cached.tenant_version == tenant_version
    ):
        return cached
    people = identity.segments(session=ctx.tenant)
    states = consent.effective_everyone(ctx.tenant, ctx.graph)
    built = NetworkView(
        tenant_version=tenant_version,
        consent_version=consent_version,
        people=people,
        consented=frozenset(
            pid
            for pid, eff in states.items()
            if eff.contribute is not ContributePolicy.NONE and not eff.revoked
        ),
    )
    _VIEWS[key] = built
    return built


def persons_in_scope(ctx: Context, scope: GraphScope) -> list[str]:
    return sorted(view(ctx).in_scope(scope)[0])


def consented_ids(ctx: Context, person_ids: list[str]) -> set[str]:
    """Persons who currently contribute (any policy but none) and have not revoked."""
    if not person_ids:
        return set()
    return set(view(ctx).consented.intersection(person_ids))


def network_state(
    ctx: Context, scope: GraphScope, network: NetworkView | None = None
) -> NetworkState:
    _, consented = (network or view(ctx)).in_scope(scope)
    peers = len(consented) - (ctx.actor.id in consented)
    floor = ctx.settings.graph_min_contributors
    return NetworkState(
        state=state_for(peers) if peers >= floor else "empty",
        consented_peers=shown(peers, floor),
        scope=scope,
    )


def metrics(ctx: Context, *, weeks: int = 4, now: datetime | None = None) -> GraphMetrics:
    """Contribution rate per week (share of consented providers who contributed that week)
    and network state per category/region. Counts only; no identities. A segment with fewer
    than `graph_min_contributors` consented peers reads "<N" (state `empty`), so one
    provider's consent choice cannot be singled out from the dashboard."""
    weeks = max(1, min(weeks, 26))
    now = now or utcnow()
    network = view(ctx)
    people, consented = network.people, network.consented
    start = now - timedelta(weeks=weeks)
    rows = ctx.graph.execute(
        select(Contribution.provider_id, Contribution.created_at).where(
            Contribution.created_at >= start, Contribution.generation == 0
        )
    ).all()
    floor = ctx.settings.graph_min_contributors
    weekly = []
    for i in range(weeks):
        lo = start + timedelta(weeks=i)
        hi = lo + timedelta(weeks=1)
        active = {pid for pid, at in rows if lo <= at < hi and pid in consented}
        n = len(consented)
        weekly.append(
            WeeklyRate(
                week_start=lo,
                consented_providers=shown(n, floor),
                contributing_providers=shown(len(active), floor),
                rate=round(len(active) / n, 4) if n >= floor else None,
            )
        )
    segments: Counter[tuple[str, str]] = Counter()
    for pid, categories, region in people:
        if pid in consented:
            for category in categories:
                segments[(category, region or "unknown")] += 1
    return GraphMetrics(
        weekly=weekly,
        segments=[
            SegmentState(
                category=c,
                region=r,
                consented_peers=shown(n, floor),
                state=state_for(n) if n >= floor else "empty",
            )
            for (c, r), n in sorted(segments.items())
        ],
    )
