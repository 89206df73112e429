"""The demo network seeds graph consents and contributions that a query can read."""

from __future__ import annotations

from sqlalchemy import select

from prospecting.demo import network as demo
from prospecting.demo.graph import seed_graph
from prospecting.graph import service
from prospecting.graph.models import ConsentEvent
from prospecting.graph.schemas import GraphQueryIn
from prospecting.identity.models import Person
from prospecting.prospects.models import Prospect
from prospecting.runtime import Context


def test_demo_graph_seed_contributes_every_recorded_outcome(runtime) -> None:
    with runtime.stores.tenant() as tenant, runtime.stores.graph() as graph:
        demo.seed(session=tenant, resolver=runtime.resolver)
        made = seed_graph(
            tenant=tenant, graph=graph, settings=runtime.settings, resolver=runtime.resolver
        )
        assert made >= 8
        assert set(graph.scalars(select(ConsentEvent.channel))) == {"cli"}
        salon = tenant.scalar(select(Person).where(Person.display_name == "Salon Lumière"))
        jamie = tenant.scalar(
            select(Prospect).where(
                Prospect.person_id == salon.id, Prospect.phone_e164 == "+447911123456"
            )
        )
        ctx = Context(tenant, graph, salon, runtime.settings, runtime.resolver)
        answer = service.query(ctx, GraphQueryIn(prospect_id=jamie.id))
    # Two peers (the therapist and the trainer) know Jamie: enough for an answer.
    assert answer.state == "ok" and answer.contributors == 2
    assert answer.histogram is not None and answer.histogram.n_reports == 2
    assert answer.network is not None and answer.audit_id
