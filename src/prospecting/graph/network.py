"""Who is in the consented network: peers per category and region, states, weekly metrics.

Network state names by the number of consented peers (excluding the asker): 0-1 `empty` (one
peer is below the minimum that may ever show, so it reads as nobody), 2-10 `sparse`, 11-49
`growing` (the contract leaves this gap unnamed), 50+ `dense`.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Literal

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


def persons_in_scope(ctx: Context, scope: GraphScope) -> list[str]:
    return identity.persons_in_scope(
        session=ctx.tenant, category=scope.category, region=scope.region
    )


def consented_ids(ctx: Context, person_ids: list[str]) -> set[str]:
    """Persons who currently contribute (any policy but none) and have not revoked."""
    states = consent.effective_many(ctx.tenant, ctx.graph, person_ids)
    return {
        pid
        for pid, eff in states.items()
        if eff.contribute is not ContributePolicy.NONE and not eff.revoked
    }


def network_state(ctx: Context, scope: GraphScope) -> NetworkState:
    people = [pid for pid in persons_in_scope(ctx, scope) if pid != ctx.actor.id]
    peers = len(consented_ids(ctx, people))
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
    people = identity.segments(session=ctx.tenant)
    consented = consented_ids(ctx, [pid for pid, _, _ in people])
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
