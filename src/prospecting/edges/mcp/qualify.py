"""MCP tools for auto-qualify: thin wrappers over the inbound workflow and qualify's services.

`qualify_inbound` may polish the offline draft with the connected copilot's own model through
MCP sampling when the client offers it; the rewrite is kept only if it passes the same guard
as any other refinement, otherwise the offline draft stands.
"""

from __future__ import annotations

import logging
import warnings
from functools import partial

import anyio
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.types import SamplingMessage, TextContent, ToolAnnotations
from sqlalchemy.orm import Session

from prospecting.edges.mcp.edge import McpEdge
from prospecting.identity.models import Person
from prospecting.prospects.schemas import InboundMessage
from prospecting.qualify import approvals, reads, report
from prospecting.qualify import profile as profiles
from prospecting.qualify.refine import SYSTEM_PROMPT, RefineRequest
from prospecting.qualify.schemas import (
    BatchApproveIn,
    BatchApproveOut,
    DraftDetail,
    DraftPage,
    DraftStatus,
    EditIn,
    ProfileIn,
    ProfileOut,
    QualificationReport,
    QualifiedInbound,
)
from prospecting.workflows import inbound
from prospecting.workflows.delivery import dispatch_outbox

log = logging.getLogger(__name__)
READ = ToolAnnotations(readOnlyHint=True, openWorldHint=False)
WRITE = ToolAnnotations(
    readOnlyHint=False, destructiveHint=False, idempotentHint=False, openWorldHint=False
)
SEND = ToolAnnotations(
    readOnlyHint=False, destructiveHint=False, idempotentHint=False, openWorldHint=True
)


async def sample_refinement(ctx: Context, request: RefineRequest) -> str | None:
    """Ask the client's model to polish the draft; None when unsupported or on any failure."""
    caps = ctx.client_capabilities
    if caps is None or caps.sampling is None:
        return None
    prompt = request.prompt()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = await ctx.session.create_message(
                [SamplingMessage(role="user", content=TextContent(type="text", text=prompt))],
                max_tokens=600,
                system_prompt=SYSTEM_PROMPT,
                temperature=0.2,
            )
    except Exception as exc:
        log.warning("MCP sampling failed: %s", type(exc).__name__)
        return None
    content = result.content
    return content.text if isinstance(content, TextContent) else None


def register(server: MCPServer, edge: McpEdge) -> None:
    runtime = edge.runtime

    @server.tool(annotations=WRITE)
    async def qualify_inbound(
        message: InboundMessage, ctx: Context, refine_with_copilot: bool = True
    ) -> QualifiedInbound:
        """Record an inbound message and return its intent, P(book) with top factors and a
        reply draft from the provider's profile, ready for one-tap approval."""
        result = await edge.run_workflow(
            ctx, lambda actor: inbound.receive(runtime, actor=actor, message=message, channel="mcp")
        )
        if not refine_with_copilot:
            return result
        draft_id = result.draft.id
        request = await edge.run(
            ctx,
            lambda session, actor: approvals.refinement_request(
                session=session, actor=actor, draft_id=draft_id
            ),
        )
        if request is None:
            return result
        refined = await sample_refinement(ctx, request)
        if refined is None:
            return result
        updated = await edge.run(
            ctx,
            lambda session, actor: reads.draft_out(
                approvals.apply_refinement(
                    session=session,
                    actor=actor,
                    draft_id=draft_id,
                    body=refined,
                    source="mcp_sampling",
                )
            ),
        )
        return result.model_copy(update={"draft": updated})

    @server.tool(annotations=READ)
    async def list_drafts(
        ctx: Context,
        status: DraftStatus | None = DraftStatus.PENDING,
        limit: int = 50,
        offset: int = 0,
    ) -> DraftPage:
        """The caller's reply drafts (pending by default), newest first, with their scores."""
        limit = max(1, min(limit, 200))

        def work(session: Session, actor: Person) -> DraftPage:
            rows, total = reads.list_drafts(
                session=session, actor=actor, status=status, limit=limit, offset=max(offset, 0)
            )
            return DraftPage(items=reads.draft_details(session, rows), total=total)

        return await edge.run(ctx, work)

    @server.tool(annotations=READ)
    async def get_draft(draft_id: str, ctx: Context) -> DraftDetail:
        """One of the caller's drafts with the qualification behind it."""
        return await edge.run(
            ctx,
            lambda session, actor: reads.draft_detail(
                session, reads.get_draft(session=session, actor=actor, draft_id=draft_id)
            ),
        )

    async def delivered(draft_ids: list[str]) -> None:
        """After the approving transaction committed: hand the queued replies over."""
        await anyio.to_thread.run_sync(partial(dispatch_outbox, runtime, draft_ids=draft_ids))

    @server.tool(annotations=SEND)
    async def approve_draft(draft_id: str, ctx: Context) -> DraftDetail:
        """One tap: send the draft as it is (records an outbound touchpoint, queues delivery)."""
        detail = await edge.run(
            ctx,
            lambda session, actor: reads.draft_detail(
                session, approvals.approve_draft(session=session, actor=actor, draft_id=draft_id)
            ),
        )
        await delivered([detail.id])
        return detail

    @server.tool(annotations=SEND)
    async def edit_draft(draft_id: str, body: str, ctx: Context) -> DraftDetail:
        """Edit then approve: send `body` instead; the original and the edit are both kept."""
        detail = await edge.run(
            ctx,
            lambda session, actor: reads.draft_detail(
                session,
                approvals.edit_and_approve(
                    session=session, actor=actor, draft_id=draft_id, body=EditIn(body=body).body
                ),
            ),
        )
        await delivered([detail.id])
        return detail

    @server.tool(
        annotations=ToolAnnotations(
            readOnlyHint=False, destructiveHint=True, idempotentHint=False, openWorldHint=False
        )
    )
    async def discard_draft(draft_id: str, ctx: Context) -> DraftDetail:
        """Drop a draft without sending anything."""
        return await edge.run(
            ctx,
            lambda session, actor: reads.draft_detail(
                session, approvals.discard_draft(session=session, actor=actor, draft_id=draft_id)
            ),
        )

    @server.tool(annotations=SEND)
    async def batch_approve(draft_ids: list[str], ctx: Context) -> BatchApproveOut:
        """Approve many drafts at once, all or none (the error names the draft that failed)."""

        def work(session: Session, actor: Person) -> BatchApproveOut:
            ids = BatchApproveIn(draft_ids=draft_ids).draft_ids
            rows = approvals.batch_approve(session=session, actor=actor, draft_ids=ids)
            return BatchApproveOut(approved=[reads.draft_out(d) for d in rows])

        out = await edge.run(ctx, work)
        await delivered([d.id for d in out.approved])
        return out

    @server.tool(annotations=READ)
    async def qualification_report(ctx: Context) -> QualificationReport:
        """Time to first response (p50/p95), drafts approved/edited/discarded, time saved."""
        return await edge.run(
            ctx, lambda session, actor: report.report(session=session, actor=actor)
        )

    @server.tool(annotations=READ)
    async def get_profile(ctx: Context) -> ProfileOut:
        """The caller's drafting profile: services, prices, hours, booking link, tone."""
        return await edge.run(
            ctx, lambda session, actor: profiles.get_profile(session=session, actor=actor)
        )

    @server.tool(
        annotations=ToolAnnotations(
            readOnlyHint=False, destructiveHint=False, idempotentHint=True, openWorldHint=False
        )
    )
    async def update_profile(profile: ProfileIn, ctx: Context) -> ProfileOut:
        """Replace the caller's drafting profile as a whole."""
        return await edge.run(
            ctx,
            lambda session, actor: profiles.update_profile(
                session=session, actor=actor, data=profile
            ),
        )
