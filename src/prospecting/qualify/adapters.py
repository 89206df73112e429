"""Process-level choices every adapter shares: the graph signal source and the draft refiner."""

from __future__ import annotations

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from prospecting.graph import service as graph_service
from prospecting.identity.models import Person
from prospecting.prospects.schemas import InboundMessage
from prospecting.qualify.refine import Refiner, refiner_from_settings
from prospecting.qualify.schemas import QualifiedInbound
from prospecting.qualify.service import ingest_and_qualify
from prospecting.qualify.signals import GraphFeatures, GraphSignalSource, from_graph_signals
from prospecting.runtime import Runtime


def graph_source_for(runtime: Runtime) -> GraphSignalSource:
    """The consented network's signal, in its own graph-store transaction.

    Links the prospect first (the resolver's link confidence on creation; only with consent),
    then reads the audited fingerprint + histogram. No consent, no data or an unreachable
    graph store all give None: the empty-network feature state, never an error.
    """

    def source(*, session: Session, actor: Person, prospect_id: str) -> GraphFeatures | None:
        try:
            with runtime.stores.graph() as graph:
                ctx = graph_service.GraphContext(
                    session, graph, actor, runtime.settings, runtime.resolver, "http"
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
        except (OperationalError, InterfaceError):
            return None
        return from_graph_signals(signals, reachability=reach.peers_with_positive_outcome)

    return source


def refiner_for(runtime: Runtime) -> Refiner | None:
    """The OpenAI-compatible endpoint from settings, or None (offline drafts only)."""
    return refiner_from_settings(runtime.settings)


def ingest_and_qualify_for(
    runtime: Runtime, *, session: Session, actor: Person, message: InboundMessage
) -> QualifiedInbound:
    """The single inbound path for every adapter (HTTP, MCP, CLI): ingest, read, score, draft."""
    return ingest_and_qualify(
        session=session,
        actor=actor,
        resolver=runtime.resolver,
        message=message,
        graph_source=graph_source_for(runtime),
        refiner=refiner_for(runtime),
    )
