"""MCP tools for the cross-provider graph: thin wrappers over prospecting.graph.service.

The acting Person is the bearer of the token; no tool takes a person id for the caller.
Read consent (`get_graph_consent`) before using the network: a query needs query consent, a
contribution needs contribute consent. `subject_opt_out` is listed to privacy officers only.
"""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from pydantic import Field

from prospecting.edges.mcp.annotations import AUDITED_READ, ERASE, READ, WRITE, WRITE_IDEMPOTENT
from prospecting.edges.mcp.args import ProspectId, SubjectKey
from prospecting.edges.mcp.edge import McpEdge
from prospecting.errors import ConsentRequired, InvalidInput, NotFound, PermissionDenied
from prospecting.fields import Instant, StrictInt
from prospecting.graph import service
from prospecting.graph.audit import MAX_ENTRIES
from prospecting.graph.schemas import (
    AuditEntry,
    CollisionIn,
    CollisionOut,
    ConsentAction,
    ConsentChange,
    ConsentState,
    ContributionIn,
    ContributionOut,
    DsrProvenance,
    GraphAnswer,
    GraphMetrics,
    GraphQueryIn,
    GraphScope,
    LinkOut,
    MislabelIn,
    OptOutIn,
    OptOutOut,
    Reachability,
)
from prospecting.identity.models import Person
from prospecting.prospects.schemas import Outcome
from prospecting.runtime import Context as ServiceContext
from prospecting.workflows import erasure, linking

QUERY_CONSENT = (
    "ask the provider whether they want network answers; only if they agree, call "
    "graph_consent with action query_on, then call this tool again"
)
CONTRIBUTE_CONSENT = (
    "contribution consent does not cover this prospect: call get_graph_consent to see the "
    "policy; only if the provider agrees, call graph_consent with action contribute_all, or "
    "with opt_in_prospect and this prospect_id when the policy is per prospect"
)
LINK_CONSENT = (
    "linking needs query or contribute consent: call get_graph_consent, then (only if the "
    "provider agrees) graph_consent with action query_on or contribute_all"
)
PROSPECT_IDS = "prospect ids come from list_prospects (or qualify_inbound's answer)"
ONE_SUBJECT = "give exactly one of subject_key or prospect_id (prospect ids: list_prospects)"
OutcomeArg = Annotated[
    Outcome,
    Field(
        description="booked, rescheduled (both count as booked), no_show, ghosted, declined "
        "or blocked."
    ),
]


def register(server: MCPServer, edge: McpEdge) -> None:
    call = edge.run_graph

    @server.tool(title="Ask the network about a person", annotations=AUDITED_READ)
    async def graph_query(
        ctx: Context,
        prospect_id: Annotated[
            str | None,
            Field(max_length=32, description="One of your prospects (give this or subject_key)."),
        ] = None,
        subject_key: Annotated[
            str | None,
            Field(
                max_length=32,
                description="An opaque network subject key (give this or prospect_id).",
            ),
        ] = None,
        category: Annotated[
            str | None,
            Field(max_length=64, description="Count only peers in this service category."),
        ] = None,
        region: Annotated[
            str | None, Field(max_length=64, description="Count only peers in this region.")
        ] = None,
    ) -> GraphAnswer:
        """What the consented network knows about one person: outcome histogram,
        qualification fingerprint and velocity, each with a confidence band; network state;
        safety flags. Needs query consent. Show the bands and every notice to the provider.
        Every call is audited (so it is not read-only)."""

        def ask(g: ServiceContext) -> GraphAnswer:
            scope = GraphScope(category=category, region=region)
            data = GraphQueryIn(subject_key=subject_key, prospect_id=prospect_id, scope=scope)
            return service.query(g, data)

        return await call(
            ctx,
            ask,
            hints={ConsentRequired: QUERY_CONSENT, NotFound: ONE_SUBJECT},
        )

    @server.tool(title="Contribute an outcome to the network", annotations=WRITE_IDEMPOTENT)
    async def graph_contribute(
        prospect_id: ProspectId,
        outcome: OutcomeArg,
        ctx: Context,
        outcome_version: Annotated[
            StrictInt,
            Field(
                ge=1,
                le=10_000,
                description="1 for the first outcome; a higher version corrects an earlier one.",
            ),
        ] = 1,
    ) -> ContributionOut:
        """Contribute an outcome for one of your prospects (noised before storage). Needs
        contribute consent. Idempotent on (prospect_id, outcome_version). record_outcome does
        this for you when it records an outcome."""
        return await call(
            ctx,
            lambda g: service.contribute(
                g,
                ContributionIn(
                    prospect_id=prospect_id,
                    outcome=outcome,
                    outcome_version=outcome_version,
                ),
            ),
            hints={ConsentRequired: CONTRIBUTE_CONSENT, NotFound: PROSPECT_IDS},
        )

    @server.tool(title="Read your network consent", annotations=READ)
    async def get_graph_consent(ctx: Context) -> ConsentState:
        """Your graph consent as it applies now (your own choice over your Org's default):
        contribute policy (none, per_prospect, all), query on/off, revoked, opted-in prospects
        and attributed subjects. Read it before querying or contributing."""
        return await edge.read_graph(ctx, service.consent_state)

    @server.tool(title="Change your network consent", annotations=WRITE_IDEMPOTENT)
    async def graph_consent(
        action: Annotated[
            ConsentAction,
            Field(
                description="contribute_all / contribute_per_prospect / contribute_none: which "
                "outcomes you share; opt_in_prospect / opt_out_prospect: one prospect under the "
                "per-prospect policy (needs prospect_id); query_on / query_off: whether you "
                "read network answers; attribute_subject / unattribute_subject: show your name "
                "to peers for one subject (needs subject_key); revoke_all: everything off."
            ),
        ],
        ctx: Context,
        prospect_id: Annotated[
            str | None,
            Field(max_length=32, description="For opt_in_prospect and opt_out_prospect."),
        ] = None,
        subject_key: Annotated[
            str | None,
            Field(max_length=32, description="For attribute_subject and unattribute_subject."),
        ] = None,
        person_id: Annotated[
            str | None,
            Field(
                max_length=32,
                description="Leave out. Accepted only when it names you: consent is never "
                "changed for someone else.",
            ),
        ] = None,
    ) -> ConsentState:
        """Change your own graph consent; only on the provider's explicit request. Every change
        is recorded (who, when, channel, before/after). Returns the consent now in force."""
        return await call(
            ctx,
            lambda g: service.change_consent(
                g,
                ConsentChange(
                    action=action,
                    prospect_id=prospect_id,
                    subject_key=subject_key,
                    person_id=person_id,
                ),
            ),
            hints={
                PermissionDenied: "leave person_id out: consent changes always act on you",
                InvalidInput: "opt_in_prospect/opt_out_prospect need prospect_id; "
                "attribute_subject/unattribute_subject need subject_key",
                NotFound: "subject keys come from graph_link_prospect or graph_query",
            },
        )

    @server.tool(title="Erase a person from the network (privacy officers)", annotations=ERASE)
    async def subject_opt_out(
        subject_key: SubjectKey,
        request_id: Annotated[
            str,
            Field(
                min_length=3,
                max_length=100,
                description="The data-subject request's id; a replay with it is idempotent.",
            ),
        ],
        received_at: Annotated[
            Instant, Field(description="When the request was received (ISO 8601).")
        ],
        verification_method: Annotated[
            Literal["email_link", "id_document", "phone_callback", "in_person", "authorized_agent"],
            Field(description="How the requester's identity was verified."),
        ],
        verifier: Annotated[
            str,
            Field(min_length=1, max_length=200, description="Who verified it (a name or desk)."),
        ],
        legal_ground: Annotated[
            Literal["gdpr_art17", "gdpr_art21", "ccpa_delete", "consent_withdrawn", "other"],
            Field(description="The legal ground of the erasure."),
        ],
        ctx: Context,
    ) -> OptOutOut:
        """Privacy officers only: erase a subject from the graph under a verified data-subject
        request (tombstone, purge its contributions, block its digests, strip graph features
        from qualifications). Cannot be undone. Idempotent on request_id."""

        def erase(actor: Person) -> OptOutOut:
            provenance = DsrProvenance(
                request_id=request_id,
                received_at=received_at,
                verification_method=verification_method,
                verifier=verifier,
                legal_ground=legal_ground,
            )
            data = OptOutIn(subject_key=subject_key, provenance=provenance)
            return erasure.subject_opt_out(edge.runtime, actor=actor, data=data, channel="mcp")

        return await edge.run_workflow(
            ctx,
            erase,
            hints={
                PermissionDenied: "only a privacy officer's token may erase a subject: pass the "
                "request to your privacy officer; do not retry"
            },
        )

    @server.tool(title="Link a prospect to the network", annotations=WRITE_IDEMPOTENT)
    async def graph_link_prospect(prospect_id: ProspectId, ctx: Context) -> LinkOut:
        """Link one of your prospects to its network subject key; returns the key and the link
        confidence. Needs query or contribute consent."""
        return await edge.run_workflow(
            ctx,
            lambda actor: linking.link(
                edge.runtime, actor=actor, prospect_id=prospect_id, channel="mcp"
            ),
            hints={ConsentRequired: LINK_CONSENT, NotFound: PROSPECT_IDS},
        )

    @server.tool(title="Report a wrong network link", annotations=WRITE_IDEMPOTENT)
    async def report_collision(
        prospect_id: ProspectId,
        ctx: Context,
        dimension: Annotated[
            Literal["phone", "email", "name", "name_phone", "name_email"] | None,
            Field(description="What wrongly matched; omitted, the strongest matched one."),
        ] = None,
    ) -> CollisionOut:
        """Say "this is not the same person" for your prospect's link: down-weights the matched
        dimension; three distinct providers reporting it split the subject key."""
        return await call(
            ctx,
            lambda g: service.report_collision(
                g, CollisionIn(prospect_id=prospect_id, dimension=dimension)
            ),
            hints={NotFound: "only a linked prospect can be reported: see graph_link_prospect"},
        )

    @server.tool(title="Correct a contributed outcome", annotations=WRITE)
    async def correct_outcome(
        prospect_id: ProspectId,
        outcome: OutcomeArg,
        ctx: Context,
    ) -> ContributionOut:
        """Correct a mislabelled outcome you contributed (e.g. rescheduled, not no-show): a new
        version supersedes your previous contribution for that prospect."""
        return await call(
            ctx,
            lambda g: service.correct_outcome(
                g,
                MislabelIn(prospect_id=prospect_id, outcome=outcome),
            ),
            hints={ConsentRequired: CONTRIBUTE_CONSENT, NotFound: PROSPECT_IDS},
        )

    @server.tool(title="Read your network audit trail", annotations=READ)
    async def list_graph_audit(
        ctx: Context,
        limit: Annotated[
            StrictInt,
            Field(ge=1, le=MAX_ENTRIES, description=f"At most this many (1-{MAX_ENTRIES})."),
        ] = 50,
    ) -> list[AuditEntry]:
        """Audit entries that concern you, newest first: your own graph queries, and queries
        your contributions answered (who asked is never shown)."""
        return await edge.read_graph(ctx, lambda g: service.list_audit(g, limit=limit))

    @server.tool(title="Check whether a peer booked this person", annotations=AUDITED_READ)
    async def graph_reachability(prospect_id: ProspectId, ctx: Context) -> Reachability:
        """Is there a consented peer with a positive outcome with this prospect's person?
        Yes/no and how many; never who. Needs query consent. Audited. When reachable, the
        next step (only if the provider wants it) is ask_for_intro with this prospect_id: it
        asks those peers for a warm intro without revealing who they are."""
        return await call(
            ctx,
            lambda g: service.reachability(g, prospect_id),
            hints={ConsentRequired: QUERY_CONSENT, NotFound: PROSPECT_IDS},
        )

    @server.tool(title="Network metrics", annotations=READ)
    async def graph_metrics(
        ctx: Context,
        weeks: Annotated[
            StrictInt, Field(ge=1, le=26, description="How many recent weeks (1-26).")
        ] = 4,
    ) -> GraphMetrics:
        """Contribution rate per week and network state per category/region (counts only)."""
        return await edge.read_graph(ctx, lambda g: service.metrics(g, weeks=weeks))
