"""MCP tools for the cross-provider graph: thin wrappers over prospecting.graph.service.

The acting Person is the bearer of the token; no tool takes a person id for the caller.
"""

from __future__ import annotations

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.types import ToolAnnotations

from prospecting.edges.mcp.edge import McpEdge
from prospecting.graph import service
from prospecting.graph.schemas import (
    AuditEntry,
    CollisionIn,
    CollisionOut,
    ConsentChange,
    ConsentState,
    ContributionIn,
    ContributionOut,
    GraphAnswer,
    GraphMetrics,
    GraphQueryIn,
    LinkOut,
    MislabelIn,
    OptOutIn,
    OptOutOut,
    Reachability,
)
from prospecting.workflows import erasure, linking

READ = ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True)


def register(server: MCPServer, edge: McpEdge) -> None:
    call = edge.run_graph

    @server.tool(
        annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=False)
    )
    async def graph_query(query: GraphQueryIn, ctx: Context) -> GraphAnswer:
        """What the consented network knows about one subject (by subject_key, or by one of
        your prospect_ids): outcome histogram, qualification fingerprint and velocity, each with
        a confidence band; network state; safety flags. Show the bands and any notices. Every
        call is audited (so it is not read-only)."""
        return await call(ctx, lambda g: service.query(g, query))

    @server.tool(
        annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=True)
    )
    async def graph_contribute(contribution: ContributionIn, ctx: Context) -> ContributionOut:
        """Contribute an outcome for one of your prospects (noised before storage). Idempotent
        on (prospect_id, outcome_version); send a higher version to correct an outcome."""
        return await call(ctx, lambda g: service.contribute(g, contribution))

    @server.tool(
        annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=True)
    )
    async def graph_consent(change: ConsentChange, ctx: Context) -> ConsentState:
        """Change your own graph consent (contribute all/per-prospect/none, per-prospect opt-in,
        query on/off, attribution per subject, revoke_all). Always acts on the caller."""
        return await call(ctx, lambda g: service.change_consent(g, change))

    @server.tool(
        annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=True, idempotentHint=True)
    )
    async def subject_opt_out(request: OptOutIn, ctx: Context) -> OptOutOut:
        """Privacy officers only: erase a subject from the graph under a verified data-subject
        request (provenance required). Idempotent on the request id."""
        return await edge.run_workflow(
            ctx,
            lambda actor: erasure.subject_opt_out(
                edge.runtime, actor=actor, data=request, channel="mcp"
            ),
        )

    @server.tool(
        annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=True)
    )
    async def graph_link_prospect(prospect_id: str, ctx: Context) -> LinkOut:
        """Link one of your prospects to its network subject key; returns the link confidence."""
        return await edge.run_workflow(
            ctx,
            lambda actor: linking.link(
                edge.runtime, actor=actor, prospect_id=prospect_id, channel="mcp"
            ),
        )

    @server.tool(
        annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=True)
    )
    async def report_collision(report: CollisionIn, ctx: Context) -> CollisionOut:
        """Say "this is not the same person" for your prospect's link: down-weights the matched
        dimension; three distinct providers reporting it split the subject key."""
        return await call(ctx, lambda g: service.report_collision(g, report))

    @server.tool(
        annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=False)
    )
    async def correct_outcome(correction: MislabelIn, ctx: Context) -> ContributionOut:
        """Correct a mislabelled outcome (e.g. rescheduled, not no-show): supersedes your
        previous contribution for that prospect."""
        return await call(ctx, lambda g: service.correct_outcome(g, correction))

    @server.tool(annotations=READ)
    async def list_graph_audit(ctx: Context, limit: int = 50) -> list[AuditEntry]:
        """Audit entries that concern you: your own graph queries, and queries your
        contributions answered (who asked is not shown)."""
        return await call(ctx, lambda g: service.list_audit(g, limit=limit))

    @server.tool(
        annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=False)
    )
    async def graph_reachability(prospect_id: str, ctx: Context) -> Reachability:
        """Is there a consented peer with a positive outcome with this prospect's person?
        Yes/no and how many; never who. Audited."""
        return await call(ctx, lambda g: service.reachability(g, prospect_id))

    @server.tool(annotations=READ)
    async def graph_metrics(ctx: Context, weeks: int = 4) -> GraphMetrics:
        """Contribution rate per week and network state per category/region (counts only)."""
        return await call(ctx, lambda g: service.metrics(g, weeks=weeks))
