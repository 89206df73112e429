"""Tamper evidence (issue 10, finding 10): REPLACE cannot rewrite guarded rows on SQLite, a
subject's spent budget only grows, blocked digests and opt-outs are never deleted."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from graph.conftest import PHONE, Net
from graph.test_graph_optout import PROVENANCE
from prospecting.identity.models import Role


def _store(net: Net) -> str:
    providers = [net.provider("contribute_all", "query_on") for _ in range(3)]
    for p in providers:
        pid = net.inbound(p, phone=PHONE)
        net.contribute(p, pid, "booked")
        net.query(p, prospect_id=pid)
    return str(net.link(providers[-1], pid)["subject_key"])


def _refused(engine, sql: str, params: dict[str, object] | None = None) -> None:
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text(sql), params or {})


def test_replace_into_cannot_rewrite_audit_or_contributions(net: Net, runtime, db_urls) -> None:
    if db_urls.backend != "sqlite":
        pytest.skip("REPLACE INTO is SQLite syntax")
    _store(net)
    engine = runtime.stores.graph_engine
    for table in ("graph_query_audit", "prospect_subject_aggregates"):
        with engine.connect() as conn:
            before = conn.execute(text(f"SELECT * FROM {table} LIMIT 1")).mappings().one()  # noqa: S608
        cols = ", ".join(before.keys())
        marks = ", ".join(f":{c}" for c in before)
        _refused(engine, f"REPLACE INTO {table} ({cols}) VALUES ({marks})", dict(before))  # noqa: S608


def test_spent_budget_only_grows(net: Net, runtime) -> None:
    key = _store(net)
    engine = runtime.stores.graph_engine
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE subject_privacy_budgets SET spent_units = spent_units + 1 "
                "WHERE subject_key = :k"
            ),
            {"k": key},
        )
    _refused(
        engine,
        "UPDATE subject_privacy_budgets SET spent_units = 0 WHERE subject_key = :k",
        {"k": key},
    )
    _refused(engine, "DELETE FROM subject_privacy_budgets WHERE subject_key = :k", {"k": key})
    with engine.connect() as conn:
        spent = conn.execute(
            text("SELECT spent_units FROM subject_privacy_budgets WHERE subject_key = :k"),
            {"k": key},
        ).scalar_one()
    assert spent > 0


def test_blocked_digests_and_opt_outs_are_never_deleted(net: Net, runtime, db_urls) -> None:
    key = _store(net)
    officer = net.provider(roles=[Role.PRIVACY_OFFICER])
    body = {"subject_key": key, "provenance": PROVENANCE}
    r = net.client.post("/prospect-graph/opt-outs", json=body, headers=officer.headers)
    assert r.status_code in (200, 201), r.text
    engine = runtime.stores.graph_engine
    statements = [
        "DELETE FROM graph_blocked_digests",
        "UPDATE graph_blocked_digests SET digest = 'x'",
        "DELETE FROM subject_opt_outs",
        "UPDATE subject_opt_outs SET subject_key = 'other'",
    ]
    if db_urls.backend == "postgresql":
        statements += [
            f"TRUNCATE {t} CASCADE"
            for t in ("graph_blocked_digests", "subject_opt_outs", "subject_privacy_budgets")
        ]
    for sql in statements:
        _refused(engine, sql)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM graph_blocked_digests")).scalar_one() > 0
        assert conn.execute(text("SELECT count(*) FROM subject_opt_outs")).scalar_one() == 1
