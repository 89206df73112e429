"""`prospecting serve --workers 2` on PostgreSQL: HTTP and MCP (stateless streamable HTTP)
both answer whichever worker a request lands on; SQLite with several workers is refused."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from conftest import DatabaseUrls, Provider
from prospecting.config import Settings, load_settings
from prospecting.errors import ConfigError

PROSPECTING = str(Path(sys.executable).with_name("prospecting"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_several_workers_on_sqlite_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="several workers need PostgreSQL"):
        load_settings(data_dir=tmp_path, workers=2)


def test_two_workers_serve_http_and_mcp(
    db_urls: DatabaseUrls,
    settings: Settings,
    cli_env: dict[str, str],
    make_provider: Callable[..., Provider],
) -> None:
    if db_urls.backend != "postgresql":
        pytest.skip("several workers run on PostgreSQL only")
    provider = make_provider()
    port = _free_port()
    server = subprocess.Popen(
        [PROSPECTING, "serve", "--workers", "2", "--port", str(port)],
        env=cli_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # a liveness bound, not a speed target
        while True:
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.3)

        for _ in range(6):  # new connections spread over both workers
            with httpx.Client(base_url=base, headers=provider.headers) as client:
                assert client.get("/prospects").status_code == 200

        # Stateless: no session id ties a client to the worker that initialised it.
        initialize = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "test", "version": "1"},
            },
        }
        answer = httpx.post(
            f"{base}/mcp",
            json=initialize,
            headers=provider.headers | {"Accept": "application/json, text/event-stream"},
        )
        assert answer.status_code == 200, answer.text
        assert "mcp-session-id" not in answer.headers
        assert answer.headers["content-type"].startswith("application/json")

        async def mcp_calls() -> None:
            # No keep-alive: every request opens a connection, so they spread over workers.
            no_reuse = httpx2.Limits(max_keepalive_connections=0)
            async with (
                httpx2.AsyncClient(headers=provider.headers, timeout=30, limits=no_reuse) as http,
                Client(streamable_http_client(f"{base}/mcp", http_client=http)) as client,
            ):
                for _ in range(6):
                    tools = await client.list_tools()
                    assert any(t.name == "qualify_inbound" for t in tools.tools)
                    result = await client.call_tool("graph_consent", {"action": "query_on"})
                    assert not result.is_error, result

        anyio.run(mcp_calls)
    finally:
        server.terminate()
        server.wait(30)
        if server.stderr is not None:
            server.stderr.close()
