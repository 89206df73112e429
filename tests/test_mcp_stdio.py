"""`prospecting mcp` serves platform-prospecting over stdio, bound to one verified token."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters

PROSPECTING = str(Path(sys.executable).with_name("prospecting"))


def test_stdio_session_acts_as_the_tokens_person(cli_env, make_provider):
    alice = make_provider()
    params = StdioServerParameters(
        command=PROSPECTING, args=["mcp"], env=cli_env | {"PROSPECTING_TOKEN": alice.token}
    )

    async def scenario():
        async with Client(params) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            message = {"channel": "sms", "sender_phone": "07911 123456", "body": "Friday?"}
            result = await client.call_tool("qualify_inbound", message)
        return tools, result

    tools, result = anyio.run(scenario)
    assert {
        "graph_query",
        "graph_contribute",
        "graph_consent",
        "qualify_inbound",
        "approve_draft",
    } <= tools
    # alice is a provider: no erasure tool; and one inbound tool, which records once
    assert not {"subject_opt_out", "ingest_inbound"} & tools
    assert result.structured_content["ingest"]["created"] is True


def test_stdio_refuses_an_unknown_token(cli_env):

    env = cli_env | {"PROSPECTING_TOKEN": "pk_unknown"}
    done = subprocess.run(
        [PROSPECTING, "mcp"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    assert "token" in done.stderr.lower()
