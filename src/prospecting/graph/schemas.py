"""Pydantic shapes for the graph: inputs, answers, consent state, audit entries, outputs."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from prospecting.fields import AS_LINE, Instant, StrictInt
from prospecting.prospects.schemas import Outcome

Key = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32), AS_LINE]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AS_LINE
]
Label = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64), AS_LINE]
OutcomeVersion = Annotated[StrictInt, Field(ge=1, le=10_000)]
Channel = Literal["http", "mcp", "cli"]


class ConsentAction(enum.StrEnum):
    CONTRIBUTE_ALL = "contribute_all"
    CONTRIBUTE_PER_PROSPECT = "contribute_per_prospect"
    CONTRIBUTE_NONE = "contribute_none"
    OPT_IN_PROSPECT = "opt_in_prospect"
    OPT_OUT_PROSPECT = "opt_out_prospect"
    QUERY_ON = "query_on"
    QUERY_OFF = "query_off"
    ATTRIBUTE_SUBJECT = "attribute_subject"
    UNATTRIBUTE_SUBJECT = "unattribute_subject"
    REVOKE_ALL = "revoke_all"


_FOR_PROSPECT = (ConsentAction.OPT_IN_PROSPECT, ConsentAction.OPT_OUT_PROSPECT)
_FOR_SUBJECT = (ConsentAction.ATTRIBUTE_SUBJECT, ConsentAction.UNATTRIBUTE_SUBJECT)
_FOR_NEITHER = tuple(a for a in ConsentAction if a not in _FOR_PROSPECT + _FOR_SUBJECT)


class ConsentChange(BaseModel):
    """One consent action for the calling Person. `person_id`, if given, must be the caller."""

    model_config = ConfigDict(
        extra="forbid",
        # What graph.consent requires of each action, stated: opt_in/opt_out_prospect name a
        # prospect_id, (un)attribute_subject a subject_key; the other actions need neither.
        json_schema_extra={
            "anyOf": [
                {"properties": {"action": {"enum": [a.value for a in _FOR_NEITHER]}}},
                {
                    "properties": {
                        "action": {"enum": [a.value for a in _FOR_PROSPECT]},
                        "prospect_id": {"type": "string"},
                    },
                    "required": ["prospect_id"],
                },
                {
                    "properties": {
                        "action": {"enum": [a.value for a in _FOR_SUBJECT]},
                        "subject_key": {"type": "string"},
                    },
                    "required": ["subject_key"],
                },
            ]
        },
    )

    action: ConsentAction
    prospect_id: Key | None = Field(default=None, description="For opt_in/opt_out_prospect.")
    subject_key: Key | None = Field(default=None, description="For (un)attribute_subject.")
    person_id: Key | None = Field(
        default=None,
        description="Optional; accepted only when it names the caller (consent is never "
        "changed for someone else).",
    )


class ConsentState(BaseModel):
    person_id: str
    contribute_policy: Literal["none", "per_prospect", "all"]
    contribute_source: Literal["own", "org", "default"]
    query_enabled: bool
    query_source: Literal["own", "org", "default"]
    revoked: bool
    opted_in_prospects: list[str]
    attributed_subjects: list[str]


class ConsentEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    provider_id: str | None
    org_id: str | None
    actor_id: str
    channel: str
    action: str
    target: str | None
    before: dict[str, object]
    after: dict[str, object]
    created_at: datetime


class OrgPolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contribute_policy: Literal["none", "per_prospect", "all"]
    query_enabled: bool


class LinkOut(BaseModel):
    prospect_id: str
    subject_key: str
    confidence: float = Field(description="Posterior probability that the link is right.")
    created_subject: bool
    matched_on: list[str]


class ContributionIn(BaseModel):
    """An outcome for one of the caller's prospects; versions start at 1 and only go up."""

    model_config = ConfigDict(extra="forbid")

    prospect_id: Key
    outcome: Outcome
    outcome_version: OutcomeVersion = 1


class ContributionOut(BaseModel):
    id: str
    prospect_id: str
    outcome_version: int
    subject_key: str
    epsilon_units: int
    budget_exhausted: bool = Field(
        description="No value was stored: the subject's budget is spent."
    )
    replayed: bool = Field(description="True when this answers a replay of an earlier call.")
    supersedes: str | None
    created_at: datetime


class GraphScope(BaseModel):
    """Which consented peers count: a category and/or region; empty means the whole network."""

    model_config = ConfigDict(extra="forbid")

    category: Label | None = None
    region: Label | None = None


class GraphQueryIn(BaseModel):
    """Name one subject: by its key, or by one of the caller's own prospects."""

    model_config = ConfigDict(extra="forbid")

    subject_key: Key | None = None
    prospect_id: Key | None = None
    scope: GraphScope = Field(default_factory=GraphScope)


class Band(BaseModel):
    """A value to show with its band, all inside the value's valid range."""

    estimate: float = Field(description="Point estimate, clipped to the valid range.")
    lower: float
    upper: float
    raw: float | None = Field(
        default=None,
        description="The unbiased estimate before clipping (may lie outside the range); "
        "for code that aggregates, not for people.",
    )


class Histogram(BaseModel):
    """Outcome reports by class: `counts` clipped to [0, n_reports], bands within [0, total]."""

    counts: dict[str, float]
    raw_counts: dict[str, float] = Field(
        default_factory=dict, description="Unbiased counts before clipping (for aggregation)."
    )
    lower: dict[str, float]
    upper: dict[str, float]
    n_reports: int
    withheld: int = Field(description="Outcomes withheld after budget exhaustion (band widened).")
    confidence: float


class Fingerprint(BaseModel):
    """Shares of the person's outcomes elsewhere, each in [0, 1] with its band."""

    booked_share: Band
    no_show_share: Band
    not_booked_share: Band = Field(description="Declined or went quiet.")
    blocked_share: Band
    profile: Literal["books", "unreliable", "blocked_by_peers", "mixed", "unknown"]


class VelocityWindow(BaseModel):
    """Distinct other providers the person was in touch with in the last `days` days."""

    days: int
    providers: int | None = Field(
        description="The count, or None when it is below the minimum-contributors floor."
    )
    shown: str = Field(description='What to show: the count, or "<N" below the floor.')


class Velocity(BaseModel):
    """How many other consented providers the person contacted recently (day granularity)."""

    as_of: date
    windows: list[VelocityWindow]


class NetworkState(BaseModel):
    state: Literal["empty", "sparse", "growing", "dense"]
    consented_peers: int | str  # "<N" below graph_min_contributors (graph.masking.shown)
    scope: GraphScope


class SafetyFlag(BaseModel):
    code: str
    peers: int


class Attribution(BaseModel):
    provider_id: str
    display_name: str


class LocalOutcome(BaseModel):
    """The caller's own recorded outcome for the prospect (provider-local, never network)."""

    outcome: str
    outcome_version: int
    occurred_at: datetime


AnswerState = Literal["ok", "insufficient_contributors", "subject_opted_out", "degraded"]


class GraphAnswer(BaseModel):
    state: AnswerState
    subject_key: str | None
    sentinel_reason: Literal["erased", "consent_revoked"] | None = None
    min_contributors: int
    contributors: int | None = Field(default=None, description="Distinct peers, when shown.")
    histogram: Histogram | None = None
    fingerprint: Fingerprint | None = None
    velocity: Velocity | None = None
    network: NetworkState | None = None
    safety_flags: list[SafetyFlag] = Field(default_factory=list)
    attribution: list[Attribution] = Field(default_factory=list)
    budget_exhausted: bool = False
    notices: list[str] = Field(
        default_factory=list, description="Must be shown to the person (bands widened, degraded)."
    )
    degraded: bool = False
    local_outcomes: list[LocalOutcome] = Field(default_factory=list)
    audit_id: str | None = None


class DsrProvenance(BaseModel):
    """The data-subject request behind an opt-out."""

    model_config = ConfigDict(extra="forbid")

    request_id: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=3, max_length=100), AS_LINE
    ]
    received_at: Instant
    verification_method: Literal[
        "email_link", "id_document", "phone_callback", "in_person", "authorized_agent"
    ]
    verifier: ShortText
    legal_ground: Literal["gdpr_art17", "gdpr_art21", "ccpa_delete", "consent_withdrawn", "other"]


class OptOutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject_key: Key
    provenance: DsrProvenance


class OptOutOut(BaseModel):
    id: str
    subject_key: str
    request_id: str
    contributions_removed: int
    blocked_digests: int
    replayed: bool
    created_at: datetime


class CollisionIn(BaseModel):
    """ "Not the same person": the caller's prospect should not be linked to its subject."""

    model_config = ConfigDict(extra="forbid")

    prospect_id: Key
    dimension: Literal["phone", "email", "name", "name_phone", "name_email"] | None = None


class CollisionOut(BaseModel):
    subject_key: str
    dimension: str
    distinct_reporters: int
    split: bool
    new_subject_key: str | None = Field(description="The caller's new key after a split.")


class MislabelIn(BaseModel):
    """ "It wasn't a no-show, they rescheduled": a newer version supersedes the old one."""

    model_config = ConfigDict(extra="forbid")

    prospect_id: Key
    outcome: Outcome


class AttestationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prospect_id: Key
    code: Literal[
        "abusive_language",
        "harassment",
        "payment_dispute",
        "safety_concern",
        "impersonation",
        "spam",
    ]


class AuditEntry(BaseModel):
    id: str
    role: Literal["consumer", "contributor"]
    kind: str
    subject_key: str | None
    result_state: str
    contributor_count: int
    scope: dict[str, object]
    created_at: datetime


class Reachability(BaseModel):
    state: AnswerState
    reachable: bool
    peers_with_positive_outcome: int
    degraded: bool = False


class WeeklyRate(BaseModel):
    week_start: datetime
    consented_providers: int | str  # "<N" below graph_min_contributors (graph.masking.shown)
    contributing_providers: int | str
    rate: float | None  # None while consented_providers is masked


class SegmentState(BaseModel):
    category: str
    region: str
    consented_peers: int | str  # "<N" below graph_min_contributors
    state: Literal["empty", "sparse", "growing", "dense"]


class GraphMetrics(BaseModel):
    weekly: list[WeeklyRate]
    segments: list[SegmentState]


class GraphSignals(BaseModel):
    """Everything auto-qualify uses from the graph for one inbound, from one audited query.

    `state` is the query's, or `no_query_consent` (linked for contribution only, nothing read),
    or `not_linked` (no consent to link at all: the empty network). `network` is the state of
    the consented network in the asker's own category and region.
    """

    state: Literal[
        "ok",
        "insufficient_contributors",
        "subject_opted_out",
        "degraded",
        "no_query_consent",
        "not_linked",
    ]
    subject_key: str | None = None
    link_confidence: float | None = None
    network: NetworkState | None = None
    contributors: int | None = None
    outcome_shares: dict[str, float] = Field(default_factory=dict)
    histogram: Histogram | None = None
    fingerprint: Fingerprint | None = None
    velocity: Velocity | None = None
    reachable: bool = False
    peers_with_positive_outcome: int = 0
    safety_flags: list[SafetyFlag] = Field(default_factory=list)
    budget_exhausted: bool = False
    degraded: bool = False


class HistoryItem(BaseModel):
    """One imported past contact of the caller's prospect, with the outcome it had (if any)."""

    prospect_id: Key
    contacted_at: Instant | None = None
    outcome: Outcome | None = None
    outcome_version: OutcomeVersion = 1


class HistoryResult(BaseModel):
    """What a history import did in the graph; counts only."""

    linked: int = 0
    contacts: int = 0
    contributed: int = 0
    withheld: int = Field(default=0, description="Outcomes not stored: the budget was spent.")
    not_consented: int = Field(default=0, description="Prospects outside contribute consent.")
    not_found: int = Field(default=0, description="Not the caller's prospects, or no identifiers.")
    conflicts: int = Field(
        default=0, description="Outcome versions already stored with another outcome (kept)."
    )
    opted_out: int = Field(default=0, description="Prospects whose person left the graph.")
