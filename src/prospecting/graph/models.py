"""Graph-store tables: opaque subject keys, digests, noised contributions, consent, audit.

The graph store holds ids, keyed digests and noised values only, never raw PII or free text.

Append-only tables (`prospect_subject_aggregates`, `prospect_subject_supersessions`,
`graph_query_audit`, `graph_contributor_sets`, `graph_contributor_set_members`,
`provider_graph_consent_events`) are guarded by database triggers on both backends (the 0002
and 0006 migrations): UPDATE is always refused, TRUNCATE is refused on PostgreSQL, and DELETE is
refused except for the erasure path (never for audit rows and contributor sets).

Erasure choice: a DSR opt-out must remove a subject's contribution rows from every surface, so
DELETE of a contribution, supersession, contact-day or budget row is allowed only while an open
`ErasureGrant` covers it (its subject key, or its row id for split lineage); only the erasure
path opens grants and it consumes them before it commits (0005 migration). Audit rows and consent
history are never deleted; they carry ids only, and are hash-chained (`graph.ledger`).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from prospecting.db import ID, GraphBase, new_id, status_type, utcnow


class SubjectStatus(enum.StrEnum):
    ACTIVE = "active"
    TOMBSTONED = "tombstoned"
    SPLIT = "split"
    MERGED = "merged"


class ContributePolicy(enum.StrEnum):
    NONE = "none"
    PER_PROSPECT = "per_prospect"
    ALL = "all"


class SubjectKey(GraphBase):
    """An opaque random id for one real person across providers."""

    __tablename__ = "prospect_subject_keys"

    subject_key: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    status: Mapped[SubjectStatus] = mapped_column(
        status_type(SubjectStatus), default=SubjectStatus.ACTIVE
    )
    split_from: Mapped[str | None] = mapped_column(ID, default=None)
    # set when a contact carrying both keys' strong digests showed they are one person
    merged_into: Mapped[str | None] = mapped_column(ID, default=None, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SubjectDimension(GraphBase):
    """One keyed digest bound to a subject, with its collision report count (down-weight)."""

    __tablename__ = "prospect_subject_dimensions"
    __table_args__ = (
        UniqueConstraint("subject_key", "dimension", "key_id", "digest"),
        # digest first: linking probes a few digests; a row-value IN would scan the table
        Index("ix_prospect_subject_dimensions_lookup", "digest", "dimension", "key_id"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    subject_key: Mapped[str] = mapped_column(ForeignKey("prospect_subject_keys.subject_key"))
    dimension: Mapped[str] = mapped_column(String(32))
    key_id: Mapped[str] = mapped_column(String(32))
    digest: Mapped[str] = mapped_column(String(64))
    collision_reports: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProspectLink(GraphBase):
    """A provider's prospect id bound to a subject key; `chain` holds only the digests used."""

    __tablename__ = "prospect_links"
    __table_args__ = (UniqueConstraint("provider_id", "prospect_id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    provider_id: Mapped[str] = mapped_column(ID)
    prospect_id: Mapped[str] = mapped_column(ID)
    subject_key: Mapped[str] = mapped_column(
        ForeignKey("prospect_subject_keys.subject_key"), index=True
    )
    confidence: Mapped[float] = mapped_column(Float)
    matched_on: Mapped[list[str]] = mapped_column(JSON, default=list)
    chain: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Contribution(GraphBase):
    """One noised outcome report (append-only). `generation` > 0 marks a replay after a split."""

    __tablename__ = "prospect_subject_aggregates"
    __table_args__ = (
        UniqueConstraint("provider_id", "prospect_id", "outcome_version", "generation"),
        Index("ix_prospect_subject_aggregates_subject", "subject_key", "provider_id"),
        Index("ix_prospect_subject_aggregates_created", "created_at"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    provider_id: Mapped[str] = mapped_column(ID)
    prospect_id: Mapped[str] = mapped_column(ID)
    outcome_version: Mapped[int] = mapped_column(Integer)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    subject_key: Mapped[str] = mapped_column(ID)
    noised_outcome: Mapped[str | None] = mapped_column(String(16))
    outcome_noise: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    noised_days: Mapped[float | None] = mapped_column(Float)
    days_noise: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    epsilon_units: Mapped[int] = mapped_column(BigInteger)
    withheld: Mapped[bool] = mapped_column(Boolean, default=False)
    fingerprint: Mapped[str] = mapped_column(String(160))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SubjectContact(GraphBase):
    """One provider was in touch with the subject on one day (the velocity hint's raw fact).

    Written only under the provider's contribute consent; no noise (a presence is not a
    value): what protects it is that counts of distinct providers are shown only at or above
    the minimum-contributors floor and the asker's own contacts never count. Not append-only:
    a merge or split re-points rows and an erasure deletes them with the subject.
    """

    __tablename__ = "prospect_subject_contacts"
    __table_args__ = (
        UniqueConstraint("provider_id", "prospect_id", "contacted_on"),
        Index("ix_prospect_subject_contacts_subject", "subject_key", "contacted_on"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    subject_key: Mapped[str] = mapped_column(ID)
    provider_id: Mapped[str] = mapped_column(ID)
    prospect_id: Mapped[str] = mapped_column(ID)
    contacted_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Supersession(GraphBase):
    """`superseded_id` no longer counts: a newer version, or a replay into a split key."""

    __tablename__ = "prospect_subject_supersessions"
    __table_args__ = (UniqueConstraint("superseded_id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    subject_key: Mapped[str] = mapped_column(ID, index=True)
    superseded_id: Mapped[str] = mapped_column(ID)
    superseding_id: Mapped[str | None] = mapped_column(ID)
    reason: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SubjectBudget(GraphBase):
    """The per-subject privacy budget in exact integer units (1 epsilon = 1_000_000 units)."""

    __tablename__ = "subject_privacy_budgets"

    subject_key: Mapped[str] = mapped_column(
        ForeignKey("prospect_subject_keys.subject_key"), primary_key=True
    )
    limit_units: Mapped[int] = mapped_column(BigInteger)
    spent_units: Mapped[int] = mapped_column(BigInteger, default=0)
    withheld: Mapped[int] = mapped_column(Integer, default=0)


class ProviderConsent(GraphBase):
    """A Person's own choices; NULL means "not chosen", so the Org default applies."""

    __tablename__ = "provider_graph_consents"

    provider_id: Mapped[str] = mapped_column(ID, primary_key=True)
    contribute_policy: Mapped[str | None] = mapped_column(String(16), default=None)
    query_enabled: Mapped[bool | None] = mapped_column(Boolean, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    # the latest revocation ever (not cleared by re-consent): older rows are never re-surfaced
    last_revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ConsentEvent(GraphBase):
    """Append-only history of every consent change: who, when, via what, before and after."""

    __tablename__ = "provider_graph_consent_events"
    __table_args__ = (Index("ix_provider_graph_consent_events_provider", "provider_id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    provider_id: Mapped[str | None] = mapped_column(ID)
    org_id: Mapped[str | None] = mapped_column(ID)
    actor_id: Mapped[str] = mapped_column(ID)
    channel: Mapped[str] = mapped_column(String(8))
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str | None] = mapped_column(ID)
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # the hash chain (graph.ledger): position, the previous row's hash, this row's hash
    chain_seq: Mapped[int | None] = mapped_column(BigInteger, unique=True, default=None)
    prev_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    row_hash: Mapped[str | None] = mapped_column(String(64), default=None)


class ProspectOptIn(GraphBase):
    """Per-prospect contribution opt-in (used under the per_prospect policy)."""

    __tablename__ = "provider_prospect_opt_ins"
    __table_args__ = (UniqueConstraint("provider_id", "prospect_id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    provider_id: Mapped[str] = mapped_column(ID)
    prospect_id: Mapped[str] = mapped_column(ID)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SubjectAttribution(GraphBase):
    """A provider's opt-in to be named as a contributor for one subject key."""

    __tablename__ = "provider_subject_attributions"
    __table_args__ = (UniqueConstraint("provider_id", "subject_key"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    provider_id: Mapped[str] = mapped_column(ID)
    subject_key: Mapped[str] = mapped_column(ID, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OrgPolicy(GraphBase):
    """An Org's default graph policy for its members (org_id from the tenant store)."""

    __tablename__ = "org_graph_policies"

    org_id: Mapped[str] = mapped_column(ID, primary_key=True)
    contribute_policy: Mapped[str] = mapped_column(String(16))
    query_enabled: Mapped[bool] = mapped_column(Boolean)
    updated_by: Mapped[str] = mapped_column(ID)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SubjectOptOut(GraphBase):
    """A tombstone with its data-subject-request provenance; one per request id."""

    __tablename__ = "subject_opt_outs"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    request_id: Mapped[str] = mapped_column(String(100), unique=True)
    subject_key: Mapped[str] = mapped_column(ID, index=True)
    received_at: Mapped[datetime]
    verification_method: Mapped[str] = mapped_column(String(32))
    verifier: Mapped[str] = mapped_column(String(200))
    legal_ground: Mapped[str] = mapped_column(String(32))
    officer_id: Mapped[str] = mapped_column(ID)
    contributions_removed: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ErasureGrant(GraphBase):
    """A single-use licence for the erasure path to delete guarded rows: every row under
    `subject_key`, or the one row `row_id` names (the person's rows under a parent key, split
    lineage). Open (`consumed_at` NULL) only inside the erasure's own transaction: the triggers
    allow a guarded DELETE only while an open grant covers the row, the erasure consumes every
    grant before it commits, and a consumed grant is never reopened nor deleted."""

    __tablename__ = "graph_erasure_grants"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    opt_out_id: Mapped[str] = mapped_column(ForeignKey("subject_opt_outs.id"))
    row_id: Mapped[str | None] = mapped_column(ID, index=True, default=None)
    subject_key: Mapped[str | None] = mapped_column(ID, index=True, default=None)
    consumed_at: Mapped[datetime | None] = mapped_column(default=None)


class BlockedDigest(GraphBase):
    """A strong digest of an opted-out subject: it may never link to any subject again."""

    __tablename__ = "graph_blocked_digests"
    __table_args__ = (UniqueConstraint("digest", "dimension", "key_id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    dimension: Mapped[str] = mapped_column(String(32))
    key_id: Mapped[str] = mapped_column(String(32))
    digest: Mapped[str] = mapped_column(String(64))
    opt_out_id: Mapped[str] = mapped_column(ForeignKey("subject_opt_outs.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PeerAttestation(GraphBase):
    """A structured safety flag about a subject from a peer; codes only, never free text."""

    __tablename__ = "coop_peer_attestations"
    __table_args__ = (UniqueConstraint("provider_id", "subject_key", "code"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    provider_id: Mapped[str] = mapped_column(ID)
    subject_key: Mapped[str] = mapped_column(ID, index=True)
    code: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Correction(GraphBase):
    """A provider's correction: a collision report on a link, or an outcome mislabel."""

    __tablename__ = "graph_corrections"
    __table_args__ = (Index("ix_graph_corrections_subject", "subject_key", "kind", "dimension"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))
    provider_id: Mapped[str] = mapped_column(ID)
    prospect_id: Mapped[str] = mapped_column(ID)
    subject_key: Mapped[str] = mapped_column(ID)
    dimension: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QueryAudit(GraphBase):
    """One cross-provider read (append-only), readable by its consumer and every contributor.

    The contributors it used are a content-addressed `ContributorSet`: the same set (a subject's
    contributors rarely change between two reads) is stored once and named by every answer that
    used it, so an answer writes one row, however many providers contributed."""

    __tablename__ = "graph_query_audit"
    __table_args__ = (
        Index("ix_graph_query_audit_consumer", "consumer_id", "created_at"),
        Index("ix_graph_query_audit_contributor_set", "contributor_set_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    consumer_id: Mapped[str] = mapped_column(ID)
    subject_key: Mapped[str | None] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(String(16))
    scope: Mapped[dict[str, Any]] = mapped_column(JSON)
    result_state: Mapped[str] = mapped_column(String(32))
    contributor_count: Mapped[int] = mapped_column(Integer, default=0)
    # NULL when the answer used nobody's rows; no foreign key, so that SQLite can drop the
    # column on downgrade (`graph.ledger.verify` checks that the set exists and matches)
    contributor_set_id: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # the hash chain (graph.ledger): position, the previous row's hash, this row's hash
    chain_seq: Mapped[int | None] = mapped_column(BigInteger, unique=True, default=None)
    prev_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    row_hash: Mapped[str | None] = mapped_column(String(64), default=None)


class ContributorSet(GraphBase):
    """The providers whose rows fed an answer, stored once per distinct set (append-only).

    `id` is SHA-256 over the canonical JSON of the sorted provider ids (`graph.ledger`), so a
    set cannot be re-pointed at other members; a set takes at most `member_count` members
    (trigger), all written in the transaction that creates it."""

    __tablename__ = "graph_contributor_sets"
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContributorSetMember(GraphBase):
    """One provider of a `ContributorSet` (append-only). The primary key leads with the
    provider, so a contributor finds the answers that used their rows through it."""

    __tablename__ = "graph_contributor_set_members"
    __table_args__ = {"sqlite_with_rowid": False}

    provider_id: Mapped[str] = mapped_column(ID, primary_key=True)
    set_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("graph_contributor_sets.id"), primary_key=True
    )


class ChainHead(GraphBase):
    """The newest row of one hash chain (graph.ledger); advanced only by the insert trigger."""

    __tablename__ = "graph_chain_heads"

    chain: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    head_hash: Mapped[str] = mapped_column(String(64))
