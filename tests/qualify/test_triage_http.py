"""Triage through the HTTP edge, on SQLite and PostgreSQL: held-back drafts carry their reasons,
crisis raises the urgency, one tap and batches refuse them, a confirmed single approval or an
edit sends them, and ordinary messages stay one-tap."""

from __future__ import annotations

from typing import Any

from qualify.qualify_factories import BOOKING

HELD = [
    ("I don't know if I can keep going anymore. Can you see me today?", "crisis"),
    ("My husband hit me again last night, I need to talk to someone", "crisis"),
    ("I'm 30 weeks pregnant with high blood pressure, is a deep tissue massage ok?", "health"),
    ("hi im 14 and my parents dont know, can i book sessions", "minor"),
    ("I know where you live. Answer my messages.", "harassment"),
    ("Can you tell me if my wife has been coming to see you?", "privacy"),
    ("I want a full refund, the session was a disaster", "complaint"),
]
ORDINARY = [
    "Hi, could I book an initial consultation for Thursday evening?",
    "How much is an initial consultation?",
    "Do you have any availability next week?",
]


def _inbound(client, provider, body: str, phone: str) -> dict[str, Any]:
    response = client.post(
        "/qualify/inbound",
        json=BOOKING | {"body": body, "sender_phone": phone},
        headers=provider.headers,
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def test_sensitive_messages_are_held_back_with_reasons(client, provider_with_profile) -> None:
    provider = provider_with_profile()
    held_ids = []
    for i, (body, kind) in enumerate(HELD):
        out = _inbound(client, provider, body, f"07911 12{i:04d}")
        draft, qualification = out["draft"], out["qualification"]
        assert draft["needs_review"] is True, body
        assert draft["review_reasons"], body
        assert draft["suggested_action"] == "review", body
        assert kind in qualification["triage"]["kinds"], body
        assert qualification["triage"]["reasons"], body
        if kind == "crisis":
            assert qualification["triage"]["urgency"] == "crisis"
            assert qualification["entities"]["urgency"] == "crisis"
            assert "book" not in draft["body"].casefold()
        held_ids.append(draft["id"])

    listed = client.get("/qualify/drafts?needs_review=true", headers=provider.headers).json()
    assert sorted(d["id"] for d in listed["items"]) == sorted(held_ids)
    assert listed["total"] == len(HELD)
    detail = client.get(f"/qualify/drafts/{held_ids[0]}", headers=provider.headers).json()
    assert detail["needs_review"] and detail["qualification"]["triage"]["kinds"] == ["crisis"]


def test_one_tap_and_batches_refuse_held_drafts(client, provider_with_profile) -> None:
    provider = provider_with_profile()
    crisis = _inbound(client, provider, HELD[0][0], "07911 130001")["draft"]["id"]
    privacy = _inbound(client, provider, HELD[5][0], "07911 130002")["draft"]["id"]
    ordinary = _inbound(client, provider, ORDINARY[0], "07911 130003")["draft"]["id"]

    batch = client.post(
        "/qualify/drafts/approve-batch",
        json={"draft_ids": [ordinary, crisis, privacy]},
        headers=provider.headers,
    )
    assert batch.status_code == 409, batch.text
    problem = batch.json()
    assert problem["type"] == "/problems/conflict"
    assert crisis in problem["detail"] and privacy in problem["detail"]
    assert ordinary not in problem["detail"]
    pending = client.get("/qualify/drafts", headers=provider.headers).json()
    assert pending["total"] == 3  # none approved, the ordinary one included

    tap = client.post(f"/qualify/drafts/{crisis}/approve", headers=provider.headers)
    assert tap.status_code == 409
    assert "this draft needs review: mentions self-harm" in tap.json()["detail"]
    assert "confirm_review=true" in tap.json()["detail"]

    confirmed = client.post(
        f"/qualify/drafts/{crisis}/approve?confirm_review=true", headers=provider.headers
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "approved"

    edited = client.post(
        f"/qualify/drafts/{privacy}/edit",
        json={"body": "I'm not able to share anything about other clients."},
        headers=provider.headers,
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["status"] == "approved"

    rest = client.post(
        "/qualify/drafts/approve-batch", json={"draft_ids": [ordinary]}, headers=provider.headers
    )
    assert rest.status_code == 200, rest.text
    assert [d["id"] for d in rest.json()["approved"]] == [ordinary]


def test_ordinary_messages_stay_one_tap(client, provider_with_profile) -> None:
    provider = provider_with_profile()
    ids = []
    for i, body in enumerate(ORDINARY):
        out = _inbound(client, provider, body, f"07911 14{i:04d}")
        draft, qualification = out["draft"], out["qualification"]
        assert draft["needs_review"] is False and draft["review_reasons"] == [], body
        assert draft["suggested_action"] == "approve", body
        assert qualification["triage"] == {"kinds": [], "reasons": [], "urgency": "normal"}
        ids.append(draft["id"])
    one_tap = client.get("/qualify/drafts?needs_review=false", headers=provider.headers).json()
    assert one_tap["total"] == len(ORDINARY)
    assert (
        client.get("/qualify/drafts?needs_review=true", headers=provider.headers).json()["total"]
        == 0
    )
    single = client.post(f"/qualify/drafts/{ids[0]}/approve", headers=provider.headers)
    assert single.status_code == 200, single.text
    batch = client.post(
        "/qualify/drafts/approve-batch", json={"draft_ids": ids[1:]}, headers=provider.headers
    )
    assert batch.status_code == 200, batch.text
    assert len(batch.json()["approved"]) == 2
