"""Auto-qualify MCP tools through real client sessions (in-memory and over HTTP)."""

from __future__ import annotations

import anyio
from mcp import Client
from mcp.types import CreateMessageResult, TextContent

from mcp_helpers import http_client, running_app
from prospecting.edges.mcp.server import build_server
from qualify.qualify_factories import BOOKING, PROFILE

TOOLS = {
    "qualify_inbound",
    "list_drafts",
    "get_draft",
    "approve_draft",
    "edit_draft",
    "discard_draft",
    "batch_approve",
    "qualification_report",
    "get_profile",
    "update_profile",
}


def test_in_memory_inbound_to_approved_touchpoint(runtime, make_provider, cold_start_model):
    provider = make_provider()

    async def scenario():
        async with Client(build_server(runtime, bound_token=provider.token)) as client:
            listed = {t.name: t for t in (await client.list_tools()).tools}
            profile = await client.call_tool("update_profile", {"profile": PROFILE})
            qualified = await client.call_tool("qualify_inbound", {"message": BOOKING})
            draft_id = qualified.structured_content["draft"]["id"]
            pending = await client.call_tool("list_drafts", {})
            approved = await client.call_tool("approve_draft", {"draft_id": draft_id})
            report = await client.call_tool("qualification_report", {})
        return (
            listed,
            profile,
            qualified,
            pending,
            approved,
            report,
        )

    listed, profile, qualified, pending, approved, report = anyio.run(scenario)
    assert set(listed) >= TOOLS
    assert listed["list_drafts"].annotations.read_only_hint is True
    assert listed["approve_draft"].annotations.read_only_hint is False
    assert listed["discard_draft"].annotations.destructive_hint is True
    assert not profile.is_error
    result = qualified.structured_content
    assert result["qualification"]["intent"] == "booking_request"
    assert result["qualification"]["factors"]
    assert result["draft"]["source"] == "offline"  # the in-memory client offers no sampling
    assert pending.structured_content["total"] == 1
    assert approved.structured_content["status"] == "approved"
    assert approved.structured_content["outbound_touchpoint_id"]
    assert report.structured_content["drafts_approved"] == 1


def test_invalid_profile_and_foreign_draft_are_tool_errors(runtime, make_provider):
    alice, bob = make_provider(), make_provider()

    async def scenario():
        async with Client(build_server(runtime, bound_token=alice.token)) as client:
            bad = await client.call_tool(
                "update_profile", {"profile": PROFILE | {"booking_link": "nope"}}
            )
            draft = await client.call_tool("qualify_inbound", {"message": BOOKING})
        async with Client(build_server(runtime, bound_token=bob.token)) as client:
            foreign = await client.call_tool(
                "approve_draft", {"draft_id": draft.structured_content["draft"]["id"]}
            )
            missing = await client.call_tool("approve_draft", {"draft_id": "missing"})
            empty_batch = await client.call_tool("batch_approve", {"draft_ids": []})
            empty_edit = await client.call_tool("edit_draft", {"draft_id": "missing", "body": "  "})
        return bad, foreign, missing, empty_batch, empty_edit

    bad, foreign, missing, empty_batch, empty_edit = anyio.run(scenario)
    assert bad.is_error and "booking_link" in bad.content[0].text
    assert foreign.is_error and missing.is_error
    assert foreign.content[0].text == missing.content[0].text
    assert empty_batch.is_error and "draft_ids" in empty_batch.content[0].text
    assert empty_edit.is_error and "body" in empty_edit.content[0].text


def _sampling(reply: str):
    async def callback(context, params):
        return CreateMessageResult(
            role="assistant", content=TextContent(type="text", text=reply), model="fake"
        )

    return callback


def test_sampling_refines_the_draft_when_safe_and_falls_back_when_not(runtime, make_provider):
    provider = make_provider()
    polite = (
        "Hello Jamie, lovely to hear from you! Book here: https://book.example.com/test-provider"
    )
    invented = "Hi Jamie, I can do Thursday at 6pm for £45. https://book.example.com/test-provider"

    async def scenario():
        server = build_server(runtime, bound_token=provider.token)
        async with Client(server) as client:
            await client.call_tool("update_profile", {"profile": PROFILE})
        # Sampling is a server-to-client request: handshake-era ("legacy") sessions carry it.
        async with Client(server, mode="legacy", sampling_callback=_sampling(polite)) as client:
            good = await client.call_tool("qualify_inbound", {"message": BOOKING})
        async with Client(server, mode="legacy", sampling_callback=_sampling(invented)) as client:
            bad = await client.call_tool(
                "qualify_inbound", {"message": BOOKING | {"sender_phone": "07911 123457"}}
            )
        # A modern session has no back-channel for it: the offline draft stands.
        async with Client(server, sampling_callback=_sampling(polite)) as client:
            modern = await client.call_tool(
                "qualify_inbound", {"message": BOOKING | {"sender_phone": "07911 123458"}}
            )
        return good, bad, modern

    good, bad, modern = anyio.run(scenario)
    assert good.structured_content["draft"]["source"] == "mcp_sampling"
    assert good.structured_content["draft"]["body"] == polite
    assert not bad.is_error, bad.content
    assert bad.structured_content["draft"]["source"] == "offline"
    assert "£45" not in bad.structured_content["draft"]["body"]
    assert modern.structured_content["draft"]["source"] == "offline"


def test_http_session_qualifies_and_batch_approves(runtime, make_provider):
    alice, bob = make_provider(), make_provider()

    async def scenario(base: str):
        async with http_client(base, alice.token) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            await client.call_tool("update_profile", {"profile": PROFILE})
            first = await client.call_tool("qualify_inbound", {"message": BOOKING})
            second = await client.call_tool(
                "qualify_inbound",
                {
                    "message": BOOKING
                    | {"sender_phone": "07911 123457", "body": "What are your prices?"}
                },
            )
            ids = [r.structured_content["draft"]["id"] for r in (first, second)]
            batch = await client.call_tool("batch_approve", {"draft_ids": ids})
        async with http_client(base, bob.token) as client:
            bobs = await client.call_tool("list_drafts", {"status": "approved"})
        return tools, second, batch, bobs

    with running_app(runtime) as base:
        tools, second, batch, bobs = anyio.run(scenario, base)
    assert tools >= TOOLS
    assert second.structured_content["qualification"]["intent"] == "pricing_question"
    assert "£60\u2013£80" in second.structured_content["draft"]["body"]
    assert "confirm the pricing for Couples therapy" in second.structured_content["draft"]["body"]
    assert [d["status"] for d in batch.structured_content["approved"]] == ["approved"] * 2
    assert bobs.structured_content["total"] == 0
