"""The bearer-token check on every request: nothing about a token or its Person is kept between
requests, so a change made by anyone (another process, the CLI, another request) counts from
the very next request, on the hot routes (which check the token in their own worker thread)
as on every other."""

from __future__ import annotations

from sqlalchemy import delete, update

from prospecting.db import utcnow
from prospecting.identity.models import ApiToken, PersonRole, Role

NEW_PERSON = {"display_name": "Made By An Admin", "roles": ["provider"]}
UNKNOWN_PROSPECT = {"prospect_id": "0" * 32}


def test_a_revoked_token_is_refused_by_the_next_request_on_every_route(
    client, make_provider, runtime
):
    alice = make_provider()
    assert client.get("/prospects", headers=alice.headers).status_code == 200
    query = client.post("/prospect-graph/query", json=UNKNOWN_PROSPECT, headers=alice.headers)
    assert query.status_code == 404, query.text
    with runtime.stores.tenant() as session:  # as `prospecting tokens revoke` in another process
        session.execute(
            update(ApiToken).where(ApiToken.person_id == alice.id).values(revoked_at=utcnow())
        )
    assert client.get("/prospects", headers=alice.headers).status_code == 401
    query = client.post("/prospect-graph/query", json=UNKNOWN_PROSPECT, headers=alice.headers)
    assert query.status_code == 401
    subject = client.post(f"/prospect-graph/subjects/{'0' * 32}", headers=alice.headers)
    assert subject.status_code == 401
    assert client.get("/me", headers=alice.headers).status_code == 401


def test_a_role_change_counts_from_the_next_request(client, make_provider, runtime):
    alice = make_provider()
    assert client.get("/me", headers=alice.headers).json()["roles"] == ["provider"]
    assert client.post("/persons", json=NEW_PERSON, headers=alice.headers).status_code == 403
    with runtime.stores.tenant() as session:
        session.add(PersonRole(person_id=alice.id, role=Role.PLATFORM_ADMIN.value))
    assert client.get("/me", headers=alice.headers).json()["roles"] == [
        "platform_admin",
        "provider",
    ]
    assert client.post("/persons", json=NEW_PERSON, headers=alice.headers).status_code == 201
    with runtime.stores.tenant() as session:
        session.execute(
            delete(PersonRole).where(
                PersonRole.person_id == alice.id, PersonRole.role == Role.PLATFORM_ADMIN.value
            )
        )
    assert client.get("/me", headers=alice.headers).json()["roles"] == ["provider"]
    assert client.post("/persons", json=NEW_PERSON, headers=alice.headers).status_code == 403


def test_a_person_without_roles_is_still_the_tokens_owner(client, make_provider):
    nobody = make_provider(roles=[], display_name="No Roles")
    me = client.get("/me", headers=nobody.headers)
    assert me.status_code == 200
    assert me.json()["roles"] == [] and me.json()["id"] == nobody.id


def test_the_acting_person_belongs_to_the_requests_transaction(client, make_provider):
    """A change to the acting Person (their profile) is written with the request."""
    alice = make_provider(display_name="Before")
    changed = client.patch("/me", json={"display_name": "After"}, headers=alice.headers)
    assert changed.status_code == 200
    assert client.get("/me", headers=alice.headers).json()["display_name"] == "After"


def test_an_unknown_token_answers_401_before_a_rejected_parameter(client, make_provider):
    """The hot routes validate their parameters before they check the token, in their own
    thread; an unknown token still answers 401 first, as a dependency's check does."""
    alice = make_provider()
    unknown = {"Authorization": "Bearer pk_unknown"}
    bad_calls = [
        ("GET", "/prospects?limit=0", None),
        ("POST", "/prospect-graph/query", {"prospect_id": "0" * 32, "unknown_field": 1}),
        ("POST", f"/prospect-graph/subjects/{'0' * 32}?region={'x' * 65}", None),
    ]
    for method, path, body in bad_calls:
        refused = client.request(method, path, json=body, headers=unknown)
        assert refused.status_code == 401, (path, refused.text)
        assert refused.headers["www-authenticate"] == "Bearer"
        assert refused.json()["type"] == "/problems/unauthenticated"
        anonymous = client.request(method, path, json=body)
        assert anonymous.status_code == 401, (path, anonymous.text)
        rejected = client.request(method, path, json=body, headers=alice.headers)
        assert rejected.status_code == 422, (path, rejected.text)
        assert rejected.json()["type"] == "/problems/invalid_input"
