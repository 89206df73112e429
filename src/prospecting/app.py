"""create_app(): the single platform.api ASGI app with every router mounted."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI
from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from sqlalchemy import text
from starlette.applications import Starlette

from prospecting.config import Settings, load_settings
from prospecting.edges.http.deps import get_runtime, install_error_handlers
from prospecting.edges.http.graph import router as graph_router
from prospecting.edges.http.identity import router as identity_router
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
        threading.Thread(target=_warm_up_reader, name="warm-up-reader", daemon=True).start()
        async with mcp.session_manager.run():
            yield
        runtime.stores.dispose()

    app = FastAPI(title=API_TITLE, version="0.1.0", lifespan=lifespan)
    app.state.runtime = runtime
    install_error_handlers(app)
    app.include_router(identity_router)
    app.include_router(prospects_router)
    app.include_router(graph_router)
    app.include_router(qualify_router)
    app.add_api_route("/health", health, methods=["GET"], tags=["health"])
    app.mount("/", _mcp_app(mcp, runtime))
    return app


def _warm_up_reader() -> None:
    """Load what reading a message needs (lingua's models, about 2 s of CPU and 200 MB; dateparser,
    0.4 s; the intent model) in the background, so the first inbound message does not wait."""
    from prospecting.qualify import entities, intent, language

    try:
        language.warm_up()
        entities.warm_up()
        intent.intent_model()
    except Exception:  # the first message loads whatever is missing
        logging.getLogger("prospecting.qualify").exception("warming up the reader failed")


def _mcp_app(mcp: MCPServer, runtime: Runtime) -> Starlette:
    """Streamable HTTP at exactly `/mcp`, host-checked against DNS rebinding."""
    host = runtime.settings.host
    security = TransportSecuritySettings(
        allowed_hosts=[f"{host}:*", "127.0.0.1:*", "localhost:*", "[::1]:*", "testserver"],
        allowed_origins=[f"http://{host}:*", "http://127.0.0.1:*", "http://localhost:*"],
    )
    return mcp.streamable_http_app(streamable_http_path="/mcp", transport_security=security)


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
