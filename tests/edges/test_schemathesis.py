"""Issue 10 finding 9: a bounded schemathesis run against the ASGI app, every check on.

Each documented operation is one test: deterministic cases (boundary values, then positive
and negative fuzzing), sent with a seeded provider's real bearer token to the app over a
fresh SQLite pair, and schemathesis's checks on every answer: no 5xx, only documented status
codes, content types, headers and response schemas, auth enforced, bad input rejected.
"""

from __future__ import annotations

import inspect
import shutil
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis import AuthContext, Case

try:  # private to schemathesis: if a release moves them, the tests run as the plugin builds them
    from schemathesis.core.marks import METADATA_ATTR
    from schemathesis.pytest import _test_builder
except ImportError:  # pragma: no cover
    _test_builder = None  # type: ignore[assignment]

from conftest import TEST_KEY
from prospecting.app import create_app
from prospecting.config import Settings
from prospecting.db import Stores
from prospecting.identity import service as identity
from prospecting.identity.models import Role
from prospecting.identity.schemas import PersonCreate
from prospecting.resolver.keyring import KeyRing
from prospecting.resolver.service import Resolver
from prospecting.runtime import Runtime

MAX_EXAMPLES = 10
"""Fuzzed cases per operation and mode: the whole run takes about a minute on SQLite."""
SKIPPED_CHECKS: list[Any] = []
"""Every check runs on every operation, but for the few in POSITIVE_DATA_UNSTATED."""
RUN_TOKEN_SECRET = "schemathesis-run-token-" + "x" * 20
RUN_TOKEN = identity.TOKEN_PREFIX + RUN_TOKEN_SECRET
"""Known before collection: schemathesis builds its boundary-value cases (auth included) when
it collects the tests, before any fixture has issued a token."""


def _settings(folder: Path) -> Settings:
    return Settings(
        mode="test",
        data_dir=folder,
        tenant_database_url=f"sqlite:///{folder / 'tenant.sqlite3'}",
        graph_database_url=f"sqlite:///{folder / 'graph.sqlite3'}",
        network_key=TEST_KEY,  # type: ignore[arg-type]
    )


def _document() -> dict[str, Any]:
    """The app's OpenAPI document, rendered at collection (no store is ever opened)."""
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(_settings(Path(folder)))
        document = app.openapi()
        app.state.runtime.stores.dispose()
    return document


def _unstated_text_rule(parameter: dict[str, Any]) -> bool:
    """A path or query string whose schema does not state the one-line text rule that
    edges/http/limits.py applies to every path segment and query value (`text_problem`)."""
    if parameter["in"] not in ("path", "query"):
        return False
    options = parameter["schema"].get("anyOf", [parameter["schema"]])
    return any(
        option.get("type") == "string" and "pattern" not in option and "enum" not in option
        for option in options
    )


def _positive_data_unstated(document: dict[str, Any]) -> set[tuple[str, str]]:
    """The operations (METHOD, path) where schema-valid data can still be a documented 422, so
    `positive_data_acceptance` is skipped for them alone:

    - POST /prospects/import: its body is a CSV (`text/csv`), whose rules (not empty, a header
      row naming a phone, email or name column) no JSON Schema can state;
    - operations whose JSON body has an integer (see `_has_integer`);
    - any operation whose path or query string would not state the text rule's `pattern`
      (fields.LINE_PATTERN, enforced by edges/http/limits.py): the routers declare theirs with
      it (deps.PathId, deps.query_line), so this catches a new one declared as a bare `str`.
    """
    unstated = {("POST", "/prospects/import")}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if any(_unstated_text_rule(p) for p in operation.get("parameters", [])) or (
                body is not None and _has_integer(document, body["schema"], set())
            ):
                unstated.add((method.upper(), path))
    return unstated


def _has_integer(document: dict[str, Any], node: Any, seen: set[str]) -> bool:
    """Whether a body schema has an integer anywhere. JSON Schema counts 5.0 as an integer and
    schemathesis sends it as one; fields.StrictInt refuses it (a 422 naming the field), and no
    schema keyword can tell 5 from 5.0, so positive_data_acceptance is skipped there."""
    if isinstance(node, list):
        return any(_has_integer(document, item, seen) for item in node)
    if not isinstance(node, dict):
        return False
    if node.get("type") == "integer":
        return True
    ref = node.get("$ref")
    if isinstance(ref, str) and ref not in seen:
        seen.add(ref)
        target: Any = document
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        if _has_integer(document, target, seen):
            return True
    return any(_has_integer(document, value, seen) for value in node.values())


DOCUMENT = _document()
POSITIVE_DATA_UNSTATED = _positive_data_unstated(DOCUMENT)
schema = schemathesis.openapi.from_dict(DOCUMENT).exclude(
    method="DELETE",
    path="/tokens/{token_id}",  # revokes a token: the run's own, at worst
)


def _built_when_run(build: Callable[..., Callable[..., Any]]) -> Callable[..., Callable[..., Any]]:
    """schemathesis's pytest plugin builds each operation's Hypothesis test while it collects:
    with it the coverage phase's cases (boundary values and their negations), about 27 s of CPU
    for this document, 23 of them for POST /prospects/inbound (a 20,000-character body with a
    pattern). Every pytest-xdist worker collects every test, so each worker paid all of it
    before running anything. For this module's test the plugin gets a stand-in that builds
    the same test, from the same arguments, the first time the item runs, so only the worker
    that runs an operation builds it. Nothing else changes: same phases, cases, settings and
    checks; the built test's schemathesis marks are handed to the item, where the plugin's
    pytest_pyfunc_call reads them after the call, as it would on the built test itself. Tests
    of other modules (none so far) are built as the plugin builds them.

    The build runs on a thread of its own, from an empty call stack: run at the depth of a
    pytest test call, Hypothesis's recursive draws kept crossing the boundary of one of
    CPython 3.11's 16 KiB frame-stack chunks, which maps and unmaps a chunk on every crossing
    (about 90,000 mmap/munmap pairs a second: 53 s of system time for this one build)."""

    def build_operation_test(**kwargs: Any) -> Callable[..., Any]:
        if getattr(kwargs["test_func"], "__module__", None) != __name__:
            return build(**kwargs)
        built: list[Callable[..., Any]] = []

        def run(*args: Any, **fixtures: Any) -> Any:
            if not built:
                with ThreadPoolExecutor(max_workers=1) as shallow:
                    built.append(shallow.submit(build, **kwargs).result())
            try:
                return built[0](*args, **fixtures)
            finally:
                if hasattr(built[0], METADATA_ATTR):
                    setattr(run, METADATA_ATTR, getattr(built[0], METADATA_ATTR))

        test_func = kwargs["test_func"]
        given = inspect.signature(test_func).parameters
        run.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [parameter for name, parameter in given.items() if name != "case"]
        )
        run.__name__ = test_func.__name__
        run.__qualname__ = test_func.__qualname__
        run.__module__ = test_func.__module__
        return run

    build_operation_test.builds_when_run = True  # type: ignore[attr-defined]
    return build_operation_test


_builder = getattr(_test_builder, "build_operation_test", None)
if _builder is not None and not getattr(_builder, "builds_when_run", False):  # imported again
    _test_builder.build_operation_test = _built_when_run(_builder)  # type: ignore[assignment]


@schema.auth(refresh_interval=None)
class ProviderToken:
    """The seeded provider's token on every case, so schemathesis knows which requests carry
    auth (`ignored_auth` sends each without it and expects a 401)."""

    def get(self, case: Case[Any], context: AuthContext) -> str:
        return RUN_TOKEN

    def set(self, case: Case[Any], data: str, context: AuthContext) -> None:
        case.headers["Authorization"] = f"Bearer {data}"


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Runtime]:
    """One store pair for the whole run, on SQLite only (the document is the same on both
    backends), with the provider whose token is RUN_TOKEN."""
    folder = tmp_path_factory.mktemp("schemathesis")
    for name in ("tenant.sqlite3", "graph.sqlite3"):
        shutil.copy(sqlite_template / name, folder / name)
    settings = _settings(folder)
    stores = Stores.from_settings(settings)
    with stores.tenant() as session:
        person = identity.create_person(
            session=session,
            data=PersonCreate(
                display_name="Schemathesis Provider",
                service_categories=["therapy"],
                region="GB-LND",
                default_phone_region="GB",
                time_zone="Europe/London",
                roles=[Role.PROVIDER],
            ),
        )
        with mock.patch("secrets.token_urlsafe", return_value=RUN_TOKEN_SECRET):
            _, token = identity.issue_token(session=session, person=person, name="schemathesis")
    assert token == RUN_TOKEN
    yield Runtime(settings=settings, stores=stores, resolver=Resolver(KeyRing.parse(TEST_KEY)))
    stores.dispose()


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    """One app per operation: schemathesis ends an app's lifespan with the test that began it."""
    return create_app(runtime=runtime)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_documented_promises(case: Case[Any], app: FastAPI) -> None:
    # This test's app serves the case and the checks' own probes (ignored_auth sends one).
    case.operation.app = case.operation.schema.app = app
    skipped = list(SKIPPED_CHECKS)
    if (case.operation.method.upper(), case.operation.path) in POSITIVE_DATA_UNSTATED:
        skipped.append(schemathesis.checks.positive_data_acceptance)
    case.call_and_validate(excluded_checks=skipped)
