"""The MCP server builds each tool's metadata once per process (edges/mcp/server.py `_tool`):
every later server gets the same metadata bound to its own functions, never another server's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.server import MCPServer

from conftest import Provider
from prospecting.edges.mcp import server as mcp_server
from prospecting.edges.mcp.server import build_server
from prospecting.runtime import Runtime

MESSAGE = {"channel": "sms", "sender_phone": "07911 123456", "body": "Any slots on Friday?"}


def _listed(server: MCPServer) -> list[dict[str, Any]]:
    return [tool.model_dump() for tool in anyio.run(server.list_tools)]


def test_a_cached_tool_lists_exactly_as_a_freshly_built_one(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_server(runtime)  # fills the cache, if no earlier test of this process did
    cached = _listed(build_server(runtime))
    monkeypatch.setattr(mcp_server, "_TOOLS", {})
    assert cached == _listed(build_server(runtime))


def test_each_server_acts_through_its_own_functions(
    runtime: Runtime, make_provider: Callable[..., Provider]
) -> None:
    alice, bob = make_provider(), make_provider()

    async def scenario() -> tuple[int, int]:
        async with (
            Client(build_server(runtime, bound_token=alice.token)) as as_alice,
            Client(build_server(runtime, bound_token=bob.token)) as as_bob,
        ):
            await as_alice.call_tool("qualify_inbound", MESSAGE)
            mine = await as_alice.call_tool("list_prospects", {})
            theirs = await as_bob.call_tool("list_prospects", {})
        return mine.structured_content["total"], theirs.structured_content["total"]

    assert anyio.run(scenario) == (1, 0)


@pytest.mark.parametrize("db_urls", ["sqlite"], indirect=True)
def test_a_servers_schemas_are_its_own(runtime: Runtime) -> None:
    first, second = build_server(runtime), build_server(runtime)
    tool = next(t for t in first._tool_manager.list_tools() if t.output_schema)
    tool.parameters["properties"]["injected"] = {"type": "string"}
    assert tool.output_schema is not None
    tool.output_schema["injected"] = True
    other = second._tool_manager.get_tool(tool.name)
    assert other is not None and other.fn is not tool.fn
    assert "injected" not in other.parameters["properties"]
    assert other.output_schema is not None and "injected" not in other.output_schema
    again = build_server(runtime)._tool_manager.get_tool(tool.name)
    assert again is not None and "injected" not in again.parameters["properties"]


def test_the_tool_collector_refuses_what_would_never_reach_the_server() -> None:
    """A capability module's `register` sees a collector of tools: a prompt or a resource
    registered there would be lost, so it is refused."""
    collector = mcp_server._ToolCollector()
    for register in (collector.prompt, collector.resource, collector.add_resource):
        with pytest.raises(TypeError, match="prompts and resources go on the server"):
            register("x")
