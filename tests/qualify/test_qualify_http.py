"""Auto-qualify over HTTP: inbound → intent, P(book) with factors, a draft → approve."""

from __future__ import annotations

import pytest

from qualify.qualify_factories import BOOKING, PROFILE, all_tables, count_rows


def test_inbound_is_read_scored_drafted_and_approved(
    client, runtime, provider_with_profile, cold_start_model
):
    provider = provider_with_profile()
    response = client.post("/qualify/inbound", json=BOOKING, headers=provider.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    qualification, draft = body["qualification"], body["draft"]
    assert qualification["intent"] == "booking_request"
    assert qualification["language"] == "en"
    assert qualification["entities"]["requested_service"] == "Initial consultation"
    assert "thursday" in qualification["entities"]["day_time_wishes"]
    assert 0.0 < qualification["p_book"] < 1.0
    assert qualification["factors"], "a score comes with its reasons"
    assert any(f["reason"] == "asked for a specific time" for f in qualification["factors"])
    assert qualification["graph_state"] == "empty"
    assert draft["status"] == "pending" and draft["source"] == "offline"
    assert "https://book.example.com/test-provider" in draft["body"]
    assert draft["body"].startswith("Hi Jamie")
    assert draft["latency_ms"] >= 0  # speed lives in bench/qualify.py, not in a timed test

    approved = client.post(f"/qualify/drafts/{draft['id']}/approve", headers=provider.headers)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    prospect_id = body["ingest"]["prospect"]["id"]
    touchpoints = client.get(
        f"/prospects/{prospect_id}/touchpoints", headers=provider.headers
    ).json()
    outbound = [t for t in touchpoints if t["direction"] == "outbound"]
    assert len(outbound) == 1
    assert outbound[0]["kind"] == "message" and outbound[0]["body"] == draft["body"]
    assert approved.json()["outbound_touchpoint_id"] == outbound[0]["id"]
    again = client.post(f"/qualify/drafts/{draft['id']}/approve", headers=provider.headers)
    assert again.status_code == 409


def test_profile_round_trip_and_default(client, make_provider):
    provider = make_provider()
    empty = client.get("/qualify/profile", headers=provider.headers).json()
    assert empty["services"] == [] and empty["tone"] == "warm" and empty["updated_at"] is None
    saved = client.put("/qualify/profile", json=PROFILE, headers=provider.headers)
    assert saved.status_code == 200
    read = client.get("/qualify/profile", headers=provider.headers).json()
    assert read["booking_link"] == PROFILE["booking_link"]
    assert read["services"][0]["price_max"] == 80
    assert read["services"][1].get("price_min") is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"booking_link": "not a url"}, "booking_link"),
        ({"tone": "sarcastic"}, "tone"),
        ({"languages": ["english"]}, "languages"),
        ({"services": [{"name": "X", "price_min": 10}]}, "services.0"),
        (
            {"services": [{"name": "X", "price_min": 10, "price_max": 5, "currency": "GBP"}]},
            "services.0",
        ),
        ({"services": [{"name": ""}]}, "services.0.name"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_invalid_profile_is_422_naming_the_field_and_stores_nothing(
    client, runtime, make_provider, change, field
):
    provider = make_provider()
    before = count_rows(runtime, *all_tables())
    response = client.put("/qualify/profile", json=PROFILE | change, headers=provider.headers)
    assert response.status_code == 422
    fields = [e["field"] for e in response.json()["errors"]]
    assert any(f.startswith(field) for f in fields), fields
    assert count_rows(runtime, *all_tables()) == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (None, "body"),
        ({}, "channel"),
        (BOOKING | {"body": ""}, "body"),
        (BOOKING | {"body": "x" * 1_000_000}, "body"),
        (BOOKING | {"channel": "carrier_pigeon"}, "channel"),
    ],
)
def test_malformed_inbound_is_422_and_nothing_half_stored(
    client, runtime, provider_with_profile, payload, field
):
    provider = provider_with_profile()
    before = count_rows(runtime, *all_tables())
    if payload is None:
        response = client.post("/qualify/inbound", content=b"", headers=provider.headers)
    else:
        response = client.post("/qualify/inbound", json=payload, headers=provider.headers)
    assert response.status_code == 422
    assert any(e["field"].startswith(field) for e in response.json()["errors"]), response.json()
    assert count_rows(runtime, *all_tables()) == before


def test_another_providers_draft_is_a_404_like_a_missing_one(client, provider_with_profile):
    alice, bob = provider_with_profile(), provider_with_profile()
    draft = client.post("/qualify/inbound", json=BOOKING, headers=alice.headers).json()["draft"]
    missing = client.get("/qualify/drafts/nope", headers=bob.headers)
    for path in ("", "/approve", "/discard"):
        method = client.get if path == "" else client.post
        foreign = method(f"/qualify/drafts/{draft['id']}{path}", headers=bob.headers)
        assert foreign.status_code == 404
        assert foreign.json()["detail"] == missing.json()["detail"]
    edit = client.post(
        f"/qualify/drafts/{draft['id']}/edit", json={"body": "hi"}, headers=bob.headers
    )
    assert edit.status_code == 404
    assert client.get("/qualify/drafts", headers=bob.headers).json()["total"] == 0
    assert client.get(f"/qualify/drafts/{draft['id']}", headers=alice.headers).status_code == 200


def test_edit_then_approve_keeps_the_edit_as_a_signal(client, provider_with_profile):
    provider = provider_with_profile()
    draft = client.post("/qualify/inbound", json=BOOKING, headers=provider.headers).json()["draft"]
    edited = draft["body"].replace("Hi Jamie", "Hello Jamie")
    response = client.post(
        f"/qualify/drafts/{draft['id']}/edit", json={"body": edited}, headers=provider.headers
    )
    assert response.status_code == 200
    out = response.json()
    assert out["body"] == draft["body"] and out["edited_body"] == edited
    assert out["edit_distance"] == 4
    report = client.get("/qualify/report", headers=provider.headers).json()
    assert report["drafts_edited"] == 1 and report["drafts_approved"] == 1


def test_discard_and_batch_approve_is_all_or_nothing(client, runtime, provider_with_profile):
    alice, bob = provider_with_profile(), provider_with_profile()
    bodies = [
        "How much is an initial consultation?",
        "Any availability next week?",
        "Can I book for Monday morning?",
    ]
    ids = [
        client.post(
            "/qualify/inbound",
            json=BOOKING | {"body": b, "sender_phone": None, "sender_name": f"P {i}"},
            headers=alice.headers,
        ).json()["draft"]["id"]
        for i, b in enumerate(bodies)
    ]
    bobs = client.post("/qualify/inbound", json=BOOKING, headers=bob.headers).json()["draft"]
    discarded = client.post(f"/qualify/drafts/{ids[2]}/discard", headers=alice.headers)
    assert discarded.json()["status"] == "discarded"

    from prospecting.qualify.models import OutboxItem

    before = count_rows(runtime, *all_tables())
    for bad in (bobs["id"], ids[2], "missing"):
        response = client.post(
            "/qualify/drafts/approve-batch",
            json={"draft_ids": [ids[0], ids[1], bad]},
            headers=alice.headers,
        )
        assert response.status_code in (404, 409)
        assert bad in response.json()["detail"]
        assert count_rows(runtime, *all_tables()) == before
    ok = client.post(
        "/qualify/drafts/approve-batch", json={"draft_ids": ids[:2]}, headers=alice.headers
    )
    assert ok.status_code == 200
    assert [d["status"] for d in ok.json()["approved"]] == ["approved", "approved"]
    assert count_rows(runtime, OutboxItem)["qualify_outbox"] == 2
    pending = client.get("/qualify/drafts", headers=alice.headers).json()
    assert pending["total"] == 0
    everything = client.get("/qualify/drafts?status=approved", headers=alice.headers).json()
    assert everything["total"] == 2
    empty = client.post(
        "/qualify/drafts/approve-batch", json={"draft_ids": []}, headers=alice.headers
    )
    assert empty.status_code == 422


def test_report_gives_latency_percentiles_and_time_saved(
    client, provider_with_profile, cold_start_model
):
    provider = provider_with_profile()
    for i in range(3):
        draft = client.post(
            "/qualify/inbound",
            json=BOOKING | {"sender_phone": None, "sender_name": f"Prospect {i}"},
            headers=provider.headers,
        ).json()["draft"]
        client.post(f"/qualify/drafts/{draft['id']}/approve", headers=provider.headers)
    report = client.get("/qualify/report", headers=provider.headers).json()
    assert report["inbound_qualified"] == 3 and report["drafts_approved"] == 3
    assert report["inbound_to_draft"]["count"] == 3
    assert (
        0 <= report["inbound_to_draft"]["p50_seconds"] <= report["inbound_to_draft"]["p95_seconds"]
    )
    assert report["inbound_to_approved"]["count"] == 3
    assert report["seconds_saved_estimate"] == 180.0
    assert report["seconds_saved_range"] == [90.0, 270.0]
    assert report["model_version"] == cold_start_model.version


def test_requests_need_a_token(client):
    assert client.get("/qualify/drafts").status_code == 401
    assert client.post("/qualify/inbound", json=BOOKING).status_code == 401


def test_drafts_carry_only_the_acting_providers_profile_and_no_other_tenants_text(
    client, provider_with_profile
):
    alice = provider_with_profile(
        booking_link="https://alice.example.com/book",
        sign_off="Alice Secret-Signoff",
        hours_text="Alice hours",
    )
    bob = provider_with_profile(
        booking_link="https://bob.example.com/book", sign_off="Bob", hours_text="Bob hours"
    )
    secret = BOOKING | {"body": "Can I book Thursday? My code is ALICE-ONLY-7731"}
    client.post("/qualify/inbound", json=secret, headers=alice.headers)
    bobs = client.post("/qualify/inbound", json=BOOKING, headers=bob.headers).json()["draft"]
    for needle in ("alice.example.com", "Alice", "ALICE-ONLY", "7731"):
        assert needle not in bobs["body"]
    assert "https://bob.example.com/book" in bobs["body"] and "Bob hours" in bobs["body"]


def test_prospects_inbound_route_is_auto_qualified_too(client, provider_with_profile):
    provider = provider_with_profile()
    response = client.post("/prospects/inbound", json=BOOKING, headers=provider.headers)
    assert response.status_code == 201
    drafts = client.get("/qualify/drafts", headers=provider.headers).json()
    assert drafts["total"] == 1
    assert drafts["items"][0]["prospect_id"] == response.json()["prospect"]["id"]
    assert drafts["items"][0]["qualification"]["intent"] == "booking_request"
