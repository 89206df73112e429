"""Canary PII and the network key never reach the graph store or the logs."""

from __future__ import annotations

import logging

import anyio
from mcp import Client
from sqlalchemy import inspect, select, table, text

from conftest import TEST_KEY
from prospecting.edges.mcp.server import build_server

CANARY_PHONE = "+44 7400 654321"
CANARY_E164 = "+447400654321"
CANARY_EMAIL = "Canary.Zebra+x@gmail.com"
CANARY_EMAIL_NORMAL = "canaryzebra@gmail.com"
CANARY_NAME = "Zebulon Quixote-Canary"
CANARIES = [
    CANARY_PHONE,
    CANARY_E164,
    CANARY_EMAIL,
    CANARY_EMAIL_NORMAL,
    "zebulon",
    "quixote",
    "Zebulon",
    "7400654321",
]


def _graph_dump(runtime) -> str:
    """Every value of every table in the graph store, as text."""
    chunks: list[str] = []
    with runtime.stores.graph_engine.connect() as conn:
        inspector = inspect(conn)
        for name in inspector.get_table_names():
            columns = [c["name"] for c in inspector.get_columns(name)]
            rows = conn.execute(select(*[text(f'"{c}"') for c in columns]).select_from(table(name)))
            chunks.extend(repr(tuple(row)) for row in rows)
    return "\n".join(chunks)


def test_canary_pii_stays_out_of_graph_and_logs(client, make_provider, runtime, caplog):
    caplog.set_level(logging.DEBUG)
    alice, bob = make_provider(), make_provider()
    for who in (alice, bob):
        for action in ("contribute_all", "query_on"):
            consented = client.post(
                "/prospect-graph/consent", json={"action": action}, headers=who.headers
            )
            assert consented.status_code == 200, consented.text
    payload = {
        "channel": "email",
        "sender_phone": CANARY_PHONE,
        "sender_email": CANARY_EMAIL,
        "sender_name": CANARY_NAME,
        "body": "canary body text",
    }
    assert client.post("/prospects/inbound", json=payload, headers=alice.headers).status_code == 201
    bad = client.post(
        "/prospects/inbound", json={**payload, "sender_email": "zebulon@@x"}, headers=alice.headers
    )
    assert bad.status_code == 422

    async def over_mcp():
        async with Client(build_server(runtime, bound_token=alice.token)) as mcp_client:
            await mcp_client.call_tool("qualify_inbound", {"message": payload})

    anyio.run(over_mcp)
    for who in (alice, bob):
        pid = client.post("/prospects/inbound", json=payload, headers=who.headers).json()
        pid = pid["prospect"]["id"]
        outcome = client.post(
            f"/prospects/{pid}/outcomes", json={"outcome": "booked"}, headers=who.headers
        ).json()
        contributed = client.post(
            "/prospect-graph/contributions",
            json={
                "prospect_id": pid,
                "outcome": "booked",
                "outcome_version": outcome["outcome_version"],
            },
            headers=who.headers,
        )
        assert contributed.status_code in (200, 201), contributed.text
        client.post("/prospect-graph/query", json={"prospect_id": pid}, headers=who.headers)
    secret = TEST_KEY.split("=", 1)[1]
    logs = caplog.text
    assert logs, "the scan must see some log output to be meaningful"
    graph = _graph_dump(runtime)
    with runtime.stores.graph_engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM prospect_subject_aggregates")).scalar()
    assert rows == 2, "the scan is only meaningful with contributions in the graph store"
    for needle in [*CANARIES, secret]:
        assert needle.lower() not in logs.lower(), needle
        assert needle.lower() not in graph.lower(), needle
    with runtime.stores.tenant() as session:
        tenant_text = repr(session.execute(text("SELECT * FROM prospects")).all())
    assert CANARY_E164 in tenant_text, "raw PII lives in the tenant store only"
    assert secret not in tenant_text
