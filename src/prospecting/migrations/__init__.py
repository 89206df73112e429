"""Alembic migrations for the tenant store and the graph store, run by `prospecting migrate`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from alembic import command
from alembic.config import Config

from prospecting.db import make_engine

Store = Literal["tenant", "graph"]
HERE = Path(__file__).parent


def alembic_config(store: Store, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE / store))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(HERE / store / "versions"))
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    config.attributes["url"] = url
    return config


def upgrade(store: Store, url: str, revision: str = "head") -> None:
    """Bring one store to `revision` inside a single connection."""
    _run(command.upgrade, store, url, revision)


def downgrade(store: Store, url: str, revision: str) -> None:
    """Take one store back to `revision` inside a single connection (`upgrade`'s twin)."""
    _run(command.downgrade, store, url, revision)


def _run(step: Callable[[Config, str], None], store: Store, url: str, revision: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(store, url)
            config.attributes["connection"] = connection
            step(config, revision)
    finally:
        engine.dispose()


def upgrade_all(tenant_url: str, graph_url: str) -> None:
    upgrade("tenant", tenant_url)
    upgrade("graph", graph_url)
