"""Inbound: ingest → link → graph signal → qualify → draft, the one path for every adapter.

Cross-store order (docs/architecture.md): a graph row may only ever refer to a committed
tenant row, so the stores commit in this order, each in its own transaction:

1. tenant: ingest (prospect, touchpoint, hash chain), committed first;
2. graph: link the prospect (only with consent) and read its signal in one audited query,
   with a read-only tenant session, so waiting on the graph never holds the tenant store's
   write lock;
3. tenant: the link confidence, the qualification and the draft.

A crash after (1) leaves an unqualified message and nothing in the graph; after (2) a linked
prospect without its qualification. Neither leaves a graph row for a prospect the tenant store
never committed, and `qualify_inbound` finishes either later (idempotent per message).
"""

from __future__ import annotations

import time

from prospecting.db import utcnow
from prospecting.errors import GraphUnavailable
from prospecting.graph import service as graph
from prospecting.graph.schemas import GraphSignals
from prospecting.identity.models import Person
from prospecting.prospects import service as prospects
from prospecting.prospects.schemas import InboundMessage
from prospecting.qualify import reads
from prospecting.qualify.refine import Refiner, refiner_from_settings
from prospecting.qualify.schemas import QualifiedInbound
from prospecting.qualify.service import qualify_inbound
from prospecting.qualify.signals import GraphFeatures
from prospecting.runtime import Channel, Context, Runtime


def receive(
    runtime: Runtime,
    *,
    actor: Person,
    message: InboundMessage,
    channel: Channel,
    refiner: Refiner | None = None,
) -> QualifiedInbound:
    """Ingest one inbound message, read the network, score and draft it; see the module doc."""
    started, received_at = time.perf_counter(), utcnow()
    with runtime.stores.tenant() as tenant:
        ingested = prospects.ingest(
            session=tenant, actor=actor, resolver=runtime.resolver, message=message
        )
        result = ingested.as_result()
    signals = graph_signal(runtime, actor=actor, prospect_id=result.prospect.id, channel=channel)
    with runtime.stores.tenant() as tenant:
        if signals.link_confidence is not None:
            prospects.set_link_confidence(
                session=tenant, prospect_id=result.prospect.id, confidence=signals.link_confidence
            )
            result.prospect.link_confidence = signals.link_confidence
        qualification, draft = qualify_inbound(
            session=tenant,
            actor=actor,
            touchpoint_id=result.touchpoint.id,
            graph=GraphFeatures.from_signals(signals),
            refiner=refiner if refiner is not None else refiner_from_settings(runtime.settings),
            received_at=received_at,
            started=started,
        )
        return QualifiedInbound(
            ingest=result,
            qualification=reads.qualification_out(qualification),
            draft=reads.draft_out(draft),
        )


def graph_signal(
    runtime: Runtime, *, actor: Person, prospect_id: str, channel: Channel
) -> GraphSignals:
    """Step 2 in a graph transaction of its own. An outage, also one at commit (the audit row
    did not land, so the answer may not be used), is the degraded signal, never an error."""
    try:
        with runtime.stores.tenant_read() as tenant, runtime.stores.graph() as graph_session:
            ctx = Context(tenant, graph_session, actor, runtime.settings, runtime.resolver, channel)
            return graph.inbound_signals(ctx, prospect_id)
    except GraphUnavailable:
        return GraphSignals(state="degraded", degraded=True)
