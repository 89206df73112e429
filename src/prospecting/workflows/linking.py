"""Linking on request: the graph link first, then the link confidence on the tenant prospect
(the same cross-store order as the inbound workflow)."""

from __future__ import annotations

from prospecting.graph import service as graph
from prospecting.graph.schemas import LinkOut
from prospecting.identity.models import Person
from prospecting.prospects import service as prospects
from prospecting.runtime import Channel, Context, Runtime


def link(runtime: Runtime, *, actor: Person, prospect_id: str, channel: Channel) -> LinkOut:
    with runtime.stores.tenant_read() as tenant, runtime.stores.graph() as graph_session:
        ctx = Context(tenant, graph_session, actor, runtime.settings, runtime.resolver, channel)
        out = graph.link(ctx, prospect_id)
    with runtime.stores.tenant() as tenant:
        prospects.set_link_confidence(
            session=tenant, prospect_id=out.prospect_id, confidence=out.confidence
        )
    return out
