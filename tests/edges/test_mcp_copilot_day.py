"""A copilot runs a provider's day on MCP alone: a scripted session through the official MCP
client, in memory and over streamable HTTP, with no HTTP route call. Plus the schema a model
reads, the errors it gets, and `prospecting mcp` started from any working directory."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.types import CallToolResult

from conftest import TEST_KEY
from mcp_helpers import http_client, running_app
from prospecting.config import Settings
from prospecting.edges.mcp.server import build_server, package_version
from prospecting.identity import service as identity
from prospecting.identity.models import Role
from prospecting.identity.schemas import PersonCreate
from prospecting.main import stdio_settings, user_data_dir
from prospecting.runtime import Runtime
from qualify.qualify_factories import PROFILE

PROSPECTING = str(Path(sys.executable).with_name("prospecting"))
PHONE = "07911 123456"
JAMIE = {
    "channel": "sms",
    "sender_phone": PHONE,
    "sender_name": "Jamie Clarke",
    "body": "Hi, could I book an initial consultation for Thursday evening?",
}
SAM = {
    "channel": "email",
    "sender_email": "sam.lee@example.org",
    "sender_name": "Sam Lee",
    "body": "What are your prices for couples therapy?",
}
ALEX = {  # triage holds this one back: it must never get a one-tap template reply
    "channel": "sms",
    "sender_phone": "07911 123459",
    "sender_name": "Alex Morgan",
    "body": "I can't cope anymore and I keep thinking about ending my life. "
    "Can I see someone this week?",
}
JAMIE_AGAIN = {  # another address, a similar name: a merge suggestion, never a merge
    "channel": "email",
    "sender_email": "jamie.c@example.org",
    "sender_name": "Jamie Clark",
    "body": "Also, is there parking near you?",
}
SENDING = {
    "approve_draft",
    "edit_draft",
    "batch_approve",
    "propose_intro",
    "offer_handoff",
    "fulfil_intro_ask",
}
"""Tools that send a message to a real person (a reply; a coop consent request)."""
PYDANTIC_DUMP = ("validation error for", "input_value", "errors.pydantic.dev", "type=")

Opener = Callable[[str], AbstractAsyncContextManager[Client]]


def data(result: CallToolResult) -> Any:
    """A tool's structured answer; the error text when it failed."""
    assert not result.is_error, result.content[0].text  # type: ignore[union-attr]
    content = result.structured_content
    assert content is not None
    return content.get("result", content) if set(content) == {"result"} else content


def error(result: CallToolResult) -> str:
    assert result.is_error, result.structured_content
    text: str = result.content[0].text  # type: ignore[union-attr]
    assert not any(marker in text for marker in PYDANTIC_DUMP), text
    return text


def in_memory(runtime: Runtime) -> Opener:
    @asynccontextmanager
    async def open_client(token: str) -> AsyncIterator[Client]:
        async with Client(build_server(runtime, bound_token=token)) as client:
            yield client

    return open_client


async def peer_books(open_client: Opener, token: str) -> None:
    """A peer shares outcomes, hears from the same person and records a booking."""
    async with open_client(token) as peer:
        data(await peer.call_tool("graph_consent", {"action": "contribute_all"}))
        got = data(await peer.call_tool("qualify_inbound", JAMIE | {"body": "Hello!"}))
        outcome = data(
            await peer.call_tool(
                "record_outcome",
                {"prospect_id": got["ingest"]["prospect"]["id"], "outcome": "booked"},
            )
        )
        assert outcome["contributed"] is True, outcome


async def copilot_day(open_client: Opener, me: str, peers: list[str], officer: str) -> None:
    for peer in peers:
        await peer_books(open_client, peer)

    async with open_client(me) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert "subject_opt_out" not in tools  # a provider is not offered the erasure tool
        assert "ingest_inbound" not in tools
        assert {"qualify_inbound", "record_outcome", "get_prospect", "get_graph_consent"} <= set(
            tools
        )

        # Morning: the profile, then four messages, each recorded once.
        profile = data(await client.call_tool("update_profile", PROFILE))
        assert profile["booking_link"] == PROFILE["booking_link"]
        hours = data(await client.call_tool("update_profile", {"hours_text": "Mon-Fri 8-18"}))
        assert hours["services"] == profile["services"]  # what is left out stays
        received = {}
        for key, message in {
            "jamie": JAMIE,
            "sam": SAM,
            "alex": ALEX,
            "again": JAMIE_AGAIN,
        }.items():
            received[key] = data(await client.call_tool("qualify_inbound", message))
        prospect = {k: v["ingest"]["prospect"]["id"] for k, v in received.items()}
        draft = {k: v["draft"]["id"] for k, v in received.items()}
        assert received["sam"]["qualification"]["intent"] == "pricing_question"
        assert received["again"]["ingest"]["merge_suggestions"]

        # The removed two-step tool redirects and records nothing.
        before = data(await client.call_tool("list_prospects", {}))["total"]
        redirected = error(await client.call_tool("ingest_inbound", {"message": JAMIE}))
        assert "qualify_inbound" in redirected and "nothing was recorded" in redirected
        assert data(await client.call_tool("list_prospects", {}))["total"] == before == 4

        # The network, consent first: the error says what to do next.
        consent = data(await client.call_tool("get_graph_consent", {}))
        assert consent["query_enabled"] is False
        assert consent["contribute_policy"] == "none"
        denied = error(await client.call_tool("graph_query", {"prospect_id": prospect["jamie"]}))
        assert "consent_required" in denied
        assert "Next:" in denied and "graph_consent" in denied and "query_on" in denied
        local = data(
            await client.call_tool(
                "record_outcome", {"prospect_id": prospect["sam"], "outcome": "declined"}
            )
        )
        assert local["contributed"] is False
        assert "contribute_all" in local["not_contributed_reason"]
        assert local["prospect_status"] == "lost"
        for action in ("query_on", "contribute_all"):
            data(await client.call_tool("graph_consent", {"action": action}))
        answer = data(await client.call_tool("graph_query", {"prospect_id": prospect["jamie"]}))
        assert answer["state"] == "ok"
        assert answer["contributors"] == len(peers)

        # Triage: the safe drafts page by page, each with who it is for and what it answers.
        first = data(await client.call_tool("list_drafts", {"needs_review": False, "limit": 2}))
        assert first["total"] == 3
        assert first["next_cursor"]
        for item in first["items"]:
            assert item["needs_review"] is False
            assert item["prospect_name"] and item["message"]
        by_id = {item["id"]: item for item in first["items"]}
        if draft["sam"] in by_id:
            assert by_id[draft["sam"]]["message"] == SAM["body"]
            assert by_id[draft["sam"]]["prospect_name"] == "Sam Lee"
        sent = data(
            await client.call_tool(
                "batch_approve", {"draft_ids": [i["id"] for i in first["items"]]}
            )
        )
        assert [d["status"] for d in sent["approved"]] == ["approved", "approved"]
        rest = data(
            await client.call_tool(
                "list_drafts", {"needs_review": False, "limit": 2, "cursor": first["next_cursor"]}
            )
        )
        assert rest["next_cursor"] is None
        safe = {i["id"] for i in first["items"]} | {i["id"] for i in rest["items"]}
        assert safe == {draft["jamie"], draft["sam"], draft["again"]}  # approving skipped none
        for item in rest["items"]:
            single = data(await client.call_tool("approve_draft", {"draft_id": item["id"]}))
            assert single["status"] == "approved" and single["outbound_touchpoint_id"]
        stale = error(
            await client.call_tool(
                "list_drafts", {"needs_review": True, "cursor": first["next_cursor"]}
            )
        )
        assert "cursor" in stale and "Next:" in stale

        # The held draft stays held: no batch, no one tap without confirm_review.
        held = data(await client.call_tool("list_drafts", {"needs_review": True}))
        assert [i["id"] for i in held["items"]] == [draft["alex"]]
        assert held["items"][0]["review_reasons"]
        assert held["items"][0]["message"] == ALEX["body"]
        refused = error(await client.call_tool("batch_approve", {"draft_ids": [draft["alex"]]}))
        assert "Next:" in refused and "confirm_review" in refused
        one_tap = error(await client.call_tool("approve_draft", {"draft_id": draft["alex"]}))
        assert "confirm_review=true" in one_tap
        pending = data(await client.call_tool("list_drafts", {}))
        assert [i["id"] for i in pending["items"]] == [draft["alex"]]
        noted = data(
            await client.call_tool(
                "update_prospect",
                {"prospect_id": prospect["alex"], "notes": "Call back personally today"},
            )
        )
        assert noted["notes"] == "Call back personally today"

        # Filters: intent and P(book).
        pricing = data(
            await client.call_tool("list_drafts", {"status": None, "intent": "pricing_question"})
        )
        assert [i["id"] for i in pricing["items"]] == [draft["sam"]]
        everything = data(await client.call_tool("list_drafts", {"status": None}))
        top = max(i["qualification"]["p_book"] for i in everything["items"])
        likely = data(await client.call_tool("list_drafts", {"status": None, "min_score": top}))
        assert likely["items"]
        assert all(i["qualification"]["p_book"] >= top for i in likely["items"])
        unlikely = data(await client.call_tool("list_drafts", {"status": None, "max_score": top}))
        assert unlikely["total"] == everything["total"] == 4

        # A prospect's conversation: the message, then the reply that was sent.
        convo = data(await client.call_tool("get_prospect", {"prospect_id": prospect["jamie"]}))
        assert [t["direction"] for t in convo["touchpoints"]] == ["inbound", "outbound"]
        assert convo["touchpoints"][0]["body"] == JAMIE["body"]

        # Outcomes reach the network in the same call now that consent allows it.
        booked = data(
            await client.call_tool(
                "record_outcome", {"prospect_id": prospect["jamie"], "outcome": "booked"}
            )
        )
        assert booked["contributed"] is True and booked["not_contributed_reason"] is None
        assert booked["contribution"]["outcome_version"] == 1
        assert booked["prospect_status"] == "booked"

        # A merge suggestion, decided.
        suggestions = data(await client.call_tool("list_merge_suggestions", {}))
        assert [(s["prospect_name"], s["candidate_name"]) for s in suggestions] == [
            ("Jamie Clark", "Jamie Clarke")
        ]
        survivor = data(
            await client.call_tool(
                "accept_merge_suggestion", {"suggestion_id": suggestions[0]["id"]}
            )
        )
        assert survivor["id"] == prospect["jamie"]
        assert data(await client.call_tool("list_merge_suggestions", {})) == []
        merged = data(await client.call_tool("get_prospect", {"prospect_id": prospect["again"]}))
        assert merged["prospect"]["merged_into_id"] == prospect["jamie"]
        conflict = error(
            await client.call_tool(
                "update_prospect", {"prospect_id": prospect["again"], "notes": "x"}
            )
        )
        assert "conflict" in conflict and "merged_into_id" in conflict

        # Errors a model can act on: field lines, never a pydantic dump.
        bad = error(
            await client.call_tool(
                "record_outcome", {"prospect_id": prospect["jamie"], "outcome": "maybe"}
            )
        )
        assert bad.startswith("invalid_input")
        assert "\noutcome: " in bad and "Next:" in bad
        officer_only = error(
            await client.call_tool(
                "subject_opt_out",
                {
                    "subject_key": answer["subject_key"],
                    "request_id": "DSR-1",
                    "received_at": "2026-11-01T00:00:00Z",
                    "verification_method": "email_link",
                    "verifier": "desk",
                    "legal_ground": "gdpr_art17",
                },
            )
        )
        assert "permission_denied" in officer_only and "privacy officer" in officer_only

        report = data(await client.call_tool("qualification_report", {}))
        assert report["drafts_approved"] == 3
        assert report["drafts_pending"] == 1

    async with open_client(officer) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert "subject_opt_out" in names


def test_copilot_day_in_memory(runtime: Runtime, make_provider: Any) -> None:
    me, officer = make_provider(), make_provider(roles=[Role.PRIVACY_OFFICER])
    peers = [make_provider(), make_provider()]
    anyio.run(copilot_day, in_memory(runtime), me.token, [p.token for p in peers], officer.token)


def test_copilot_day_over_streamable_http(runtime: Runtime, make_provider: Any) -> None:
    me, officer = make_provider(), make_provider(roles=[Role.PRIVACY_OFFICER])
    peers = [make_provider(), make_provider()]
    with running_app(runtime) as base:

        def open_client(token: str) -> AbstractAsyncContextManager[Client]:
            return http_client(base, token)

        anyio.run(copilot_day, open_client, me.token, [p.token for p in peers], officer.token)


# ---- what a model reads -------------------------------------------------------------------


def _undescribed(schema: dict[str, Any]) -> list[str]:
    """Input properties without a description, top level and in nested object definitions."""
    missing = [k for k, v in schema.get("properties", {}).items() if "description" not in v]
    for name, definition in schema.get("$defs", {}).items():
        props = definition.get("properties", {})
        missing += [f"{name}.{k}" for k, v in props.items() if "description" not in v]
    return missing


def test_schemas_prompts_and_server_info_are_written_for_a_model(
    runtime: Runtime, make_provider: Any
) -> None:
    provider = make_provider()

    async def scenario() -> tuple[Any, ...]:
        async with Client(build_server(runtime, bound_token=provider.token)) as client:
            tools = (await client.list_tools()).tools
            prompts = (await client.list_prompts()).prompts
            triage = await client.get_prompt("triage_inbox", {"focus": "booking_request"})
            return client.server_info, client.instructions, tools, prompts, triage

    info, instructions, tools, prompts, triage = anyio.run(scenario)
    assert info is not None and info.name == "platform-prospecting"
    assert info.version == package_version() != ""
    assert instructions is not None
    for step in ("get_graph_consent", "list_drafts", "needs_review", "confirm_review"):
        assert step in instructions
    for tool in tools:
        assert tool.title, tool.name
        assert tool.description, tool.name
        assert _undescribed(tool.input_schema) == [], tool.name
        hints = tool.annotations
        assert hints is not None, tool.name
        assert None not in (
            hints.read_only_hint,
            hints.destructive_hint,
            hints.idempotent_hint,
            hints.open_world_hint,
        ), tool.name
        sends = tool.name in SENDING
        assert hints.destructive_hint is sends or not sends, tool.name
        assert hints.open_world_hint is sends, tool.name  # only sending leaves the platform
        if hints.read_only_hint:
            assert not hints.destructive_hint, tool.name
    by_name = {t.name: t for t in tools}
    for name in SENDING:
        assert by_name[name].annotations.destructive_hint is True  # type: ignore[union-attr]
    for name in ("list_drafts", "get_prospect", "get_graph_consent", "list_prospects"):
        assert by_name[name].annotations.read_only_hint is True  # type: ignore[union-attr]
    assert "confirm_review" in by_name["approve_draft"].input_schema["properties"]
    profile = by_name["update_profile"].input_schema
    languages = profile["properties"]["languages"]["anyOf"][0]["items"]
    assert set(languages["enum"]) >= {"en", "es"}
    currency = profile["$defs"]["ServiceArg"]["properties"]["currency"]["anyOf"][0]
    assert currency["pattern"] == "^[A-Z]{3}$"
    assert "ISO 4217" in profile["$defs"]["ServiceArg"]["properties"]["currency"]["description"]
    limit = by_name["list_drafts"].input_schema["properties"]["limit"]
    assert (limit["minimum"], limit["maximum"]) == (1, 100)
    assert "triage_inbox" in {p.name for p in prompts}
    text = triage.messages[0].content.text  # type: ignore[union-attr]
    assert "needs_review" in text and "booking_request" in text


def test_nested_shapes_still_work_and_validation_errors_name_fields(
    runtime: Runtime, make_provider: Any
) -> None:
    provider = make_provider()

    async def scenario() -> tuple[CallToolResult, ...]:
        async with Client(build_server(runtime, bound_token=provider.token)) as client:
            nested = await client.call_tool("qualify_inbound", {"message": JAMIE})
            flat_bad = await client.call_tool("qualify_inbound", {"channel": "fax", "body": ""})
            no_sender = await client.call_tool("qualify_inbound", {"channel": "sms", "body": "Hi"})
            bad_profile = await client.call_tool(
                "update_profile",
                {"services": [{"name": "Massage", "price_min": 40, "currency": "pounds"}]},
            )
            bad_language = await client.call_tool("update_profile", {"languages": ["xx"]})
            return nested, flat_bad, no_sender, bad_profile, bad_language

    nested, flat_bad, no_sender, bad_profile, bad_language = anyio.run(scenario)
    assert data(nested)["ingest"]["created"] is True
    text = error(flat_bad)
    assert text.splitlines()[0] == "invalid_input: 2 arguments were not accepted"
    assert any(line.startswith("channel: ") for line in text.splitlines())
    assert any(line.startswith("body: ") for line in text.splitlines())
    assert text.splitlines()[-1].startswith("Next: ")
    assert "sender_phone, sender_email or sender_name" in error(no_sender)
    assert "services.0.currency" in error(bad_profile)
    assert "languages.0: must be one of en" in error(bad_language)


def test_http_advertises_no_oauth_flow(runtime: Runtime, make_provider: Any) -> None:
    """The server accepts pre-issued bearer tokens only: no protected-resource metadata and a
    401 that points nowhere, so an MCP client (e.g. the Inspector) does not start OAuth."""
    with running_app(runtime) as base:
        metadata = httpx.get(f"{base}/.well-known/oauth-protected-resource/mcp")
        root_metadata = httpx.get(f"{base}/.well-known/oauth-protected-resource")
        issuer = httpx.get(f"{base}/.well-known/oauth-authorization-server")
        refused = httpx.post(
            f"{base}/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={"Accept": "application/json, text/event-stream"},
        )
    assert metadata.status_code == root_metadata.status_code == issuer.status_code == 404
    assert refused.status_code == 401
    challenge = refused.headers["www-authenticate"]
    assert challenge.startswith("Bearer ")
    assert "resource_metadata" not in challenge


# ---- `prospecting mcp` from anywhere ------------------------------------------------------


def _stdio_env(home: Path, **extra: str) -> dict[str, str]:
    """An environment with no PROSPECTING_DATA_DIR and no database URL: the per-user dir."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "PROSPECTING_MODE": "test",
        "PROSPECTING_NETWORK_KEY": TEST_KEY,
        **extra,
    }


def test_stdio_server_starts_from_any_working_directory(tmp_path: Path) -> None:
    home, elsewhere = tmp_path / "home", tmp_path / "somewhere-else"
    elsewhere.mkdir(parents=True)

    # A fresh machine: the stores are created and migrated in the per-user dir, not in cwd.
    unknown = subprocess.run(
        [PROSPECTING, "mcp"],
        env=_stdio_env(home, PROSPECTING_TOKEN="pk_unknown"),
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert unknown.returncode == 2
    assert "token" in unknown.stderr and "no such table" not in unknown.stderr
    assert unknown.stdout == ""  # stdout belongs to the protocol
    data_dir = home / ".local" / "share" / "prospecting"
    assert (data_dir / "tenant.sqlite3").exists() and (data_dir / "graph.sqlite3").exists()
    assert list(elsewhere.iterdir()) == []

    settings = Settings(mode="test", data_dir=data_dir, network_key=TEST_KEY)  # type: ignore[arg-type]
    runtime = Runtime.build(settings)
    with runtime.stores.tenant() as session:
        person = identity.create_person(
            session=session, data=PersonCreate(display_name="Dr Stdio", default_phone_region="GB")
        )
        _, token = identity.issue_token(session=session, person=person, name="copilot")
    runtime.stores.dispose()

    params = StdioServerParameters(
        command=PROSPECTING,
        args=["mcp"],
        env=_stdio_env(home, PROSPECTING_TOKEN=token),
        cwd=elsewhere,
    )

    async def scenario() -> tuple[Any, set[str], CallToolResult]:
        async with Client(params, mode="legacy") as client:
            info = client.server_info
            names = {t.name for t in (await client.list_tools()).tools}
            got = await client.call_tool("qualify_inbound", JAMIE)
            return info, names, got

    info, names, got = anyio.run(scenario)
    assert info is not None and info.name == "platform-prospecting"
    assert {"qualify_inbound", "list_drafts", "record_outcome"} <= names
    assert "subject_opt_out" not in names
    assert data(got)["ingest"]["created"] is True
    assert list(elsewhere.iterdir()) == []


def test_stdio_settings_prefer_what_the_environment_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("PROSPECTING_DATA_DIR", "PROSPECTING_TENANT_DATABASE_URL", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("PROSPECTING_GRAPH_DATABASE_URL", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert user_data_dir() == tmp_path / ".local" / "share" / "prospecting"
    assert stdio_settings().data_dir == user_data_dir()
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert stdio_settings().data_dir == tmp_path / "xdg" / "prospecting"
    monkeypatch.setenv("PROSPECTING_DATA_DIR", str(tmp_path / "mine"))
    assert stdio_settings().data_dir == tmp_path / "mine"
    monkeypatch.delenv("PROSPECTING_DATA_DIR")
    monkeypatch.setenv("PROSPECTING_TENANT_DATABASE_URL", "sqlite:///elsewhere.sqlite3")
    assert stdio_settings().data_dir == Path("data")  # as `serve` would have it


def test_stdio_initialize_answers_on_the_wire(tmp_path: Path) -> None:
    """The raw JSON-RPC a client sends first gets a clean answer on stdout."""
    home, elsewhere = tmp_path / "home", tmp_path / "cwd"
    elsewhere.mkdir(parents=True)
    data_dir = home / ".local" / "share" / "prospecting"
    settings = Settings(mode="test", data_dir=data_dir, network_key=TEST_KEY)  # type: ignore[arg-type]
    from prospecting.migrations import upgrade_all

    upgrade_all(settings.resolved_tenant_url, settings.resolved_graph_url)
    runtime = Runtime.build(settings)
    with runtime.stores.tenant() as session:
        person = identity.create_person(session=session, data=PersonCreate(display_name="P"))
        _, token = identity.issue_token(session=session, person=person, name="copilot")
    runtime.stores.dispose()
    messages: list[dict[str, Any]] = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "test", "version": "1"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ]
    answers: list[dict[str, Any]] = []
    with subprocess.Popen(
        [PROSPECTING, "mcp"],
        env=_stdio_env(home, PROSPECTING_TOKEN=token),
        cwd=elsewhere,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as server:
        assert server.stdin is not None and server.stdout is not None
        for message in messages:
            server.stdin.write(json.dumps(message) + "\n")
            server.stdin.flush()
            if "id" in message:
                answers.append(json.loads(server.stdout.readline()))
        server.stdin.close()
        server.wait(timeout=60)
    assert answers[0]["result"]["serverInfo"]["name"] == "platform-prospecting"
    assert answers[0]["result"]["serverInfo"]["version"] == package_version()
    assert "instructions" in answers[0]["result"]
    assert "qualify_inbound" in {t["name"] for t in answers[1]["result"]["tools"]}
    assert list(elsewhere.iterdir()) == []
