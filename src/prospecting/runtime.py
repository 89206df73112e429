"""The process-wide Runtime (settings, stores, resolver) and the per-call service Context.

Both are built only at the edges (HTTP, MCP, CLI) and by workflows; services receive a Context
and never read the environment or build one of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from sqlalchemy.orm import Session

from prospecting.config import Settings
from prospecting.db import Stores
from prospecting.identity.models import Person
from prospecting.resolver.keyring import load_keyring
from prospecting.resolver.service import Resolver

Channel = Literal["http", "mcp", "cli"]
"""Which edge a call came through (recorded with consent events and audit rows)."""


@dataclass
class Runtime:
    settings: Settings
    stores: Stores
    resolver: Resolver

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        keyring = load_keyring(settings)
        stores = Stores.from_settings(settings)
        return cls(settings=settings, stores=stores, resolver=Resolver(keyring))


@dataclass
class Context:
    """One service call: both stores' sessions, the acting Person (from the verified token),
    settings, the resolver and the edge it came through. The edge or workflow owns the
    transactions; services only flush."""

    tenant: Session
    graph: Session
    actor: Person
    settings: Settings
    resolver: Resolver
    channel: Channel = "http"

    def with_graph(self, graph: Session) -> Context:
        return replace(self, graph=graph)
