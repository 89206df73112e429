"""Tamper evidence (issue 10, finding 10): REPLACE cannot rewrite guarded rows on SQLite, a
subject's spent budget only grows, blocked digests and opt-outs are never deleted, a forged
opt-out unlocks nothing (only an open erasure grant does) and grants are single-use."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from graph.conftest import PHONE, Net
from graph.test_graph_optout import PROVENANCE
from prospecting.graph import audit
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


def _fake_opt_out(engine, key: str) -> str:
    """What finding 10 was about: anyone holding the connection can file an opt-out row."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO subject_opt_outs (id, request_id, subject_key, received_at, "
                "verification_method, verifier, legal_ground, officer_id, contributions_removed, "
                "created_at) VALUES ('fake', 'fake-dsr', :k, CURRENT_TIMESTAMP, 'none', 'nobody', "
                "'none', 'nobody', 0, CURRENT_TIMESTAMP)"
            ),
            {"k": key},
        )
    return "fake"


def test_a_forged_opt_out_no_longer_unlocks_erasure(net: Net, runtime) -> None:
    key = _store(net)
    engine = runtime.stores.graph_engine
    _fake_opt_out(engine, key)
    for table in (
        "prospect_subject_aggregates",
        "prospect_subject_supersessions",
        "prospect_subject_contacts",
        "subject_privacy_budgets",
    ):
        with engine.connect() as conn:
            had = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
        if had:
            _refused(engine, f"DELETE FROM {table} WHERE subject_key = :k", {"k": key})  # noqa: S608
    with engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM prospect_subject_aggregates WHERE subject_key = :k"),
                {"k": key},
            ).scalar_one()
            == 3
        )
    for sql in (
        "DELETE FROM prospect_links",
        "UPDATE prospect_links SET chain = '[]'",
        "UPDATE prospect_links SET provider_id = 'someone-else'",
    ):
        _refused(engine, sql)


def test_erasure_grants_are_single_use_and_never_deleted(net: Net, runtime, db_urls) -> None:
    key = _store(net)
    engine = runtime.stores.graph_engine
    _fake_opt_out(engine, key)
    insert = (
        "INSERT INTO graph_erasure_grants (id, opt_out_id, subject_key, consumed_at) "
        "VALUES (:id, 'fake', :k, {consumed})"
    )
    # a grant cannot be born consumed (so it cannot be mistaken for a past erasure's)
    _refused(engine, insert.format(consumed="CURRENT_TIMESTAMP"), {"id": "g1", "k": key})
    if db_urls.backend == "postgresql":
        # an open grant never survives a commit: the deferred check refuses it
        _refused(engine, insert.format(consumed="NULL"), {"id": "g2", "k": key})
    else:
        # SQLite has no commit-time check: an open grant left behind is what verify reports
        with engine.begin() as conn:
            conn.execute(text(insert.format(consumed="NULL")), {"id": "g2", "k": key})
        with runtime.stores.graph() as graph:
            assert audit.verify(graph).open_grants == ["g2"]
        with engine.begin() as conn:
            conn.execute(text("UPDATE graph_erasure_grants SET consumed_at = CURRENT_TIMESTAMP"))
    # the real erasure path still works, and consumes what it opened
    officer = net.provider(roles=[Role.PRIVACY_OFFICER])
    body = {"subject_key": key, "provenance": PROVENANCE}
    r = net.client.post("/prospect-graph/opt-outs", json=body, headers=officer.headers)
    assert r.status_code in (200, 201), r.text
    assert r.json()["contributions_removed"] == 3
    with runtime.stores.graph() as graph:
        assert audit.verify(graph).ok
    for sql in (
        "UPDATE graph_erasure_grants SET consumed_at = NULL",
        "UPDATE graph_erasure_grants SET subject_key = 'other'",
        "UPDATE graph_erasure_grants SET consumed_at = CURRENT_TIMESTAMP",
        "DELETE FROM graph_erasure_grants",
    ):
        _refused(engine, sql)
    if db_urls.backend == "postgresql":
        _refused(engine, "TRUNCATE graph_erasure_grants")
