"""The graph MCP tools through real client sessions: in-memory and over HTTP."""

from __future__ import annotations

import anyio
from mcp import Client
from sqlalchemy import select

from graph.conftest import GRAPH_TOOLS, PHONE, Net
from mcp_helpers import http_client, running_app
from prospecting.edges.mcp.server import build_server
from prospecting.graph import dp
from prospecting.graph.models import Contribution
from prospecting.identity.models import Role


def test_in_memory_session_consents_contributes_and_queries(runtime, net: Net) -> None:
    peers = [net.provider("contribute_all") for _ in range(2)]
    for p in peers:
        net.contribute(p, net.inbound(p, phone=PHONE), "booked")
    me = net.provider()
    pid = net.inbound(me, phone=PHONE)

    async def scenario():
        async with Client(build_server(runtime, bound_token=me.token)) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            denied = await client.call_tool("graph_query", {"query": {"prospect_id": pid}})
            other = await client.call_tool(
                "graph_consent", {"change": {"action": "query_on", "person_id": peers[0].id}}
            )
            state = await client.call_tool("graph_consent", {"change": {"action": "query_on"}})
            answer = await client.call_tool("graph_query", {"query": {"prospect_id": pid}})
            audit = await client.call_tool("list_graph_audit", {})
            officer_only = await client.call_tool(
                "subject_opt_out",
                {
                    "request": {
                        "subject_key": "0" * 32,
                        "provenance": {
                            "request_id": "DSR-1",
                            "received_at": "2026-11-01T00:00:00Z",
                            "verification_method": "email_link",
                            "verifier": "desk",
                            "legal_ground": "gdpr_art17",
                        },
                    }
                },
            )
        return tools, denied, other, state, answer, audit, officer_only

    tools, denied, other, state, answer, audit, officer_only = anyio.run(scenario)
    assert set(tools) >= GRAPH_TOOLS
    assert "subject_opt_out" not in tools  # listed to privacy officers only
    assert tools["graph_metrics"].annotations.read_only_hint is True
    assert tools["graph_contribute"].annotations.idempotent_hint is True
    assert tools["graph_query"].output_schema is not None
    assert denied.is_error and "consent_required" in denied.content[0].text
    assert other.is_error and "permission_denied" in other.content[0].text
    assert state.structured_content["query_enabled"] is True
    assert answer.structured_content["state"] == "ok"
    assert answer.structured_content["contributors"] == 2
    assert audit.structured_content["result"][0]["id"] == answer.structured_content["audit_id"]
    assert officer_only.is_error and "privacy_officer" in officer_only.content[0].text


def test_http_session_uses_each_callers_token(runtime, net: Net) -> None:
    a, officer = (
        net.provider("contribute_all", "query_on"),
        net.provider(roles=[Role.PRIVACY_OFFICER]),
    )
    pid = net.inbound(a, phone=PHONE)

    async def scenario(base: str):
        async with http_client(base, a.token) as client:
            made = await client.call_tool(
                "graph_contribute", {"contribution": {"prospect_id": pid, "outcome": "ghosted"}}
            )
            again = await client.call_tool(
                "graph_contribute", {"contribution": {"prospect_id": pid, "outcome": "ghosted"}}
            )
            link = await client.call_tool("graph_link_prospect", {"prospect_id": pid})
        async with http_client(base, officer.token) as client:
            listed = {t.name: t for t in (await client.list_tools()).tools}
            erased = await client.call_tool(
                "subject_opt_out",
                {
                    "request": {
                        "subject_key": link.structured_content["subject_key"],
                        "provenance": {
                            "request_id": "DSR-9",
                            "received_at": "2026-11-01T00:00:00Z",
                            "verification_method": "phone_callback",
                            "verifier": "desk",
                            "legal_ground": "gdpr_art17",
                        },
                    }
                },
            )
            foreign = await client.call_tool("graph_link_prospect", {"prospect_id": pid})
        return made, again, listed, erased, foreign

    with running_app(runtime) as base:
        made, again, listed, erased, foreign = anyio.run(scenario, base)
    assert listed["subject_opt_out"].annotations.destructive_hint is True
    assert made.structured_content["replayed"] is False
    assert again.structured_content["id"] == made.structured_content["id"]
    assert erased.structured_content["contributions_removed"] == 1
    assert foreign.is_error and "not_found" in foreign.content[0].text


def test_contribute_and_correct_tools_no_longer_offer_days(runtime, net: Net) -> None:
    me = net.provider("contribute_all")
    pid = net.inbound(me, phone=PHONE)

    async def scenario():
        async with Client(build_server(runtime, bound_token=me.token)) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            made = await client.call_tool(
                "graph_contribute", {"prospect_id": pid, "outcome": "no_show"}
            )
            fixed = await client.call_tool(
                "correct_outcome", {"prospect_id": pid, "outcome": "rescheduled"}
            )
        return tools, made, fixed

    tools, made, fixed = anyio.run(scenario)
    for name in ("graph_contribute", "correct_outcome"):
        properties = tools[name].input_schema["properties"]
        assert "days_to_outcome" not in properties and "outcome" in properties, name
    assert not made.is_error and not fixed.is_error
    assert fixed.structured_content["supersedes"] == made.structured_content["id"]
    with runtime.stores.graph() as graph:
        rows = list(graph.scalars(select(Contribution)))
    assert len(rows) == 2
    assert all(r.noised_days is None and r.days_noise is None for r in rows)
    assert all(r.noised_outcome in dp.REPORT_CLASSES for r in rows)
