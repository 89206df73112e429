"""MCP tools for prospects: list and read them with their conversation, update status and notes,
record outcomes (contributed to the network in the same call when consent allows), decide
merge suggestions and import past clients from a CSV export. Thin wrappers over
prospects.service and the outcomes and import workflows.

A new message is not recorded here: `qualify_inbound` (qualify.py) records, qualifies and drafts
it in one call. The earlier `ingest_inbound` tool is gone; a client that still calls it is told
to use `qualify_inbound` instead (server.py), so one message is never recorded twice.
"""

from __future__ import annotations

from typing import Annotated

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from pydantic import Field
from sqlalchemy.orm import Session

from prospecting.edges.mcp.annotations import DESTRUCTIVE, READ, WRITE, WRITE_IDEMPOTENT
from prospecting.edges.mcp.args import (
    Cursor,
    Limit,
    OneOf,
    ProspectId,
    SuggestionId,
    decode_cursor,
    encode_cursor,
    offset_of,
)
from prospecting.edges.mcp.edge import McpEdge, drop_none
from prospecting.edges.mcp.shapes import (
    MergeSuggestionView,
    OutcomeRecorded,
    ProspectConversation,
    ProspectListPage,
    suggestion_view,
)
from prospecting.errors import Conflict, ConsentRequired, InvalidInput, NotFound
from prospecting.fields import Instant, StrictInt
from prospecting.identity.models import Person
from prospecting.prospects import service
from prospecting.prospects.schemas import (
    OUTCOME_STATUS,
    DateOrder,
    ImportReport,
    MergeSuggestionOut,
    Outcome,
    OutcomeIn,
    ProspectOut,
    ProspectStatus,
    ProspectUpdate,
    SuggestionStatus,
    TouchpointOut,
)
from prospecting.workflows import importing, outcomes

SETTABLE_STATUSES = tuple(s.value for s in ProspectStatus if s is not ProspectStatus.MERGED)
OutcomeArg = Annotated[
    Outcome,
    Field(
        description="What happened: booked, rescheduled (both count as booked), no_show, "
        "ghosted, declined or blocked."
    ),
]
PROSPECT_NOT_FOUND = "prospect ids come from list_prospects, or from qualify_inbound's answer"
MERGED = (
    "this prospect was merged into another: call get_prospect and use its merged_into_id instead"
)
MAX_CSV_CHARS = 2_000_000
"""import_history's CSV argument (about 20k rows); a larger export goes through HTTP
`POST /prospects/import` or `prospecting prospects import FILE`."""
CSV_HELP = (
    "the csv argument's first line must be the header row, naming a phone (or mobile) or an "
    "email column; name, first/last name, date, time and status are optional"
)


def register(server: MCPServer, edge: McpEdge) -> None:
    @server.tool(title="List prospects", annotations=READ)
    async def list_prospects(
        ctx: Context,
        status: Annotated[
            ProspectStatus | None,
            Field(description="Only prospects in this status; omit for every unmerged one."),
        ] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> ProspectListPage:
        """One page of your prospects, newest first, optionally filtered by status."""
        filters = {"status": status}

        def work(session: Session, actor: Person) -> ProspectListPage:
            offset = offset_of(decode_cursor(cursor, "prospects", filters))
            items, total = service.list_prospects(
                session=session, actor=actor, status=status, limit=limit, offset=offset
            )
            end = offset + len(items)
            following = (
                encode_cursor("prospects", filters, {"offset": end}) if end < total else None
            )
            return ProspectListPage(items=items, total=total, next_cursor=following)

        return await edge.read(ctx, work)

    @server.tool(title="Read a prospect and its conversation", annotations=READ)
    async def get_prospect(
        prospect_id: ProspectId,
        ctx: Context,
        max_touchpoints: Annotated[
            StrictInt,
            Field(ge=1, le=200, description="At most this many touchpoints, the most recent ones."),
        ] = 50,
    ) -> ProspectConversation:
        """One of your prospects with its conversation, oldest first: inbound and outbound
        messages and recorded outcomes. A merged prospect names the one it was merged into
        (merged_into_id); its conversation lives there."""

        def work(session: Session, actor: Person) -> ProspectConversation:
            prospect = service.get_prospect(session=session, actor=actor, prospect_id=prospect_id)
            rows = service.list_touchpoints(session=session, actor=actor, prospect_id=prospect_id)
            kept = rows[-max_touchpoints:]
            return ProspectConversation(
                prospect=ProspectOut.model_validate(prospect),
                touchpoints=[TouchpointOut.model_validate(t) for t in kept],
                touchpoints_omitted=len(rows) - len(kept),
            )

        return await edge.read(ctx, work, hints={NotFound: PROSPECT_NOT_FOUND})

    @server.tool(title="Update a prospect's status or notes", annotations=WRITE_IDEMPOTENT)
    async def update_prospect(
        prospect_id: ProspectId,
        ctx: Context,
        status: Annotated[
            str | None,
            OneOf(SETTABLE_STATUSES),
            Field(description="New status; 'merged' is set only by accept_merge_suggestion."),
        ] = None,
        notes: Annotated[
            str | None,
            Field(
                max_length=5000,
                description="Your private notes on the prospect; replaces the old notes "
                "(an empty string clears them).",
            ),
        ] = None,
        display_name: Annotated[
            str | None,
            Field(max_length=200, description="The name to show for the prospect."),
        ] = None,
    ) -> ProspectOut:
        """Change a prospect's status, notes or display name; fields you leave out stay as
        they are."""

        def work(session: Session, actor: Person) -> ProspectOut:
            data = ProspectUpdate.model_validate(
                drop_none(status=status, notes=notes, display_name=display_name)
            )
            row = service.update_prospect(
                session=session, actor=actor, prospect_id=prospect_id, data=data
            )
            return ProspectOut.model_validate(row)

        return await edge.run(ctx, work, hints={Conflict: MERGED, NotFound: PROSPECT_NOT_FOUND})

    @server.tool(title="Record an outcome", annotations=WRITE)
    async def record_outcome(
        prospect_id: ProspectId,
        outcome: OutcomeArg,
        ctx: Context,
        occurred_at: Annotated[
            Instant | None,
            Field(description="When it happened (ISO 8601 with a time zone); default now."),
        ] = None,
        contribute: Annotated[
            bool,
            Field(
                description="Also contribute the outcome to the network graph when your "
                "contribute consent allows it (noised before storage). false keeps it local."
            ),
        ] = True,
    ) -> OutcomeRecorded:
        """Record how a prospect turned out (sets its status) and, with contribute consent,
        contribute it to the network in the same call. The answer says whether it was
        contributed and, if not, why and what would change that. A later outcome for the same
        prospect supersedes this one."""
        recorded = await edge.run_workflow(
            ctx,
            lambda actor: outcomes.record(
                edge.runtime,
                actor=actor,
                prospect_id=prospect_id,
                data=OutcomeIn(outcome=outcome, occurred_at=occurred_at),
                contribute=contribute,
                channel="mcp",
            ),
            hints={Conflict: MERGED, NotFound: PROSPECT_NOT_FOUND},
        )
        return _recorded(recorded, prospect_id, outcome, contribute)

    @server.tool(title="Import past clients from a CSV export", annotations=WRITE_IDEMPOTENT)
    async def import_history(
        csv: Annotated[
            str,
            Field(
                min_length=1,
                max_length=MAX_CSV_CHARS,
                description="The CSV text of a booking tool's export, header row first: name "
                "(or first and last name), phone, email, appointment date (and time), status. "
                "Square, Acuity, Calendly, Fresha, Vagaro and Google Contacts headers are "
                f"recognised. At most {MAX_CSV_CHARS:,} characters.",
            ),
        ],
        ctx: Context,
        contribute: Annotated[
            bool,
            Field(
                description="Also give the imported history to the network graph where your "
                "contribute consent allows it (noised before storage). false keeps it local."
            ),
        ] = True,
        date_order: Annotated[
            DateOrder | None,
            Field(
                description="How to read an all-numeric date such as 03/05/2024 when the file "
                "does not tell: dmy or mdy. Default: from your phone region."
            ),
        ] = None,
    ) -> ImportReport:
        """Import the provider's existing clients and past appointments: one prospect per
        client (matched to existing prospects by phone or email), each appointment and its
        status as an outcome. Importing the same file again stores nothing twice. The answer
        counts what was stored and lists rejected rows (row, field, reason)."""
        return await edge.run_workflow(
            ctx,
            lambda actor: importing.import_history(
                edge.runtime,
                actor=actor,
                text=csv,
                contribute=contribute,
                date_order=date_order,
                channel="mcp",
                field_name="csv",
            ),
            hints={InvalidInput: CSV_HELP},
        )

    @server.tool(title="List merge suggestions", annotations=READ)
    async def list_merge_suggestions(
        ctx: Context,
        status: Annotated[
            SuggestionStatus,
            Field(description="pending (default) are waiting for your decision."),
        ] = SuggestionStatus.PENDING,
    ) -> list[MergeSuggestionView]:
        """Pairs of your prospects that may be one person (similar names), with both names.
        Decide each with accept_merge_suggestion or reject_merge_suggestion."""

        def work(session: Session, actor: Person) -> list[MergeSuggestionView]:
            rows = service.list_merge_suggestions(session=session, actor=actor, status=status)
            return [
                suggestion_view(session, actor, MergeSuggestionOut.model_validate(s)) for s in rows
            ]

        return await edge.read(ctx, work)

    decided = {
        Conflict: "list_merge_suggestions shows the suggestions still pending",
        NotFound: "suggestion ids come from list_merge_suggestions",
    }

    @server.tool(title="Accept a merge suggestion", annotations=DESTRUCTIVE)
    async def accept_merge_suggestion(suggestion_id: SuggestionId, ctx: Context) -> ProspectOut:
        """Merge the suggested prospect into its candidate: the conversation and identifiers
        move to the candidate, which is returned. Cannot be undone."""
        return await edge.run(
            ctx,
            lambda session, actor: ProspectOut.model_validate(
                service.accept_merge(session=session, actor=actor, suggestion_id=suggestion_id)
            ),
            hints=decided,
        )

    @server.tool(title="Reject a merge suggestion", annotations=WRITE)
    async def reject_merge_suggestion(
        suggestion_id: SuggestionId, ctx: Context
    ) -> MergeSuggestionOut:
        """Keep the two prospects apart: they are different people."""
        return await edge.run(
            ctx,
            lambda session, actor: MergeSuggestionOut.model_validate(
                service.reject_merge(session=session, actor=actor, suggestion_id=suggestion_id)
            ),
            hints=decided,
        )


def _recorded(
    recorded: outcomes.Recorded, prospect_id: str, outcome: Outcome, contribute: bool
) -> OutcomeRecorded:
    """The workflow's typed answer, with next steps in this server's tool names."""
    version = recorded.touchpoint.outcome_version or 1
    later = (
        f"call graph_contribute with prospect_id={prospect_id}, outcome={outcome.value}, "
        f"outcome_version={version}"
    )
    answer = OutcomeRecorded(
        touchpoint=recorded.touchpoint,
        prospect_status=OUTCOME_STATUS[outcome],
        contributed=False,
        not_contributed_reason=None,
        contribution=recorded.contribution,
    )
    error = recorded.refusal
    if not contribute:
        answer.not_contributed_reason = f"kept local as asked; to share it later, {later}"
    elif isinstance(error, ConsentRequired):
        answer.not_contributed_reason = _consent_reason(
            recorded.per_prospect_consent, prospect_id, later
        )
    elif error is not None:
        hint = f" Next: {error.hint}." if error.hint else ""
        answer.not_contributed_reason = (
            f"{error.code}: {error.detail}.{hint} The outcome is recorded locally; "
            f"to share it afterwards, {later}."
        )
    elif recorded.contribution is not None and recorded.contribution.budget_exhausted:
        answer.not_contributed_reason = (
            "this person's privacy budget is spent: the network recorded the outcome as "
            "withheld, without a value"
        )
    else:
        answer.contributed = recorded.contribution is not None
    return answer


def _consent_reason(per_prospect: bool, prospect_id: str, later: str) -> str:
    if per_prospect:
        step = (
            f"call graph_consent with action opt_in_prospect and prospect_id={prospect_id}, "
            f"then {later}"
        )
        return f"contribution consent is per prospect and this one is not opted in: {step}"
    return (
        "contribution consent is off: only if the provider agrees, call graph_consent with "
        f"action contribute_all (or contribute_per_prospect plus opt_in_prospect), then {later}"
    )
