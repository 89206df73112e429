"""Alembic environment for the graph store."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from prospecting.db import GraphBase, make_engine
from prospecting.migrations.models import load_all

load_all()
target_metadata = GraphBase.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=context.config.attributes["url"],
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        engine = make_engine(context.config.attributes["url"])
        with engine.begin() as conn:
            _run(conn)
        engine.dispose()
    else:
        _run(connection)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
