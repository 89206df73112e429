"""The prospects MCP tools through real client sessions (in-memory and over HTTP)."""

from __future__ import annotations

import anyio
import pytest
from mcp import Client

from mcp_helpers import http_client, running_app
from prospecting.edges.mcp.server import build_server

MESSAGE = {"channel": "sms", "sender_phone": "07911 123456", "body": "Any slots on Friday?"}


def test_in_memory_session_ingests_and_lists(runtime, make_provider):
    provider = make_provider()

    async def scenario():
        async with Client(build_server(runtime, bound_token=provider.token)) as client:
            first = await client.call_tool("qualify_inbound", MESSAGE)
            second = await client.call_tool("qualify_inbound", {"message": MESSAGE})  # nested
            page = await client.call_tool("list_prospects", {})
            bad = await client.call_tool("qualify_inbound", {**MESSAGE, "body": ""})
        return first, second, page, bad

    first, second, page, bad = anyio.run(scenario)
    assert first.structured_content["ingest"]["created"] is True
    assert second.structured_content["ingest"]["created"] is False
    assert second.structured_content["ingest"]["matched_on"] == "phone"
    assert page.structured_content["total"] == 1
    assert bad.is_error


def test_http_session_uses_the_callers_token(runtime, make_provider):
    alice, bob = make_provider(), make_provider()

    async def scenario(base: str):
        async with http_client(base, alice.token) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            await client.call_tool("qualify_inbound", MESSAGE)
        async with http_client(base, bob.token) as client:
            bobs = await client.call_tool("list_prospects", {})
        return tools, bobs

    with running_app(runtime) as base:
        tools, bobs = anyio.run(scenario, base)
    assert {"qualify_inbound", "list_prospects"} <= tools
    assert "ingest_inbound" not in tools  # one inbound tool: qualify_inbound records it once
    assert bobs.structured_content["total"] == 0


def test_http_rejects_unknown_token(runtime):
    async def scenario(base: str):
        async with http_client(base, "pk_not-a-token") as client:
            await client.list_tools()

    with running_app(runtime) as base, pytest.raises(Exception):  # noqa: B017
        anyio.run(scenario, base)
