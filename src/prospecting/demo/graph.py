"""Demo graph data: consents and contributions for the demo providers' recorded outcomes.

Call after `prospecting.demo.seed` in the same run: `seed_graph(tenant=..., graph=...,
settings=..., resolver=...)`. Every provider with a service category contributes and queries
(channel `cli`), and each recorded outcome is contributed once (noised as usual).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from prospecting.config import Settings
from prospecting.graph import consent, contribute
from prospecting.graph.schemas import ConsentAction, ConsentChange, ContributionIn
from prospecting.identity.models import Person
from prospecting.prospects.models import Touchpoint
from prospecting.prospects.schemas import Outcome
from prospecting.resolver.service import Resolver
from prospecting.runtime import Context


def seed_graph(*, tenant: Session, graph: Session, settings: Settings, resolver: Resolver) -> int:
    """Returns the number of contributions made."""
    made = 0
    providers = [p for p in tenant.scalars(select(Person)) if p.service_categories]
    for person in providers:
        ctx = Context(tenant, graph, person, settings, resolver, "cli")
        for action in (ConsentAction.CONTRIBUTE_ALL, ConsentAction.QUERY_ON):
            consent.change(ctx, ConsentChange(action=action))
        outcomes = tenant.scalars(
            select(Touchpoint)
            .where(Touchpoint.person_id == person.id, Touchpoint.outcome.is_not(None))
            .order_by(Touchpoint.occurred_at)
        )
        for touchpoint in outcomes:
            contribute.contribute(
                ctx,
                ContributionIn(
                    prospect_id=touchpoint.prospect_id,
                    outcome=Outcome(touchpoint.outcome or ""),
                    outcome_version=touchpoint.outcome_version or 1,
                ),
            )
            made += 1
    return made
