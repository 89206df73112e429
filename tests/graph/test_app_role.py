"""Least privilege on PostgreSQL (issue 10, finding 12): the service runs as a role that owns
nothing (docs/postgresql-app-role.sql). That role cannot switch the guards off, drop them or
delete audit history, yet the service works as it: it links, contributes, queries (an audit
row), erases, and the audit chain verifies."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from conftest import PG_ADMIN_URL, TEST_KEY, DatabaseUrls
from graph.conftest import PHONE, Net
from graph.test_graph_optout import PROVENANCE
from prospecting.app import create_app
from prospecting.config import Settings
from prospecting.db import Stores
from prospecting.graph import audit
from prospecting.identity.models import Role
from prospecting.resolver.keyring import KeyRing
from prospecting.resolver.service import Resolver
from prospecting.runtime import Runtime

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "postgresql-app-role.sql"


@dataclass
class AppRole:
    name: str
    tenant: str
    graph: str


def _as(url: str, role: str) -> str:
    return make_url(url).set(username=role).render_as_string(hide_password=False)


def _run_script(owner_url: str, role: str) -> None:
    """What the operator runs with psql -v app_role=...: the same file, the variable bound."""
    sql = SCRIPT.read_text().replace(":'app_role'", "'" + role + "'")
    engine = create_engine(owner_url)
    try:
        with engine.begin() as conn:
            conn.connection.driver_connection.execute(sql)  # type: ignore[union-attr]
    finally:
        engine.dispose()


@pytest.fixture
def app_role(db_urls: DatabaseUrls) -> Iterator[AppRole]:
    if db_urls.backend != "postgresql":
        pytest.skip("roles and grants are PostgreSQL's")
    name = f"prospecting_app_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{name}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE'))
    try:
        for url in (db_urls.tenant, db_urls.graph):
            _run_script(url, name)
        yield AppRole(name, _as(db_urls.tenant, name), _as(db_urls.graph, name))
    finally:
        for url in (db_urls.tenant, db_urls.graph):
            owner = create_engine(url, isolation_level="AUTOCOMMIT")
            with owner.connect() as conn:
                conn.execute(text(f'DROP OWNED BY "{name}"'))
            owner.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP ROLE IF EXISTS "{name}"'))
        admin.dispose()


def _app_runtime(runtime: Runtime, role: AppRole) -> Runtime:
    settings = Settings(
        mode="test",
        data_dir=runtime.settings.data_dir,
        tenant_database_url=role.tenant,
        graph_database_url=role.graph,
        network_key=TEST_KEY,  # type: ignore[arg-type]
    )
    return Runtime(
        settings=settings,
        stores=Stores.from_settings(settings),
        resolver=Resolver(KeyRing.parse(TEST_KEY)),
    )


def test_the_app_role_cannot_lift_the_guards_but_runs_the_service(
    runtime: Runtime, make_provider, app_role: AppRole
) -> None:
    as_app = _app_runtime(runtime, app_role)
    try:
        with TestClient(create_app(runtime=as_app)) as client:
            net = Net(client, make_provider)
            providers = [net.provider("contribute_all", "query_on") for _ in range(3)]
            for p in providers:
                pid = net.inbound(p, phone=PHONE)
                assert net.contribute(p, pid, "booked").status_code in (200, 201)
                assert net.query(p, prospect_id=pid)["audit_id"]
            key = net.link(providers[-1], pid)["subject_key"]
            officer = net.provider(roles=[Role.PRIVACY_OFFICER])
            body = {"subject_key": key, "provenance": PROVENANCE}
            r = client.post("/prospect-graph/opt-outs", json=body, headers=officer.headers)
            assert r.status_code in (200, 201), r.text
            assert r.json()["contributions_removed"] == 3
        with as_app.stores.graph() as graph:
            assert audit.verify(graph).ok
        engine = as_app.stores.graph_engine
        for sql in (
            "ALTER TABLE graph_query_audit DISABLE TRIGGER ALL",
            "ALTER TABLE graph_query_audit DISABLE TRIGGER trg_graph_query_audit_append_only",
            "DROP TRIGGER trg_graph_query_audit_append_only ON graph_query_audit",
            "CREATE OR REPLACE FUNCTION prospecting_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END $$",
            "SET session_replication_role = replica",
            "DELETE FROM graph_query_audit",
            "UPDATE graph_query_audit SET result_state = 'ok'",
            "TRUNCATE graph_query_audit CASCADE",
            "DELETE FROM graph_erasure_grants",
            "INSERT INTO graph_chain_heads (chain, seq, head_hash) VALUES ('x', 0, 'x')",
            "CREATE TABLE sneaky (id int)",
        ):
            with pytest.raises(DBAPIError) as refused, engine.begin() as conn:
                conn.execute(text(sql))
            message = str(refused.value.orig)
            assert "permission denied" in message or "must be owner" in message, (sql, message)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM graph_query_audit")).scalar_one() > 3
    finally:
        as_app.stores.dispose()
