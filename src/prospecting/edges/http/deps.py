"""HTTP edge: per-request transaction, the acting Person from the bearer token, problem+json."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError
from sqlalchemy.orm import Session

from prospecting.edges.http.responses import document_problems
from prospecting.errors import DomainError, GraphUnavailable, InvalidInput, Unauthenticated
from prospecting.fields import LINE_PATTERN
from prospecting.identity.models import Person
from prospecting.identity.service import authenticate
from prospecting.runtime import Context, Runtime

PROBLEM_JSON = "application/problem+json"

ID_IN_PATH = Path(max_length=64, json_schema_extra={"pattern": LINE_PATTERN})
"""An object id in the URL. The one-line text rule is enforced for every path segment by
edges/http/limits.py before routing; the pattern states it in the OpenAPI document."""
PathId = Annotated[str, ID_IN_PATH]


def query_line(max_length: int = 64) -> Any:
    """A free query string under the same stated rule (see ID_IN_PATH)."""
    return Query(max_length=max_length, json_schema_extra={"pattern": LINE_PATTERN})


_bearer = HTTPBearer(auto_error=False, description="An API token from `prospecting tokens create`")


async def get_runtime(request: Request) -> Runtime:
    """The process's Runtime (a coroutine, so resolving it costs no worker-thread hop)."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def _tenant_session(runtime: RuntimeDep) -> Iterator[Session]:
    with runtime.stores.tenant() as session:
        yield session


TenantSession = Annotated[Session, Depends(_tenant_session, scope="function")]
"""A write transaction (SQLite: `BEGIN IMMEDIATE`, it queues for the write lock)."""


def _tenant_read_session(runtime: RuntimeDep) -> Iterator[Session]:
    with runtime.stores.tenant_read() as session:
        yield session


TenantReadSession = Annotated[Session, Depends(_tenant_read_session, scope="function")]
"""A read transaction (SQLite: deferred; under WAL it neither waits for nor blocks a writer).
Every route that only reads takes this one; a write in it would have to take the lock late."""


def _verified(session: Session, credentials: HTTPAuthorizationCredentials | None) -> Person:
    if credentials is None:
        raise Unauthenticated()
    return authenticate(session=session, token=credentials.credentials)


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _current_person(session: TenantSession, credentials: Credentials) -> Person:
    return _verified(session, credentials)


CurrentPerson = Annotated[Person, Depends(_current_person)]
"""The acting Person, attached to this request's tenant write transaction."""


def _read_person(session: TenantReadSession, credentials: Credentials) -> Person:
    return _verified(session, credentials)


ReadPerson = Annotated[Person, Depends(_read_person)]
"""The acting Person, attached to this request's read transaction (authentication only reads:
`identity.service.authenticate` writes nothing, no last-used time, so a read stays a read)."""


def _actor(runtime: RuntimeDep, credentials: Credentials) -> Person:
    with runtime.stores.tenant_read() as session:
        return _verified(session, credentials)


Actor = Annotated[Person, Depends(_actor)]
"""The acting Person, verified in a short read transaction: for routes that run a workflow,
which owns its transactions across both stores."""


def _context(runtime: RuntimeDep, credentials: Credentials) -> Iterator[Context]:
    """A graph call: the graph store's transaction with a read-only tenant session (the acting
    Person verified in it), so waiting on the graph never holds the tenant store's write lock."""
    with runtime.stores.tenant_read() as tenant, runtime.stores.graph() as graph:
        actor = _verified(tenant, credentials)
        yield Context(tenant, graph, actor, runtime.settings, runtime.resolver, "http")


GraphContext = Annotated[Context, Depends(_context, scope="function")]
"""A graph call that writes (consent, contributions, audited queries)."""


def _read_context(runtime: RuntimeDep, credentials: Credentials) -> Iterator[Context]:
    """A graph read: both stores in read transactions (SQLite: deferred), the acting Person
    verified in the tenant one."""
    with runtime.stores.tenant_read() as tenant, runtime.stores.graph_read() as graph:
        actor = _verified(tenant, credentials)
        yield Context(tenant, graph, actor, runtime.settings, runtime.resolver, "http")


GraphReadContext = Annotated[Context, Depends(_read_context, scope="function")]
"""A graph call that only reads (consent state and history, audit trail, metrics)."""


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """An RFC 9457 problem document (with `hint`, the next step, when the error has one)."""
    body = {"type": f"/problems/{code}", "title": code.replace("_", " "), "status": status}
    body |= {"detail": detail, **extra}
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_errors(errors: list[Any]) -> list[dict[str, str]]:
    out = []
    for err in errors:
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body", "query", "path")]
        reason = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        out.append({"field": ".".join(loc) or "body", "reason": reason})
    return out


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    extra: dict[str, Any] = {"hint": exc.hint} if exc.hint else {}
    if isinstance(exc, InvalidInput):
        extra["errors"] = [{"field": exc.field, "reason": exc.reason}]
    headers = None
    if isinstance(exc, GraphUnavailable):  # the breaker's window: when trying again can help
        runtime: Runtime = request.app.state.runtime
        wait = runtime.settings.graph_retry_after_seconds
        headers = {"Retry-After": str(max(1, math.ceil(wait)))}
    return problem(exc.status, exc.code, exc.detail, headers=headers, **extra)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError | ValidationError)
    errors = _field_errors(list(exc.errors()))
    detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
    return problem(422, "invalid_input", detail, errors=errors)


def install_error_handlers(app: FastAPI) -> None:
    """Map typed domain errors to HTTP once, for every router, and document the problem
    document they answer with in the OpenAPI components."""
    document_problems(app)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ValidationError, _validation_error)
