"""The process-wide objects every adapter shares: settings, both stores and the resolver."""

from __future__ import annotations

from dataclasses import dataclass

from prospecting.config import Settings
from prospecting.db import Stores
from prospecting.resolver.service import Resolver


@dataclass
class Runtime:
    settings: Settings
    stores: Stores
    resolver: Resolver

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        keyring = settings.load_keyring()
        stores = Stores.from_urls(settings.resolved_tenant_url, settings.resolved_graph_url)
        return cls(settings=settings, stores=stores, resolver=Resolver(keyring))
