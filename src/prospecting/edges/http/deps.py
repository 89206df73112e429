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


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _tenant_session(runtime: Annotated[Runtime, Depends(get_runtime)]) -> Iterator[Session]:
    with runtime.stores.tenant() as session:
        yield session


TenantSession = Annotated[Session, Depends(_tenant_session, scope="function")]


def _current_person(
    session: TenantSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Person:
    if credentials is None:
        raise Unauthenticated()
    return authenticate(session=session, token=credentials.credentials)


CurrentPerson = Annotated[Person, Depends(_current_person)]
"""The acting Person, attached to this request's tenant transaction."""


def _actor(
    runtime: Annotated[Runtime, Depends(get_runtime)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Person:
    if credentials is None:
        raise Unauthenticated()
    with runtime.stores.tenant_read() as session:
        return authenticate(session=session, token=credentials.credentials)


Actor = Annotated[Person, Depends(_actor)]
"""The acting Person, verified in a short read transaction: for routes that run a workflow,
which owns its transactions across both stores."""


def _context(actor: Actor, runtime: Annotated[Runtime, Depends(get_runtime)]) -> Iterator[Context]:
    """A graph call: the graph store's transaction with a read-only tenant session, so waiting
    on the graph never holds the tenant store's write lock."""
    with runtime.stores.tenant_read() as tenant, runtime.stores.graph() as graph:
        yield Context(tenant, graph, actor, runtime.settings, runtime.resolver, "http")


GraphContext = Annotated[Context, Depends(_context, scope="function")]


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
        wait = get_runtime(request).settings.graph_retry_after_seconds
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
