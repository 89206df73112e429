"""Issue 10 finding 9: the OpenAPI document tells the truth about every route's errors.

Each route documents 401 (behind a token), 422 (takes any input), 400 and 413 (reads a body),
404 (names a record in its path) and 503 (behind admission control), each as
`application/problem+json` with the Problem schema.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import DatabaseUrls
from prospecting.app import create_app
from prospecting.runtime import Runtime

PROBLEM_JSON = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"
UNAUTHENTICATED = {("GET", "/health")}
"""Liveness: no token, no input, and admission control lets it through (never a 503)."""


@pytest.fixture
def db_urls(tmp_path: Path, sqlite_template: Path) -> DatabaseUrls:
    """The document does not depend on the backend: SQLite only."""
    for name in ("tenant.sqlite3", "graph.sqlite3"):
        shutil.copy(sqlite_template / name, tmp_path / name)
    return DatabaseUrls(
        "sqlite",
        f"sqlite:///{tmp_path / 'tenant.sqlite3'}",
        f"sqlite:///{tmp_path / 'graph.sqlite3'}",
    )


@pytest.fixture
def document(runtime: Runtime) -> dict[str, Any]:
    return create_app(runtime=runtime).openapi()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in {"get", "put", "post", "patch", "delete"}
    ]


def _takes_input(operation: dict[str, Any]) -> bool:
    """A body, a query or a path parameter: each may be a 422 naming the field."""
    return "requestBody" in operation or bool(operation.get("parameters"))


def test_every_route_behind_a_token_documents_401_and_503(document):
    operations = _operations(document)
    assert len(operations) > 30
    for method, path, operation in operations:
        responses = operation["responses"]
        if (method, path) in UNAUTHENTICATED:
            assert "security" not in operation
            assert not [s for s in responses if s.startswith(("4", "5"))], (method, path)
            continue
        assert operation.get("security") == [{"HTTPBearer": []}], (method, path)
        assert "401" in responses, (method, path)
        assert "503" in responses, (method, path)
        assert "WWW-Authenticate" in responses["401"]["headers"]
        assert "Retry-After" in responses["503"]["headers"]


def test_every_route_that_takes_input_documents_422_and_every_body_400_and_413(document):
    for method, path, operation in _operations(document):
        responses = operation["responses"]
        if _takes_input(operation):
            assert "422" in responses, (method, path)
        if "requestBody" in operation:
            assert "413" in responses, (method, path)
        if "application/json" in operation.get("requestBody", {}).get("content", {}):
            assert "400" in responses, (method, path)  # a body that is not UTF-8 text
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            assert "404" in responses, (method, path)


def test_every_error_is_problem_json_with_the_problem_schema(document):
    seen = 0
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if status[0] not in "45":
                continue
            seen += 1
            assert response["content"] == {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}, (
                method,
                path,
                status,
            )
    assert seen > 100
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas  # FastAPI's default 422 is never what we send


def test_the_problem_schema_names_the_fields_the_app_renders(document):
    schemas = document["components"]["schemas"]
    problem = schemas["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert {"hint", "errors"} <= set(problem["properties"])
    errors = problem["properties"]["errors"]["anyOf"][0]
    assert errors["items"] == {"$ref": "#/components/schemas/FieldError"}
    assert set(schemas["FieldError"]["required"]) == {"field", "reason"}


def test_a_real_401_and_422_match_the_documented_shape(client, make_provider):
    """What the document promises is what the app sends (the schemathesis run checks the rest)."""
    anonymous = client.get("/prospects")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == PROBLEM_JSON
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert set(anonymous.json()) >= {"type", "title", "status", "detail"}
    alice = make_provider()
    invalid = client.get("/prospects", params={"limit": "0"}, headers=alice.headers)
    assert invalid.status_code == 422
    assert invalid.headers["content-type"] == PROBLEM_JSON
    assert invalid.json()["errors"][0]["field"] == "limit"
