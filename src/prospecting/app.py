"""create_app(): the single platform.api ASGI app with every router mounted."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Annotated, Any

import anyio
from fastapi import Depends, FastAPI, Request, Response
from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.routing import Route, compile_path

from prospecting.config import Settings, load_settings
from prospecting.edges.http.consent_page import router as consent_page_router
from prospecting.edges.http.coop import router as coop_router
from prospecting.edges.http.deps import get_runtime, install_error_handlers, problem
from prospecting.edges.http.graph import router as graph_router
from prospecting.edges.http.identity import router as identity_router
from prospecting.edges.http.limits import RequestLimits
from prospecting.edges.http.overload import AdmissionLimit, overloaded_body
from prospecting.edges.http.prospects import router as prospects_router
from prospecting.edges.http.qualify import router as qualify_router
from prospecting.edges.mcp.server import build_server
from prospecting.runtime import Runtime

API_TITLE = "prospecting — platform.api"


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    runtime = runtime or Runtime.build(settings or load_settings())

    mcp = build_server(runtime)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Threads sized with the admission limit and the pools (config.Settings.worker_threads).
        anyio.to_thread.current_default_thread_limiter().total_tokens = (
            runtime.settings.worker_threads
        )
        if runtime.settings.mode != "test":  # tests read with the full models, deterministically
            await anyio.to_thread.run_sync(_prepare_reader)
            threading.Thread(
                target=_load_full_language_models, name="language-models", daemon=True
            ).start()
        async with mcp.session_manager.run():
            yield
        runtime.stores.dispose()

    app = FastAPI(title=API_TITLE, version="0.1.0", lifespan=lifespan)
    app.state.runtime = runtime
    install_error_handlers(app)
    app.add_exception_handler(SATimeoutError, _store_overloaded)
    app.add_exception_handler(OperationalError, _store_overloaded)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
    app.add_middleware(
        AdmissionLimit,
        limit=runtime.settings.max_concurrent_requests,
        queue=runtime.settings.admission_queue,
        wait=runtime.settings.admission_wait_seconds,
        retry_after=runtime.settings.overload_retry_after_seconds,
    )
    app.add_middleware(RequestLimits)  # outermost: a refused request takes no admission slot
    # Routes are matched in order, each router's in turn (FastAPI scans the matching router's
    # routes twice): the two busiest, prospects and the graph, come first. No path of one
    # router can match another's (each has its own prefix; identity's are /me, /orgs, ...).
    app.include_router(prospects_router)
    app.include_router(graph_router)
    app.include_router(identity_router)
    app.include_router(qualify_router)
    app.include_router(coop_router)
    app.include_router(consent_page_router)  # public: no bearer token (docs/coop.md)
    app.add_api_route("/health", health, methods=["GET"], tags=["health"])
    # The MCP transport answers at exactly /mcp (a route, not a mount at "/"), so an unknown
    # path or method on the API is the API's own problem+json 404 or 405.
    app.router.routes.append(Route("/mcp", _mcp_app(mcp, runtime)))
    return app


async def _store_overloaded(request: Request, exc: Exception) -> Response:
    """A pool checkout that timed out, or SQLite still locked after its busy timeout: the store
    is at capacity, nothing was committed; 503 with Retry-After. Any other store error is a
    real fault and stays a 500."""
    busy = isinstance(exc, SATimeoutError) or "database is locked" in str(getattr(exc, "orig", exc))
    if not busy:
        raise exc
    body, headers = overloaded_body(request.app.state.runtime.settings.overload_retry_after_seconds)
    return Response(body, status_code=503, headers={k.decode(): v.decode() for k, v in headers})


async def _http_error(_request: Request, exc: Exception) -> Response:
    """404, 405, 413 and the like in the same problem+json shape as every other error."""
    assert isinstance(exc, HTTPException)
    if exc.status_code < 400:  # pragma: no cover - no route raises a non-error HTTPException
        return Response(status_code=exc.status_code, headers=exc.headers)
    code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(
        exc.status_code, "http_error"
    )
    headers = dict(exc.headers or {})
    if exc.status_code == 405:  # Starlette names only the first route's methods for the path
        headers["Allow"] = ", ".join(_allowed_methods(_request))
    return problem(exc.status_code, code, str(exc.detail), headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    """The methods of the resource this path names, as the OpenAPI document lists them: of the
    path templates that match, the most specific (fewest parameters), so `/prospects/inbound`
    is not taken for `/prospects/{prospect_id}`."""
    path = request.url.path
    matching = [
        (template.count("{"), template, operations)
        for template, operations in request.app.openapi()["paths"].items()
        if compile_path(template)[0].match(path)
    ]
    if not matching:
        return []
    _, _, operations = min(matching, key=lambda found: found[0])
    return sorted(method.upper() for method in operations)


async def _unexpected_error(_request: Request, _exc: Exception) -> Response:
    """A fault, not the caller's mistake: the server logs it (Starlette re-raises it after this
    answer); the answer never carries the exception's text."""
    return problem(
        500,
        "internal_error",
        "an unexpected error occurred on the server; it has been logged",
        hint="try again later; if it persists, report the time of the request",
    )


FULL_LANGUAGE_MODELS_AFTER = 5.0
"""Seconds after start-up before lingua's full models load (about 1-2 s of CPU that holds the
GIL): the first requests are served meanwhile, reading languages in lingua's light mode."""


def _prepare_reader() -> None:
    """Before the first request (about 0.6 s): the light language detector, dateparser, the
    intent and crisis models, the triage lexicon's patterns and each language's templates, so
    the first inbound message pays for none of them."""
    from prospecting.qualify import crisis, drafts, entities, intent, language, triage
    from prospecting.qualify.schemas import ProfileIn

    language.schedule_warm_up()
    language.detect_language("warm up the light detector")
    entities.warm_up()
    intent.intent_model()
    crisis.crisis_model()
    sample = "Hi, can I book Thursday evening? How much is it?"
    screened = triage.triage(sample, language="en")  # compiles the lexicon's patterns
    every_language = ProfileIn(languages=list(language.LANGUAGES))
    read = intent.classify(sample)
    for code in language.LANGUAGES:  # compiles each language's draft templates
        drafts.build_draft(
            intent=replace(read, language=code),
            profile=every_language,
            triage=screened,
            text=sample,
        )


def _load_full_language_models() -> None:
    """A little after start-up, in the background: lingua's full models (about 200 MB)."""
    from prospecting.qualify import language

    time.sleep(FULL_LANGUAGE_MODELS_AFTER)
    try:
        language.warm_up()
    except Exception:  # the light detector keeps reading
        logging.getLogger("prospecting.qualify").exception("loading lingua's models failed")


def _mcp_app(mcp: MCPServer, runtime: Runtime) -> Starlette:
    """Streamable HTTP at exactly `/mcp`, host-checked against DNS rebinding."""
    host = runtime.settings.host
    security = TransportSecuritySettings(
        allowed_hosts=[f"{host}:*", "127.0.0.1:*", "localhost:*", "[::1]:*", "testserver"],
        allowed_origins=[f"http://{host}:*", "http://127.0.0.1:*", "http://localhost:*"],
    )
    # Several workers: a client's requests may land on different processes, so no session
    # lives in one of them (stateless, plain JSON answers).
    several = runtime.settings.workers > 1
    return mcp.streamable_http_app(
        streamable_http_path="/mcp",
        transport_security=security,
        stateless_http=several,
        json_response=several,
    )


def health(runtime: Annotated[Runtime, Depends(get_runtime)]) -> dict[str, Any]:
    """Liveness without auth: each store answers `ok` or `unreachable` (no detail leaks)."""
    stores = {
        "tenant_store": _ping(runtime.stores.tenant_engine),
        "graph_store": _ping(runtime.stores.graph_engine),
    }
    status = "ok" if all(v == "ok" for v in stores.values()) else "degraded"
    return {"status": status, **stores}


def _ping(engine: Any) -> str:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        return "unreachable"
    return "ok"
