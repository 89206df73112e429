"""The MCP server `platform-prospecting`: tools from every capability over one service core.

Over streamable HTTP the SDK's bearer middleware rejects unknown tokens and each tool call
resolves the acting Person from that call's own Authorization header. Over stdio (and the
in-memory client) the server is bound at start to the Person of one verified token.
"""

from __future__ import annotations

from mcp.server import MCPServer
from mcp.server.auth.settings import AuthSettings

from prospecting.edges.mcp import graph, prospects, qualify
from prospecting.edges.mcp.edge import ApiTokenVerifier, McpEdge
from prospecting.identity.service import authenticate
from prospecting.runtime import Runtime

SERVER_NAME = "platform-prospecting"
TOOL_MODULES = (prospects, graph, qualify)


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
    for module in TOOL_MODULES:
        module.register(server, edge)
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
