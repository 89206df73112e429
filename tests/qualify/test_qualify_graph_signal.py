"""Auto-qualify reads the consented network: link on creation, graph features and factors."""

from __future__ import annotations

from graph.conftest import PHONE, Net


def test_inbound_is_linked_and_scored_with_network_signal(client, make_provider):
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
    assert audit, "each contributor can see the auto-qualify read that used their rows"


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
