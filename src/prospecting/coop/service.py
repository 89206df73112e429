"""The coop's façade for the edges: a consent decision goes on to the flow it belongs to, and
what waits for a provider (`waiting`), in one place for every adapter.

The edges call these, never `consent` directly for a decision, so an answer on the page, a
YES/NO reply or a revocation moves the intro or hand-off on in the same transaction.
`sweep` applies every expiry and timeout (docs/coop.md, "Expiry/timeouts").
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from prospecting.config import Settings
from prospecting.coop import asks, consent, handoffs, intros
from prospecting.coop.models import HandoffStatus, IntroStatus, ShareConsent
from prospecting.coop.schemas import Decision
from prospecting.identity.models import Person


def _dispatch(session: Session, decided: ShareConsent, now: datetime) -> None:
    """Hand the decided consent to its flow, in the same transaction."""
    if decided.purpose == "intro":
        intros.consent_decided(session=session, consent=decided, now=now)
    elif decided.purpose == "handoff":
        handoffs.consent_decided(session=session, consent=decided, now=now)


def decide_by_token(
    *, session: Session, token: str, decision: Decision | Literal["revoke"], now: datetime
) -> ShareConsent | None:
    """The public page's answer (or revocation); None when the link is not valid for it."""
    decided = consent.decide_by_token(session=session, token=token, decision=decision, now=now)
    if decided is not None:
        _dispatch(session, decided, now)
    return decided


def decide_by_reply(
    *, session: Session, person_id: str, prospect_id: str, body: str, now: datetime
) -> ShareConsent | None:
    """A YES/NO reply from the prospect; None when it is not one or nothing is pending."""
    decided = consent.decide_by_reply(
        session=session, person_id=person_id, prospect_id=prospect_id, body=body, now=now
    )
    if decided is not None:
        _dispatch(session, decided, now)
    return decided


def revoke_consent(
    *, session: Session, actor: Person, consent_id: str, now: datetime
) -> ShareConsent:
    """The provider records the prospect's revocation; the flow stops before the share."""
    revoked = consent.revoke(session=session, actor=actor, consent_id=consent_id, now=now)
    _dispatch(session, revoked, now)
    return revoked


def sweep(*, session: Session, now: datetime, settings: Settings | None = None) -> int:
    """Apply every due expiry and timeout: consents (each handed to its flow), intros,
    hand-off offers, intro asks. Returns how many rows moved."""
    closed = consent.expire(session=session, now=now)
    for row in closed:
        _dispatch(session, row, now)
    return (
        len(closed)
        + intros.expire_due(session=session, now=now)
        + handoffs.advance_due(session=session, now=now, settings=settings)
        + asks.expire_due(session=session, now=now)
    )


class Waiting(BaseModel):
    """What waits on the acting provider, and what of theirs waits on a prospect or a peer."""

    intros_to_answer: list[intros.IntroOut] = Field(
        description="Intros the prospect agreed to, awaiting your acceptance."
    )
    offers: list[handoffs.OfferOut] = Field(description="Open hand-off offers for you.")
    intro_asks: list[asks.HolderAskOut] = Field(
        description="Vetted peers asking you for an intro to one of your prospects."
    )
    intros_awaiting_prospect: list[intros.IntroOut] = Field(
        description="Intros you proposed whose prospect has not answered the consent request."
    )
    intros_awaiting_peer: list[intros.IntroOut] = Field(
        description="Intros you proposed, consented, that the peer has not answered yet."
    )
    handoffs_awaiting_prospect: list[handoffs.HandoffOut] = Field(
        description="Hand-offs you offered whose prospect has not answered yet."
    )
    handoffs_offering: list[handoffs.HandoffOut] = Field(
        description="Hand-offs you offered, consented, with offers out to peers."
    )


def waiting(*, session: Session, actor: Person) -> Waiting:
    """Everything in the coop waiting for `actor` or for one of their prospects (overdue intros
    and asks are closed first, so this needs a write transaction)."""
    mine = intros.list_for(session=session, actor=actor, role="all")
    sent = handoffs.list_sent(session=session, actor=actor)

    def mine_in(role: str, status: IntroStatus) -> list[intros.IntroOut]:
        return [i for i in mine if i.role == role and i.status == status]

    return Waiting(
        intros_to_answer=mine_in("received", IntroStatus.AWAITING_PEER),
        offers=handoffs.list_offers(session=session, actor=actor),
        intro_asks=asks.list_for_holder(session=session, actor=actor),
        intros_awaiting_prospect=mine_in("sent", IntroStatus.AWAITING_CONSENT),
        intros_awaiting_peer=mine_in("sent", IntroStatus.AWAITING_PEER),
        handoffs_awaiting_prospect=[h for h in sent if h.status == HandoffStatus.AWAITING_CONSENT],
        handoffs_offering=[h for h in sent if h.status == HandoffStatus.OFFERING],
    )
