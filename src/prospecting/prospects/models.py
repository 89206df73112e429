"""Per-Person prospect rows in the tenant store (raw PII lives only here)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from prospecting.db import ID, TenantBase, new_id, status_type, utcnow
from prospecting.prospects.schemas import ProspectStatus, SuggestionStatus


class Prospect(TenantBase):
    __tablename__ = "prospects"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    display_name: Mapped[str | None] = mapped_column(String(200))
    phone_e164: Mapped[str | None] = mapped_column(String(32))
    # An inbound's phone failed validation: kept raw on the touchpoint, never hashed.
    phone_unverified: Mapped[bool] = mapped_column(default=False, server_default=false())
    email: Mapped[str | None] = mapped_column(String(320))
    normalized_name: Mapped[str | None] = mapped_column(String(200))
    name_block: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[ProspectStatus] = mapped_column(
        status_type(ProspectStatus, 20), default=ProspectStatus.NEW
    )
    notes: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[str | None] = mapped_column(ForeignKey("prospects.id"))
    link_confidence: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    last_inbound_at: Mapped[datetime | None] = mapped_column(default=None)
    # Where the row came from: NULL for the provider's own inbound or import; "warm_intro" or
    # "handoff" for a row the coop created, with the intro's or hand-off's id (provenance).
    origin: Mapped[str | None] = mapped_column(String(16), default=None)
    origin_ref: Mapped[str | None] = mapped_column(ID, default=None)


# Each read of a Person's prospects newest first is a walk along one of these in its own order
# that stops at its limit, so no prospect beyond it is read or sorted: a page
# (`service.list_prospects`: `created_at DESC, id`, all or one status) and ingest's fuzzy-name
# candidates (one name block, newest first). Each holds the order its read needs, so SQLite's
# planner never trades the name block's equality for a walk of the whole list in order.
Index("ix_prospects_person_created", Prospect.person_id, Prospect.created_at.desc(), Prospect.id)
Index(
    "ix_prospects_person_status",
    Prospect.person_id,
    Prospect.status,
    Prospect.created_at.desc(),
    Prospect.id,
)
Index(
    "ix_prospects_person_name_block",
    Prospect.person_id,
    Prospect.name_block,
    Prospect.created_at.desc(),
)


class ProspectIdentifier(TenantBase):
    """One digest of a prospect's hash chain: what the graph keys on, never the raw value."""

    __tablename__ = "prospect_identifiers"
    __table_args__ = (
        UniqueConstraint("prospect_id", "key_id", "dimension", "digest"),
        # digest second: a lookup probes a handful of digests, never scans the tenant's chain
        Index("ix_prospect_identifiers_lookup", "person_id", "digest", "key_id", "dimension"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    prospect_id: Mapped[str] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"))
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    dimension: Mapped[str] = mapped_column(String(32))
    scheme: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(32))
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Touchpoint(TenantBase):
    """An inbound or outbound message, or a recorded outcome (with its outcome version)."""

    __tablename__ = "prospect_touchpoints"
    __table_args__ = (
        Index("ix_prospect_touchpoints_prospect", "prospect_id", "occurred_at"),
        UniqueConstraint("prospect_id", "outcome_version"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    prospect_id: Mapped[str] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"))
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str | None] = mapped_column(String(16))
    body: Mapped[str | None] = mapped_column(Text)
    sender_phone: Mapped[str | None] = mapped_column(String(32))
    sender_phone_raw: Mapped[str | None] = mapped_column(String(64))
    sender_email: Mapped[str | None] = mapped_column(String(320))
    sender_name: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str | None] = mapped_column(String(16))
    outcome_version: Mapped[int | None] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MergeSuggestion(TenantBase):
    """Weak evidence (a similar name) that two of one Person's prospects are the same person."""

    __tablename__ = "merge_suggestions"
    __table_args__ = (
        UniqueConstraint("prospect_id", "candidate_id"),
        Index("ix_merge_suggestions_person_status", "person_id", "status"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    prospect_id: Mapped[str] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"))
    candidate_id: Mapped[str] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    status: Mapped[SuggestionStatus] = mapped_column(
        status_type(SuggestionStatus), default=SuggestionStatus.PENDING
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
