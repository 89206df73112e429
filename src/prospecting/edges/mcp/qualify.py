"""MCP tools for auto-qualify: thin wrappers over the inbound workflow and qualify's services.

`qualify_inbound` is the one inbound tool: it records the message (prospect + touchpoint),
qualifies it and drafts the reply, in one call. It may polish the offline draft with the
connected copilot's own model through MCP sampling when the client offers it; the rewrite is
kept only if it passes the same guard as any other refinement, otherwise the offline draft
stands.

Sending tools (`approve_draft`, `edit_draft`, `batch_approve`) send a message to a real person:
they are annotated destructive and open-world. A draft triage held back (`needs_review`) is
sent only by `approve_draft` with `confirm_review=true`; a batch refuses it.
"""

from __future__ import annotations

import inspect
import logging
import warnings
from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

import anyio
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.types import SamplingMessage, TextContent
from pydantic import BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo
from sqlalchemy.orm import Session

from prospecting.edges.mcp.annotations import DESTRUCTIVE, READ, SEND, WRITE, WRITE_IDEMPOTENT
from prospecting.edges.mcp.args import (
    CURRENCY_HELP,
    CURRENCY_PATTERN,
    MAX_PAGE,
    Cursor,
    DraftId,
    Intent,
    Language,
    decode_cursor,
    encode_cursor,
    keyset,
)
from prospecting.edges.mcp.edge import McpEdge, drop_none
from prospecting.edges.mcp.shapes import DraftListPage, DraftView, draft_view
from prospecting.errors import Conflict, DomainError, NotFound
from prospecting.fields import Instant, StrictFloat, StrictInt
from prospecting.identity.models import Person
from prospecting.prospects.schemas import MAX_BODY_CHARS, Channel, InboundMessage
from prospecting.qualify import approvals, reads, report
from prospecting.qualify import profile as profiles
from prospecting.qualify.refine import SYSTEM_PROMPT, RefineRequest
from prospecting.qualify.schemas import (
    MAX_BATCH,
    MAX_DRAFT_CHARS,
    BatchApproveIn,
    BatchApproveOut,
    DraftStatus,
    EditIn,
    ProfileIn,
    ProfileOut,
    QualificationReport,
    QualifiedInbound,
    Tone,
)
from prospecting.workflows import inbound
from prospecting.workflows.delivery import dispatch_outbox

log = logging.getLogger(__name__)

DRAFT_NOT_FOUND = "draft ids come from list_drafts (or from qualify_inbound's answer)"
DECIDED = "this draft was already decided: list_drafts shows the pending ones"
HELD = (
    "this draft is held for review (see review_reasons): show it to the provider with "
    "get_draft; only after they have read it, call approve_draft with confirm_review=true, or "
    "send their wording with edit_draft, or discard_draft"
)
HELD_IN_BATCH = (
    "a batch never sends a draft held for review: leave the drafts with needs_review=true out "
    "(list_drafts with needs_review=false gives the safe ones) and approve each held one on its "
    "own, with approve_draft and confirm_review=true, after the provider has read it"
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

    @server.tool(title="Receive a new message: record, qualify and draft", annotations=WRITE)
    async def qualify_inbound(
        channel: Annotated[Channel, Field(description="Where the message came in.")],
        body: Annotated[
            str,
            Field(
                min_length=1,
                max_length=MAX_BODY_CHARS,
                description="The message text exactly as received.",
            ),
        ],
        ctx: Context,
        sender_phone: Annotated[
            str | None,
            Field(
                max_length=40,
                description="The sender's phone number as given (national numbers use your "
                "default phone region). Give at least one of sender_phone, sender_email or "
                "sender_name.",
            ),
        ] = None,
        sender_email: Annotated[
            str | None, Field(max_length=320, description="The sender's email address.")
        ] = None,
        sender_name: Annotated[
            str | None, Field(max_length=200, description="The sender's name as they gave it.")
        ] = None,
        received_at: Annotated[
            Instant | None,
            Field(description="When it arrived (ISO 8601 with a time zone); default now."),
        ] = None,
        refine_with_copilot: Annotated[
            bool,
            Field(
                description="Let your own model polish the offline draft through MCP sampling "
                "(kept only if it adds no new numbers, prices or links)."
            ),
        ] = True,
    ) -> QualifiedInbound:
        """The one tool for a new inbound message: records it once (a new prospect, or the
        existing one it matches), then returns its intent, P(book) with the top factors and a
        reply draft from your profile. Call it once per message; the draft then waits in
        list_drafts. Check draft.needs_review before offering one-tap approval."""

        def receive(actor: Person) -> QualifiedInbound:
            message = InboundMessage.model_validate(
                drop_none(
                    channel=channel,
                    body=body,
                    sender_phone=sender_phone,
                    sender_email=sender_email,
                    sender_name=sender_name,
                    received_at=received_at,
                )
            )
            return inbound.receive(runtime, actor=actor, message=message, channel="mcp")

        result = await edge.run_workflow(ctx, receive)
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

    @server.tool(title="List reply drafts", annotations=READ)
    async def list_drafts(
        ctx: Context,
        status: Annotated[
            DraftStatus | None,
            Field(description="pending (default) are waiting for a decision; null lists all."),
        ] = DraftStatus.PENDING,
        needs_review: Annotated[
            bool | None,
            Field(
                description="true: only drafts triage held back for a careful look (sensitive "
                "messages; see review_reasons). false: only the ones safe for one-tap or batch "
                "approval. Omit for both."
            ),
        ] = None,
        intent: Intent = None,
        min_score: Annotated[
            StrictFloat | None,
            Field(ge=0.0, le=1.0, description="Only drafts whose P(book) is at least this."),
        ] = None,
        max_score: Annotated[
            StrictFloat | None,
            Field(ge=0.0, le=1.0, description="Only drafts whose P(book) is at most this."),
        ] = None,
        limit: Annotated[
            StrictInt, Field(ge=1, le=MAX_PAGE, description=f"Drafts per page (1-{MAX_PAGE}).")
        ] = 20,
        cursor: Cursor = None,
    ) -> DraftListPage:
        """Your reply drafts, newest first: each with the prospect's name, the message it
        answers, intent, P(book) with factors, and whether it is held for review. Page with
        next_cursor; approving drafts between pages skips none."""
        filters = {
            "status": status,
            "needs_review": needs_review,
            "intent": intent,
            "min_score": min_score,
            "max_score": max_score,
        }

        def work(session: Session, actor: Person) -> DraftListPage:
            after = keyset(decode_cursor(cursor, "drafts", filters))
            rows, total = reads.list_drafts(
                session=session,
                actor=actor,
                status=status,
                needs_review=needs_review,
                intent=intent,
                min_score=min_score,
                max_score=max_score,
                after=after,
                limit=limit + 1,
            )
            page = rows[:limit]
            following = None
            if len(rows) > limit:
                last = page[-1]
                following = encode_cursor(
                    "drafts", filters, {"at": last.created_at.isoformat(), "id": last.id}
                )
            items = [draft_view(session, actor, d) for d in reads.draft_details(session, page)]
            return DraftListPage(items=items, total=total, next_cursor=following)

        return await edge.read(ctx, work)

    @server.tool(title="Read a reply draft", annotations=READ)
    async def get_draft(draft_id: DraftId, ctx: Context) -> DraftView:
        """One of your drafts with the qualification behind it, the prospect's name and the
        message it answers."""
        return await edge.read(
            ctx,
            lambda session, actor: draft_view(
                session,
                actor,
                reads.draft_detail(
                    session, reads.get_draft(session=session, actor=actor, draft_id=draft_id)
                ),
            ),
            hints={NotFound: DRAFT_NOT_FOUND},
        )

    async def delivered(draft_ids: list[str]) -> None:
        """After the approving transaction committed: hand the queued replies over."""
        await anyio.to_thread.run_sync(partial(dispatch_outbox, runtime, draft_ids=draft_ids))

    @server.tool(title="Send a draft as it is", annotations=SEND)
    async def approve_draft(
        draft_id: DraftId,
        ctx: Context,
        confirm_review: Annotated[
            bool,
            Field(
                description="Required as true for a draft held for review (needs_review): "
                "set it only after the provider has read the draft and its review_reasons."
            ),
        ] = False,
    ) -> DraftView:
        """Sends the reply to the prospect (records an outbound message, queues delivery).
        Confirm with the provider before calling. A draft held for review needs
        confirm_review=true."""
        return await _decided(
            ctx,
            lambda session, actor: approvals.approve_draft(
                session=session, actor=actor, draft_id=draft_id, confirm_review=confirm_review
            ),
            send=True,
        )

    @server.tool(title="Edit a draft and send it", annotations=SEND)
    async def edit_draft(
        draft_id: DraftId,
        body: Annotated[
            str,
            Field(
                min_length=1,
                max_length=MAX_DRAFT_CHARS,
                description="The reply to send instead of the draft, in full.",
            ),
        ],
        ctx: Context,
    ) -> DraftView:
        """Sends `body` to the prospect instead of the draft (the original and the edit are
        both kept). Confirm the wording with the provider before calling."""
        return await _decided(
            ctx,
            lambda session, actor: approvals.edit_and_approve(
                session=session, actor=actor, draft_id=draft_id, body=EditIn(body=body).body
            ),
            send=True,
        )

    @server.tool(title="Discard a draft", annotations=DESTRUCTIVE)
    async def discard_draft(draft_id: DraftId, ctx: Context) -> DraftView:
        """Drops a draft without sending anything (e.g. the provider will reply themselves)."""
        return await _decided(
            ctx,
            lambda session, actor: approvals.discard_draft(
                session=session, actor=actor, draft_id=draft_id
            ),
            send=False,
        )

    async def _decided(ctx: Context, decide: Any, *, send: bool) -> DraftView:
        def work(session: Session, actor: Person) -> DraftView:
            row = decide(session, actor)
            return draft_view(session, actor, reads.draft_detail(session, row))

        view = await edge.run(
            ctx, work, hints={Conflict: _held_or_decided(HELD), NotFound: DRAFT_NOT_FOUND}
        )
        if send:
            await delivered([view.id])
        return view

    @server.tool(title="Send many drafts at once", annotations=SEND)
    async def batch_approve(
        draft_ids: Annotated[
            list[Annotated[str, Field(min_length=1, max_length=64)]],
            Field(
                min_length=1,
                max_length=MAX_BATCH,
                description=f"Ids of pending drafts to send (1-{MAX_BATCH}), from list_drafts.",
            ),
        ],
        ctx: Context,
    ) -> BatchApproveOut:
        """Sends many drafts as they are, all or none (the error names the draft that failed).
        Drafts held for review are refused: approve those one at a time. Confirm the list with
        the provider before calling."""

        def work(session: Session, actor: Person) -> BatchApproveOut:
            ids = BatchApproveIn(draft_ids=draft_ids).draft_ids
            rows = approvals.batch_approve(session=session, actor=actor, draft_ids=ids)
            return BatchApproveOut(approved=[reads.draft_out(d) for d in rows])

        out = await edge.run(
            ctx,
            work,
            hints={Conflict: _held_or_decided(HELD_IN_BATCH), NotFound: DRAFT_NOT_FOUND},
        )
        await delivered([d.id for d in out.approved])
        return out

    @server.tool(title="Report on time saved", annotations=READ)
    async def qualification_report(ctx: Context) -> QualificationReport:
        """Time to first response (p50/p95), drafts approved/edited/discarded, time saved."""
        return await edge.read(
            ctx, lambda session, actor: report.report(session=session, actor=actor)
        )

    @server.tool(title="Read the drafting profile", annotations=READ)
    async def get_profile(ctx: Context) -> ProfileOut:
        """Your drafting profile: the only facts a draft may state (services, prices, hours,
        booking link, FAQ, policies, crisis protocol), tone and languages."""
        return await edge.read(
            ctx, lambda session, actor: profiles.get_profile(session=session, actor=actor)
        )

    async def update_profile(ctx: Context, **changes: Any) -> ProfileOut:
        given = _plain({k: v for k, v in changes.items() if v is not None})

        def work(session: Session, actor: Person) -> ProfileOut:
            return profiles.change_profile(session=session, actor=actor, changes=given)

        return await edge.run(ctx, work)

    update_profile.__signature__ = _profile_signature()  # type: ignore[attr-defined]
    update_profile.__doc__ = (
        "Change your drafting profile: the fields you pass replace the stored ones, the others "
        "stay as they are (read it first with get_profile). Drafts only ever state what is "
        "here. An empty string clears a text field; an empty list clears a list."
    )
    server.add_tool(
        update_profile, title="Update the drafting profile", annotations=WRITE_IDEMPOTENT
    )


def _held_or_decided(held: str) -> Callable[[DomainError], str]:
    """The next step for a refused decision: a held draft, or one already decided."""
    return lambda exc: held if "review" in exc.detail.lower() else DECIDED


# ---- update_profile's flat arguments ------------------------------------------------------


class ServiceArg(BaseModel):
    """One service you offer; without a price range a draft never quotes a price."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=80, description="The service's name.")]
    duration_minutes: Annotated[
        StrictInt | None, Field(ge=5, le=600, description="Session length in minutes.")
    ] = None
    price_min: Annotated[
        StrictFloat | None, Field(ge=0, le=100_000, description="Lowest price, in currency.")
    ] = None
    price_max: Annotated[
        StrictFloat | None, Field(ge=0, le=100_000, description="Highest price, in currency.")
    ] = None
    currency: Annotated[
        str | None,
        Field(
            pattern=CURRENCY_PATTERN,
            description=f"{CURRENCY_HELP} Required with a price.",
        ),
    ] = None


PROFILE_ARGS: dict[str, tuple[Any, FieldInfo]] = {
    "services": (
        list[ServiceArg],
        Field(max_length=50, description="Every service you offer (an empty list clears them)."),
    ),
    "hours_text": (
        str,
        Field(max_length=500, description="Your opening hours in your words, e.g. Mon-Thu 9-19."),
    ),
    "booking_link": (
        str,
        Field(
            max_length=500,
            description="Public http(s) link where prospects book (an empty string clears it).",
        ),
    ),
    "tone": (Tone, Field(description="How drafts sound.")),
    "sign_off": (str, Field(max_length=200, description="How drafts end, e.g. your name.")),
    "languages": (
        list[Language],
        Field(
            min_length=1,
            max_length=10,
            description="Languages you reply in, as ISO 639-1 codes; the first is the default.",
        ),
    ),
}
"""The edge's own argument types for ProfileIn fields that need a description or a tighter
schema (an enum of languages, an ISO 4217 currency)."""


def _profile_signature() -> inspect.Signature:
    """update_profile's arguments: every ProfileIn field, flat and optional (None: unchanged).
    The edge's own types above where given, else the field's own type, constraints and
    description, so a field added to ProfileIn is settable here too."""
    params = [inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Context)]
    for name, field in ProfileIn.model_fields.items():
        base, info = PROFILE_ARGS.get(name, (field.annotation, None))
        metadata = (
            [info] if info is not None else [*field.metadata, Field(description=field.description)]
        )
        annotation = Annotated[(base | None, *metadata)]  # type: ignore[valid-type,operator]
        params.append(
            inspect.Parameter(
                name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation
            )
        )
    return inspect.Signature(params, return_annotation=ProfileOut)


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """JSON-shaped values (the edge's own argument models dumped) for ProfileIn."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, list):
            out[key] = [
                v.model_dump(exclude_none=True) if isinstance(v, BaseModel) else v for v in value
            ]
        elif isinstance(value, BaseModel):
            out[key] = value.model_dump(mode="json")
        else:
            out[key] = value
    return out
