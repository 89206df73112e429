"""Write new tenant rows without the ORM unit of work, and keep the session's view of them.

The hot ingest path knows every column of the rows it creates (ids come from `new_id`, times
from the caller), so a flush would only add bookkeeping: `insert` (`db.insert_rows`) sends one
Core INSERT per call (many rows: one executemany) and then attaches each row to the session as
a persistent object, exactly as a flush would have left it. `set_committed` mirrors a Core
UPDATE onto a loaded object without marking it dirty (nothing is written twice).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from prospecting.db import TenantBase, attach, core, insert_into, loaded
from prospecting.db import insert_rows as insert

__all__ = [
    "attach",
    "connection",
    "insert",
    "insert_ignore",
    "insert_values",
    "loaded",
    "set_committed",
    "table_of",
]

connection = core
"""The session's connection for Core statements, after flushing anything pending (`db.core`)."""


def table_of(model: type[TenantBase]) -> Table:
    """The Core table of a tenant model (typed)."""
    return cast(Table, model.__table__)


def insert_values(session: Session, table: Table, values: Sequence[Mapping[str, Any]]) -> None:
    """One Core INSERT (executemany for several rows); nothing enters the session."""
    if values:
        session.connection().execute(insert_into(table), list(values))


def insert_ignore(session: Session, table: Table, values: Sequence[Mapping[str, Any]]) -> None:
    """INSERT rows, skipping any that would break a unique constraint (both backends)."""
    if not values:
        return
    connection = session.connection()
    dialect = connection.dialect.name
    key = f"{table.name}/{dialect}"
    statement = _INSERTS.get(key)
    if statement is None:
        make = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = _INSERTS[key] = make(table).on_conflict_do_nothing()
    connection.execute(statement, list(values))


def set_committed(obj: TenantBase, values: Mapping[str, Any]) -> None:
    """Show values already written by a Core UPDATE on a loaded object (not marked dirty)."""
    for name, value in values.items():
        set_committed_value(obj, name, value)


_INSERTS: dict[str, Any] = {}
