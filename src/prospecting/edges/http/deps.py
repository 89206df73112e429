"""HTTP edge: per-request transaction, the acting Person from the bearer token, problem+json."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from prospecting.db import WriterBusy
from prospecting.edges.http.responses import document_problems
from prospecting.errors import DomainError, GraphUnavailable, InvalidInput, Unauthenticated
from prospecting.fields import LINE_PATTERN
from prospecting.identity.models import Person
from prospecting.identity.service import authenticate
from prospecting.runtime import Context, Runtime

PROBLEM_JSON = "application/problem+json"
T = TypeVar("T")

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


def _verified(session: Session, token: str | None) -> Person:
    if token is None:
        raise Unauthenticated()
    return authenticate(session=session, token=token)


def _token(credentials: HTTPAuthorizationCredentials | None) -> str | None:
    return None if credentials is None else credentials.credentials


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _current_person(session: TenantSession, credentials: Credentials) -> Person:
    return _verified(session, _token(credentials))


CurrentPerson = Annotated[Person, Depends(_current_person)]
"""The acting Person, attached to this request's tenant write transaction."""


def _read_person(session: TenantReadSession, credentials: Credentials) -> Person:
    return _verified(session, _token(credentials))


ReadPerson = Annotated[Person, Depends(_read_person)]
"""The acting Person, attached to this request's read transaction (authentication only reads:
`identity.service.authenticate` writes nothing, no last-used time, so a read stays a read)."""


def _actor(runtime: RuntimeDep, credentials: Credentials) -> Person:
    with runtime.stores.tenant_read() as session:
        return _verified(session, _token(credentials))


Actor = Annotated[Person, Depends(_actor)]
"""The acting Person, verified in a short read transaction: for routes that run a workflow,
which owns its transactions across both stores."""


@contextmanager
def graph_context(
    runtime: Runtime, token: str | None, *, writes: bool, at_once: bool = False
) -> Iterator[Context]:
    """A graph call: the graph store's transaction (`writes=False`: a read one; `at_once`: a
    write one that raises `WriterBusy` rather than wait, see `Caller.write`) with a read-only
    tenant session, the acting Person verified in it, so waiting on the graph never holds the
    tenant store's write lock."""
    stores = runtime.stores
    graph = stores.graph_at_once() if at_once else stores.graph() if writes else stores.graph_read()
    with runtime.stores.tenant_read() as tenant, graph as graph_session:
        actor = _verified(tenant, token)
        yield Context(tenant, graph_session, actor, runtime.settings, runtime.resolver, "http")


def _context(runtime: RuntimeDep, credentials: Credentials) -> Iterator[Context]:
    with graph_context(runtime, _token(credentials), writes=True) as context:
        yield context


GraphContext = Annotated[Context, Depends(_context, scope="function")]
"""A graph call that writes (consent, contributions, audited queries)."""


def _read_context(runtime: RuntimeDep, credentials: Credentials) -> Iterator[Context]:
    with graph_context(runtime, _token(credentials), writes=False) as context:
        yield context


GraphReadContext = Annotated[Context, Depends(_read_context, scope="function")]
"""A graph call that only reads (consent state and history, audit trail, metrics): both
stores in read transactions (SQLite: deferred)."""


@dataclass(frozen=True, slots=True)
class Caller:
    """A request's runtime and bearer token, resolved on the event loop: a hot route opens its
    transaction and verifies the token in its own worker thread, so the whole request takes
    one worker-thread hop (about 0.15 ms of CPU each; a read on SQLite takes none, see
    `read`). A sync dependency costs a hop of its
    own and a sync generator dependency two, enter and exit: GET /prospects through
    `ReadPerson` and `TenantReadSession` took four. The transactions and the check are the
    dependencies': the acting Person comes from the token, verified in the request's own
    transaction, and nothing is cached."""

    runtime: Runtime
    token: str

    @contextmanager
    def reading(self) -> Iterator[tuple[Session, Person]]:
        """What `TenantReadSession` and `ReadPerson` give: the tenant read transaction and
        the acting Person verified in it."""
        with self.runtime.stores.tenant_read() as session:
            yield session, _verified(session, self.token)

    def graph(
        self, *, writes: bool = True, at_once: bool = False
    ) -> AbstractContextManager[Context]:
        """What `GraphContext` (or, `writes=False`, `GraphReadContext`) gives; `at_once`, see
        `write`."""
        return graph_context(self.runtime, self.token, writes=writes, at_once=at_once)

    async def write(self, work: Callable[[bool], T]) -> T:
        """A short graph write (an audited query: one graph transaction, about 2 ms of CPU)
        on the event loop itself when SQLite's write lock is free at once, in a worker thread
        otherwise. `work(at_once)` opens its graph transaction with `graph(at_once=at_once)`.

        Why: a graph query in a worker thread cost 3.7 ms of server CPU per request at 32
        concurrent clients, on the loop 1.7 ms (`bench/http.py`): every SQLite call releases
        the GIL, and the loop thread, busy with other requests, takes it each time, so the
        worker's query is handed back and forth a few dozen times.

        The loop never waits for a lock: a transaction begun at once raises `WriterBusy` at
        its BEGIN, before anything is written, when another writer (a thread of this process,
        another process) holds the write lock; the work then starts over in a worker thread,
        where it waits its turn as every writer does. Its tenant transaction only reads (under
        WAL a read neither waits nor blocks), and the pools hold a connection for every
        admitted request (`Settings.pool_size`). `work` must write only in that one graph
        transaction. On PostgreSQL (either store) the work runs in a worker thread: it waits
        on the network."""
        stores = self.runtime.stores
        if all(e.dialect.name == "sqlite" for e in (stores.tenant_engine, stores.graph_engine)):
            try:
                return work(True)
            except WriterBusy:
                pass
        return await run_in_threadpool(work, False)

    async def read(self, work: Callable[[], T]) -> T:
        """A read-only route's work (its transactions opened by `reading`): on the event loop
        itself when the tenant store is SQLite, in a worker thread otherwise.

        Why: at 32 concurrent clients the worker-thread hop (a thread woken, the GIL handed
        over and back) and a dozen threads taking turns at the GIL cost about 0.4 ms of CPU
        per GET /prospects, half the route's own work; on the loop it costs nothing. A
        SQLite read transaction under WAL neither waits for nor blocks a writer, so it never
        holds the loop longer than its own work (about 1 ms for a page of 30), and the pool
        has a connection for every admitted request (`Settings.pool_size`), so taking one
        does not wait either. A PostgreSQL read waits on the network and keeps its thread.
        `work` must only read: a write would queue for SQLite's write lock on the loop."""
        if self.runtime.stores.tenant_engine.dialect.name == "sqlite":
            return work()
        return await run_in_threadpool(work)

    def verify(self) -> None:
        """The token check alone, in a read transaction of its own (see `_validation_error`)."""
        with self.reading():
            pass


class _BearerCaller(HTTPBearer):
    """`_bearer`'s scheme resolving straight to the request's `Caller`: one dependency where a
    `Caller` built from `_bearer`'s credentials took two, each with its own round of FastAPI's
    dependency solving (about 0.015 ms of CPU per request on GET /prospects, 2% of it). It
    reads the Authorization header as `HTTPBearer` does and is documented as the same security
    scheme (`HTTPBearer`: one entry in the OpenAPI components, the same document)."""

    async def __call__(self, request: Request) -> Caller:  # type: ignore[override]
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        token = token.strip()
        if not (scheme and token) or scheme.lower() != "bearer":
            raise Unauthenticated()  # no token: 401 before any parameter is looked at, as ever
        caller = Caller(request.app.state.runtime, token)
        request.state.caller = caller  # its token is checked by the route, or by _validation_error
        return caller


CallerDep = Annotated[
    Caller, Depends(_BearerCaller(scheme_name="HTTPBearer", description=_bearer.model.description))
]
"""For the hot routes: the request's `Caller`, costing no worker-thread hop. The route
verifies the token first thing, in its own transaction (`Caller.reading`, `Caller.graph`)."""


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


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 naming every rejected field. A route taking a `Caller` had its parameters validated
    before it could check the token: a token that is unknown or revoked still answers 401
    first, as it does where a dependency checks it."""
    assert isinstance(exc, RequestValidationError | ValidationError)
    caller = getattr(request.state, "caller", None)
    if isinstance(caller, Caller):
        try:
            await run_in_threadpool(caller.verify)
        except DomainError as refused:
            return await _domain_error(request, refused)
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
