"""Coop tables in the tenant store: vetting, published capacity, the prospect's share consents,
warm intros, hand-offs and their offers, and the two-sided coop audit.

Every row names the Person(s) it belongs to. A row is shown to a Person only through the
coop services, which answer another Person's row exactly like a missing one. Nothing here is
free text written by one provider for another: vouches, endorsements, reasons and outcomes are
closed vocabularies (coop/schemas.py).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from prospecting.db import ID, TenantBase, new_id, status_type, utcnow


class ShareStatus(enum.StrEnum):
    """A share consent's life: asked, then the prospect's answer, a revocation or expiry."""

    PENDING = "pending"
    GRANTED = "granted"
    DECLINED = "declined"
    REVOKED = "revoked"
    EXPIRED = "expired"


class IntroStatus(enum.StrEnum):
    AWAITING_CONSENT = "awaiting_consent"  # the prospect has not answered yet
    AWAITING_PEER = "awaiting_peer"  # consented; the named peer decides
    ACCEPTED = "accepted"  # the peer has their own new prospect row
    DECLINED_BY_PROSPECT = "declined_by_prospect"
    DECLINED_BY_PEER = "declined_by_peer"
    REVOKED = "revoked"  # the prospect withdrew consent before the share completed
    WITHDRAWN = "withdrawn"  # the sender took it back before the share completed
    EXPIRED = "expired"


class HandoffStatus(enum.StrEnum):
    AWAITING_CONSENT = "awaiting_consent"
    OFFERING = "offering"  # consented; offers go out one candidate at a time
    ACCEPTED = "accepted"
    DECLINED_BY_PROSPECT = "declined_by_prospect"
    EXHAUSTED = "exhausted"  # every candidate declined or timed out
    REVOKED = "revoked"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


class OfferStatus(enum.StrEnum):
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    TIMED_OUT = "timed_out"
    CLOSED = "closed"  # the hand-off ended another way (someone else won, revoked, withdrawn)


class Endorsement(TenantBase):
    """A vetted peer's structured endorsement of another provider; revocable (`revoked_at`)."""

    __tablename__ = "coop_endorsements"
    __table_args__ = (Index("ix_coop_endorsements_endorsee", "endorsee_id", "revoked_at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    endorser_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    endorsee_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    basis: Mapped[str] = mapped_column(String(32))
    known_for: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class Verification(TenantBase):
    """An Org admin's verification of an active member; revocable."""

    __tablename__ = "coop_verifications"
    __table_args__ = (Index("ix_coop_verifications_person", "person_id", "revoked_at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    verified_by: Mapped[str | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class Listing(TenantBase):
    """What the network may match a provider on, published by the provider: categories,
    region, services, languages and capacity (accepting new clients, open slots)."""

    __tablename__ = "coop_listings"

    person_id: Mapped[str] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    region: Mapped[str | None] = mapped_column(String(64))
    services: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    accepting: Mapped[bool] = mapped_column(Boolean, default=True)
    open_slots: Mapped[int | None] = mapped_column(Integer, default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ShareConsent(TenantBase):
    """The prospect's consent to one share: what (fields), with whom (a named peer, or vetted
    peers in a category and region), until when. Asked by the prospect's provider (`person_id`)
    through the outbox; answered on the public page (a signed single-use link whose digest is
    kept, never the token) or by a YES/NO reply."""

    __tablename__ = "coop_share_consents"
    __table_args__ = (
        Index("ix_coop_share_consents_prospect", "person_id", "prospect_id", "status"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    prospect_id: Mapped[str] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(16))  # "intro" | "handoff"
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    recipient_id: Mapped[str | None] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    recipient_scope: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    language: Mapped[str] = mapped_column(String(8), default="en")
    token_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[ShareStatus] = mapped_column(
        status_type(ShareStatus), default=ShareStatus.PENDING
    )
    expires_at: Mapped[datetime] = mapped_column()
    share_until: Mapped[datetime | None] = mapped_column(default=None)
    link_used_at: Mapped[datetime | None] = mapped_column(default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decided_via: Mapped[str | None] = mapped_column(String(16))  # "page" | "reply" | "provider"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Intro(TenantBase):
    """A warm intro: `sender_id` introduces their prospect to the named vetted peer
    `receiver_id` with a structured vouch. Double opt-in: the prospect's consent, then the
    receiver's acceptance, which creates `receiver_prospect_id` in the receiver's tenant."""

    __tablename__ = "coop_intros"
    __table_args__ = (
        Index("ix_coop_intros_sender", "sender_id", "status"),
        Index("ix_coop_intros_receiver", "receiver_id", "status"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    sender_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    receiver_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    prospect_id: Mapped[str] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"))
    consent_id: Mapped[str] = mapped_column(ForeignKey("coop_share_consents.id"))
    vouch: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[IntroStatus] = mapped_column(
        status_type(IntroStatus, length=24), default=IntroStatus.AWAITING_CONSENT
    )
    receiver_prospect_id: Mapped[str | None] = mapped_column(
        ForeignKey("prospects.id", ondelete="SET NULL")
    )
    outcome: Mapped[str | None] = mapped_column(String(16))
    expires_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    outcome_at: Mapped[datetime | None] = mapped_column(default=None)


class Handoff(TenantBase):
    """An overflow or wrong-fit prospect offered to matching vetted peers with capacity, one
    candidate at a time in fit order; the first acceptance wins (`winner_id`, set once by a
    conditional update), and the winner gets `receiver_prospect_id` in their own tenant."""

    __tablename__ = "coop_handoffs"
    __table_args__ = (Index("ix_coop_handoffs_sender", "sender_id", "status"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    sender_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    prospect_id: Mapped[str] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"))
    consent_id: Mapped[str] = mapped_column(ForeignKey("coop_share_consents.id"))
    reason: Mapped[str] = mapped_column(String(16))  # "overflow" | "wrong_fit"
    category: Mapped[str] = mapped_column(String(64))
    region: Mapped[str | None] = mapped_column(String(64))
    service: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(8))
    vouch: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    status: Mapped[HandoffStatus] = mapped_column(
        status_type(HandoffStatus, length=24), default=HandoffStatus.AWAITING_CONSENT
    )
    winner_id: Mapped[str | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    receiver_prospect_id: Mapped[str | None] = mapped_column(
        ForeignKey("prospects.id", ondelete="SET NULL")
    )
    outcome: Mapped[str | None] = mapped_column(String(16))
    expires_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    outcome_at: Mapped[datetime | None] = mapped_column(default=None)


class HandoffOffer(TenantBase):
    """One candidate's offer for a hand-off, in rank order; at most one is `offered` at a time."""

    __tablename__ = "coop_handoff_offers"
    __table_args__ = (
        UniqueConstraint("handoff_id", "candidate_id"),
        Index("ix_coop_handoff_offers_candidate", "candidate_id", "status"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    handoff_id: Mapped[str] = mapped_column(ForeignKey("coop_handoffs.id", ondelete="CASCADE"))
    candidate_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    rank: Mapped[int] = mapped_column(Integer)
    status: Mapped[OfferStatus] = mapped_column(
        status_type(OfferStatus), default=OfferStatus.OFFERED
    )
    offered_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column(default=None)


class CoopAuditEntry(TenantBase):
    """Append-only: one row per side that may read it (`person_id`), so the sender and the
    receiver each list their own entries; `counterpart_id` is the other provider once they may
    know each other, else NULL. No PII and no free text: `action` and `detail` are codes."""

    __tablename__ = "coop_audit"
    __table_args__ = (Index("ix_coop_audit_person", "person_id", "at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    actor: Mapped[str] = mapped_column(String(16))  # "self" | "peer" | "prospect" | "system"
    counterpart_id: Mapped[str | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL")
    )
    object_kind: Mapped[str] = mapped_column(String(16))
    object_id: Mapped[str] = mapped_column(ID)
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class IntroAskStatus(enum.StrEnum):
    """An intro ask's life: open until the holder answers, it expires or is closed."""

    OPEN = "open"
    FULFILLED = "fulfilled"  # the holder proposed the intro (`intro_id`)
    DECLINED = "declined"
    EXPIRED = "expired"
    CLOSED = "closed"  # the person left the graph (erasure) before the holder answered


class IntroAsk(TenantBase):
    """A cue from the graph, turned into a question for one peer: the asker (B) has a prospect
    a vetted, consented peer (the holder, A) reported a positive outcome with; A is asked
    whether they will introduce their prospect to B. B never learns A (nor A's prospect) from
    the ask: only A, by proposing the intro, reveals themselves through the normal intro flow."""

    __tablename__ = "coop_intro_asks"
    __table_args__ = (
        Index("ix_coop_intro_asks_holder", "holder_id", "status"),
        Index("ix_coop_intro_asks_asker", "asker_id", "asker_prospect_id", "status"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    asker_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    asker_prospect_id: Mapped[str] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"))
    holder_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    holder_prospect_id: Mapped[str] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"))
    status: Mapped[IntroAskStatus] = mapped_column(
        status_type(IntroAskStatus), default=IntroAskStatus.OPEN
    )
    intro_id: Mapped[str | None] = mapped_column(ForeignKey("coop_intros.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
