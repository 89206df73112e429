"""What every graph service call carries: both sessions, the acting Person, settings, channel."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, text
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from prospecting.config import Settings
from prospecting.graph.schemas import Channel
from prospecting.identity.models import Person
from prospecting.resolver.service import Resolver


@dataclass
class GraphContext:
    """The edge owns both transactions; services only flush. `actor` comes from the token."""

    tenant: Session
    graph: Session
    actor: Person
    settings: Settings
    resolver: Resolver
    channel: Channel = "http"


def is_graph_unreachable(exc: BaseException, ctx: GraphContext) -> bool:
    """Whether `exc` means the graph store is unreachable, not a tenant-store (or other) error.

    A driver error carries no engine, so the graph engine is probed on a fresh connection: only
    when that probe fails too is the failure the graph's. A tenant-store error with a healthy
    graph store is not "graph unreachable" and must propagate.
    """
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    bind = ctx.graph.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (OperationalError, InterfaceError):
        return True
    return False
