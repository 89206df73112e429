"""Another Person's object answers exactly like a missing one, on every route that takes an id."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from prospecting.prospects.models import MergeSuggestion, Prospect, Touchpoint

VALID_BODIES = {
    ("PATCH", "/prospects/{prospect_id}"): {"notes": "hijack"},
    ("POST", "/prospects/{prospect_id}/outcomes"): {"outcome": "blocked"},
    ("POST", "/orgs/{org_id}/members"): {"person_id": "PERSON"},
}
FOUNDATION_PARAMS = {"prospect_id", "suggestion_id", "token_id", "org_id"}
MISSING = "0" * 32


def _bobs_objects(client, bob):
    def send(**fields):
        payload = {"channel": "sms", "body": "Secret plans for Friday"} | fields
        return client.post("/prospects/inbound", json=payload, headers=bob.headers).json()

    first = send(sender_phone="07911 123456", sender_name="Jamie Clarke")
    second = send(sender_name="Jamie Clark", channel="social_dm")
    token = client.post("/tokens", json={"name": "b"}, headers=bob.headers).json()
    org = client.post("/orgs", json={"name": "Bob's studio"}, headers=bob.headers).json()
    return {
        "prospect_id": first["prospect"]["id"],
        "suggestion_id": second["merge_suggestions"][0]["id"],
        "token_id": token["id"],
        "org_id": org["id"],
    }


def _id_routes(app):
    """Every documented (method, path) whose ids are foundation objects, from the OpenAPI."""
    for path, operations in app.openapi()["paths"].items():
        params = set(re.findall(r"{(\w+)}", path))
        if params and params <= FOUNDATION_PARAMS:
            for method in operations:
                yield method.upper(), path, params


def test_every_id_route_hides_other_tenants_objects(client, make_provider, runtime):
    alice, bob = make_provider(), make_provider()
    objects = _bobs_objects(client, bob)
    with runtime.stores.tenant() as session:
        before = [
            session.scalar(select(func.count()).select_from(t))
            for t in (Prospect, Touchpoint, MergeSuggestion)
        ]
    checked = 0
    for method, path, params in _id_routes(client.app):
        body = VALID_BODIES.get((method, path))
        if body and "person_id" in body:
            body = {"person_id": alice.id}
        theirs = client.request(method, path.format(**objects), json=body, headers=alice.headers)
        missing = client.request(
            method, path.format(**dict.fromkeys(params, MISSING)), json=body, headers=alice.headers
        )
        assert theirs.status_code == 404, (method, path, theirs.text)
        assert theirs.json() == missing.json(), (method, path)
        assert "Secret plans" not in theirs.text
        checked += 1
    assert checked >= 8
    with runtime.stores.tenant() as session:
        after = [
            session.scalar(select(func.count()).select_from(t))
            for t in (Prospect, Touchpoint, MergeSuggestion)
        ]
    assert after == before
    mine = client.get(f"/prospects/{objects['prospect_id']}", headers=bob.headers)
    assert mine.status_code == 200 and mine.json()["notes"] is None


def test_lists_only_show_own_rows(client, make_provider):
    alice, bob = make_provider(), make_provider()
    _bobs_objects(client, bob)
    assert client.get("/prospects", headers=alice.headers).json()["total"] == 0
    assert client.get("/prospects/merge-suggestions", headers=alice.headers).json() == []
    assert len(client.get("/tokens", headers=alice.headers).json()) == 1
