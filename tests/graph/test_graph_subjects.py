"""Subject keys: linkage on hash chains only, append-only store, no cross-provider merges."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DBAPIError

from graph.conftest import EMAIL, PHONE, Net


def test_same_person_at_three_providers_gets_one_key_and_namesakes_do_not(net: Net) -> None:
    a, b, c, d = (net.provider("query_on") for _ in range(4))
    ka = net.link(a, net.inbound(a, phone=PHONE, name="Jamie Clarke"))
    kb = net.link(b, net.inbound(b, phone=PHONE, email=EMAIL))
    kc = net.link(c, net.inbound(c, email=EMAIL, name="J Clarke"))
    stranger = net.link(d, net.inbound(d, name="Jamie Clarke", phone="07400 123456"))
    # Ingest already linked each prospect (link confidence on creation); /link reports it.
    assert ka["subject_key"] == kb["subject_key"] == kc["subject_key"]
    assert kb["confidence"] >= 0.9 and "phone" in kb["matched_on"]
    assert stranger["subject_key"] != ka["subject_key"]
    name_only = net.provider("query_on")
    namesake = net.link(name_only, net.inbound(name_only, name="Jamie Clarke"))
    assert namesake["subject_key"] not in {ka["subject_key"], stranger["subject_key"]}


def test_link_confidence_is_written_to_the_tenant_prospect(net: Net) -> None:
    a, b = net.provider("query_on"), net.provider("query_on")
    net.link(a, net.inbound(a, phone=PHONE))
    pb = net.inbound(b, phone=PHONE)
    link = net.link(b, pb)
    prospect = net.client.get(f"/prospects/{pb}", headers=b.headers).json()
    assert prospect["link_confidence"] == pytest.approx(link["confidence"])


def test_linking_needs_graph_consent(net: Net) -> None:
    a = net.provider()
    pid = net.inbound(a, phone=PHONE)
    r = net.client.post(f"/prospect-graph/prospects/{pid}/link", headers=a.headers)
    assert r.status_code == 403


def test_graph_store_never_holds_unhashed_pii(net: Net, db_urls) -> None:
    canaries = ["+447911123456", "07911123456", "7911123456", "canary.person", "Zebulon"]
    providers = [net.provider("contribute_all", "query_on") for _ in range(3)]
    for p in providers:
        pid = net.inbound(
            p,
            phone="07911 123456",
            email="Canary.Person@Example.org",
            name="Zebulon Quux",
            body="Zebulon here, call 07911 123456",
        )
        net.contribute(p, pid, "booked", days_to_outcome=4)
        net.query(p, prospect_id=pid)
    engine = create_engine(db_urls.graph.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            dump = str(conn.execute(text(f"SELECT * FROM {table}")).all()).lower()  # noqa: S608
            for canary in canaries:
                assert canary.lower() not in dump, (table, canary)
    engine.dispose()


def test_no_prospect_rows_are_merged_across_providers(net: Net) -> None:
    a, b = net.provider("contribute_all", "query_on"), net.provider("contribute_all", "query_on")
    pa, pb = net.inbound(a, phone=PHONE), net.inbound(b, phone=PHONE)
    assert net.link(a, pa)["subject_key"] == net.link(b, pb)["subject_key"]
    for p, mine, theirs in ((a, pa, pb), (b, pb, pa)):
        listed = net.client.get("/prospects", headers=p.headers).json()
        assert [x["id"] for x in listed["items"]] == [mine]
        assert listed["items"][0]["merged_into_id"] is None
        assert net.client.get(f"/prospects/{theirs}", headers=p.headers).status_code == 404
    assert net.client.get("/prospects/merge-suggestions", headers=a.headers).json() == []


APPEND_ONLY = (
    "prospect_subject_aggregates",
    "prospect_subject_supersessions",
    "graph_query_audit",
    "graph_query_audit_contributors",
    "provider_graph_consent_events",
)


def test_append_only_tables_refuse_update_delete_and_truncate(net: Net, runtime, db_urls) -> None:
    providers = [net.provider("contribute_all", "query_on") for _ in range(3)]
    for version, p in enumerate(providers, start=1):
        pid = net.inbound(p, phone=PHONE)
        net.contribute(p, pid, "booked")
        net.contribute(p, pid, "ghosted", outcome_version=version + 1)
        net.query(p, prospect_id=pid)
    engine = runtime.stores.graph_engine
    for table in APPEND_ONLY:
        with engine.connect() as conn:
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() > 0, table  # noqa: S608
        statements = [f"UPDATE {table} SET id = id", f"DELETE FROM {table}"]  # noqa: S608
        if db_urls.backend == "postgresql":
            statements.append(f"TRUNCATE {table} CASCADE")
        for sql in statements:
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(text(sql))
        with engine.connect() as conn:
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() > 0, table  # noqa: S608
