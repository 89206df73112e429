"""MCP tools for the provider coop (docs/coop.md): vetting, the listing, network states, warm
intros, hand-offs, the prospect's share consent, what waits for you, your coop audit and stats.
Thin wrappers over coop's services and `workflows.coop`.

`propose_intro`, `offer_handoff` and `fulfil_intro_ask` are the "request consent" step: they
store the intro or hand-off and send the consent request to the prospect (a real person), so
they are annotated as sending. Taking a referral (`accept_intro`, `accept_offer`) gives the
provider a new prospect of their own, qualified, with a drafted first message that is not sent.

Intro asks (docs/coop.md, "Intro asks"): when graph_reachability says a consented peer had a
positive outcome with a prospect, `ask_for_intro` asks the vetted peers behind it for a warm
intro. The asker learns a count and a state (`my_intro_asks`), never who was asked; the peer
sees the ask (`list_intro_asks`, `list_waiting`) and fulfils it (a warm intro to the asker,
the prospect's consent first) or declines it.

Every id is the acting provider's own or one a list tool showed them; another provider's id
answers exactly like a missing one (the services raise the same NotFound for both).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from pydantic import BaseModel, ConfigDict, Field, Strict
from sqlalchemy import select
from sqlalchemy.orm import Session

from prospecting.coop import asks, audit, handoffs, intros, listing, network, stats, vetting
from prospecting.coop import service as coop
from prospecting.coop.models import (
    HandoffOffer,
    IntroAskStatus,
    IntroStatus,
    ShareConsent,
    ShareStatus,
)
from prospecting.coop.schemas import (
    EndorseIn,
    EndorsementBasis,
    FeatureState,
    HandoffReason,
    KnownFor,
    LanguageCode,
    ListingIn,
    ListingOut,
    Outcome,
    ShareField,
    Slug,
    Vouch,
)
from prospecting.db import utcnow
from prospecting.edges.mcp.annotations import DESTRUCTIVE, READ, SEND, WRITE, WRITE_IDEMPOTENT
from prospecting.edges.mcp.args import MAX_ID, ProspectId
from prospecting.edges.mcp.edge import Hints, McpEdge, drop_none
from prospecting.errors import (
    ConsentPending,
    ConsentRequired,
    DomainError,
    FeatureUnavailable,
    NotFound,
    NotVetted,
    PermissionDenied,
)
from prospecting.fields import AS_LINE, StrictInt
from prospecting.identity.models import Person
from prospecting.runtime import Runtime
from prospecting.workflows import coop as flows

# ---- ids and arguments --------------------------------------------------------------------


PeerId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_ID,
        description="A peer provider's id: they read it as person_id in their own "
        "get_listing and give it to you; intros you received name it as sender_id.",
    ),
    AS_LINE,
]
IntroId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_ID,
        description="An intro's id, as list_intros, list_waiting or propose_intro give it.",
    ),
    AS_LINE,
]
OfferId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_ID,
        description="A hand-off offer's id (its id, not handoff_id), as list_offers or "
        "list_waiting give it.",
    ),
    AS_LINE,
]
HandoffId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_ID,
        description="A hand-off's id: yours from list_handoffs or offer_handoff; one you won "
        "from accept_offer's answer (ref_id).",
    ),
    AS_LINE,
]
EndorsementId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_ID,
        description="An endorsement you gave, as vetting_status (given) or endorse_peer give it.",
    ),
    AS_LINE,
]
ConsentId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_ID,
        description="A share consent's id: consent_id in the answer of propose_intro, "
        "offer_handoff, list_intros or list_handoffs.",
    ),
    AS_LINE,
]
AskId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_ID,
        description="An intro ask sent to you: its id, as list_intro_asks or list_waiting "
        "(intro_asks) give it.",
    ),
    AS_LINE,
]
OrgId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_ID,
        description="The id of the Org you administer (an active org_admin membership).",
    ),
    AS_LINE,
]
MemberId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_ID,
        description="The id of the Org member you verify (a provider with an active membership).",
    ),
    AS_LINE,
]
Category = Annotated[
    Slug, Field(description="A service category label, lower case, e.g. therapy or coaching.")
]
Region = Annotated[
    Slug | None,
    Field(description="A region label, lower case, e.g. gb-lnd; omit for any region."),
]
Fields = Annotated[
    list[ShareField],
    Field(
        min_length=1,
        max_length=4,
        description="What the prospect is asked to let the peer receive: at least one of name, "
        "phone or email (vouch adds your vouch).",
    ),
]

Flag = Annotated[bool, Strict()]
"""true or false, never "yes", "true" or 1."""

NOT_FOUND_NEXT = {
    "intro": "intro ids come from list_intros or list_waiting (an intro reaches its receiver "
    "only once the prospect said yes)",
    "offer": "offer ids come from list_offers or list_waiting; an offer that expired or closed "
    "is gone",
    "handoff": "hand-off ids come from list_handoffs (yours) or accept_offer's answer (ref_id, "
    "one you won)",
    "endorsement": "endorsement ids come from vetting_status (given, not revoked)",
    "intro ask": "intro ask ids come from list_intro_asks or list_waiting (intro_asks): only "
    "asks sent to you; an ask you made is followed with my_intro_asks",
    "consent": "consent ids come from consent_id in the answers of propose_intro, "
    "offer_handoff, list_intros and list_handoffs",
    "peer": "name a vetted provider: ask the peer for their id (person_id in their get_listing)",
    "prospect": "prospect ids come from list_prospects, or from qualify_inbound's answer",
    "listing": "you have no coop listing yet: call publish_listing",
    "member": "verify an active member of your Org who is a provider",
}
VETTING = (
    "call vetting_status to see where you stand: you need your Org admin's verification "
    "(verify_member) or two endorsements from vetted peers (endorse_peer, called by them)"
)
NETWORK = "call network_state with this category and region: it says which state applies and why"
WAIT = "wait for the prospect's answer (list_waiting shows what is still awaiting them)"
ADMIN = "only an active org_admin of that Org verifies its members; do not retry"
QUERY_CONSENT = (
    "asking for an intro reads the network: call get_graph_consent; only if the provider "
    "agrees, call graph_consent with action query_on, then call ask_for_intro again"
)


def _not_found(exc: DomainError) -> str | None:
    return NOT_FOUND_NEXT.get(getattr(exc, "kind", ""))


HINTS: Hints = {
    NotVetted: VETTING,
    PermissionDenied: ADMIN,
    FeatureUnavailable: NETWORK,
    ConsentPending: WAIT,
    NotFound: _not_found,
}
ASK_HINTS: Hints = {**HINTS, ConsentRequired: QUERY_CONSENT}


class VouchArg(BaseModel):
    """Your structured vouch for the person: fixed fields only, no free text."""

    model_config = ConfigDict(extra="forbid")

    known_for: KnownFor = Field(description="How long you have known the person.")
    attended_reliably: Flag = Field(description="Came to booked sessions (few no-shows).")
    paid_on_time: Flag = Field(description="Paid on time.")
    respectful: Flag = Field(description="Was respectful to you and your staff.")
    would_see_again: Flag = Field(description="You would see them again.")

    def vouch(self) -> Vouch:
        return Vouch.model_validate(self.model_dump())


# ---- answers ------------------------------------------------------------------------------


class VerificationOut(BaseModel):
    id: str
    org_id: str
    person_id: str = Field(description="The member you verified.")
    created_at: datetime
    revoked_at: datetime | None


class NetworkState(BaseModel):
    """Which feature state applies in a category and region, and why."""

    category: str
    region: str | None
    intros: FeatureState = Field(description="Warm intros: available only in a dense network.")
    handoffs: FeatureState = Field(description="Hand-offs: available when a peer has capacity.")


class ReferralAccepted(BaseModel):
    """What taking a referral gave you: a new prospect of your own, qualified, and a drafted
    first message (not sent)."""

    origin: Literal["warm_intro", "handoff"]
    ref_id: str = Field(description="The intro or hand-off id (for record_*_outcome later).")
    prospect_id: str = Field(description="Your new prospect: get_prospect shows it.")
    qualification_id: str
    draft_id: str = Field(
        description="The drafted first message: show it with get_draft; approve_draft sends it "
        "once the provider agrees."
    )
    p_book: float = Field(description="Estimated probability that the person books.")
    intro: intros.IntroOut | None = None


class ConsentOut(BaseModel):
    """A share consent after the revocation you recorded."""

    id: str
    purpose: str
    status: ShareStatus
    fields: list[str]
    expires_at: datetime
    share_until: datetime | None
    decided_at: datetime | None


class Waiting(BaseModel):
    """Everything in the coop waiting for you or for a prospect of yours."""

    intros_to_decide: list[intros.IntroOut] = Field(
        description="Intros sent to you, consented by the person: accept_intro or decline_intro."
    )
    offers_to_decide: list[handoffs.OfferOut] = Field(
        description="Hand-off offers open to you: accept_offer or decline_offer (by id)."
    )
    intros_awaiting_prospect: list[intros.IntroOut] = Field(
        description="Intros you proposed whose prospect has not answered the consent request."
    )
    handoffs_awaiting_prospect: list[handoffs.HandoffOut] = Field(
        description="Hand-offs you offered whose prospect has not answered yet."
    )
    intro_asks: list[asks.HolderAskOut] = Field(
        description="Peers asking you for a warm intro to one of your own prospects (open "
        "asks): fulfil_intro_ask or decline_intro_ask (by id)."
    )


def _referral(got: flows.AcceptedReferral) -> ReferralAccepted:
    return ReferralAccepted(
        origin=got.origin,
        ref_id=got.ref_id,
        prospect_id=got.prospect_id,
        qualification_id=got.qualification_id,
        draft_id=got.draft_id,
        p_book=got.p_book,
        intro=got.intro,
    )


def _offer_handoff_id(runtime: Runtime, actor: Person, offer_id: str) -> str:
    """The hand-off of one of the actor's own offers (open or not, so a lost race is told as
    such by the service); anyone else's offer answers NotFound like a missing one."""
    with runtime.stores.tenant_read() as session:
        handoff_id = session.scalar(
            select(HandoffOffer.handoff_id).where(
                HandoffOffer.id == offer_id, HandoffOffer.candidate_id == actor.id
            )
        )
    if handoff_id is None:
        raise NotFound("offer")
    return handoff_id


def register(server: MCPServer, edge: McpEdge) -> None:
    runtime = edge.runtime

    # ---- vetting --------------------------------------------------------------------------

    @server.tool(title="Coop: where you stand in vetting", annotations=READ)
    async def vetting_status(ctx: Context) -> vetting.VettingStatus:
        """Whether you are vetted in the provider coop (needed to send or receive intros and
        hand-offs), by how many Orgs and vetted peers, how many endorsements you still need,
        and the endorsements you gave (ids for revoke_endorsement)."""
        return await edge.read(
            ctx, lambda session, actor: vetting.vetting_status(session=session, actor=actor)
        )

    @server.tool(title="Coop: endorse a peer provider", annotations=WRITE)
    async def endorse_peer(
        peer_id: PeerId,
        basis: Annotated[EndorsementBasis, Field(description="How you know their work.")],
        known_for: Annotated[KnownFor, Field(description="How long you have known them.")],
        ctx: Context,
    ) -> vetting.EndorsementOut:
        """Endorse a peer provider whose work you know (you must be vetted yourself). Two
        endorsements from vetted peers vet them. Structured only: no free text reaches them.
        Revoke it later with revoke_endorsement."""

        def work(session: Session, actor: Person) -> vetting.EndorsementOut:
            data = EndorseIn(peer_id=peer_id, basis=basis, known_for=known_for)
            return vetting.EndorsementOut.of(
                vetting.endorse(session=session, actor=actor, data=data)
            )

        return await edge.run(ctx, work, hints=HINTS)

    @server.tool(title="Coop: revoke an endorsement you gave", annotations=DESTRUCTIVE)
    async def revoke_endorsement(
        endorsement_id: EndorsementId, ctx: Context
    ) -> vetting.EndorsementOut:
        """Take back an endorsement you gave. A peer vetted only thanks to it is no longer
        vetted (and so may others who depended on them)."""
        return await edge.run(
            ctx,
            lambda session, actor: vetting.EndorsementOut.of(
                vetting.revoke_endorsement(
                    session=session, actor=actor, endorsement_id=endorsement_id
                )
            ),
            hints=HINTS,
        )

    @server.tool(
        title="Coop: verify a member of your Org (Org admin)", annotations=WRITE_IDEMPOTENT
    )
    async def verify_member(org_id: OrgId, person_id: MemberId, ctx: Context) -> VerificationOut:
        """As an active org_admin of the Org, verify one of its active members: a verified
        member is vetted in the provider coop. Verifying them again answers the current
        verification."""

        def work(session: Session, actor: Person) -> VerificationOut:
            row = vetting.verify_member(
                session=session, actor=actor, org_id=org_id, person_id=person_id
            )
            return VerificationOut(
                id=row.id,
                org_id=row.org_id,
                person_id=row.person_id,
                created_at=row.created_at,
                revoked_at=row.revoked_at,
            )

        return await edge.run(ctx, work, hints=HINTS)

    # ---- listing and network --------------------------------------------------------------

    @server.tool(title="Coop: publish your listing and capacity", annotations=WRITE_IDEMPOTENT)
    async def publish_listing(
        categories: Annotated[
            list[Slug],
            Field(
                min_length=1,
                max_length=10,
                description="Your service categories, lower-case labels such as therapy.",
            ),
        ],
        accepting: Annotated[Flag, Field(description="Accepting new clients now (your capacity).")],
        ctx: Context,
        region: Region = None,
        services: Annotated[
            list[Slug] | None,
            Field(max_length=30, description="Services you offer, lower-case labels."),
        ] = None,
        languages: Annotated[
            list[LanguageCode] | None,
            Field(
                min_length=1,
                max_length=10,
                description="Languages you work in (ISO 639 codes, lower case); default en.",
            ),
        ] = None,
        open_slots: Annotated[
            StrictInt | None,
            Field(ge=0, le=10_000, description="Open slots you have; 0 means full."),
        ] = None,
    ) -> ListingOut:
        """Create or replace your coop listing: the only things the network matches you on.
        Keep accepting and open_slots current: peers with capacity receive hand-off offers;
        set accepting=false when full (then offer_handoff with reason overflow works)."""

        def work(session: Session, actor: Person) -> ListingOut:
            data = ListingIn.model_validate(
                drop_none(
                    categories=categories,
                    region=region,
                    services=services,
                    languages=languages,
                    accepting=accepting,
                    open_slots=open_slots,
                )
            )
            return listing.publish(session=session, actor=actor, data=data)

        return await edge.run(ctx, work, hints=HINTS)

    @server.tool(title="Coop: read your listing", annotations=READ)
    async def get_listing(ctx: Context) -> ListingOut:
        """Your coop listing and whether you are vetted; person_id is your provider id, the
        one a peer needs to endorse you or to introduce a prospect to you."""
        return await edge.read(
            ctx,
            lambda session, actor: listing.get_listing(session=session, actor=actor),
            hints=HINTS,
        )

    @server.tool(title="Coop: network state for a category and region", annotations=READ)
    async def network_state(
        category: Category, ctx: Context, region: Region = None
    ) -> NetworkState:
        """Whether warm intros and hand-offs are available to you in a category and region,
        the state that applies (intros: dense or empty/sparse/growing; hand-offs: open,
        saturated or empty) and why. Call it before propose_intro or offer_handoff."""

        def work(session: Session, actor: Person) -> NetworkState:
            def state(feature: Literal["intros", "handoffs"]) -> FeatureState:
                return network.feature_state(
                    session=session,
                    settings=runtime.settings,
                    actor=actor,
                    feature=feature,
                    category=category,
                    region=region,
                )

            return NetworkState(
                category=category,
                region=region,
                intros=state("intros"),
                handoffs=state("handoffs"),
            )

        return await edge.read(ctx, work, hints=HINTS)

    # ---- warm intros ----------------------------------------------------------------------

    @server.tool(title="Coop: propose a warm intro (asks the prospect)", annotations=SEND)
    async def propose_intro(
        prospect_id: ProspectId,
        receiver_id: PeerId,
        vouch: Annotated[VouchArg, Field(description="Your structured vouch for the person.")],
        fields: Fields,
        ctx: Context,
    ) -> intros.IntroOut:
        """Introduce one of your prospects to a named vetted peer. This sends the prospect a
        consent request (a message to a real person): confirm with the provider first. Nothing
        reaches the peer until the prospect says yes; then the peer accepts or declines. Follow
        it with list_intros or list_waiting; revoke_share_consent with the answer's consent_id
        if the prospect withdraws."""
        return await edge.run_workflow(
            ctx,
            lambda actor: flows.propose_intro(
                runtime,
                actor=actor,
                prospect_id=prospect_id,
                receiver_id=receiver_id,
                vouch=vouch.vouch(),
                fields=fields,
            ),
            hints=HINTS,
        )

    @server.tool(title="Coop: list your intros", annotations=READ)
    async def list_intros(
        ctx: Context,
        role: Annotated[
            Literal["sent", "received", "all"],
            Field(description="sent: you proposed them; received: sent to you; all: both."),
        ] = "all",
        status: Annotated[
            IntroStatus | None, Field(description="Only intros in this status; omit for all.")
        ] = None,
    ) -> list[intros.IntroOut]:
        """Your intros, newest first. Sent ones show the status and outcome; received ones
        (only once the prospect said yes) show the sender, the vouch and the consented fields:
        decide an awaiting_peer one with accept_intro or decline_intro."""
        return await edge.run(
            ctx,
            lambda session, actor: intros.list_for(
                session=session, actor=actor, role=role, status=status
            ),
            hints=HINTS,
        )

    @server.tool(title="Coop: accept a warm intro", annotations=WRITE)
    async def accept_intro(intro_id: IntroId, ctx: Context) -> ReferralAccepted:
        """Take an intro sent to you (status awaiting_peer): you get a new prospect with the
        consented fields, qualified with the vouch, and a drafted first message (not sent:
        review it with get_draft). Report later with record_intro_outcome."""
        got = await edge.run_workflow(
            ctx,
            lambda actor: flows.accept_intro(runtime, actor=actor, intro_id=intro_id),
            hints=HINTS,
        )
        return _referral(got)

    @server.tool(title="Coop: decline a warm intro", annotations=DESTRUCTIVE)
    async def decline_intro(intro_id: IntroId, ctx: Context) -> intros.IntroOut:
        """Say no to an intro sent to you; the sender is told (status only). Final."""
        return await edge.run(
            ctx,
            lambda session, actor: intros.decline(
                session=session, actor=actor, intro_id=intro_id, now=utcnow()
            ),
            hints=HINTS,
        )

    @server.tool(title="Coop: withdraw an intro you proposed", annotations=DESTRUCTIVE)
    async def withdraw_intro(intro_id: IntroId, ctx: Context) -> intros.IntroOut:
        """Take back an open intro you proposed, before the peer accepted it. Final."""
        return await edge.run(
            ctx,
            lambda session, actor: intros.withdraw(
                session=session, actor=actor, intro_id=intro_id, now=utcnow()
            ),
            hints=HINTS,
        )

    @server.tool(title="Coop: report what came of an intro", annotations=WRITE)
    async def record_intro_outcome(
        intro_id: IntroId,
        outcome: Annotated[
            Outcome, Field(description="booked, not_booked or no_answer; nothing else is shared.")
        ],
        ctx: Context,
    ) -> intros.IntroOut:
        """As the receiver of an accepted intro, report its outcome; the sender sees only this
        value. A later report replaces it."""
        return await edge.run(
            ctx,
            lambda session, actor: intros.record_outcome(
                session=session, actor=actor, intro_id=intro_id, outcome=outcome
            ),
            hints=HINTS,
        )

    # ---- intro asks: reachability as the cue ----------------------------------------------

    @server.tool(title="Coop: ask the network's peers for a warm intro", annotations=WRITE)
    async def ask_for_intro(prospect_id: ProspectId, ctx: Context) -> asks.AskOut:
        """When graph_reachability says a consented peer had a positive outcome with this
        prospect, ask the vetted peers behind it to introduce the person to you. Nothing is
        sent to the prospect; the peers see your name and category and decide. The answer is
        a count and a state (asked, already_asked, no_peers, not_reachable,
        insufficient_contributors, subject_opted_out, degraded) with its reason, never who the
        peers are: you learn that only when one proposes the intro and the person agrees
        (it then arrives in list_waiting as an intro to decide). Follow it with my_intro_asks.
        Needs query consent; audited like a graph query. Asking again never repeats an ask."""
        return await edge.run_workflow(
            ctx,
            lambda actor: flows.ask_intro(
                runtime, actor=actor, prospect_id=prospect_id, channel="mcp"
            ),
            hints=ASK_HINTS,
        )

    @server.tool(title="Coop: how your intro asks stand", annotations=READ)
    async def my_intro_asks(
        ctx: Context,
        prospect_id: Annotated[
            str | None,
            Field(
                default=None,
                min_length=1,
                max_length=MAX_ID,
                description="Only the asks for this prospect of yours (list_prospects); omit "
                "for all.",
            ),
            AS_LINE,
        ] = None,
    ) -> asks.AskStatusOut:
        """The asks you made with ask_for_intro, as counts by status (open, fulfilled,
        declined, expired, closed) only: who was asked is never shown. A fulfilled ask becomes
        an intro in list_waiting once the person agrees."""
        return await edge.run(
            ctx,
            lambda session, actor: asks.status_for_asker(
                session=session, actor=actor, prospect_id=prospect_id
            ),
            hints=HINTS,
        )

    @server.tool(title="Coop: list intro asks sent to you", annotations=READ)
    async def list_intro_asks(
        ctx: Context,
        status: Annotated[
            IntroAskStatus | None,
            Field(description="Only asks in this status (default open); null for all."),
        ] = IntroAskStatus.OPEN,
    ) -> list[asks.HolderAskOut]:
        """Peers asking you to introduce one of your own prospects (prospect_id is yours; the
        asker's name and category are shown), newest first. Answer an open one before
        expires_at with fulfil_intro_ask (confirm with the provider first) or
        decline_intro_ask."""
        return await edge.run(
            ctx,
            lambda session, actor: asks.list_for_holder(
                session=session, actor=actor, status=status
            ),
            hints=HINTS,
        )

    @server.tool(title="Coop: read one intro ask sent to you", annotations=READ)
    async def get_intro_ask(ask_id: AskId, ctx: Context) -> asks.HolderAskOut:
        """One ask sent to you: your prospect, who asks, its status and, once fulfilled, the
        intro it proposed (intro_id)."""
        return await edge.read(
            ctx,
            lambda session, actor: asks.get_for_holder(session=session, actor=actor, ask_id=ask_id),
            hints=HINTS,
        )

    @server.tool(title="Coop: fulfil an intro ask (asks the prospect)", annotations=SEND)
    async def fulfil_intro_ask(
        ask_id: AskId,
        vouch: Annotated[VouchArg, Field(description="Your structured vouch for the person.")],
        fields: Fields,
        ctx: Context,
    ) -> asks.FulfilledAsk:
        """Agree to an open ask: propose the warm intro of your prospect to the peer who
        asked. This sends your prospect a consent request (a message to a real person):
        confirm with the provider first. Nothing reaches the peer until the prospect says yes;
        then the peer accepts or declines, as for propose_intro. Follow it with list_intros;
        revoke_share_consent with intro.consent_id if the prospect withdraws."""
        return await edge.run_workflow(
            ctx,
            lambda actor: flows.fulfil_intro_ask(
                runtime, actor=actor, ask_id=ask_id, vouch=vouch.vouch(), fields=fields
            ),
            hints=HINTS,
        )

    @server.tool(title="Coop: decline an intro ask", annotations=DESTRUCTIVE)
    async def decline_intro_ask(ask_id: AskId, ctx: Context) -> asks.HolderAskOut:
        """Say no to an open ask; the asker only sees one fewer open ask, never who declined.
        Final."""
        return await edge.run(
            ctx,
            lambda session, actor: asks.decline(session=session, actor=actor, ask_id=ask_id),
            hints=HINTS,
        )

    # ---- hand-offs ------------------------------------------------------------------------

    @server.tool(title="Coop: offer a prospect to peers (asks the prospect)", annotations=SEND)
    async def offer_handoff(
        prospect_id: ProspectId,
        reason: Annotated[
            HandoffReason,
            Field(
                description="overflow: you are full (your listing says accepting=false); "
                "wrong_fit: another provider suits them better."
            ),
        ],
        category: Category,
        fields: Fields,
        ctx: Context,
        region: Region = None,
        service: Annotated[
            Slug | None, Field(description="The service the person needs, if known.")
        ] = None,
        language: Annotated[
            LanguageCode | None, Field(description="The person's language (ISO 639), if known.")
        ] = None,
        vouch: Annotated[
            VouchArg | None, Field(description="Your structured vouch, optional.")
        ] = None,
    ) -> handoffs.HandoffOut:
        """Hand a prospect to a matching vetted peer with capacity. This sends the prospect a
        consent request (a message to a real person): confirm with the provider first. After
        their yes, offers go to the best-fitting peer one at a time; the first to accept gets
        the person. Follow it with list_handoffs."""
        return await edge.run_workflow(
            ctx,
            lambda actor: flows.offer_handoff(
                runtime,
                actor=actor,
                prospect_id=prospect_id,
                reason=reason,
                category=category,
                region=region,
                service=service,
                language=language,
                vouch=vouch.vouch() if vouch is not None else None,
                fields=fields,
            ),
            hints=HINTS,
        )

    @server.tool(title="Coop: list hand-off offers open to you", annotations=READ)
    async def list_offers(ctx: Context) -> list[handoffs.OfferOut]:
        """Hand-off offers waiting for your answer, newest first: the structured facts only
        (reason, category, service, language, vouch, which fields would be shared). Answer each
        with accept_offer or decline_offer, passing its id, before expires_at."""
        return await edge.read(
            ctx,
            lambda session, actor: handoffs.list_offers(session=session, actor=actor),
            hints=HINTS,
        )

    @server.tool(title="Coop: accept a hand-off offer", annotations=WRITE)
    async def accept_offer(offer_id: OfferId, ctx: Context) -> ReferralAccepted:
        """Take a hand-off offered to you: the first peer to accept wins and gets a new
        prospect with the consented fields, qualified, and a drafted first message (not sent:
        review it with get_draft). If another peer was first you are told so. Report later with
        record_handoff_outcome (ref_id is the hand-off id)."""

        def work(actor: Person) -> flows.AcceptedReferral:
            handoff_id = _offer_handoff_id(runtime, actor, offer_id)
            try:
                return flows.accept_handoff(
                    runtime, actor=actor, handoff_id=handoff_id, offer_id=offer_id
                )
            except NotFound as exc:
                if exc.kind == "handoff":  # the offer closed or expired: it is gone
                    raise NotFound("offer") from None
                raise

        return _referral(await edge.run_workflow(ctx, work, hints=HINTS))

    @server.tool(title="Coop: decline a hand-off offer", annotations=DESTRUCTIVE)
    async def decline_offer(offer_id: OfferId, ctx: Context) -> handoffs.OfferOut:
        """Say no to a hand-off offer; it goes on to the next peer. Final."""
        return await edge.run(
            ctx,
            lambda session, actor: handoffs.decline_offer(
                session=session,
                actor=actor,
                offer_id=offer_id,
                now=utcnow(),
                settings=runtime.settings,
            ),
            hints=HINTS,
        )

    @server.tool(title="Coop: list the hand-offs you offered", annotations=READ)
    async def list_handoffs(ctx: Context) -> list[handoffs.HandoffOut]:
        """The hand-offs you offered, newest first: status, offers made, the winner once
        accepted and the outcome they reported. One you won is in accept_offer's answer."""
        return await edge.read(
            ctx,
            lambda session, actor: handoffs.list_sent(session=session, actor=actor),
            hints=HINTS,
        )

    @server.tool(title="Coop: withdraw a hand-off you offered", annotations=DESTRUCTIVE)
    async def withdraw_handoff(handoff_id: HandoffId, ctx: Context) -> handoffs.HandoffOut:
        """Take back an open hand-off you offered, before a peer accepted it. Final."""
        return await edge.run(
            ctx,
            lambda session, actor: handoffs.withdraw(
                session=session, actor=actor, handoff_id=handoff_id, now=utcnow()
            ),
            hints=HINTS,
        )

    @server.tool(title="Coop: report what came of a hand-off", annotations=WRITE)
    async def record_handoff_outcome(
        handoff_id: HandoffId,
        outcome: Annotated[
            Outcome, Field(description="booked, not_booked or no_answer; nothing else is shared.")
        ],
        ctx: Context,
    ) -> handoffs.HandoffOut:
        """As the peer who won a hand-off, report its outcome; the sender sees only this
        value. A later report replaces it."""
        return await edge.run(
            ctx,
            lambda session, actor: handoffs.record_outcome(
                session=session, actor=actor, handoff_id=handoff_id, outcome=outcome
            ),
            hints=HINTS,
        )

    # ---- consent, waiting, audit, stats ---------------------------------------------------

    @server.tool(title="Coop: record a prospect's withdrawal of consent", annotations=DESTRUCTIVE)
    async def revoke_share_consent(consent_id: ConsentId, ctx: Context) -> ConsentOut:
        """Only when your prospect asked to withdraw: revoke their consent to a share before
        it completed. The intro or hand-off on it stops; nothing more is shared. Final."""

        def work(session: Session, actor: Person) -> ConsentOut:
            row: ShareConsent = coop.revoke_consent(
                session=session, actor=actor, consent_id=consent_id, now=utcnow()
            )
            return ConsentOut(
                id=row.id,
                purpose=row.purpose,
                status=row.status,
                fields=list(row.fields),
                expires_at=row.expires_at,
                share_until=row.share_until,
                decided_at=row.decided_at,
            )

        return await edge.run(ctx, work, hints=HINTS)

    @server.tool(title="Coop: what is waiting", annotations=READ)
    async def list_waiting(ctx: Context) -> Waiting:
        """One answer for the coop inbox: intros sent to you awaiting your decision, hand-off
        offers open to you, peers' open intro asks to you (intro_asks), and the intros and
        hand-offs you started whose prospect has not answered the consent request yet."""

        def work(session: Session, actor: Person) -> Waiting:
            found = coop.waiting(session=session, actor=actor)
            return Waiting(
                intros_to_decide=found.intros_to_answer,
                offers_to_decide=found.offers,
                intros_awaiting_prospect=found.intros_awaiting_prospect,
                handoffs_awaiting_prospect=found.handoffs_awaiting_prospect,
                intro_asks=found.intro_asks,
            )

        return await edge.run(ctx, work, hints=HINTS)

    @server.tool(title="Coop: your audit", annotations=READ)
    async def coop_audit(
        ctx: Context,
        object_id: Annotated[
            str | None,
            Field(
                default=None,
                max_length=MAX_ID,
                description="Only entries about this intro, hand-off, consent or endorsement.",
            ),
            AS_LINE,
        ] = None,
        limit: Annotated[
            StrictInt, Field(ge=1, le=500, description="At most this many entries (1-500).")
        ] = 100,
    ) -> list[audit.AuditEntryOut]:
        """Your own coop audit, newest first: every step taken on your intros, hand-offs,
        consents, endorsements and listing, by you, a peer, the prospect or the system."""

        def work(session: Session, actor: Person) -> list[audit.AuditEntryOut]:
            rows = audit.entries(session=session, actor=actor, limit=limit, object_id=object_id)
            return [audit.AuditEntryOut.model_validate(e) for e in rows]

        return await edge.read(ctx, work, hints=HINTS)

    @server.tool(title="Coop: your figures", annotations=READ)
    async def coop_stats(ctx: Context) -> stats.ProviderStats:
        """Your coop figures: intros sent, received, accepted and booked; hand-offs sent,
        received and booked; offers declined or timed out. Counts only."""
        return await edge.read(
            ctx, lambda session, actor: stats.my_stats(session=session, actor=actor)
        )
