"""What every MCP tool shares: the token verifier and `McpEdge`, which authenticates the
acting Person, runs one service call in a worker thread and maps domain errors to ToolError."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import anyio
from mcp.server.auth.provider import AccessToken
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import ValidationError
from sqlalchemy.orm import Session

from prospecting.errors import DomainError, Unauthenticated
from prospecting.identity.models import Person
from prospecting.identity.service import authenticate
from prospecting.runtime import Context as ServiceContext
from prospecting.runtime import Runtime

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

    async def run_graph(self, ctx: Context | None, work: Callable[[ServiceContext], T]) -> T:
        """A graph call: the graph store's transaction with a read-only tenant session (waiting
        on the graph never holds the tenant store's write lock)."""
        token = self._token(ctx)
        runtime = self.runtime

        def call() -> T:
            with runtime.stores.tenant_read() as tenant, runtime.stores.graph() as graph:
                actor = authenticate(session=tenant, token=token)
                return work(
                    ServiceContext(tenant, graph, actor, runtime.settings, runtime.resolver, "mcp")
                )

        return await self._mapped(call)

    async def run_workflow(self, ctx: Context | None, work: Callable[[Person], T]) -> T:
        """A workflow owns its transactions across both stores: authenticate in a short read
        and hand it the acting Person."""
        token = self._token(ctx)

        def call() -> T:
            with self.runtime.stores.tenant_read() as session:
                actor = authenticate(session=session, token=token)
            return work(actor)

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
