"""Process-level choices every adapter shares: the graph signal source and the draft refiner."""

from __future__ import annotations

from sqlalchemy.orm import Session

from prospecting.identity.models import Person
from prospecting.prospects.schemas import InboundMessage
from prospecting.qualify.refine import Refiner, refiner_from_settings
from prospecting.qualify.schemas import QualifiedInbound
from prospecting.qualify.service import ingest_and_qualify
from prospecting.qualify.signals import GraphSignalSource, default_graph_source
from prospecting.runtime import Runtime


def graph_source_for(runtime: Runtime) -> GraphSignalSource:
    """Where the issue-3 graph signal gets wired in; the empty network until then."""
    return default_graph_source()


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
