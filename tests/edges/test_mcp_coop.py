"""The provider coop over MCP (edges/mcp/coop.py), through the official client in memory: the
tools and their schemas, a whole warm intro and a whole hand-off (with the loser of an
acceptance race told so), bad input named by field, and a third provider probing every id
another provider owns getting exactly the answer a random missing id gets."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.types import CallToolResult
from sqlalchemy import select

from conftest import TEST_KEY, DatabaseUrls, Provider
from prospecting.config import Settings
from prospecting.coop import consent, handoffs, listing, vetting
from prospecting.coop import service as coop
from prospecting.coop.models import IntroAsk, IntroAskStatus
from prospecting.coop.schemas import ListingIn
from prospecting.db import new_id, utcnow
from prospecting.edges.mcp.server import build_server
from prospecting.identity import service as identity
from prospecting.identity.models import Person, Role
from prospecting.identity.schemas import MembershipCreate, OrgCreate
from prospecting.prospects import service as prospects
from prospecting.prospects.schemas import Channel, InboundMessage
from prospecting.qualify.models import OutboxItem
from prospecting.qualify.schemas import OutboxStatus
from prospecting.runtime import Runtime

COOP_TOOLS = {
    "vetting_status",
    "endorse_peer",
    "revoke_endorsement",
    "verify_member",
    "publish_listing",
    "get_listing",
    "network_state",
    "propose_intro",
    "list_intros",
    "accept_intro",
    "decline_intro",
    "withdraw_intro",
    "record_intro_outcome",
    "offer_handoff",
    "list_offers",
    "accept_offer",
    "decline_offer",
    "list_handoffs",
    "withdraw_handoff",
    "record_handoff_outcome",
    "revoke_share_consent",
    "list_waiting",
    "coop_audit",
    "coop_stats",
    "ask_for_intro",
    "my_intro_asks",
    "list_intro_asks",
    "get_intro_ask",
    "fulfil_intro_ask",
    "decline_intro_ask",
}
ASKS_THE_PROSPECT = {"propose_intro", "offer_handoff", "fulfil_intro_ask"}
VOUCH = {
    "known_for": "1_to_3_years",
    "attended_reliably": True,
    "paid_on_time": True,
    "respectful": True,
    "would_see_again": True,
}
PYDANTIC_DUMP = ("validation error for", "input_value", "errors.pydantic.dev", "type=")


@pytest.fixture
def settings(db_urls: DatabaseUrls, tmp_path: Path) -> Settings:
    """Two vetted listed peers make the network dense, so intros open in a small test."""
    return Settings(
        mode="test",
        data_dir=tmp_path,
        tenant_database_url=db_urls.tenant,
        graph_database_url=db_urls.graph,
        network_key=TEST_KEY,  # type: ignore[arg-type]
        coop_intro_min_peers=2,
    )


def data(result: CallToolResult) -> Any:
    """A tool's structured answer (a list answer unwrapped); fails with the error text."""
    assert not result.is_error, result.content[0].text  # type: ignore[union-attr]
    content = result.structured_content
    assert content is not None
    return content.get("result", content) if set(content) == {"result"} else content


def error(result: CallToolResult) -> str:
    assert result.is_error, result.structured_content
    text: str = result.content[0].text  # type: ignore[union-attr]
    assert not any(marker in text for marker in PYDANTIC_DUMP), text
    return text


class Tools:
    """One in-memory MCP session per provider, opened on first use."""

    def __init__(self, runtime: Runtime, stack: AsyncExitStack) -> None:
        self.runtime = runtime
        self.stack = stack
        self.clients: dict[str, Client] = {}

    async def call(self, who: Provider, tool: str, args: dict[str, Any] | None = None) -> Any:
        client = self.clients.get(who.id)
        if client is None:
            server = build_server(self.runtime, bound_token=who.token)
            client = await self.stack.enter_async_context(Client(server))
            self.clients[who.id] = client
        return await client.call_tool(tool, args or {})

    async def ok(self, who: Provider, tool: str, args: dict[str, Any] | None = None) -> Any:
        return data(await self.call(who, tool, args))

    async def fail(self, who: Provider, tool: str, args: dict[str, Any] | None = None) -> str:
        return error(await self.call(who, tool, args))


@asynccontextmanager
async def tools(runtime: Runtime) -> AsyncIterator[Tools]:
    async with AsyncExitStack() as stack:
        yield Tools(runtime, stack)


@dataclass
class Coop:
    org: str
    admin: Provider
    alice: Provider  # proposes intros and offers hand-offs
    bob: Provider  # receives intros, a hand-off candidate
    carol: Provider  # a hand-off candidate
    dave: Provider  # vetted, listed in another category: party to nothing in therapy
    erin: Provider  # a provider nobody vetted
    prospect: str  # alice's
    other_prospect: str  # alice's too


def _prospect(runtime: Runtime, owner: str, name: str, phone: str) -> str:
    with runtime.stores.tenant() as session:
        actor = session.get(Person, owner)
        assert actor is not None
        return prospects.ingest(
            session=session,
            actor=actor,
            resolver=runtime.resolver,
            message=InboundMessage(
                channel=Channel.SMS,
                sender_name=name,
                sender_phone=phone,
                body="Hello, do you have space next week?",
            ),
        ).prospect.id


@pytest.fixture
def world(runtime: Runtime, make_provider: Callable[..., Provider]) -> Coop:
    """An Org whose admin verified four members, each listed (dave in coaching, the others in
    therapy), made through the services (the tools' own tests are below: building a server
    per provider is what costs time)."""
    admin = make_provider(display_name="Org Admin")
    names = ("Alice Sender", "Bob Receiver", "Carol Candidate", "Dave Third")
    members = [make_provider(display_name=name) for name in names]
    erin = make_provider(display_name="Erin Unvetted")
    with runtime.stores.tenant() as session:
        admin_row = identity.get_person(session=session, person_id=admin.id)
        org = identity.create_org(session=session, data=OrgCreate(name="Practice"), admin=admin_row)
        for member in members:
            row = identity.get_person(session=session, person_id=member.id)
            identity.invite_member(
                session=session,
                actor=admin_row,
                org_id=org.id,
                data=MembershipCreate(person_id=member.id),
            )
            identity.accept_invitation(session=session, actor=row, org_id=org.id)
            vetting.verify_member(
                session=session, actor=admin_row, org_id=org.id, person_id=member.id
            )
            category = "coaching" if member is members[3] else "therapy"
            listing.publish(
                session=session,
                actor=row,
                data=ListingIn(categories=[category], region="gb-lnd", accepting=True),
            )
        org_id = org.id
    alice, bob, carol, dave = members
    return Coop(
        org=org_id,
        admin=admin,
        alice=alice,
        bob=bob,
        carol=carol,
        dave=dave,
        erin=erin,
        prospect=_prospect(runtime, alice.id, "Dana Client", "+447911123456"),
        other_prospect=_prospect(runtime, alice.id, "Eli Client", "+447911123457"),
    )


def consent_token(runtime: Runtime, consent_id: str) -> str:
    """The token in the consent request the prospect received (handed to the channel)."""
    with runtime.stores.tenant_read() as session:
        item = session.scalars(
            select(OutboxItem).where(
                OutboxItem.ref_id == consent_id, OutboxItem.purpose == "coop_consent"
            )
        ).one()
        assert item.status == OutboxStatus.HANDED_OVER  # the tool sent the request
        found = re.search(r"/consent/([A-Za-z0-9_\-]+)", item.body)
    assert found is not None
    return found.group(1)


def prospect_answers(runtime: Runtime, consent_id: str, decision: str) -> None:
    """The prospect answers on the consent page (through the coop façade, as the page does)."""
    token = consent_token(runtime, consent_id)
    with runtime.stores.tenant() as session:
        decided = coop.decide_by_token(
            session=session,
            token=token,
            decision=decision,  # type: ignore[arg-type]
            now=utcnow(),
        )
    assert decided is not None


def prospect_replies(runtime: Runtime, sender: str, prospect_id: str, body: str) -> None:
    """The prospect replies YES/NO in the conversation."""
    with runtime.stores.tenant() as session:
        decided = coop.decide_by_reply(
            session=session, person_id=sender, prospect_id=prospect_id, body=body, now=utcnow()
        )
    assert decided is not None


def consent_yes_two_offers_at_once(runtime: Runtime, consent_id: str) -> None:
    """The prospect says yes and two offers go out at once (fan_out=2), so two peers race."""
    token = consent_token(runtime, consent_id)
    now = utcnow()
    with runtime.stores.tenant() as session:
        decided = consent.decide_by_token(session=session, token=token, decision="yes", now=now)
        assert decided is not None
        handoffs.consent_decided(
            session=session, consent=decided, now=now, settings=runtime.settings, fan_out=2
        )


def intro_args(w: Coop, **over: Any) -> dict[str, Any]:
    return {
        "prospect_id": w.prospect,
        "receiver_id": w.bob.id,
        "vouch": VOUCH,
        "fields": ["name", "phone"],
    } | over


def handoff_args(prospect_id: str, **over: Any) -> dict[str, Any]:
    return {
        "prospect_id": prospect_id,
        "reason": "wrong_fit",
        "category": "therapy",
        "region": "gb-lnd",
        "fields": ["name", "phone"],
    } | over


# ---- the tools a model reads ----------------------------------------------------------------


def test_every_coop_tool_is_listed_with_schemas_and_annotations(
    runtime: Runtime, make_provider: Any
) -> None:
    me = make_provider()

    async def listed() -> dict[str, Any]:
        async with Client(build_server(runtime, bound_token=me.token)) as client:
            return {t.name: t for t in (await client.list_tools()).tools}

    by_name = anyio.run(listed)
    assert set(by_name) >= COOP_TOOLS
    for name in COOP_TOOLS:
        tool = by_name[name]
        assert tool.title and tool.description, name
        assert tool.input_schema["type"] == "object", name
        assert tool.output_schema is not None, name
        hints = tool.annotations
        assert hints is not None, name
        sends = name in ASKS_THE_PROSPECT
        assert hints.open_world_hint is sends, name  # only asking the prospect leaves
        assert hints.destructive_hint is True or not sends, name
        if hints.read_only_hint:
            assert not hints.destructive_hint, name
    vouch = by_name["propose_intro"].input_schema
    assert set(vouch["required"]) == {"prospect_id", "receiver_id", "vouch", "fields"}
    assert "real person" in (by_name["propose_intro"].description or "")
    assert by_name["list_waiting"].annotations.read_only_hint is True  # type: ignore[union-attr]
    for name in ("prospect_id", "receiver_id"):
        assert "description" in vouch["properties"][name]
    assert "offer_id" in by_name["accept_offer"].input_schema["required"]


# ---- a warm intro, start to end ---------------------------------------------------------------


def test_a_warm_intro_through_tools(runtime: Runtime, world: Coop) -> None:
    w = world

    async def scenario() -> None:
        async with tools(runtime) as t:
            state = await t.ok(
                w.alice, "network_state", {"category": "therapy", "region": "gb-lnd"}
            )
            assert state["intros"]["available"] is True and state["intros"]["state"] == "dense"
            assert state["handoffs"]["state"] == "open"

            # Ask: the consent request goes to the prospect; the receiver sees nothing yet.
            intro = await t.ok(w.alice, "propose_intro", intro_args(w))
            assert intro["status"] == "awaiting_consent" and intro["consent_id"]
            missing = await t.fail(w.bob, "accept_intro", {"intro_id": new_id()})
            assert await t.fail(w.bob, "accept_intro", {"intro_id": intro["id"]}) == missing
            assert missing.startswith("not_found: intro not found\nNext: intro ids come from")
            assert await t.ok(w.bob, "list_intros") == []
            waiting = await t.ok(w.alice, "list_waiting")
            assert [i["id"] for i in waiting["intros_awaiting_prospect"]] == [intro["id"]]

            prospect_answers(runtime, intro["consent_id"], "yes")

            # The receiver decides: the person arrives with the consented fields only.
            waiting = await t.ok(w.bob, "list_waiting")
            [seen] = waiting["intros_to_decide"]
            assert seen["id"] == intro["id"] and seen["sender_id"] == w.alice.id
            assert seen["vouch"] == VOUCH
            assert seen["person"]["name"] == "Dana Client" and seen["person"]["email"] is None
            assert seen["prospect_id"] is None and seen["consent_id"] is None
            got = await t.ok(w.bob, "accept_intro", {"intro_id": intro["id"]})
            assert got["origin"] == "warm_intro" and got["ref_id"] == intro["id"]
            assert got["intro"]["status"] == "accepted"
            assert got["prospect_id"] != w.prospect and got["draft_id"]
            again = await t.fail(w.bob, "accept_intro", {"intro_id": intro["id"]})
            assert again.startswith("conflict: intro is accepted")
            done = await t.ok(
                w.bob, "record_intro_outcome", {"intro_id": intro["id"], "outcome": "booked"}
            )
            assert done["outcome"] == "booked"

            # The sender sees status and outcome; both sides have their audit; stats count it.
            [sent] = await t.ok(w.alice, "list_intros", {"role": "sent"})
            assert (sent["status"], sent["outcome"]) == ("accepted", "booked")
            mine = await t.ok(w.alice, "coop_audit", {"object_id": intro["id"]})
            assert [e["action"] for e in reversed(mine)] == [
                "intro_proposed",
                "intro_consented",
                "intro_accepted",
                "intro_outcome",
            ]
            theirs = await t.ok(w.bob, "coop_audit", {"object_id": intro["id"]})
            assert {e["action"] for e in theirs} >= {"intro_received", "intro_accepted"}
            figures = await t.ok(w.bob, "coop_stats")
            assert (figures["intros_accepted"], figures["intros_booked"]) == (1, 1)

            # The other ways an intro ends: withdrawn, consent revoked, declined by the peer.
            second = await t.ok(w.alice, "propose_intro", intro_args(w, receiver_id=w.carol.id))
            gone = await t.ok(w.alice, "withdraw_intro", {"intro_id": second["id"]})
            assert gone["status"] == "withdrawn"
            third = await t.ok(w.alice, "propose_intro", intro_args(w, receiver_id=w.carol.id))
            revoked = await t.ok(
                w.alice, "revoke_share_consent", {"consent_id": third["consent_id"]}
            )
            assert revoked["status"] == "revoked"
            [stopped] = await t.ok(w.alice, "list_intros", {"status": "revoked"})
            assert stopped["id"] == third["id"]
            fourth = await t.ok(w.alice, "propose_intro", intro_args(w, receiver_id=w.carol.id))
            prospect_replies(runtime, w.alice.id, w.prospect, "YES")
            no = await t.ok(w.carol, "decline_intro", {"intro_id": fourth["id"]})
            assert no["status"] == "declined_by_peer"
            assert (await t.ok(w.carol, "list_waiting"))["intros_to_decide"] == []
            assert [i["status"] for i in await t.ok(w.alice, "list_intros")] == [
                "declined_by_peer",
                "revoked",
                "withdrawn",
                "accepted",
            ]

    anyio.run(scenario)


def test_the_referral_draft_reads_like_any_other(runtime: Runtime, world: Coop) -> None:
    w = world

    async def scenario() -> None:
        async with tools(runtime) as t:
            intro = await t.ok(w.alice, "propose_intro", intro_args(w))
            prospect_answers(runtime, intro["consent_id"], "yes")
            got = await t.ok(w.bob, "accept_intro", {"intro_id": intro["id"]})
            draft = await t.ok(w.bob, "get_draft", {"draft_id": got["draft_id"]})
            assert draft["status"] == "pending"  # drafted, never sent by accepting
            pending = await t.ok(w.bob, "list_drafts")
            assert [d["id"] for d in pending["items"]] == [got["draft_id"]]
            assert pending["items"][0]["message"] is None  # a referral answers no message
            sent = await t.ok(
                w.bob, "approve_draft", {"draft_id": got["draft_id"], "confirm_review": True}
            )
            assert sent["status"] == "approved", sent

    anyio.run(scenario)


def test_vetting_and_network_refusals_say_what_to_do(runtime: Runtime, world: Coop) -> None:
    w = world

    async def scenario() -> None:
        async with tools(runtime) as t:
            status = await t.ok(w.erin, "vetting_status")
            assert status["vetted"] is False and status["endorsements_needed"] == 2
            assert (await t.fail(w.erin, "get_listing")).endswith("call publish_listing")
            listed = await t.ok(
                w.erin,
                "publish_listing",
                {
                    "categories": ["therapy", "coaching"],
                    "region": "gb-lnd",
                    "services": ["cbt"],
                    "languages": ["en", "fr"],
                    "accepting": False,
                    "open_slots": 0,
                },
            )
            assert listed == await t.ok(w.erin, "get_listing")
            assert (listed["person_id"], listed["vetted"]) == (w.erin.id, False)
            assert (listed["categories"], listed["accepting"]) == (["coaching", "therapy"], False)
            member = {"org_id": w.org, "person_id": w.bob.id}
            first = await t.ok(w.admin, "verify_member", member)
            again = await t.ok(w.admin, "verify_member", member)
            assert again["id"] == first["id"]  # verifying again answers the current one
            assert again["person_id"] == w.bob.id and again["revoked_at"] is None
            refused = await t.fail(w.erin, "propose_intro", intro_args(w))
            assert refused.startswith("not_vetted: ") and "Next: call vetting_status" in refused
            given = await t.ok(
                w.alice,
                "endorse_peer",
                {"peer_id": w.erin.id, "basis": "worked_alongside", "known_for": "over_3_years"},
            )
            await t.ok(
                w.bob,
                "endorse_peer",
                {"peer_id": w.erin.id, "basis": "referred_clients", "known_for": "under_3_months"},
            )
            assert (await t.ok(w.erin, "vetting_status"))["vetted"] is True
            [mine] = (await t.ok(w.alice, "vetting_status"))["given"]
            assert mine["id"] == given["id"] and mine["peer_id"] == w.erin.id
            await t.ok(w.alice, "revoke_endorsement", {"endorsement_id": given["id"]})
            assert (await t.ok(w.erin, "vetting_status"))["vetted"] is False

            empty = await t.ok(w.alice, "network_state", {"category": "yoga"})
            assert empty["handoffs"] == empty["handoffs"] | {"available": False, "state": "empty"}
            closed = await t.fail(
                w.alice, "offer_handoff", handoff_args(w.prospect, category="yoga")
            )
            assert closed.startswith("feature_unavailable: handoffs unavailable (empty)")
            assert closed.endswith(
                "Next: call network_state with this category and region: "
                "it says which state applies and why"
            )
            not_admin = await t.fail(
                w.alice, "verify_member", {"org_id": w.org, "person_id": w.bob.id}
            )
            assert not_admin.startswith("permission_denied: only an active org_admin")

    anyio.run(scenario)


# ---- a hand-off, start to end, and the race -----------------------------------------------------


def test_a_handoff_through_tools_with_a_decline_and_a_lost_race(
    runtime: Runtime, world: Coop
) -> None:
    w = world
    candidates = (w.bob, w.carol)

    async def offered(t: Tools) -> dict[str, list[dict[str, Any]]]:
        return {p.id: await t.ok(p, "list_offers") for p in candidates}

    async def scenario() -> None:
        async with tools(runtime) as t:
            handoff = await t.ok(
                w.alice, "offer_handoff", handoff_args(w.prospect, vouch=VOUCH, service=None)
            )
            assert handoff["status"] == "awaiting_consent" and handoff["offers_made"] == 0
            assert all(not offers for offers in (await offered(t)).values())
            waiting = await t.ok(w.alice, "list_waiting")
            assert [h["id"] for h in waiting["handoffs_awaiting_prospect"]] == [handoff["id"]]

            prospect_replies(runtime, w.alice.id, w.prospect, "yes")

            # One offer at a time: the first candidate declines, the next one gets it.
            now_open = {pid: offers for pid, offers in (await offered(t)).items() if offers}
            [(first_id, [offer])] = now_open.items()
            assert offer["handoff_id"] == handoff["id"] and offer["vouch"] == VOUCH
            assert "sender_id" not in offer  # a candidate never learns who offers
            first = next(p for p in candidates if p.id == first_id)
            second = next(p for p in candidates if p.id != first_id)
            declined = await t.ok(first, "decline_offer", {"offer_id": offer["id"]})
            assert declined["status"] == "declined"
            [next_offer] = (await t.ok(second, "list_waiting"))["offers_to_decide"]
            assert next_offer["handoff_id"] == handoff["id"]
            gone = await t.fail(first, "accept_offer", {"offer_id": offer["id"]})
            assert gone.startswith("not_found: offer not found")
            won = await t.ok(second, "accept_offer", {"offer_id": next_offer["id"]})
            assert won["origin"] == "handoff" and won["ref_id"] == handoff["id"]
            assert won["intro"] is None and won["draft_id"]
            await t.ok(
                second,
                "record_handoff_outcome",
                {"handoff_id": handoff["id"], "outcome": "not_booked"},
            )
            [sent] = await t.ok(w.alice, "list_handoffs")
            assert (sent["status"], sent["winner_id"], sent["outcome"]) == (
                "accepted",
                second.id,
                "not_booked",
            )
            assert sent["offers_made"] == 2

            # Two offers open at once: the first acceptance wins, the other is told clearly.
            race = await t.ok(w.alice, "offer_handoff", handoff_args(w.other_prospect))
            consent_yes_two_offers_at_once(runtime, race["consent_id"])
            open_now = await offered(t)
            assert all(len(offers) == 1 for offers in open_now.values())
            winner = await t.ok(w.bob, "accept_offer", {"offer_id": open_now[w.bob.id][0]["id"]})
            assert winner["ref_id"] == race["id"]
            lost = await t.fail(
                w.carol, "accept_offer", {"offer_id": open_now[w.carol.id][0]["id"]}
            )
            assert lost == "conflict: hand-off already taken\nNext: another peer accepted it first"
            race_row = next(
                h for h in await t.ok(w.alice, "list_handoffs") if h["id"] == race["id"]
            )
            assert race_row["winner_id"] == w.bob.id

            # The sender takes back an open one.
            third = await t.ok(w.alice, "offer_handoff", handoff_args(w.prospect))
            back = await t.ok(w.alice, "withdraw_handoff", {"handoff_id": third["id"]})
            assert back["status"] == "withdrawn"

    anyio.run(scenario)


# ---- bad input ----------------------------------------------------------------------------------


BAD: dict[str, tuple[str, dict[str, Any], tuple[str, ...]]] = {
    "vouch": (
        "propose_intro",
        {"vouch": {"known_for": "forever", "attended_reliably": "true"}},
        ("vouch.known_for: ", "vouch.attended_reliably: ", "vouch.respectful: "),
    ),
    "fields": ("propose_intro", {"fields": ["address"]}, ("fields.0: ",)),
    "listing": (
        "publish_listing",
        {"categories": ["Not A Slug"], "accepting": "yes", "open_slots": -1},
        ("categories.0: ", "accepting: ", "open_slots: "),
    ),
    "reason": ("offer_handoff", {"reason": "because"}, ("reason: ",)),
    "outcome": ("record_intro_outcome", {"intro_id": "x", "outcome": "great"}, ("outcome: ",)),
    "status": ("list_intros", {"status": "pending"}, ("status: ",)),
    "id": ("accept_offer", {"offer_id": "line\nbreak"}, ("offer_id: ",)),
    "ask": (
        "fulfil_intro_ask",
        {"vouch": VOUCH | {"paid_on_time": "yes"}, "fields": []},
        ("vouch.paid_on_time: ", "fields: "),
    ),
    "ask_status": ("list_intro_asks", {"status": "pending"}, ("status: ",)),
}


def test_bad_input_names_the_field(runtime: Runtime, make_provider: Any) -> None:
    """Arguments are checked before anything is read: well-formed ids of nothing will do."""
    me = make_provider()
    some = new_id()
    base: dict[str, dict[str, Any]] = {
        "propose_intro": {
            "prospect_id": some,
            "receiver_id": some,
            "vouch": VOUCH,
            "fields": ["name"],
        },
        "publish_listing": {"categories": ["therapy"], "accepting": True},
        "offer_handoff": handoff_args(some),
        "fulfil_intro_ask": {"ask_id": some, "vouch": VOUCH, "fields": ["name"]},
    }

    async def scenario() -> dict[str, str]:
        async with tools(runtime) as t:
            return {
                case: await t.fail(me, tool, base.get(tool, {}) | args)
                for case, (tool, args, _) in BAD.items()
            }

    answers = anyio.run(scenario)
    for case, (tool, _, fields) in BAD.items():
        lines = answers[case].splitlines()
        assert lines[0].startswith("invalid_input: "), (case, lines)
        assert lines[-1] == f"Next: correct these arguments and call {tool} again", case
        for field in fields:
            assert any(line.startswith(field) for line in lines), (case, field, lines)


# ---- a third provider probing others' ids ------------------------------------------------------


def test_another_providers_id_answers_like_a_missing_one(
    runtime: Runtime, world: Coop, make_provider: Callable[..., Provider]
) -> None:
    """dave (vetted, party to nothing) names alice's and bob's ids in every tool that takes
    one: each answer is exactly the answer for a random id, and nothing moved."""
    w = world
    officer = make_provider(roles=[Role.PRIVACY_OFFICER])  # a Person who is no provider

    async def scenario() -> list[tuple[str, str, str, str]]:
        async with tools(runtime) as t:
            endorsement = await t.ok(
                w.alice,
                "endorse_peer",
                {"peer_id": w.erin.id, "basis": "supervised", "known_for": "3_to_12_months"},
            )
            intro = await t.ok(w.alice, "propose_intro", intro_args(w))
            prospect_answers(runtime, intro["consent_id"], "yes")
            handoff = await t.ok(w.alice, "offer_handoff", handoff_args(w.other_prospect))
            prospect_replies(runtime, w.alice.id, w.other_prospect, "yes")
            [(holder, offer)] = [
                (p, o)
                for p in (w.bob, w.carol)
                for o in await t.ok(p, "list_offers")
                if o["handoff_id"] == handoff["id"]
            ]
            bystander = w.carol if holder is w.bob else w.bob  # a candidate without this offer
            before = (
                await t.ok(w.alice, "list_intros"),
                await t.ok(w.alice, "list_handoffs"),
                await t.ok(w.alice, "vetting_status"),
            )

            vouch = {"vouch": VOUCH, "fields": ["name"]}
            probes: list[tuple[Provider, str, dict[str, Any], str, str]] = [
                (w.dave, "revoke_endorsement", {}, "endorsement_id", endorsement["id"]),
                (
                    w.dave,
                    "propose_intro",
                    {"receiver_id": w.bob.id} | vouch,
                    "prospect_id",
                    w.prospect,
                ),
                (
                    w.dave,
                    "propose_intro",
                    {"prospect_id": new_id()} | vouch,
                    "receiver_id",
                    w.erin.id,
                ),
                (w.dave, "accept_intro", {}, "intro_id", intro["id"]),
                (w.dave, "decline_intro", {}, "intro_id", intro["id"]),
                (w.dave, "withdraw_intro", {}, "intro_id", intro["id"]),
                (w.dave, "record_intro_outcome", {"outcome": "booked"}, "intro_id", intro["id"]),
                (
                    w.dave,
                    "offer_handoff",
                    handoff_args(w.prospect),
                    "prospect_id",
                    w.other_prospect,
                ),
                (w.dave, "accept_offer", {}, "offer_id", offer["id"]),
                (w.dave, "decline_offer", {}, "offer_id", offer["id"]),
                (w.dave, "withdraw_handoff", {}, "handoff_id", handoff["id"]),
                (
                    w.dave,
                    "record_handoff_outcome",
                    {"outcome": "booked"},
                    "handoff_id",
                    handoff["id"],
                ),
                (w.dave, "revoke_share_consent", {}, "consent_id", intro["consent_id"]),
                (w.dave, "revoke_share_consent", {}, "consent_id", handoff["consent_id"]),
                (w.dave, "verify_member", {"person_id": w.bob.id}, "org_id", w.org),
                (w.admin, "verify_member", {"org_id": w.org}, "person_id", w.erin.id),
                (
                    w.dave,
                    "endorse_peer",
                    {"basis": "supervised", "known_for": "over_3_years"},
                    "peer_id",
                    officer.id,
                ),
                # the parties themselves, in the roles they do not hold
                (w.bob, "withdraw_intro", {}, "intro_id", intro["id"]),
                (w.alice, "accept_intro", {}, "intro_id", intro["id"]),
                (w.alice, "accept_offer", {}, "offer_id", offer["id"]),
                (bystander, "accept_offer", {}, "offer_id", offer["id"]),
                (bystander, "decline_offer", {}, "offer_id", offer["id"]),
                (holder, "withdraw_handoff", {}, "handoff_id", handoff["id"]),
                (
                    w.carol,
                    "record_handoff_outcome",
                    {"outcome": "booked"},
                    "handoff_id",
                    handoff["id"],
                ),
            ]
            answers = []
            for who, tool, args, field, foreign in probes:
                theirs = await t.call(who, tool, args | {field: foreign})
                missing = await t.call(who, tool, args | {field: new_id()})
                assert theirs.is_error and missing.is_error, (tool, field)
                answers.append((tool, field, error(theirs), error(missing)))
            for object_id in (intro["id"], handoff["id"], endorsement["id"]):
                assert await t.ok(w.dave, "coop_audit", {"object_id": object_id}) == []
            assert await t.ok(w.dave, "list_intros") == []
            assert await t.ok(w.dave, "list_handoffs") == []
            after = (
                await t.ok(w.alice, "list_intros"),
                await t.ok(w.alice, "list_handoffs"),
                await t.ok(w.alice, "vetting_status"),
            )
            assert after == before
            return answers

    for tool, field, theirs, missing in anyio.run(scenario):
        assert theirs == missing, (tool, field)
        assert not theirs.startswith("invalid_input"), (tool, field, theirs)
        for secret in ("Dana", "Alice", "Bob", "+44"):
            assert secret not in theirs, (tool, field, theirs)


# ---- intro asks: reachability as the cue ---------------------------------------------------------


def seed_ask(runtime: Runtime, *, asker: Provider, holder: Provider, holder_prospect: str) -> str:
    """An open intro ask from `asker` (about a prospect of theirs, the same person) to
    `holder`, as coop.asks.ask stores it after a positive graph answer (the graph side is
    tested in tests/coop/test_asks.py)."""
    asker_prospect = _prospect(runtime, asker.id, "Dana Client", "+447911123456")
    with runtime.stores.tenant() as session:
        row = IntroAsk(
            id=new_id(),
            asker_id=asker.id,
            asker_prospect_id=asker_prospect,
            holder_id=holder.id,
            holder_prospect_id=holder_prospect,
            status=IntroAskStatus.OPEN,
            expires_at=utcnow() + timedelta(days=3),
        )
        session.add(row)
        return row.id


def ask_status(runtime: Runtime, ask_id: str) -> IntroAskStatus:
    with runtime.stores.tenant_read() as session:
        row = session.get(IntroAsk, ask_id)
        assert row is not None
        return row.status


def test_an_intro_ask_through_tools(runtime: Runtime, world: Coop) -> None:
    """bob's copilot asked (the row seeded as the service stores it); alice, the holder, sees
    it and fulfils it: a warm intro to bob, her prospect asked first. bob only ever sees counts
    until the prospect says yes. A second ask is declined."""
    w = world
    ask_id = seed_ask(runtime, asker=w.bob, holder=w.alice, holder_prospect=w.prospect)

    async def scenario() -> None:
        async with tools(runtime) as t:
            [seen] = await t.ok(w.alice, "list_intro_asks")
            assert (seen["id"], seen["status"], seen["prospect_id"]) == (
                ask_id,
                "open",
                w.prospect,
            )
            assert (seen["asker_id"], seen["asker_name"], seen["asker_category"]) == (
                w.bob.id,
                "Bob Receiver",
                "therapy",
            )
            assert await t.ok(w.alice, "get_intro_ask", {"ask_id": ask_id}) == seen
            [waiting] = (await t.ok(w.alice, "list_waiting"))["intro_asks"]
            assert waiting == seen
            for other in (w.bob, w.carol, w.dave):  # the asker included: holder only
                assert await t.ok(other, "list_intro_asks") == []
                assert (await t.ok(other, "list_waiting"))["intro_asks"] == []

            counts = await t.ok(w.bob, "my_intro_asks")
            assert counts == {
                "prospect_id": None,
                "open": 1,
                "fulfilled": 0,
                "declined": 0,
                "expired": 0,
                "closed": 0,
            }
            assert w.alice.id not in str(counts) and ask_id not in str(counts)

            # alice agrees: a warm intro to bob; her prospect gets the consent request.
            done = await t.ok(
                w.alice,
                "fulfil_intro_ask",
                {"ask_id": ask_id, "vouch": VOUCH, "fields": ["name", "phone"]},
            )
            intro = done["intro"]
            assert (done["ask"]["status"], done["ask"]["intro_id"]) == ("fulfilled", intro["id"])
            assert intro["status"] == "awaiting_consent" and intro["consent_id"]
            assert intro["receiver_id"] == w.bob.id and intro["prospect_id"] == w.prospect
            consent_token(runtime, intro["consent_id"])  # the request was handed to the channel
            assert (await t.ok(w.alice, "list_waiting"))["intro_asks"] == []
            [fulfilled] = await t.ok(w.alice, "list_intro_asks", {"status": "fulfilled"})
            assert fulfilled["id"] == ask_id
            again = await t.fail(
                w.alice,
                "fulfil_intro_ask",
                {"ask_id": ask_id, "vouch": VOUCH, "fields": ["name"]},
            )
            assert (
                again == "conflict: intro ask is fulfilled\nNext: only an open ask can be answered"
            )

            counts = await t.ok(w.bob, "my_intro_asks")
            assert (counts["open"], counts["fulfilled"]) == (0, 1)
            assert w.alice.id not in str(counts)
            assert await t.ok(w.bob, "list_intros") == []  # nothing reaches bob before the yes
            prospect_answers(runtime, intro["consent_id"], "yes")
            [to_decide] = (await t.ok(w.bob, "list_waiting"))["intros_to_decide"]
            assert (to_decide["id"], to_decide["sender_id"]) == (intro["id"], w.alice.id)

            # A second ask, declined: bob sees one declined, still not who.
            second = seed_ask(
                runtime, asker=w.carol, holder=w.alice, holder_prospect=w.other_prospect
            )
            no = await t.ok(w.alice, "decline_intro_ask", {"ask_id": second})
            assert (no["id"], no["status"], no["intro_id"]) == (second, "declined", None)
            assert no["decided_at"] is not None
            assert (await t.fail(w.alice, "decline_intro_ask", {"ask_id": second})).startswith(
                "conflict: intro ask is declined"
            )
            mine = await t.ok(w.carol, "my_intro_asks")
            assert (mine["open"], mine["declined"]) == (0, 1)
            assert w.alice.id not in str(mine) and second not in str(mine)
            assert await t.ok(w.carol, "list_intros") == []

    anyio.run(scenario)


def test_asking_for_an_intro_answers_a_state(runtime: Runtime, world: Coop) -> None:
    """An empty graph is an answer (a state and its reason), not an error; missing consent,
    an unvetted asker and another provider's prospect are errors that say what to do."""
    w = world
    ask = {"prospect_id": w.prospect}

    async def scenario() -> None:
        async with tools(runtime) as t:
            no_consent = await t.fail(w.alice, "ask_for_intro", ask)
            assert no_consent.startswith("consent_required: ")
            assert "Next: asking for an intro reads the network: call get_graph_consent" in (
                no_consent
            )
            await t.ok(w.alice, "graph_consent", {"action": "query_on"})
            answer = await t.ok(w.alice, "ask_for_intro", ask)
            assert answer == {
                "prospect_id": w.prospect,
                "state": "insufficient_contributors",
                "asked": 0,
                "open": 0,
                "reason": "too few peers know this person to say anything",
            }
            [entry] = await t.ok(w.alice, "coop_audit", {"object_id": w.prospect})
            assert (entry["action"], entry["counterpart_id"]) == ("intro_asked", None)
            assert entry["detail"] == {"asked": 0, "state": "insufficient_contributors"}
            assert (await t.ok(w.alice, "my_intro_asks", ask))["open"] == 0

            refused = await t.fail(w.erin, "ask_for_intro", ask)
            assert refused.startswith("not_vetted: ") and "Next: call vetting_status" in refused
            await t.ok(w.dave, "graph_consent", {"action": "query_on"})
            for tool in ("ask_for_intro", "my_intro_asks"):
                theirs = await t.fail(w.dave, tool, ask)
                assert theirs == await t.fail(w.dave, tool, {"prospect_id": new_id()}), tool
                assert theirs.startswith("not_found: prospect not found\nNext: prospect ids")
        with runtime.stores.tenant_read() as session:
            assert session.scalars(select(IntroAsk)).all() == []

    anyio.run(scenario)


def test_another_providers_intro_ask_answers_like_a_missing_one(
    runtime: Runtime, world: Coop
) -> None:
    """The asker (bob) and a third provider (dave) naming alice's ask in get, fulfil and
    decline get exactly the answer a random id gets, and nothing moved."""
    w = world
    ask_id = seed_ask(runtime, asker=w.bob, holder=w.alice, holder_prospect=w.prospect)
    fulfil = {"vouch": VOUCH, "fields": ["name"]}

    async def scenario() -> list[tuple[str, str, str]]:
        async with tools(runtime) as t:
            before = (
                await t.ok(w.alice, "list_intro_asks", {"status": None}),
                await t.ok(w.bob, "my_intro_asks"),
                await t.ok(w.alice, "list_intros"),
            )
            answers = []
            for who in (w.bob, w.dave):
                for tool, args in (
                    ("get_intro_ask", {}),
                    ("fulfil_intro_ask", fulfil),
                    ("decline_intro_ask", {}),
                ):
                    theirs = await t.fail(who, tool, args | {"ask_id": ask_id})
                    missing = await t.fail(who, tool, args | {"ask_id": new_id()})
                    answers.append((tool, theirs, missing))
            after = (
                await t.ok(w.alice, "list_intro_asks", {"status": None}),
                await t.ok(w.bob, "my_intro_asks"),
                await t.ok(w.alice, "list_intros"),
            )
            assert after == before
            assert await t.ok(w.dave, "coop_audit", {"object_id": ask_id}) == []
            return answers

    answers = anyio.run(scenario)
    for tool, theirs, missing in answers:
        assert theirs == missing, tool
        assert theirs == (
            "not_found: intro ask not found\nNext: intro ask ids come from list_intro_asks or "
            "list_waiting (intro_asks): only asks sent to you; an ask you made is followed "
            "with my_intro_asks"
        ), tool
    assert ask_status(runtime, ask_id) == IntroAskStatus.OPEN
