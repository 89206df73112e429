"""A verifiable audit log (issue 10, finding 11): query audit rows and consent history are
hash-chained, `prospecting audit verify` names the row a raw-SQL edit broke, and an erasure
appends to the chain instead of breaking it. Finding 13: a degraded answer reads nothing
cross-provider, so it carries no audit row, and the chain stays whole."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from graph.conftest import PHONE, Net
from graph.test_graph_optout import PROVENANCE
from prospecting import migrations
from prospecting.app import create_app
from prospecting.db import Stores, UTCDateTime, make_engine
from prospecting.edges.cli.main import app
from prospecting.graph import audit as graph_audit
from prospecting.graph import ledger
from prospecting.graph.models import ErasureGrant, QueryAudit
from prospecting.identity.models import Role

runner = CliRunner()
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/graph_is_partitioned"


def _store(net: Net) -> tuple[str, list[Any]]:
    """Three consenting providers who contribute about one person and each query it."""
    providers = [net.provider("contribute_all", "query_on") for _ in range(3)]
    for p in providers:
        pid = net.inbound(p, phone=PHONE)
        net.contribute(p, pid, "booked")
        net.query(p, prospect_id=pid)
    return str(net.link(providers[-1], pid)["subject_key"]), providers


def _audits(runtime: Any) -> int:
    with runtime.stores.graph() as graph:
        return len(graph.scalars(select(QueryAudit.id)).all())


def _verify(cli_env: dict[str, str]) -> Any:
    return runner.invoke(app, ["audit", "verify"], env=cli_env)


@contextmanager
def _unguarded(engine: Engine, table: str, backend: str) -> Iterator[Connection]:
    """What an attacker with the owner's (or a superuser's) powers can do: edit around the
    triggers. SQLite: drop the guard; PostgreSQL: replication role skips every trigger."""
    with engine.begin() as conn:
        if backend == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            yield conn
            return
        sql = conn.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
            {"t": table},
        ).all()
        for name, _ in sql:
            conn.execute(text(f'DROP TRIGGER "{name}"'))
        yield conn
        for _, create in sql:
            conn.execute(text(create))


def test_an_untouched_store_verifies_ok(net: Net, runtime, cli_env) -> None:
    _store(net)
    result = _verify(cli_env)
    assert result.exit_code == 0, result.output
    assert f"graph_query_audit: OK ({_audits(runtime)} rows" in result.output
    assert "provider_graph_consent_events: OK (6 rows" in result.output
    assert "audit log verified: OK" in result.output


def test_a_rewritten_audit_row_is_named(net: Net, runtime, db_urls, cli_env) -> None:
    _store(net)
    engine = runtime.stores.graph_engine
    with engine.connect() as conn:
        victim = conn.execute(
            text("SELECT id FROM graph_query_audit WHERE chain_seq = 2")
        ).scalar_one()
    with _unguarded(engine, "graph_query_audit", db_urls.backend) as conn:
        conn.execute(
            text("UPDATE graph_query_audit SET result_state = 'tampered' WHERE id = :id"),
            {"id": victim},
        )
    result = _verify(cli_env)
    assert result.exit_code == 1, result.output
    assert f"graph_query_audit: BROKEN ({_audits(runtime)} rows" in result.output
    assert f"graph_query_audit row {victim} (seq 2): row_hash" in result.output
    assert "audit log verified" not in result.output


def test_a_deleted_consent_event_and_a_forged_contributor_are_named(
    net: Net, runtime, db_urls, cli_env
) -> None:
    _store(net)
    engine = runtime.stores.graph_engine
    with engine.connect() as conn:
        gone, after = conn.execute(
            text(
                "SELECT id FROM provider_graph_consent_events WHERE chain_seq IN (3, 4) "
                "ORDER BY chain_seq"
            )
        ).scalars()
        first_audit, contributor_set = conn.execute(
            text(
                "SELECT id, contributor_set_id FROM graph_query_audit "
                "WHERE contributor_set_id IS NOT NULL ORDER BY chain_seq LIMIT 1"
            )
        ).one()
    with _unguarded(engine, "provider_graph_consent_events", db_urls.backend) as conn:
        conn.execute(text("DELETE FROM provider_graph_consent_events WHERE id = :id"), {"id": gone})
    with _unguarded(engine, "graph_contributor_set_members", db_urls.backend) as conn:
        conn.execute(
            text(
                "INSERT INTO graph_contributor_set_members (set_id, provider_id) "
                "VALUES (:s, 'forged')"
            ),
            {"s": contributor_set},
        )
    result = _verify(cli_env)
    assert result.exit_code == 1, result.output
    assert f"provider_graph_consent_events row {after} (seq 4): sequence gap" in result.output
    assert f"provider_graph_consent_events row {after} (seq 4): prev_hash" in result.output
    assert f"graph_query_audit row {first_audit} (seq " in result.output
    assert f"graph_contributor_sets row {contributor_set}: members" in result.output
    assert f"graph_contributor_sets row {contributor_set}: member_count" in result.output


def test_the_chain_refuses_a_row_that_does_not_continue_it(net: Net, runtime) -> None:
    _store(net)
    engine = runtime.stores.graph_engine
    with engine.connect() as conn:
        row = dict(
            conn.execute(text("SELECT * FROM graph_query_audit WHERE chain_seq = 1"))
            .mappings()
            .one()
        )
    scope = row["scope"] if isinstance(row["scope"], str) else json.dumps(row["scope"])
    forged = row | {"id": "f" * 32, "chain_seq": 4, "scope": scope}  # prev_hash is seq 1's
    cols = ", ".join(forged)
    marks = ", ".join(f":{c}" for c in forged)
    attempts: list[tuple[str, dict[str, Any]]] = [
        (f"INSERT INTO graph_query_audit ({cols}) VALUES ({marks})", forged),  # noqa: S608
        ("UPDATE graph_chain_heads SET seq = seq + 1", {}),
        ("UPDATE graph_chain_heads SET seq = 1 WHERE chain = 'query_audit'", {}),
        ("DELETE FROM graph_chain_heads", {}),
        (  # a set named by an audit row takes no more members
            "INSERT INTO graph_contributor_set_members (set_id, provider_id) "
            "VALUES (:s, 'someone')",
            {"s": row["contributor_set_id"]},
        ),
        ("UPDATE graph_contributor_sets SET member_count = member_count + 1", {}),
        ("DELETE FROM graph_contributor_set_members", {}),
    ]
    for sql, params in attempts:
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text(sql), params)


def test_an_audit_row_names_only_a_stored_set_of_its_size(net: Net, runtime) -> None:
    """A row that continues the chain is still refused when its contributor set is not stored,
    or is stored with another number of members; with its own set it would be taken."""
    _store(net)
    engine = runtime.stores.graph_engine
    with engine.connect() as conn:
        row = dict(
            conn.execute(
                text(
                    "SELECT * FROM graph_query_audit WHERE contributor_set_id IS NOT NULL "
                    "ORDER BY chain_seq LIMIT 1"
                )
            )
            .mappings()
            .one()
        )
        seq, head = conn.execute(
            text("SELECT seq, head_hash FROM graph_chain_heads WHERE chain = 'query_audit'")
        ).one()
    scope = row["scope"] if isinstance(row["scope"], str) else json.dumps(row["scope"])
    forged = row | {"id": "e" * 32, "chain_seq": seq + 1, "prev_hash": head, "scope": scope}
    insert = text(
        f"INSERT INTO graph_query_audit ({', '.join(forged)}) "  # noqa: S608
        f"VALUES ({', '.join(f':{c}' for c in forged)})"
    )
    for bad in (
        {"contributor_set_id": "0" * 64},
        {"contributor_count": row["contributor_count"] + 1},
    ):
        with pytest.raises(DBAPIError, match="contributor_set_id"), engine.begin() as conn:
            conn.execute(insert, forged | bad)
    with engine.connect() as conn:  # the control: the same row with its own set is taken
        conn.execute(insert, forged)
        conn.rollback()


def test_erasure_appends_to_the_chain_and_leaves_no_open_grant(net: Net, runtime, cli_env) -> None:
    key, _ = _store(net)
    before = _audits(runtime)
    officer = net.provider(roles=[Role.PRIVACY_OFFICER])
    body = {"subject_key": key, "provenance": PROVENANCE}
    r = net.client.post("/prospect-graph/opt-outs", json=body, headers=officer.headers)
    assert r.status_code in (200, 201), r.text
    opt_out_id = r.json()["id"]
    with runtime.stores.graph() as graph:
        erasure = graph.scalars(select(QueryAudit).where(QueryAudit.kind == "erasure")).one()
        grants = graph.scalars(select(ErasureGrant)).all()
    assert erasure.consumer_id == officer.id and erasure.result_state == "erased"
    assert erasure.scope["opt_out_id"] == opt_out_id
    assert erasure.scope["removed"]["prospect_subject_aggregates"] == 3
    assert erasure.chain_seq == before + 1  # appended after the reads, nothing rewritten
    assert grants and all(g.consumed_at is not None for g in grants)
    result = _verify(cli_env)
    assert result.exit_code == 0, result.output
    assert f"graph_query_audit: OK ({before + 1} rows" in result.output


def test_a_degraded_answer_reads_nothing_cross_provider_and_writes_no_audit_row(
    net: Net, runtime, cli_env
) -> None:
    """Finding 13's design: a degraded answer is the caller's own tenant records only, so there
    is no cross-provider read to audit; it says so (degraded, no audit id) and, once the graph
    is back, the chain holds exactly the audited reads and still verifies."""
    _, providers = _store(net)
    asker = providers[0]
    pid = net.inbound(asker, phone=PHONE)
    before = _audits(runtime)
    partitioned = replace(
        runtime, stores=Stores(runtime.stores.tenant_engine, make_engine(UNREACHABLE))
    )
    with TestClient(create_app(runtime=partitioned)) as client:
        r = client.post("/prospect-graph/query", json={"prospect_id": pid}, headers=asker.headers)
    answer = r.json()
    assert answer["degraded"] is True and answer["audit_id"] is None
    assert answer["histogram"] is None and answer["fingerprint"] is None
    assert net.query(asker, prospect_id=pid)["audit_id"]  # the graph is back: audited again
    assert _audits(runtime) == before + 1
    result = _verify(cli_env)
    assert result.exit_code == 0, result.output


@pytest.fixture
def graph_url_at_0004(db_urls, tmp_path, pg_server) -> Iterator[str]:
    """An empty graph store at the revision before the chain (0004)."""
    if db_urls.backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'old-graph.sqlite3'}"
    else:
        name = f"pt_{pg_server.run_id}_{uuid.uuid4().hex[:8]}_old"
        with pg_server.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        pg_server.created.append(name)
        url = pg_server.url(name)
    migrations.upgrade("graph", url, revision="0004")
    yield url
    if db_urls.backend == "postgresql":
        pg_server.drop(url)


def test_the_migration_chains_existing_rows_and_downgrades(graph_url_at_0004: str) -> None:
    when = UTCDateTime(timezone=True)
    audit = sa.table(
        "graph_query_audit",
        *(sa.column(c) for c in ("id", "consumer_id", "subject_key", "kind", "result_state")),
        sa.column("scope", sa.JSON),
        sa.column("contributor_count"),
        sa.column("created_at", when),
    )
    contributors = sa.table(
        "graph_query_audit_contributors", *(sa.column(c) for c in ("id", "audit_id", "provider_id"))
    )
    events = sa.table(
        "provider_graph_consent_events",
        *(sa.column(c) for c in ("id", "provider_id", "actor_id", "channel", "action")),
        sa.column("before", sa.JSON),
        sa.column("after", sa.JSON),
        sa.column("created_at", when),
    )
    start = datetime(2026, 11, 1, 9, 30, 0, 123456, tzinfo=UTC)
    engine = make_engine(graph_url_at_0004)
    with engine.begin() as conn:
        for n in range(3):  # inserted out of order: the chain follows created_at, then id
            at = start + timedelta(minutes=2 - n)
            conn.execute(
                audit.insert().values(
                    id=f"a{n}",
                    consumer_id="c",
                    subject_key=None,
                    kind="query",
                    result_state="ok",
                    scope={"band": [1, 2.5]},
                    contributor_count=1,
                    created_at=at,
                )
            )
            conn.execute(
                contributors.insert().values(id=f"k{n}", audit_id=f"a{n}", provider_id="p")
            )
            conn.execute(
                events.insert().values(
                    id=f"e{n}",
                    provider_id="p",
                    actor_id="p",
                    channel="http",
                    action="query_on",
                    before={},
                    after={"query_enabled": True},
                    created_at=at,
                )
            )
    for step in ("head", "0004", "head"):
        if step == "head":
            migrations.upgrade("graph", graph_url_at_0004)
        else:
            migrations.downgrade("graph", graph_url_at_0004, step)
    with Session(engine) as graph:
        result = ledger.verify(graph)
        order = list(graph.scalars(select(QueryAudit.id).order_by(QueryAudit.chain_seq)))
    engine.dispose()
    assert result.ok, result
    assert [c.rows for c in result.chains] == [3, 3]
    assert order == ["a2", "a1", "a0"]


def test_concurrent_appends_serialise_on_the_head(runtime) -> None:
    """Writers racing for the head wait for it (FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on
    SQLite): every append lands, in one unbroken chain."""
    barrier = threading.Barrier(6)

    def append(n: int) -> None:
        barrier.wait()
        with runtime.stores.graph() as graph:
            graph_audit.record(
                graph,
                consumer_id=f"c{n}",
                subject_key=None,
                kind="query",
                scope={"n": n},
                result_state="ok",
                contributor_ids=[f"p{n}", "p"],
            )

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(append, range(6)))
    with runtime.stores.graph() as graph:
        result = ledger.verify(graph)
    assert result.ok, result
    assert result.chains[0].rows == result.chains[0].head_seq == 6
