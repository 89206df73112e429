"""The MCP server `platform-prospecting`: tools from every capability over one service core.

Over streamable HTTP the SDK's bearer middleware rejects unknown tokens and each tool call
resolves the acting Person from that call's own Authorization header. Over stdio (and the
in-memory client) the server is bound at start to the Person of one verified token.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import anyio
from mcp.server import MCPServer
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import ValidationError
from sqlalchemy.orm import Session

from prospecting.errors import DomainError, Unauthenticated
from prospecting.identity.models import Person
from prospecting.identity.service import authenticate
from prospecting.runtime import Runtime

SERVER_NAME = "platform-prospecting"
TOOL_MODULES = (
    "prospecting.prospects.tools",
    "prospecting.graph.tools",
    "prospecting.qualify.tools",
)
T = TypeVar("T")


class ApiTokenVerifier:
    """Accepts exactly the platform's own API tokens (the same ones HTTP routes take)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def verify_token(self, token: str) -> AccessToken | None:
        def check() -> AccessToken | None:
            try:
                with self.runtime.stores.tenant() as session:
                    person = authenticate(session=session, token=token)
            except Unauthenticated:
                return None
            return AccessToken(token=token, client_id=person.id, scopes=[], subject=person.id)

        return await anyio.to_thread.run_sync(check)


@dataclass
class McpEdge:
    """What a tool needs: run one service call for the acting Person in one transaction."""

    runtime: Runtime
    bound_token: str | None = None

    def _token(self, ctx: Context | None) -> str:
        if self.bound_token is not None:
            return self.bound_token
        headers = ctx.headers if ctx is not None else None
        auth = (headers or {}).get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ToolError("unauthenticated: a valid bearer token is required")
        return token.strip()

    async def run(
        self,
        ctx: Context | None,
        work: Callable[[Session, Person], T],
    ) -> T:
        """Authenticate, call the service in a worker thread, map domain errors to ToolError."""
        token = self._token(ctx)

        def call() -> T:
            with self.runtime.stores.tenant() as session:
                actor = authenticate(session=session, token=token)
                return work(session, actor)

        return await self._mapped(call)

    async def run_graph(
        self, ctx: Context | None, work: Callable[[Session, Session, Person], T]
    ) -> T:
        """Like `run`, with a graph-store transaction too: work(tenant, graph, actor)."""
        token = self._token(ctx)

        def call() -> T:
            with self.runtime.stores.tenant() as tenant:
                actor = authenticate(session=tenant, token=token)
                with self.runtime.stores.graph() as graph:
                    return work(tenant, graph, actor)

        return await self._mapped(call)

    @staticmethod
    async def _mapped(call: Callable[[], T]) -> T:
        try:
            return await anyio.to_thread.run_sync(call)
        except DomainError as exc:
            raise ToolError(f"{exc.code}: {exc.detail}") from None
        except ValidationError as exc:
            reasons = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors()
            )
            raise ToolError(f"invalid_input: {reasons}") from None


def build_server(runtime: Runtime, *, bound_token: str | None = None) -> MCPServer:
    """One server; `bound_token` binds stdio and in-memory sessions to one verified Person."""
    http_auth = bound_token is None
    base = f"http://{runtime.settings.host}:{runtime.settings.port}"
    server = MCPServer(
        name=SERVER_NAME,
        instructions=(
            "Prospect work for independent providers. The acting provider is the owner of the "
            "bearer token; tools never take a person id for the caller."
        ),
        token_verifier=ApiTokenVerifier(runtime) if http_auth else None,
        auth=_auth_settings(base) if http_auth else None,
    )
    edge = McpEdge(runtime, bound_token)
    for name in TOOL_MODULES:
        importlib.import_module(name).register(server, edge)
    return server


def verify_bound_token(runtime: Runtime, token: str) -> str:
    """Check a stdio token up front so a bad one fails at start, not at the first tool call."""
    with runtime.stores.tenant() as session:
        return authenticate(session=session, token=token).id


def _auth_settings(base: str) -> AuthSettings:
    """Resource-server only: platform tokens are not audience-bound; the verifier checks them."""
    return AuthSettings(
        issuer_url=base, resource_server_url=f"{base}/mcp", validate_token_resource=False
    )
