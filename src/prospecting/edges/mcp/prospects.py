"""MCP tools for prospects: thin wrappers over prospects.service."""

from __future__ import annotations

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.types import ToolAnnotations
from sqlalchemy.orm import Session

from prospecting.edges.mcp.edge import McpEdge
from prospecting.identity.models import Person
from prospecting.prospects import service
from prospecting.prospects.schemas import (
    InboundMessage,
    IngestResult,
    ProspectOut,
    ProspectPage,
    ProspectStatus,
)
from prospecting.workflows import inbound


def register(server: MCPServer, edge: McpEdge) -> None:
    @server.tool(
        annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=False)
    )
    async def ingest_inbound(message: InboundMessage, ctx: Context) -> IngestResult:
        """Record an inbound message as a prospect (new or de-duplicated) plus a touchpoint;
        it is auto-qualified too (see qualify_inbound for the intent, score and draft)."""
        return await edge.run_workflow(
            ctx,
            lambda actor: (
                inbound.receive(edge.runtime, actor=actor, message=message, channel="mcp").ingest
            ),
        )

    @server.tool(annotations=ToolAnnotations(readOnlyHint=True))
    async def list_prospects(
        ctx: Context, status: ProspectStatus | None = None, limit: int = 50, offset: int = 0
    ) -> ProspectPage:
        """One page of the caller's prospects, newest first, optionally filtered by status."""
        limit = max(1, min(limit, 200))

        def work(session: Session, actor: Person) -> ProspectPage:
            rows, total = service.list_prospects(
                session=session, actor=actor, status=status, limit=limit, offset=max(offset, 0)
            )
            items = [ProspectOut.model_validate(p) for p in rows]
            return ProspectPage(items=items, total=total, limit=limit, offset=offset)

        return await edge.run(ctx, work)
