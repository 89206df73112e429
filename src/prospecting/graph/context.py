"""What every graph service call carries: both sessions, the acting Person, settings, channel."""

from __future__ import annotations

from dataclasses import dataclass

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
