"""Identity over HTTP: bearer tokens, profile, roles, orgs."""

from __future__ import annotations

from sqlalchemy import select

from prospecting.identity.models import ApiToken


def test_every_route_but_health_needs_a_token(client):
    assert client.get("/health").status_code == 200
    for method, path in [
        ("GET", "/me"),
        ("GET", "/prospects"),
        ("POST", "/prospects/inbound"),
        ("GET", "/tokens"),
        ("POST", "/orgs"),
    ]:
        response = client.request(method, path)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.headers["content-type"] == "application/problem+json"


def test_unknown_and_malformed_tokens_are_refused(client):
    for header in ["Bearer pk_nope", "Basic abc", "Bearer "]:
        assert client.get("/me", headers={"Authorization": header}).status_code == 401


def test_me_is_the_token_owner(client, make_provider):
    alice = make_provider(display_name="Alice")
    body = client.get("/me", headers=alice.headers).json()
    assert body["id"] == alice.id and body["display_name"] == "Alice"
    assert body["roles"] == ["provider"]


def test_token_is_shown_once_and_stored_as_digest(client, make_provider, runtime):
    alice = make_provider()
    created = client.post("/tokens", json={"name": "laptop"}, headers=alice.headers)
    assert created.status_code == 201
    token = created.json()["token"]
    assert client.get("/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    listed = client.get("/tokens", headers=alice.headers).json()
    assert all("token" not in t for t in listed)
    with runtime.stores.tenant() as session:
        stored = session.scalars(select(ApiToken.digest)).all()
    assert token not in stored and alice.token not in stored
    assert all(len(d) == 64 for d in stored)


def test_revoked_token_stops_working(client, make_provider):
    alice = make_provider()
    created = client.post("/tokens", json={"name": "old"}, headers=alice.headers).json()
    revoke = client.delete(f"/tokens/{created['id']}", headers=alice.headers)
    assert revoke.status_code == 200 and revoke.json()["revoked_at"]
    old = {"Authorization": f"Bearer {created['token']}"}
    assert client.get("/me", headers=old).status_code == 401
    assert client.get("/me", headers=alice.headers).status_code == 200


def test_cannot_revoke_someone_elses_token(client, make_provider):
    alice, bob = make_provider(), make_provider()
    bobs = client.post("/tokens", json={"name": "b"}, headers=bob.headers).json()
    missing = client.delete("/tokens/0" * 1, headers=alice.headers)
    other = client.delete(f"/tokens/{bobs['id']}", headers=alice.headers)
    assert other.status_code == missing.status_code == 404
    assert other.json()["detail"] == missing.json()["detail"]
    bob_token = {"Authorization": f"Bearer {bobs['token']}"}
    assert client.get("/me", headers=bob_token).status_code == 200


def test_profile_update_validates_fields(client, make_provider):
    alice = make_provider()
    ok = client.patch(
        "/me",
        json={"time_zone": "Europe/Paris", "default_phone_region": "fr"},
        headers=alice.headers,
    )
    assert ok.status_code == 200
    assert ok.json()["default_phone_region"] == "FR"
    bad = client.patch("/me", json={"time_zone": "Mars/Olympus"}, headers=alice.headers)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "time_zone"
    unchanged = client.get("/me", headers=alice.headers).json()
    assert unchanged["time_zone"] == "Europe/Paris"


def test_creating_persons_needs_platform_admin(client, make_provider):
    alice = make_provider()
    admin = make_provider(roles=["platform_admin"])
    payload = {"display_name": "New Coach", "default_phone_region": "US"}
    assert client.post("/persons", json=payload, headers=alice.headers).status_code == 403
    created = client.post("/persons", json=payload, headers=admin.headers)
    assert created.status_code == 201 and created.json()["roles"] == ["provider"]


def test_org_founder_admins_invitations(client, make_provider):
    alice, bob, carol = make_provider(), make_provider(), make_provider()
    org = client.post("/orgs", json={"name": "Harbour Clinic"}, headers=alice.headers).json()
    invited = client.post(
        f"/orgs/{org['id']}/members", json={"person_id": bob.id}, headers=alice.headers
    )
    assert invited.status_code == 202
    outsider = client.post(
        f"/orgs/{org['id']}/members", json={"person_id": carol.id}, headers=carol.headers
    )
    assert outsider.status_code == 404
