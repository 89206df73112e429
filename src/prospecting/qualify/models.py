"""Auto-qualify tables in the tenant store: profiles, qualifications, drafts, models, outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from prospecting.db import ID, TenantBase, new_id, status_type, utcnow
from prospecting.qualify.schemas import DraftStatus, OutboxStatus


class DraftingProfile(TenantBase):
    """How one provider replies: services, hours, booking link, tone, sign-off, languages."""

    __tablename__ = "qualify_profiles"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), unique=True
    )
    services: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    hours_text: Mapped[str | None] = mapped_column(Text)
    booking_link: Mapped[str | None] = mapped_column(String(500))
    tone: Mapped[str] = mapped_column(String(16), default="warm")
    sign_off: Mapped[str | None] = mapped_column(String(200))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Facts a draft may state beyond services and hours (FAQ, policies, location, online
    # sessions, ...) and the provider's crisis protocol; shapes in qualify.schemas.ProfileIn.
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    crisis: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Qualification(TenantBase):
    """What auto-qualify read and scored for one inbound message (the features are kept so
    evaluation and retraining see exactly what the scorer saw)."""

    __tablename__ = "qualify_qualifications"
    __table_args__ = (Index("ix_qualify_qualifications_person_time", "person_id", "message_at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    prospect_id: Mapped[str] = mapped_column(
        ForeignKey("prospects.id", ondelete="CASCADE"), index=True
    )
    touchpoint_id: Mapped[str] = mapped_column(
        ForeignKey("prospect_touchpoints.id", ondelete="CASCADE"), unique=True
    )
    intent: Mapped[str] = mapped_column(String(32))
    intent_confidence: Mapped[float] = mapped_column(Float)
    language: Mapped[str] = mapped_column(String(8))
    entities: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    p_book: Mapped[float] = mapped_column(Float)
    factors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    features: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    graph_state: Mapped[str] = mapped_column(String(16), default="empty")
    # What triage found before drafting: kinds, reasons, urgency (qualify.triage).
    triage: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    model_version: Mapped[str] = mapped_column(String(40))
    message_at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Draft(TenantBase):
    """A reply waiting for one tap; an edit keeps the original, the edit and their distance."""

    __tablename__ = "qualify_drafts"
    __table_args__ = (
        Index("ix_qualify_drafts_person_status", "person_id", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    prospect_id: Mapped[str] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"))
    qualification_id: Mapped[str] = mapped_column(
        ForeignKey("qualify_qualifications.id", ondelete="CASCADE"), unique=True
    )
    channel: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    tone: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    offline_body: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(24), default="offline")
    suggested_action: Mapped[str] = mapped_column(String(16), default="approve")
    # Held back from one-tap approval (triage): approved only on its own, after a look.
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    review_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[DraftStatus] = mapped_column(
        status_type(DraftStatus), default=DraftStatus.PENDING
    )
    edited_body: Mapped[str | None] = mapped_column(Text)
    edit_distance: Mapped[int | None] = mapped_column(Integer)
    outbound_touchpoint_id: Mapped[str | None] = mapped_column(
        ForeignKey("prospect_touchpoints.id", ondelete="SET NULL")
    )
    received_at: Mapped[datetime] = mapped_column()
    ready_at: Mapped[datetime] = mapped_column()
    latency_ms: Mapped[float] = mapped_column(Float)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScoringModel(TenantBase):
    """A versioned "will book" model trained from one Person's own outcomes.

    Stored as JSON parameters of a logistic model plus its calibration map — no pickle is ever
    loaded from the database."""

    __tablename__ = "qualify_models"
    __table_args__ = (UniqueConstraint("person_id", "version"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    trained_at: Mapped[datetime] = mapped_column(default=utcnow)
    n_samples: Mapped[int] = mapped_column(Integer)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)


class OutboxItem(TenantBase):
    """An approved reply handed to a channel adapter (delivery itself is out of scope)."""

    __tablename__ = "qualify_outbox"
    __table_args__ = (Index("ix_qualify_outbox_status", "status", "created_at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    draft_id: Mapped[str | None] = mapped_column(
        ForeignKey("qualify_drafts.id", ondelete="CASCADE"), unique=True
    )
    touchpoint_id: Mapped[str | None] = mapped_column(
        ForeignKey("prospect_touchpoints.id", ondelete="CASCADE")
    )
    # "reply" (an approved draft) or "coop_consent" (a share-consent request: `ref_id` names
    # the coop_share_consents row; no draft, no touchpoint).
    purpose: Mapped[str] = mapped_column(String(16), default="reply", server_default="reply")
    ref_id: Mapped[str | None] = mapped_column(ID, default=None)
    channel: Mapped[str | None] = mapped_column(String(16))
    recipient: Mapped[str | None] = mapped_column(String(320))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(
        status_type(OutboxStatus), default=OutboxStatus.QUEUED
    )
    adapter: Mapped[str | None] = mapped_column(String(40))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    handed_over_at: Mapped[datetime | None] = mapped_column(default=None)
