"""The MCP server `platform-prospecting`: tools from every capability over one service core.

Over streamable HTTP the SDK's bearer middleware rejects unknown tokens and each tool call
resolves the acting Person from that call's own Authorization header. Over stdio (and the
in-memory client) the server is bound at start to the Person of one verified token.

The server is a plain resource server for the platform's own pre-issued API tokens. It does
not advertise an OAuth authorization server: no protected-resource metadata is served and a
401 names none, so a client such as the MCP Inspector is not sent into an OAuth flow that does
not exist. Send `Authorization: Bearer <token>` (a `prospecting tokens create` token).

What the server adds around the SDK (`CopilotServer`):

- tools a caller's role cannot use are not listed to them (`ROLE_TOOLS`), per request over
  HTTP and for the bound Person over stdio; calling one still answers `permission_denied`;
- error text is written for a model: `<code>: <detail>`, `field: reason` lines for rejected
  arguments (never a pydantic dump), and `Next: ...`;
- the earlier nested argument shapes (`{"message": {...}}`, `{"query": {...}}`, ...) are still
  accepted and flattened, so older clients keep working while every schema is flat;
- the removed `ingest_inbound` answers with a redirect to `qualify_inbound`, recording nothing.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import anyio
from mcp.server import MCPServer
from mcp.server.auth.settings import AuthSettings
from mcp.server.caching import CacheHint
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.mcpserver.tools import Tool
from mcp_types import Icon, ToolAnnotations
from pydantic import ValidationError

from prospecting.edges.mcp import coop, graph, prompts, prospects, qualify
from prospecting.edges.mcp.edge import ApiTokenVerifier, McpEdge, bearer, invalid_input_text
from prospecting.identity.models import Role
from prospecting.identity.service import authenticate
from prospecting.runtime import Runtime

SERVER_NAME = "platform-prospecting"
TOOL_MODULES = (prospects, graph, qualify, coop)

ROLE_TOOLS: dict[str, Role] = {"subject_opt_out": Role.PRIVACY_OFFICER}
"""Tools listed only to a caller holding the role (the service checks the role anyway)."""

LEGACY_NESTED: dict[str, tuple[str, tuple[str, ...]]] = {
    "qualify_inbound": ("message", ()),
    "graph_query": ("query", ("scope",)),
    "graph_contribute": ("contribution", ()),
    "graph_consent": ("change", ()),
    "subject_opt_out": ("request", ("provenance",)),
    "report_collision": ("report", ()),
    "correct_outcome": ("correction", ()),
    "update_profile": ("profile", ()),
}
"""tool → (its earlier nested argument, objects inside it whose fields are lifted too)."""

REMOVED_TOOLS = {
    "ingest_inbound": (
        "ingest_inbound was replaced by qualify_inbound; nothing was recorded.\n"
        "Next: call qualify_inbound with the same message (channel, body and sender_phone, "
        "sender_email or sender_name): it records the message once, qualifies it and drafts "
        "the reply in one call."
    )
}

INSTRUCTIONS = """\
Prospect work for one independent provider (therapist, coach, trainer, salon, tutor). You act
as the owner of the bearer token; no tool takes a person id for the caller.

A day, in order:
1. New message: qualify_inbound, once per message. It records it (new or matched prospect),
   reads intent and P(book) and writes a reply draft from the provider's profile.
2. Triage: list_drafts (pending). needs_review=false gives drafts safe for one-tap or batch
   approval; needs_review=true gives the ones triage held back, with review_reasons.
3. Review: get_draft, and get_prospect for the whole conversation.
4. Approve: approve_draft, edit_draft and batch_approve send a real message to a person.
   Confirm with the provider first. A held draft is sent only by approve_draft with
   confirm_review=true after the provider has read it; batch_approve refuses held drafts.
5. Close the loop: record_outcome (booked, no_show, ...) also contributes it to the network
   when consent allows and says so; update_prospect for status and notes;
   list_merge_suggestions then accept_merge_suggestion or reject_merge_suggestion.

The network graph: call get_graph_consent before graph_query, graph_reachability or
graph_contribute. Change consent with graph_consent only when the provider asks. Show the
confidence bands and every notice in a graph answer; never present an estimate as certain.

The provider coop (vetted peers): vetting_status, get_listing and network_state say what is
available; keep capacity current with publish_listing. propose_intro and offer_handoff send the
prospect a consent request (a real person): confirm with the provider first. list_waiting shows
what awaits the provider (intros and hand-off offers to decide, peers' intro asks) and what
awaits a prospect. When graph_reachability says a peer had a positive outcome with a prospect,
ask_for_intro asks those peers for a warm intro without learning who they are (my_intro_asks:
counts only); an ask sent to the provider is answered with fulfil_intro_ask (it sends the
prospect a consent request, like propose_intro) or decline_intro_ask.

The drafting profile (get_profile, update_profile) holds the only facts a draft may state.
Errors end with "Next:", the step to take; follow it rather than retrying blindly.
"""


def package_version() -> str:
    try:
        return version("prospecting")
    except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
        return "0+unknown"


class CopilotServer(MCPServer):
    """MCPServer with errors a model can act on and the earlier nested argument shapes."""

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> Any:
        if name in REMOVED_TOOLS:
            raise ToolError(REMOVED_TOOLS[name])
        try:
            return await super().call_tool(name, flatten_legacy(name, arguments), context)
        except UnexpectedToolError:
            raise
        except ToolError as exc:
            cause = exc.__cause__
            if isinstance(cause, ValidationError):
                next_step = f"correct these arguments and call {name} again"
                raise ToolError(invalid_input_text(cause, next_step)) from cause
            text = str(exc).removeprefix(f"Error executing tool {name}: ")
            if text.startswith("Unknown tool:"):
                text += "\nNext: list the tools (tools/list) and use one of those."
            raise ToolError(text) from cause


def flatten_legacy(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Accept `{"message": {...}}` (and the like) for tools whose arguments are now flat."""
    legacy = LEGACY_NESTED.get(name)
    if legacy is None:
        return arguments
    key, lifted = legacy
    nested = arguments.get(key)
    if not isinstance(nested, dict):
        return arguments
    flat = {k: v for k, v in nested.items() if k not in lifted}
    for inner in lifted:
        if isinstance(nested.get(inner), dict):
            flat |= nested[inner]
    rest = {k: v for k, v in arguments.items() if k != key}
    return flat | rest


class ListedByRole:
    """Middleware: leave tools out of tools/list when the caller lacks their role."""

    def __init__(self, edge: McpEdge) -> None:
        self.edge = edge

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        result = await call_next(ctx)
        if ctx.method != "tools/list" or not isinstance(result, dict):
            return result
        token = self.edge.bound_token or bearer(getattr(ctx.request, "headers", None))
        roles = await anyio.to_thread.run_sync(self.edge.roles, token) if token else None
        hidden = {tool for tool, role in ROLE_TOOLS.items() if role not in (roles or set())}
        result["tools"] = [t for t in result.get("tools", []) if t.get("name") not in hidden]
        return result


@dataclass(frozen=True)
class _ToolSource:
    """Everything `Tool.from_function` reads to build a tool's metadata (argument model, JSON
    schemas, name, description, context parameter, async or not), other than the function
    object itself: never the closure's cells."""

    signature: inspect.Signature  # parameters, defaults, annotations (or a __signature__)
    annotations: dict[str, Any]  # what typing.get_type_hints reads to find the Context
    module_globals: int  # id of the namespace string annotations are evaluated in
    name: str
    doc: str | None
    is_coroutine: bool
    options: tuple[Any, ...]  # add_tool's arguments


_TOOLS: dict[tuple[str, str], tuple[_ToolSource, Tool]] = {}
_TOOLS_LOCK = threading.Lock()


def _tool(fn: Callable[..., Any], options: tuple[Any, ...]) -> Tool:
    """The tool for `fn`, its metadata built once per process.

    Every server (one per app, and one per stdio or in-memory session) registers the same tool
    functions, each a new closure over that server's `McpEdge`; building the tools' pydantic
    argument models and JSON schemas was most of what building a server cost (about 0.15 s of
    the app's 0.16 s). That metadata depends only on what `_ToolSource` holds, so when a plain
    function's source equals the cached one's, the tool is a copy of the cached one bound to
    this function, with its own copy of the input schema. Any difference (a signature built at
    run time from objects without equality, as update_profile's is) builds the tool afresh.
    """
    name, title, description, annotations, icons, meta, structured_output = options
    source = key = None
    if inspect.isfunction(fn):
        source = _ToolSource(
            signature=inspect.signature(fn),
            annotations=dict(fn.__annotations__),
            module_globals=id(fn.__globals__),
            name=fn.__name__,
            doc=fn.__doc__,
            is_coroutine=inspect.iscoroutinefunction(fn),
            options=options,
        )
        key = (fn.__module__, fn.__qualname__)
        with _TOOLS_LOCK:
            cached = _TOOLS.get(key)
        if cached is not None and cached[0] == source:
            return _bound_copy(cached[1], fn)
    tool = Tool.from_function(
        fn,
        name=name,
        title=title,
        description=description,
        annotations=annotations,
        icons=icons,
        meta=meta,
        structured_output=structured_output,
    )
    if source is not None and key is not None:
        with _TOOLS_LOCK:  # the cache holds no server's function (nor its edge and stores)
            _TOOLS[key] = (source, _bound_copy(tool, _unbound))
    return tool


def _bound_copy(tool: Tool, fn: Callable[..., Any]) -> Tool:
    """`tool` bound to `fn`, with its own copies of the input and output schemas (the argument
    model and output validator are classes, shared as they are)."""
    metadata = tool.fn_metadata.model_copy(
        update={"output_schema": _json_copy(tool.fn_metadata.output_schema)}
    )
    return tool.model_copy(
        update={"fn": fn, "parameters": _json_copy(tool.parameters), "fn_metadata": metadata}
    )


def _json_copy(value: Any) -> Any:
    """A deep copy of JSON data (a schema holds only dicts, lists and immutable scalars)."""
    if isinstance(value, dict):
        return {key: _json_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_copy(item) for item in value]
    return value


def _unbound(*_args: Any, **_kwargs: Any) -> Any:  # pragma: no cover - never registered
    raise RuntimeError("a cached tool's metadata, not bound to any server's function")


class _ToolCollector(MCPServer):
    """Takes the capability modules' registrations (`@server.tool`, `server.add_tool`) and
    keeps them as tools built through `_tool`, for the real server's `tools=`."""

    def __init__(self) -> None:
        super().__init__(name=SERVER_NAME)
        self.collected: list[Tool] = []

    def add_tool(
        self,
        fn: Callable[..., Any],
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        annotations: ToolAnnotations | None = None,
        icons: list[Icon] | None = None,
        meta: dict[str, Any] | None = None,
        structured_output: bool | None = None,
    ) -> None:
        options = (name, title, description, annotations, icons, meta, structured_output)
        self.collected.append(_tool(fn, options))

    def _tools_only(self, *_args: Any, **_kwargs: Any) -> Any:
        raise TypeError("tool modules register tools; prompts and resources go on the server")

    # anything else registered here would never reach the real server: refuse it loudly
    resource = prompt = completion = custom_route = _tools_only  # type: ignore[assignment]
    add_resource = add_prompt = _tools_only  # type: ignore[assignment]


def build_server(runtime: Runtime, *, bound_token: str | None = None) -> MCPServer:
    """One server; `bound_token` binds stdio and in-memory sessions to one verified Person."""
    http_auth = bound_token is None
    base = f"http://{runtime.settings.host}:{runtime.settings.port}"
    edge = McpEdge(runtime, bound_token)
    collector = _ToolCollector()
    for module in TOOL_MODULES:
        module.register(collector, edge)
    server = CopilotServer(
        name=SERVER_NAME,
        title="Prospecting",
        description="Inbound triage, reply drafts and the consented network for a provider.",
        version=package_version(),
        instructions=INSTRUCTIONS,
        token_verifier=ApiTokenVerifier(runtime) if http_auth else None,
        auth=_auth_settings(base) if http_auth else None,
        middleware=[ListedByRole(edge)],
        cache_hints={"tools/list": CacheHint(ttl_ms=0, scope="private")},
        tools=collector.collected,
    )
    prompts.register(server)
    return server


def verify_bound_token(runtime: Runtime, token: str) -> str:
    """Check a stdio token up front so a bad one fails at start, not at the first tool call."""
    with runtime.stores.tenant() as session:
        return authenticate(session=session, token=token).id


def _auth_settings(base: str) -> AuthSettings:
    """Bearer checks only. `resource_server_url=None`: no protected-resource metadata route and
    no `resource_metadata` in a 401, so no client looks for an authorization server (the
    platform issues its tokens itself, there is no OAuth flow). `issuer_url` is required by the
    SDK's model but only published with such metadata, so it goes nowhere."""
    return AuthSettings(issuer_url=base, resource_server_url=None)
