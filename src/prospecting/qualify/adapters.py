"""Process-level choices every adapter shares: the graph signal source, the draft refiner and
the post-commit outbox dispatch."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from prospecting.graph import service as graph_service
from prospecting.graph.schemas import Channel
from prospecting.identity.models import Person
from prospecting.prospects.schemas import InboundMessage
from prospecting.qualify import outbox
from prospecting.qualify.refine import Refiner, refiner_from_settings
from prospecting.qualify.schemas import QualifiedInbound
from prospecting.qualify.service import ingest_and_qualify
from prospecting.qualify.signals import GraphFeatures, GraphSignalSource, from_graph_signals
from prospecting.runtime import Runtime

log = logging.getLogger(__name__)
UNREACHABLE = (OperationalError, InterfaceError)


def graph_source_for(runtime: Runtime, *, channel: Channel = "http") -> GraphSignalSource:
    """The consented network's signal, in its own graph-store transaction.

    Links the prospect first (the resolver's link confidence on creation; only with consent),
    then reads the audited fingerprint + histogram. No consent or no data give None (the
    empty-network state); an unreachable graph store gives ``GraphFeatures(degraded=True)``.
    Neither is an error.
    """

    def source(*, session: Session, actor: Person, prospect_id: str) -> GraphFeatures | None:
        try:
            with runtime.stores.graph() as graph:
                graph.connection()  # the graph swallows unreachability; find it out first
                ctx = graph_service.GraphContext(
                    session, graph, actor, runtime.settings, runtime.resolver, channel
                )
                graph_service.link_on_creation(ctx, prospect_id)
                signals = graph_service.signals_for_prospect(
                    tenant=session,
                    graph=graph,
                    actor=actor,
                    prospect_id=prospect_id,
                    settings=runtime.settings,
                )
                if signals is None:
                    return None
                reach = graph_service.reachability(ctx, prospect_id)
        except UNREACHABLE as exc:
            log.warning("graph store unreachable; qualifying without it (%s)", type(exc).__name__)
            return GraphFeatures(degraded=True)
        if reach.degraded:
            return GraphFeatures(degraded=True)
        return from_graph_signals(signals, reachability=reach.peers_with_positive_outcome)

    return source


def refiner_for(runtime: Runtime) -> Refiner | None:
    """The OpenAI-compatible endpoint from settings, or None (offline drafts only)."""
    return refiner_from_settings(runtime.settings)


def ingest_and_qualify_for(
    runtime: Runtime,
    *,
    session: Session,
    actor: Person,
    message: InboundMessage,
    channel: Channel,
) -> QualifiedInbound:
    """The single inbound path for every adapter (HTTP, MCP, CLI): ingest, read, score, draft."""
    return ingest_and_qualify(
        session=session,
        actor=actor,
        resolver=runtime.resolver,
        message=message,
        graph_source=graph_source_for(runtime, channel=channel),
        refiner=refiner_for(runtime),
    )


def dispatch_outbox(
    runtime: Runtime, *, draft_ids: Sequence[str], adapter: outbox.ChannelAdapter | None = None
) -> int:
    """After the approving transaction has committed: hand its queued replies to the channel,
    in a transaction of its own. Never raises (the approval stands; items stay queued)."""
    try:
        with runtime.stores.tenant() as session:
            items = outbox.deliver_queued(
                session=session, draft_ids=draft_ids, adapter=adapter or outbox.LogOnlyAdapter()
            )
            return sum(item.status == "handed_over" for item in items)
    except Exception as exc:
        log.warning("outbox dispatch failed; items stay queued (%s)", type(exc).__name__)
        return 0
