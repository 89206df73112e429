"""What every MCP tool shares: the token verifier and `McpEdge`, which authenticates the
acting Person, runs one service call in a worker thread and maps domain errors to ToolError.

Errors are written for the model that reads them: `<code>: <detail>`, then the rejected
fields one per line (`field: reason`, never a pydantic dump and never the rejected values),
then `Next: <what to do>`. The next step is the tool's own hint for that error class when it
gave one, else the error's `hint` (errors.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
from mcp.server.auth.provider import AccessToken
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import ValidationError
from sqlalchemy.orm import Session

from prospecting.errors import DomainError, Unauthenticated
from prospecting.identity.models import Person, Role
from prospecting.identity.service import authenticate
from prospecting.runtime import Context as ServiceContext
from prospecting.runtime import Runtime

T = TypeVar("T")
Hint = str | Callable[[DomainError], str | None]
Hints = Mapping[type[DomainError], Hint]
"""A tool's next steps, by error class (the first class the error is an instance of wins); a
callable picks the step from the error itself."""


class ApiTokenVerifier:
    """Accepts exactly the platform's own API tokens (the same ones HTTP routes take)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def verify_token(self, token: str) -> AccessToken | None:
        def check() -> AccessToken | None:
            try:
                with self.runtime.stores.tenant_read() as session:
                    person = authenticate(session=session, token=token)
            except Unauthenticated:
                return None
            return AccessToken(token=token, client_id=person.id, scopes=[], subject=person.id)

        return await anyio.to_thread.run_sync(check)


def bearer(headers: Mapping[str, str] | None) -> str | None:
    """The bearer token of an HTTP request's Authorization header, if any."""
    auth = (headers or {}).get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


_DATE_TIME = "send an ISO 8601 date-time with a time zone, e.g. 2025-03-01T09:30:00+00:00"
SEND_INSTEAD: dict[str, str] = {
    "missing": "send this argument",
    "extra_forbidden": "leave it out: the tool's input schema lists every argument it takes",
    "int_type": "send a whole number such as 20 (not true/false, not text)",
    "int_parsing": "send a whole number such as 20 (not true/false, not text)",
    "int_from_float": "send a whole number such as 20",
    "float_type": "send a number such as 12.5 (not true/false, not text)",
    "float_parsing": "send a number such as 12.5 (not true/false, not text)",
    "finite_number": "send a finite number",
    "bool_type": "send true or false",
    "bool_parsing": "send true or false",
    "string_type": "send text",
    "string_too_short": "send a longer value",
    "string_too_long": "send a shorter value",
    "string_pattern_mismatch": "send a value in the format the schema's pattern describes",
    "less_than": "send a smaller number",
    "less_than_equal": "send a smaller number",
    "greater_than": "send a larger number",
    "greater_than_equal": "send a larger number",
    "enum": "send one of the listed values",
    "literal_error": "send one of the listed values",
    "list_type": "send a list",
    "too_short": "send more items",
    "too_long": "send fewer items",
    "dict_type": "send an object",
    "model_type": "send an object",
    "model_attributes_type": "send an object",
    "url_parsing": "send a full http(s) URL such as https://example.com/book",
    "url_scheme": "send a full http(s) URL such as https://example.com/book",
    "url_type": "send a full http(s) URL such as https://example.com/book",
    "datetime_type": _DATE_TIME,
    "datetime_parsing": _DATE_TIME,
    "datetime_from_date_parsing": _DATE_TIME,
    "timezone_aware": _DATE_TIME,
}
"""What to send instead, by pydantic error type; a reason of our own already says it."""


def field_reasons(exc: ValidationError) -> list[str]:
    """One `field: reason; send ...` line per problem; the rejected values are the caller's data
    and are never echoed."""
    lines = []
    for err in exc.errors(include_url=False, include_input=False):
        field = ".".join(str(p) for p in err["loc"])
        reason = str(err["msg"])
        for prefix in ("Value error, ", "Assertion failed, "):
            reason = reason.removeprefix(prefix)
        reason = reason[:1].lower() + reason[1:]
        instead = SEND_INSTEAD.get(err["type"])
        if instead and "send " not in reason:
            reason = f"{reason}; {instead}"
        lines.append(f"{field}: {reason}" if field else reason)
    return list(dict.fromkeys(lines))


def invalid_input_text(exc: ValidationError, next_step: str) -> str:
    lines = field_reasons(exc)
    noun = "argument was" if len(lines) == 1 else "arguments were"
    return "\n".join(
        [f"invalid_input: {len(lines)} {noun} not accepted", *lines, f"Next: {next_step}"]
    )


def next_step(exc: DomainError, hints: Hints | None = None) -> str | None:
    """What to do next: the raise site's own hint when it gave one, else the tool's hint for
    this error class, else the class's default hint."""
    if exc.hint is not None and exc.hint != type(exc).default_hint:
        return exc.hint
    for cls, hint in (hints or {}).items():
        if isinstance(exc, cls):
            chosen = hint(exc) if callable(hint) else hint
            if chosen:
                return chosen
    return exc.hint


def domain_error_text(exc: DomainError, hints: Hints | None = None) -> str:
    text = f"{exc.code}: {exc.detail}"
    step = next_step(exc, hints)
    return f"{text}\nNext: {step}" if step else text


def tool_error(exc: Exception, hints: Hints | None = None) -> ToolError:
    """The ToolError a model reads for a domain or validation error raised inside a tool."""
    if isinstance(exc, DomainError):
        return ToolError(domain_error_text(exc, hints))
    assert isinstance(exc, ValidationError)
    return ToolError(invalid_input_text(exc, "correct these fields and call the tool again"))


@dataclass
class McpEdge:
    """What a tool needs: run one service call for the acting Person in one transaction.

    Every helper takes an optional `hints` mapping: the tool's next step for an error class,
    which goes in front of the error's own hint.
    """

    runtime: Runtime
    bound_token: str | None = None

    def token(self, headers: Mapping[str, str] | None) -> str:
        """The bound token (stdio, in-memory), else this request's bearer token."""
        if self.bound_token is not None:
            return self.bound_token
        token = bearer(headers)
        if token is None:
            raise ToolError(domain_error_text(Unauthenticated()))
        return token

    def _token(self, ctx: Context | None) -> str:
        return self.token(ctx.headers if ctx is not None else None)

    def roles(self, token: str) -> set[Role] | None:
        """The roles of the Person a token belongs to (a short read); None for an unknown one."""
        try:
            with self.runtime.stores.tenant_read() as session:
                return set(authenticate(session=session, token=token).role_names)
        except Unauthenticated:
            return None

    async def run(
        self,
        ctx: Context | None,
        work: Callable[[Session, Person], T],
        *,
        hints: Hints | None = None,
    ) -> T:
        """Authenticate, call the service in a worker thread, map domain errors to ToolError."""
        token = self._token(ctx)

        def call() -> T:
            with self.runtime.stores.tenant() as session:
                actor = authenticate(session=session, token=token)
                return work(session, actor)

        return await self._mapped(call, hints)

    async def read(
        self,
        ctx: Context | None,
        work: Callable[[Session, Person], T],
        *,
        hints: Hints | None = None,
    ) -> T:
        """`run` for a tool that only reads: a read transaction (SQLite: deferred, so it never
        queues behind a writer)."""
        token = self._token(ctx)

        def call() -> T:
            with self.runtime.stores.tenant_read() as session:
                actor = authenticate(session=session, token=token)
                return work(session, actor)

        return await self._mapped(call, hints)

    async def read_graph(
        self,
        ctx: Context | None,
        work: Callable[[ServiceContext], T],
        *,
        hints: Hints | None = None,
    ) -> T:
        """`run_graph` for a tool that only reads (nothing audited): both stores in read
        transactions."""
        token = self._token(ctx)
        return await self._mapped(lambda: self._in_graph(token, work, read=True), hints)

    async def run_graph(
        self,
        ctx: Context | None,
        work: Callable[[ServiceContext], T],
        *,
        hints: Hints | None = None,
    ) -> T:
        """A graph call: the graph store's transaction with a read-only tenant session (waiting
        on the graph never holds the tenant store's write lock)."""
        token = self._token(ctx)
        return await self._mapped(lambda: self._in_graph(token, work), hints)

    def _in_graph(
        self, token: str, work: Callable[[ServiceContext], T], *, read: bool = False
    ) -> T:
        runtime = self.runtime
        graph_transaction = runtime.stores.graph_read if read else runtime.stores.graph
        with runtime.stores.tenant_read() as tenant, graph_transaction() as graph:
            actor = authenticate(session=tenant, token=token)
            return work(
                ServiceContext(tenant, graph, actor, runtime.settings, runtime.resolver, "mcp")
            )

    async def run_workflow(
        self,
        ctx: Context | None,
        work: Callable[[Person], T],
        *,
        hints: Hints | None = None,
    ) -> T:
        """A workflow owns its transactions across both stores: authenticate in a short read
        and hand it the acting Person."""
        token = self._token(ctx)

        def call() -> T:
            with self.runtime.stores.tenant_read() as session:
                actor = authenticate(session=session, token=token)
            return work(actor)

        return await self._mapped(call, hints)

    @staticmethod
    async def _mapped(call: Callable[[], T], hints: Hints | None) -> T:
        try:
            return await anyio.to_thread.run_sync(call)
        except (DomainError, ValidationError) as exc:
            raise tool_error(exc, hints) from None


def drop_none(**values: Any) -> dict[str, Any]:
    """The arguments a caller actually gave (flat tool arguments default to None)."""
    return {k: v for k, v in values.items() if v is not None}
