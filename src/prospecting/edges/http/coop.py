"""HTTP routes under /coop: thin adapters over the provider coop (docs/coop.md).

The acting Person is always the bearer token's. Every id in a path is resolved by the coop's
services for that Person, so another provider's endorsement, verification, intro, hand-off,
offer or consent answers exactly like a missing one (the same 404 and the same body). Steps
that cross capabilities or deliver a notice (proposing an intro or a hand-off, accepting one)
go through `workflows.coop`, which owns its transactions.

Reads that apply the lazy expiry of intros (`GET /coop/intros`, `GET /coop/waiting`) take a
write transaction: an intro past its time is closed (and audited) before it is listed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, ConfigDict, Field

from prospecting.coop import asks, audit, handoffs, intros, listing, network, stats, vetting
from prospecting.coop import service as coop
from prospecting.coop.models import (
    IntroAskStatus,
    IntroStatus,
    ShareConsent,
    ShareStatus,
    Verification,
)
from prospecting.coop.schemas import (
    EndorseIn,
    FeatureState,
    HandoffReason,
    LanguageCode,
    ListingIn,
    ListingOut,
    Outcome,
    ShareField,
    Slug,
    Vouch,
)
from prospecting.db import utcnow
from prospecting.edges.http.deps import (
    Actor,
    CurrentPerson,
    PathId,
    ReadPerson,
    TenantReadSession,
    TenantSession,
    get_runtime,
    query_line,
)
from prospecting.edges.http.responses import errors
from prospecting.errors import NotFound
from prospecting.fields import AS_LINE
from prospecting.identity.service import require_org_admin
from prospecting.runtime import Runtime
from prospecting.workflows import coop as flows
from prospecting.workflows.coop import AcceptedReferral

router = APIRouter(prefix="/coop", tags=["coop"])
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]

RefId = Annotated[str, Field(min_length=1, max_length=64), AS_LINE]
"""An id in a body (a prospect, a peer, an Org member)."""
SLUG_PATTERN = r"^[a-z0-9][a-z0-9_\-]*$"

READ = errors(401, 422, 503)
READ_ONE = errors(401, 404, 422, 503)
ACT_ON = errors(401, 403, 404, 409, 422, 503)
"""A POST without a body on an id in the path."""
WRITE = errors(400, 401, 403, 404, 409, 413, 422, 503)
"""A POST or PUT with a JSON body."""


# --- bodies and answers that are not coop schemas ---------------------------------------


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VerifyIn(_In):
    person_id: RefId = Field(description="The active member of your Org you verify.")


class IntroIn(_In):
    prospect_id: RefId = Field(description="Your prospect to introduce.")
    receiver_id: RefId = Field(description="The vetted peer you introduce them to.")
    vouch: Vouch
    fields: list[ShareField] = Field(
        min_length=1,
        max_length=4,
        description="What the prospect is asked to share (the vouch always goes with it).",
    )


class HandoffIn(_In):
    prospect_id: RefId = Field(description="Your prospect to hand off.")
    reason: HandoffReason
    category: Slug
    region: Slug | None = None
    service: Slug | None = None
    language: LanguageCode | None = None
    vouch: Vouch | None = None
    fields: list[ShareField] = Field(min_length=1, max_length=4)


class AskIn(_In):
    prospect_id: RefId = Field(
        description="Your prospect whose graph answer says reachable (a consented peer has a "
        "positive outcome with this person)."
    )


class FulfilIn(_In):
    vouch: Vouch
    fields: list[ShareField] = Field(
        min_length=1,
        max_length=4,
        description="What the prospect is asked to share (the vouch always goes with it).",
    )


class CoopOutcomeIn(_In):
    outcome: Outcome = Field(description="What came of the referral: nothing else is told.")


class VerificationOut(BaseModel):
    id: str
    org_id: str
    person_id: str
    verified_by: str | None
    created_at: datetime
    revoked_at: datetime | None


class CoopConsentOut(BaseModel):
    """A share consent as its provider sees it (no token, no contact detail)."""

    id: str
    prospect_id: str
    purpose: Literal["intro", "handoff"]
    status: ShareStatus
    fields: list[ShareField]
    expires_at: datetime
    share_until: datetime | None
    decided_at: datetime | None
    decided_via: str | None


class NetworkOut(BaseModel):
    """Which network state applies to each coop feature in a category and region, and why."""

    category: str
    region: str | None
    intros: FeatureState
    handoffs: FeatureState


class ReferralOut(BaseModel):
    """What the receiver got: their new prospect, its qualification and its first draft."""

    origin: Literal["warm_intro", "handoff"]
    ref_id: str = Field(description="The intro or hand-off id.")
    prospect_id: str
    qualification_id: str
    draft_id: str
    p_book: float
    intro: intros.IntroOut | None = None


def _verification(row: Verification) -> VerificationOut:
    return VerificationOut(
        id=row.id,
        org_id=row.org_id,
        person_id=row.person_id,
        verified_by=row.verified_by,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def _consent(row: ShareConsent) -> CoopConsentOut:
    return CoopConsentOut(
        id=row.id,
        prospect_id=row.prospect_id,
        purpose=row.purpose,  # type: ignore[arg-type]
        status=row.status,
        fields=list(row.fields),  # type: ignore[arg-type]
        expires_at=row.expires_at,
        share_until=row.share_until,
        decided_at=row.decided_at,
        decided_via=row.decided_via,
    )


def _referral(done: AcceptedReferral) -> ReferralOut:
    return ReferralOut(
        origin=done.origin,
        ref_id=done.ref_id,
        prospect_id=done.prospect_id,
        qualification_id=done.qualification_id,
        draft_id=done.draft_id,
        p_book=done.p_book,
        intro=done.intro,
    )


# --- vetting --------------------------------------------------------------------------------


@router.get("/vetting", response_model=vetting.VettingStatus, responses=errors(401, 503))
def my_vetting(actor: ReadPerson, session: TenantReadSession) -> vetting.VettingStatus:
    """Whether you are vetted, by how many Orgs and endorsements, and what you endorsed."""
    return vetting.vetting_status(session=session, actor=actor)


@router.post(
    "/endorsements",
    response_model=vetting.EndorsementOut,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE,
)
def endorse(
    data: EndorseIn, actor: CurrentPerson, session: TenantSession
) -> vetting.EndorsementOut:
    """Endorse a peer provider (you must be vetted): a basis and how long, no free text."""
    return vetting.EndorsementOut.of(vetting.endorse(session=session, actor=actor, data=data))


@router.post(
    "/endorsements/{endorsement_id}/revoke",
    response_model=vetting.EndorsementOut,
    responses=ACT_ON,
)
def revoke_endorsement(
    endorsement_id: PathId, actor: CurrentPerson, session: TenantSession
) -> vetting.EndorsementOut:
    row = vetting.revoke_endorsement(session=session, actor=actor, endorsement_id=endorsement_id)
    return vetting.EndorsementOut.of(row)


def _admin_org(org_id: PathId, actor: CurrentPerson, session: TenantSession) -> str:
    """Anyone but the Org's active admin sees the Org as missing (identity's one check)."""
    require_org_admin(session=session, actor=actor, org_id=org_id)
    return org_id


@router.post(
    "/orgs/{org_id}/verifications",
    response_model=VerificationOut,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE,
)
def verify_member(
    org_id: Annotated[str, Depends(_admin_org)],
    data: VerifyIn,
    actor: CurrentPerson,
    session: TenantSession,
) -> VerificationOut:
    """As the Org's admin, verify one of its active members (they become vetted)."""
    row = vetting.verify_member(
        session=session, actor=actor, org_id=org_id, person_id=data.person_id
    )
    return _verification(row)


@router.post(
    "/verifications/{verification_id}/revoke", response_model=VerificationOut, responses=ACT_ON
)
def revoke_verification(
    verification_id: PathId, actor: CurrentPerson, session: TenantSession
) -> VerificationOut:
    row = vetting.revoke_verification(session=session, actor=actor, verification_id=verification_id)
    return _verification(row)


# --- listing and network --------------------------------------------------------------------


@router.put("/listing", response_model=ListingOut, responses=errors(400, 401, 413, 422, 503))
def publish_listing(data: ListingIn, actor: CurrentPerson, session: TenantSession) -> ListingOut:
    """Create or replace what the network may match you on, and your capacity."""
    return listing.publish(session=session, actor=actor, data=data)


@router.get("/listing", response_model=ListingOut, responses=errors(401, 404, 503))
def read_listing(actor: ReadPerson, session: TenantReadSession) -> ListingOut:
    return listing.get_listing(session=session, actor=actor)


@router.get("/network", response_model=NetworkOut, responses=READ)
def network_state(
    actor: ReadPerson,
    session: TenantReadSession,
    runtime: RuntimeDep,
    category: Annotated[str, Query(min_length=1, max_length=64, pattern=SLUG_PATTERN)],
    region: Annotated[str | None, Query(min_length=1, max_length=64, pattern=SLUG_PATTERN)] = None,
) -> NetworkOut:
    """Whether warm intros and hand-offs are available in a category and region, and why."""

    def state(feature: Literal["intros", "handoffs"]) -> FeatureState:
        return network.feature_state(
            session=session,
            settings=runtime.settings,
            actor=actor,
            feature=feature,
            category=category,
            region=region,
        )

    return NetworkOut(
        category=category, region=region, intros=state("intros"), handoffs=state("handoffs")
    )


# --- warm intros ----------------------------------------------------------------------------


@router.post(
    "/intros", response_model=intros.IntroOut, status_code=status.HTTP_201_CREATED, responses=WRITE
)
def propose_intro(data: IntroIn, actor: Actor, runtime: RuntimeDep) -> intros.IntroOut:
    """Introduce your prospect to a named vetted peer: the prospect is asked first (the
    consent request goes out once the intro is stored); the peer sees nothing before a yes."""
    return flows.propose_intro(
        runtime,
        actor=actor,
        prospect_id=data.prospect_id,
        receiver_id=data.receiver_id,
        vouch=data.vouch,
        fields=list(data.fields),
    )


@router.get("/intros", response_model=list[intros.IntroOut], responses=READ)
def list_intros(
    actor: CurrentPerson,
    session: TenantSession,
    role: Annotated[
        Literal["sent", "received", "all"],
        Query(description="sent, received (only once the prospect agreed) or all."),
    ] = "all",
    status_filter: Annotated[IntroStatus | None, Query(alias="status")] = None,
) -> list[intros.IntroOut]:
    return intros.list_for(session=session, actor=actor, role=role, status=status_filter)


@router.get("/intros/{intro_id}", response_model=intros.IntroOut, responses=READ_ONE)
def read_intro(intro_id: PathId, actor: ReadPerson, session: TenantReadSession) -> intros.IntroOut:
    return intros.get(session=session, actor=actor, intro_id=intro_id)


@router.post("/intros/{intro_id}/accept", response_model=ReferralOut, responses=ACT_ON)
def accept_intro(intro_id: PathId, actor: Actor, runtime: RuntimeDep) -> ReferralOut:
    """As the named peer, take the intro: a new prospect of yours (the consented fields only),
    qualified with the vouch, and a drafted first message."""
    return _referral(flows.accept_intro(runtime, actor=actor, intro_id=intro_id))


@router.post("/intros/{intro_id}/decline", response_model=intros.IntroOut, responses=ACT_ON)
def decline_intro(
    intro_id: PathId, actor: CurrentPerson, session: TenantSession
) -> intros.IntroOut:
    return intros.decline(session=session, actor=actor, intro_id=intro_id, now=utcnow())


@router.post("/intros/{intro_id}/withdraw", response_model=intros.IntroOut, responses=ACT_ON)
def withdraw_intro(
    intro_id: PathId, actor: CurrentPerson, session: TenantSession
) -> intros.IntroOut:
    return intros.withdraw(session=session, actor=actor, intro_id=intro_id, now=utcnow())


@router.post("/intros/{intro_id}/outcome", response_model=intros.IntroOut, responses=WRITE)
def intro_outcome(
    intro_id: PathId, data: CoopOutcomeIn, actor: CurrentPerson, session: TenantSession
) -> intros.IntroOut:
    """As the receiver of an accepted intro, tell the sender what came of it."""
    return intros.record_outcome(
        session=session, actor=actor, intro_id=intro_id, outcome=data.outcome
    )


# --- hand-offs ------------------------------------------------------------------------------


@router.post(
    "/handoffs",
    response_model=handoffs.HandoffOut,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE,
)
def offer_handoff(data: HandoffIn, actor: Actor, runtime: RuntimeDep) -> handoffs.HandoffOut:
    """Hand an overflow or wrong-fit prospect to the network: the prospect is asked first;
    offers go to matching vetted peers with capacity, one at a time, after a yes."""
    return flows.offer_handoff(
        runtime,
        actor=actor,
        prospect_id=data.prospect_id,
        reason=data.reason,
        category=data.category,
        region=data.region,
        service=data.service,
        language=data.language,
        vouch=data.vouch,
        fields=list(data.fields),
    )


@router.get("/handoffs", response_model=list[handoffs.HandoffOut], responses=errors(401, 503))
def list_handoffs(actor: ReadPerson, session: TenantReadSession) -> list[handoffs.HandoffOut]:
    """Your own hand-offs, newest first."""
    return handoffs.list_sent(session=session, actor=actor)


@router.get("/handoffs/{handoff_id}", response_model=handoffs.HandoffOut, responses=READ_ONE)
def read_handoff(
    handoff_id: PathId, actor: ReadPerson, session: TenantReadSession
) -> handoffs.HandoffOut:
    """A hand-off you sent or won."""
    return handoffs.get(session=session, actor=actor, handoff_id=handoff_id)


@router.post(
    "/handoffs/{handoff_id}/withdraw", response_model=handoffs.HandoffOut, responses=ACT_ON
)
def withdraw_handoff(
    handoff_id: PathId, actor: CurrentPerson, session: TenantSession
) -> handoffs.HandoffOut:
    return handoffs.withdraw(session=session, actor=actor, handoff_id=handoff_id, now=utcnow())


@router.post("/handoffs/{handoff_id}/outcome", response_model=handoffs.HandoffOut, responses=WRITE)
def handoff_outcome(
    handoff_id: PathId, data: CoopOutcomeIn, actor: CurrentPerson, session: TenantSession
) -> handoffs.HandoffOut:
    """As the winner of a hand-off, tell the sender what came of it."""
    return handoffs.record_outcome(
        session=session, actor=actor, handoff_id=handoff_id, outcome=data.outcome
    )


@router.get("/offers", response_model=list[handoffs.OfferOut], responses=errors(401, 503))
def list_offers(actor: ReadPerson, session: TenantReadSession) -> list[handoffs.OfferOut]:
    """Open hand-off offers for you: structured facts only, no sender, no person."""
    return handoffs.list_offers(session=session, actor=actor)


@router.post("/offers/{handoff_id}/accept", response_model=ReferralOut, responses=ACT_ON)
def accept_offer(handoff_id: PathId, actor: Actor, runtime: RuntimeDep) -> ReferralOut:
    """Take the hand-off your open offer is for; the first acceptance wins, a later one is a
    409 (another peer took it)."""
    return _referral(flows.accept_handoff(runtime, actor=actor, handoff_id=handoff_id))


@router.post("/offers/{handoff_id}/decline", response_model=handoffs.OfferOut, responses=ACT_ON)
def decline_offer(
    handoff_id: PathId, actor: CurrentPerson, session: TenantSession, runtime: RuntimeDep
) -> handoffs.OfferOut:
    """Say no to your open offer on this hand-off; the next peer is offered it."""
    now = utcnow()
    mine = [
        o
        for o in handoffs.list_offers(session=session, actor=actor, now=now)
        if o.handoff_id == handoff_id
    ]
    if not mine:
        raise NotFound("handoff")
    return handoffs.decline_offer(
        session=session, actor=actor, offer_id=mine[0].id, now=now, settings=runtime.settings
    )


# --- intro asks: reachability as the cue to ask for an intro ---------------------------------


@router.post("/asks", response_model=asks.AskOut, responses=WRITE)
def ask_for_intro(data: AskIn, actor: Actor, runtime: RuntimeDep) -> asks.AskOut:
    """Ask the consented, vetted peers who have a positive outcome with your prospect for a warm
    intro. You get a count and a state, never who they are: you learn that only when one of
    them proposes the intro and the prospect agrees."""
    return flows.ask_intro(runtime, actor=actor, prospect_id=data.prospect_id, channel="http")


@router.get("/asks", response_model=asks.AskStatusOut, responses=READ_ONE)
def my_asks(
    actor: ReadPerson,
    session: TenantReadSession,
    prospect_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
) -> asks.AskStatusOut:
    """Your asks, as counts by status (optionally for one of your prospects)."""
    return asks.status_for_asker(session=session, actor=actor, prospect_id=prospect_id)


@router.get("/asks/received", response_model=list[asks.HolderAskOut], responses=READ)
def received_asks(
    actor: ReadPerson,
    session: TenantReadSession,
    status_: Annotated[IntroAskStatus | None, Query(alias="status")] = IntroAskStatus.OPEN,
) -> list[asks.HolderAskOut]:
    """Peers asking you for an intro to one of your own prospects."""
    return asks.list_for_holder(session=session, actor=actor, status=status_)


@router.get("/asks/received/{ask_id}", response_model=asks.HolderAskOut, responses=READ_ONE)
def read_received_ask(
    ask_id: PathId, actor: ReadPerson, session: TenantReadSession
) -> asks.HolderAskOut:
    return asks.get_for_holder(session=session, actor=actor, ask_id=ask_id)


@router.post("/asks/received/{ask_id}/fulfil", response_model=asks.FulfilledAsk, responses=WRITE)
def fulfil_ask(
    ask_id: PathId, data: FulfilIn, actor: Actor, runtime: RuntimeDep
) -> asks.FulfilledAsk:
    """Agree: propose the warm intro to the asker (your prospect is asked first, as always)."""
    return flows.fulfil_intro_ask(
        runtime, actor=actor, ask_id=ask_id, vouch=data.vouch, fields=list(data.fields)
    )


@router.post("/asks/received/{ask_id}/decline", response_model=asks.HolderAskOut, responses=ACT_ON)
def decline_ask(ask_id: PathId, actor: CurrentPerson, session: TenantSession) -> asks.HolderAskOut:
    """Decline: the asker only sees one fewer open ask, never who declined."""
    return asks.decline(session=session, actor=actor, ask_id=ask_id)


# --- consent, what waits, audit, stats ------------------------------------------------------


@router.post("/consents/{consent_id}/revoke", response_model=CoopConsentOut, responses=ACT_ON)
def revoke_consent(
    consent_id: PathId, actor: CurrentPerson, session: TenantSession
) -> CoopConsentOut:
    """Record your prospect's revocation of a share they agreed to (or were asked for): the
    intro or hand-off stops before anything is shared."""
    revoked = coop.revoke_consent(session=session, actor=actor, consent_id=consent_id, now=utcnow())
    return _consent(revoked)


@router.get("/waiting", response_model=coop.Waiting, responses=errors(401, 503))
def waiting(actor: CurrentPerson, session: TenantSession) -> coop.Waiting:
    """In one answer: intros awaiting your acceptance, open offers and intro asks for you, and
    your intros and hand-offs still awaiting the prospect or a peer."""
    return coop.waiting(session=session, actor=actor)


@router.get("/audit", response_model=list[audit.AuditEntryOut], responses=READ)
def my_audit(
    actor: ReadPerson,
    session: TenantReadSession,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
    object_id: Annotated[str | None, query_line()] = None,
) -> list[audit.AuditEntryOut]:
    """Your own coop audit, newest first: every step that concerned you, from either side."""
    rows = audit.entries(session=session, actor=actor, limit=limit, object_id=object_id)
    return [audit.AuditEntryOut.model_validate(row) for row in rows]


@router.get("/stats", response_model=stats.ProviderStats, responses=errors(401, 503))
def my_stats(actor: ReadPerson, session: TenantReadSession) -> stats.ProviderStats:
    return stats.my_stats(session=session, actor=actor)
