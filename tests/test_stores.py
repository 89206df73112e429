"""Both stores migrate; SQLite runs in WAL mode with foreign keys enforced."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from prospecting.prospects.models import Touchpoint


def test_tenant_tables_exist(runtime):
    tables = set(inspect(runtime.stores.tenant_engine).get_table_names())
    assert {
        "persons",
        "api_tokens",
        "prospects",
        "prospect_touchpoints",
        "prospect_identifiers",
        "merge_suggestions",
        "orgs",
    } <= tables


def test_sqlite_pragmas(runtime, db_urls):
    if db_urls.backend != "sqlite":
        pytest.skip("SQLite only")
    with runtime.stores.tenant_engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_foreign_keys_are_enforced(runtime):
    with pytest.raises(IntegrityError), runtime.stores.tenant() as session:
        session.add(
            Touchpoint(
                prospect_id="missing", person_id="missing", kind="message", direction="inbound"
            )
        )
        session.flush()
