"""Malformed input on every write route: a 422 naming the field, and nothing stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from prospecting.db import TenantBase

GOOD = {"channel": "sms", "body": "Hello", "sender_phone": "07911 123456"}

INBOUND_CASES = [
    ({**GOOD, "channel": "fax"}, "channel"),
    ({**GOOD, "body": ""}, "body"),
    ({**GOOD, "body": "   "}, "body"),
    ({**GOOD, "body": "x" * 1_000_000}, "body"),
    ({**GOOD, "sender_email": "nobody@"}, "sender_email"),
    ({**GOOD, "sender_name": "!!!"}, "sender_name"),
    ({"channel": "sms", "body": "who am I"}, "body"),
    ({**GOOD, "received_at": "2026-01-01T10:00:00"}, "received_at"),
    ({**GOOD, "received_at": "yesterday"}, "received_at"),
    ({**GOOD, "surprise": 1}, "surprise"),
]


def _row_counts(runtime) -> dict[str, int]:
    with runtime.stores.tenant() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in TenantBase.metadata.sorted_tables
        }


@pytest.mark.parametrize(("payload", "field"), INBOUND_CASES)
def test_inbound_rejects_with_the_field(client, make_provider, runtime, payload, field):
    alice = make_provider()
    client.post("/prospects/inbound", json=GOOD, headers=alice.headers)
    before = _row_counts(runtime)
    response = client.post("/prospects/inbound", json=payload, headers=alice.headers)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in problem["errors"]] or field in problem["detail"]
    assert _row_counts(runtime) == before


def test_other_write_routes_reject_with_the_field(client, make_provider, runtime):
    alice = make_provider()
    pid = client.post("/prospects/inbound", json=GOOD, headers=alice.headers).json()
    pid = pid["prospect"]["id"]
    cases = [
        ("PATCH", f"/prospects/{pid}", {"status": "vanished"}, "status"),
        ("PATCH", f"/prospects/{pid}", {"status": "merged"}, "body"),
        ("PATCH", f"/prospects/{pid}", {"notes": "x" * 6000}, "notes"),
        ("POST", f"/prospects/{pid}/outcomes", {"outcome": "maybe"}, "outcome"),
        ("POST", f"/prospects/{pid}/outcomes", {}, "outcome"),
        (
            "POST",
            f"/prospects/{pid}/outcomes",
            {"outcome": "booked", "occurred_at": "2026-01-01"},
            "occurred_at",
        ),
        ("PATCH", "/me", {"default_phone_region": "ZZ"}, "default_phone_region"),
        ("PATCH", "/me", {"display_name": ""}, "display_name"),
        ("POST", "/tokens", {"name": ""}, "name"),
        ("POST", "/orgs", {}, "name"),
    ]
    before = _row_counts(runtime)
    for method, path, body, field in cases:
        response = client.request(method, path, json=body, headers=alice.headers)
        assert response.status_code == 422, (path, body, response.text)
        fields = [e["field"] for e in response.json()["errors"]]
        assert field in fields, (path, body, fields)
    assert _row_counts(runtime) == before
    assert client.get(f"/prospects/{pid}", headers=alice.headers).json()["status"] == "new"


def test_non_json_body_is_a_clear_error(client, make_provider):
    alice = make_provider()
    response = client.post(
        "/prospects/inbound",
        content=b"channel=sms",
        headers={**alice.headers, "content-type": "text/plain"},
    )
    assert response.status_code == 422
