"""A synthetic network: the histogram a query returns brackets the true report-class counts."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from prospecting.graph import consent, service
from prospecting.graph.dp import CLASS_OF, REPORT_CLASSES
from prospecting.graph.schemas import ConsentChange, ContributionIn, GraphQueryIn
from prospecting.identity.service import get_person
from prospecting.prospects.identifiers import store_chain
from prospecting.prospects.models import Prospect
from prospecting.resolver.chain import Identifiers
from prospecting.runtime import Context

TRUTH = {
    "booked": 50,
    "rescheduled": 10,
    "no_show": 20,
    "ghosted": 25,
    "declined": 15,
    "blocked": 0,
}
PROVIDERS = 4


def test_histogram_band_covers_the_truth_for_a_synthetic_network(runtime, make_provider) -> None:
    # a budget big enough for 120 reports, and a 99.9% band so the check is not flaky
    settings = runtime.settings.model_copy(
        update={"graph_subject_budget_units": 10**9, "graph_confidence": 0.999}
    )
    rt = replace(runtime, settings=settings)
    chain = rt.resolver.chain(Identifiers(phone="+447911123456", email=None, name=None))
    outcomes = [o for o, n in TRUTH.items() for _ in range(n)]
    providers = [make_provider() for _ in range(PROVIDERS + 1)]
    with rt.stores.tenant() as tenant, rt.stores.graph() as graph:

        def ctx_for(i: int) -> Context:
            actor = get_person(session=tenant, person_id=providers[i].id)
            return Context(tenant, graph, actor, rt.settings, rt.resolver)

        for i in range(PROVIDERS + 1):
            for action in ("contribute_all", "query_on"):
                consent.change(ctx_for(i), ConsentChange(action=action))
        for n, outcome in enumerate(outcomes):
            ctx = ctx_for(n % PROVIDERS)
            prospect = Prospect(person_id=ctx.actor.id)  # one provider, many people: no dedup
            tenant.add(prospect)
            tenant.flush()
            store_chain(
                session=tenant, person_id=ctx.actor.id, prospect_id=prospect.id, digests=chain
            )
            service.contribute(ctx, ContributionIn(prospect_id=prospect.id, outcome=outcome))
        asker = ctx_for(PROVIDERS)
        mine = Prospect(person_id=asker.actor.id)
        tenant.add(mine)
        tenant.flush()
        store_chain(session=tenant, person_id=asker.actor.id, prospect_id=mine.id, digests=chain)
        answer = service.query(asker, GraphQueryIn(prospect_id=mine.id))
    assert answer.state == "ok" and answer.contributors == PROVIDERS
    hist = answer.histogram
    assert hist is not None and hist.n_reports == len(outcomes) and hist.withheld == 0
    by_class = Counter(CLASS_OF[o] for o in outcomes)
    assert set(hist.counts) == set(REPORT_CLASSES)
    for c in REPORT_CLASSES:
        assert hist.lower[c] <= by_class[c] <= hist.upper[c], (c, hist)
        assert 0.0 <= hist.counts[c] <= hist.n_reports
    assert sum(hist.raw_counts.values()) == pytest.approx(len(outcomes))
