"""The hot routes (GET /prospects, the graph queries) read the bearer token in one dependency of
their own (`deps._BearerCaller`) instead of `HTTPBearer`'s: they must answer every
Authorization header exactly as a route behind `HTTPBearer` does, and document the same
security scheme."""

from __future__ import annotations

import pytest

from prospecting.app import create_app

UNKNOWN_PROSPECT = {"prospect_id": "0" * 32}


def _headers_for(token: str) -> dict[str, dict[str, str]]:
    """Authorization headers, named, from well-formed to refused."""
    return {
        "bearer": {"Authorization": f"Bearer {token}"},
        "lower-case scheme": {"Authorization": f"bearer {token}"},
        "upper-case scheme": {"Authorization": f"BEARER {token}"},
        "trailing space": {"Authorization": f"Bearer {token} "},
        "two spaces": {"Authorization": f"Bearer  {token}"},
        "no header": {},
        "empty": {"Authorization": ""},
        "scheme only": {"Authorization": "Bearer"},
        "scheme and space": {"Authorization": "Bearer "},
        "basic": {"Authorization": f"Basic {token}"},
        "token without scheme": {"Authorization": token},
        "another token": {"Authorization": "Bearer pk_not-a-token-anyone-holds"},
        "token with a space": {"Authorization": f"Bearer {token} extra"},
    }


def test_the_hot_routes_answer_every_authorization_header_as_httpbearer_routes_do(
    client, make_provider
):
    alice = make_provider()
    for name, headers in _headers_for(alice.token).items():
        reference = client.get("/me", headers=headers).status_code  # behind HTTPBearer
        page = client.get("/prospects", headers=headers)
        query = client.post("/prospect-graph/query", json=UNKNOWN_PROSPECT, headers=headers)
        subject = client.post(f"/prospect-graph/subjects/{'0' * 32}", headers=headers)
        if reference == 200:
            assert page.status_code == 200, (name, page.text)
            assert query.status_code == 404, (name, query.text)  # the token was accepted
            assert subject.status_code != 401, (name, subject.text)
            continue
        assert reference == 401, name
        for answer in (page, query, subject):
            assert answer.status_code == 401, (name, answer.request.url, answer.text)
            assert answer.headers["WWW-Authenticate"] == "Bearer"
            assert answer.headers["content-type"] == "application/problem+json"


def test_a_refused_header_answers_401_before_the_parameters_are_looked_at(client):
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer "}):
        assert client.get("/prospects?limit=0", headers=headers).status_code == 401
        bad_body = client.post("/prospect-graph/query", json={"nope": 1}, headers=headers)
        assert bad_body.status_code == 401


@pytest.fixture
def document(runtime):
    return create_app(runtime=runtime).openapi()


def test_the_hot_routes_document_the_one_bearer_scheme(document):
    assert list(document["components"]["securitySchemes"]) == ["HTTPBearer"]
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for path, method in (
        ("/prospects", "get"),
        ("/prospect-graph/query", "post"),
        ("/prospect-graph/subjects/{subject_key}", "post"),
        ("/me", "get"),
    ):
        assert document["paths"][path][method]["security"] == [{"HTTPBearer": []}], path
