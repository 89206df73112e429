"""Auto-qualify reads the consented network: link on creation, graph features and factors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from graph.conftest import PHONE, Net


def test_inbound_is_linked_and_scored_with_network_signal(client, make_provider, cold_start_model):
    net = Net(client, make_provider)
    peers = [net.provider("contribute_all", "query_on") for _ in range(2)]
    for peer in peers:
        pid = net.inbound(peer, phone=PHONE, name="Jamie Clarke")
        outcome = client.post(
            f"/prospects/{pid}/outcomes", json={"outcome": "booked"}, headers=peer.headers
        ).json()
        contributed = net.contribute(
            peer, pid, "booked", outcome_version=outcome["outcome_version"]
        )
        assert contributed.status_code in (200, 201), contributed.text

    asker = net.provider("query_on")
    qualified = client.post(
        "/qualify/inbound",
        json={"channel": "sms", "sender_phone": PHONE, "body": "Can I book Friday at 10am?"},
        headers=asker.headers,
    )
    assert qualified.status_code in (200, 201), qualified.text
    body = qualified.json()
    prospect = client.get(
        f"/prospects/{body['ingest']['prospect']['id']}", headers=asker.headers
    ).json()
    assert prospect["link_confidence"] >= 0.9
    assert body["qualification"]["graph_state"] != "empty"
    graph_factors = [
        f for f in body["qualification"]["factors"] if f["feature"].startswith("graph_")
    ]
    assert graph_factors and all("network" in f["reason"] for f in graph_factors)
    audit = client.get("/prospect-graph/audit", headers=peers[0].headers).json()
    reads = [e for e in audit if e["role"] == "contributor" and e["kind"] == "auto_qualify"]
    assert reads, "each contributor can see the auto-qualify read that used their rows"
    assert any(e["contributor_count"] >= 2 for e in reads)  # the asker's read used both


def test_without_query_consent_the_network_stays_empty(client, make_provider):
    net = Net(client, make_provider)
    peer = net.provider("contribute_all", "query_on")
    pid = net.inbound(peer, phone=PHONE)
    net.contribute(peer, pid, "booked", outcome_version=1)
    asker = net.provider()
    qualified = client.post(
        "/qualify/inbound",
        json={"channel": "sms", "sender_phone": PHONE, "body": "Can I book Friday at 10am?"},
        headers=asker.headers,
    ).json()
    assert qualified["qualification"]["graph_state"] == "empty"
    prospect = client.get(
        f"/prospects/{qualified['ingest']['prospect']['id']}", headers=asker.headers
    ).json()
    assert prospect["link_confidence"] is None


def test_an_unreachable_graph_store_is_degraded_not_empty(client, runtime, make_provider):
    from dataclasses import replace

    from fastapi.testclient import TestClient

    from prospecting.app import create_app
    from prospecting.db import Stores, make_engine

    net = Net(client, make_provider)
    asker = net.provider("query_on")
    partitioned = replace(
        runtime,
        stores=Stores(
            runtime.stores.tenant_engine,
            make_engine("postgresql://postgres@127.0.0.1:1/graph_is_partitioned"),
        ),
    )
    with TestClient(create_app(runtime=partitioned)) as cut_off:
        qualified = cut_off.post(
            "/qualify/inbound",
            json={"channel": "sms", "sender_phone": PHONE, "body": "Can I book Friday at 10am?"},
            headers=asker.headers,
        )
    assert qualified.status_code == 201, qualified.text
    assert qualified.json()["qualification"]["graph_state"] == "degraded"
    assert qualified.json()["qualification"]["graph_notices"]


def test_each_adapter_passes_its_own_channel_to_the_graph(runtime, make_provider, monkeypatch):
    from prospecting.graph import service as graph_service
    from prospecting.graph.schemas import GraphSignals
    from prospecting.identity.service import get_person
    from prospecting.prospects.schemas import InboundMessage
    from prospecting.runtime import Channel
    from prospecting.workflows import inbound

    channels = []
    times = []

    def record(ctx, prospect_id, *, received_at=None, ingested=None):
        channels.append(ctx.channel)
        times.append(received_at)
        return GraphSignals(state="not_linked")

    monkeypatch.setattr(graph_service, "inbound_signals", record)
    provider = make_provider()
    with runtime.stores.tenant() as session:
        me = get_person(session=session, person_id=provider.id)
    edges: tuple[Channel, ...] = ("mcp", "cli", "http")
    for i, channel in enumerate(edges):
        message = {
            "channel": "sms",
            "sender_phone": f"07911 20000{i}",
            "body": "Hi",
            "received_at": f"2026-11-2{i}T10:00:00Z",
        }
        inbound.receive(
            runtime, actor=me, channel=channel, message=InboundMessage.model_validate(message)
        )
    assert channels == ["mcp", "cli", "http"]
    # the graph reads (and records the contact) as of the message, not of the clock
    assert times == [datetime(2026, 11, 20 + i, 10, tzinfo=UTC) for i in range(3)]


def _attest(net: Net, client, p, pid: str, code: str) -> None:
    r = client.post(
        "/prospect-graph/attestations", json={"prospect_id": pid, "code": code}, headers=p.headers
    )
    assert r.status_code == 200, r.text


def _qualify(client, asker, phone: str) -> dict[str, Any]:
    r = client.post(
        "/qualify/inbound",
        json={"channel": "sms", "sender_phone": phone, "body": "Can I book Friday at 10am?"},
        headers=asker.headers,
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_a_person_flagged_by_consenting_peers_is_held_for_review(client, make_provider):
    net = Net(client, make_provider)
    flagged, spammer = PHONE, "07400 123123"
    for _ in range(2):  # two consenting peers; no outcomes, so only the flags show
        peer = net.provider("contribute_all")
        _attest(net, client, peer, net.inbound(peer, phone=flagged), "harassment")
        _attest(net, client, peer, net.inbound(peer, phone=spammer), "spam")
    lone = net.provider("contribute_all")
    _attest(net, client, lone, net.inbound(lone, phone="07400 456456"), "harassment")
    asker = net.provider("query_on")
    held = _qualify(client, asker, flagged)
    assert held["qualification"]["graph_state"] != "empty"
    assert held["draft"]["needs_review"] is True
    assert held["draft"]["suggested_action"] == "review"
    assert "flagged by 2 consenting peers: harassment" in held["draft"]["review_reasons"]
    spam = _qualify(client, asker, spammer)
    assert spam["draft"]["needs_review"] is True
    assert spam["draft"]["suggested_action"] == "discard"
    assert spam["draft"]["review_reasons"] == ["flagged by 2 consenting peers: spam"]
    one_peer = _qualify(client, asker, "07400 456456")  # one attester never shows
    assert not any("flagged" in r for r in one_peer["draft"]["review_reasons"])
    approve = client.post(f"/qualify/drafts/{held['draft']['id']}/approve", headers=asker.headers)
    assert approve.status_code == 409  # no one-tap approval for a flagged person
    assert "flagged by 2 consenting peers" in approve.text
