"""Pydantic shapes for auto-qualify; validators name the field and the reason."""

from __future__ import annotations

import enum
import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    field_validator,
    model_validator,
)

from prospecting.fields import AS_LINE, AS_TEXT, JsonSchemaExtra, Line, StrictFloat, StrictInt
from prospecting.prospects.schemas import IngestResult

MAX_DRAFT_CHARS = 4000
MAX_BATCH = 200

Tone = Literal["warm", "concise", "formal"]
ServiceName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80), AS_LINE
]
_LANGUAGE = re.compile(r"^[a-z]{2}$")
LanguageCode = Annotated[
    str, JsonSchemaExtra({"pattern": "^[A-Za-z]{2}$", "description": "An ISO 639-1 code."}), AS_LINE
]
"""What ProfileIn._languages accepts: two letters (trimmed, folded to lower case)."""
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class DraftStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DISCARDED = "discarded"


class OutboxStatus(enum.StrEnum):
    QUEUED = "queued"
    HANDED_OVER = "handed_over"


class ServiceOffer(BaseModel):
    """One service; a price range is optional, and without one drafts never quote a price."""

    model_config = ConfigDict(extra="forbid")

    name: ServiceName
    duration_minutes: Annotated[StrictInt, Field(ge=5, le=600)] | None = None
    price_min: Annotated[StrictFloat, Field(ge=0, le=100_000)] | None = None
    price_max: Annotated[StrictFloat, Field(ge=0, le=100_000)] | None = None
    currency: Line | None = None

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = value.strip().upper()
        if not _CURRENCY.match(code):
            raise ValueError("must be an ISO 4217 code such as GBP, EUR or USD")
        return code

    @model_validator(mode="after")
    def _price_range(self) -> ServiceOffer:
        low, high = self.price_min, self.price_max
        if low is not None and high is not None and high < low:
            raise ValueError("price_max must not be below price_min")
        if (self.price_min is not None or self.price_max is not None) and self.currency is None:
            raise ValueError("currency is required when a price is given")
        return self


ShortProfileText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300), AS_TEXT]
ProfileText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), AS_TEXT]
LongProfileText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000), AS_TEXT]
EmergencyNumber = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20), AS_LINE]
_PHONE = re.compile(r"^\+?[0-9(][0-9 ()./-]{0,29}$")


def _phone_number(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    if not _PHONE.match(value) or not any(c.isdigit() for c in value):
        raise ValueError("must be a phone number of digits, spaces, +, -, ( ) such as 116 123")
    return value


class FaqEntry(BaseModel):
    """One question the provider is often asked, with the answer drafts may quote verbatim."""

    model_config = ConfigDict(extra="forbid")

    question: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200), AS_LINE
    ] = Field(description="The question as prospects tend to ask it, e.g. 'Do you see couples?'")
    answer: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000), AS_TEXT
    ] = Field(description="The provider's own answer, quoted as written in a draft.")


class Helpline(BaseModel):
    """A support line in the provider's region, named in a crisis draft."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80), AS_LINE
    ] = Field(description="The helpline's name, e.g. 'Samaritans'.")
    number: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=2, max_length=30), AS_LINE
    ] = Field(description="How to reach it, e.g. '116 123'.")

    @field_validator("number")
    @classmethod
    def _number(cls, value: str) -> str:
        checked = _phone_number(value)
        assert checked is not None
        return checked


class CrisisProtocol(BaseModel):
    """What the provider wants said when a message reads as a crisis; without one, drafts
    name local emergency services generically and say the provider will reach out."""

    model_config = ConfigDict(extra="forbid")

    message: LongProfileText | None = Field(
        default=None,
        description="The provider's own words for someone in crisis, quoted as written.",
    )
    emergency_number: EmergencyNumber | None = Field(
        default=None,
        description="The emergency number for the provider's region, e.g. 112, 999 or 911.",
    )
    helplines: list[Helpline] = Field(
        default_factory=list,
        max_length=5,
        description="Support lines for the provider's region, named in a crisis draft.",
    )

    @field_validator("message")
    @classmethod
    def _blank(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("emergency_number")
    @classmethod
    def _emergency(cls, value: str | None) -> str | None:
        return _phone_number(value or None)


class ProfileIn(BaseModel):
    """The provider's drafting profile (replaces the stored one as a whole)."""

    model_config = ConfigDict(extra="forbid")

    services: list[ServiceOffer] = Field(default_factory=list, max_length=50)
    hours_text: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), AS_TEXT] | None
    ) = None
    booking_link: Annotated[AnyHttpUrl, AS_LINE] | None = None
    tone: Tone = "warm"
    sign_off: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), AS_TEXT] | None
    ) = None
    languages: list[LanguageCode] = Field(
        default_factory=lambda: ["en"], min_length=1, max_length=10
    )
    faq: list[FaqEntry] = Field(
        default_factory=list,
        max_length=30,
        description="Questions prospects often ask, with the provider's answers; a draft quotes "
        "the answer when a message asks something close to the question.",
    )
    cancellation_policy: ProfileText | None = Field(
        default=None,
        description="The cancellation and no-show policy in the provider's words.",
    )
    location: ShortProfileText | None = Field(
        default=None, description="Where sessions take place (address text)."
    )
    parking: ShortProfileText | None = Field(default=None, description="Parking near the location.")
    online_sessions: StrictBool | None = Field(
        default=None, description="Whether sessions can be held online (unset: not stated)."
    )
    in_person: StrictBool | None = Field(
        default=None, description="Whether sessions can be held in person (unset: not stated)."
    )
    insurance: ProfileText | None = Field(
        default=None,
        description="What the provider says about insurance, e.g. which insurers cover sessions.",
    )
    crisis_protocol: CrisisProtocol | None = Field(
        default=None,
        description="What a draft says to someone in crisis: the provider's message, the "
        "emergency number and helplines of their region.",
    )

    @field_validator("cancellation_policy", "location", "parking", "insurance")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("booking_link")
    @classmethod
    def _link(cls, value: AnyHttpUrl | None) -> AnyHttpUrl | None:
        if value is not None and (len(str(value)) > 500 or not value.host or "." not in value.host):
            raise ValueError("must be a public http(s) URL of at most 500 characters")
        return value

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        out = []
        for code in value:
            code = code.strip().lower()
            if not _LANGUAGE.match(code):
                raise ValueError("each language must be an ISO 639-1 code such as en or es")
            out.append(code)
        return list(dict.fromkeys(out))

    @field_validator("services")
    @classmethod
    def _unique_services(cls, value: list[ServiceOffer]) -> list[ServiceOffer]:
        names = [s.name.casefold() for s in value]
        if len(names) != len(set(names)):
            raise ValueError("service names must be unique")
        return value


class ProfileOut(BaseModel):
    services: list[ServiceOffer]
    hours_text: str | None
    booking_link: str | None
    tone: Tone
    sign_off: str | None
    languages: list[str]
    faq: list[FaqEntry]
    cancellation_policy: str | None
    location: str | None
    parking: str | None
    online_sessions: bool | None
    in_person: bool | None
    insurance: str | None
    crisis_protocol: CrisisProtocol | None
    updated_at: datetime | None


class EntitiesOut(BaseModel):
    requested_service: str | None
    day_time_wishes: list[str]
    resolved_times: list[str] = Field(
        default_factory=list,
        description="Each wish as an ISO 8601 time in the provider's time zone (parts of day "
        "at a representative hour: morning 09:00, afternoon 14:00, evening 18:00).",
    )
    urgency: str


class Factor(BaseModel):
    """One reason the score moved: signed contribution on the log-odds scale."""

    feature: str
    reason: str
    contribution: float
    direction: Literal["raises", "lowers"]


class TriageOut(BaseModel):
    """What the screen before drafting found (`qualify.triage`)."""

    kinds: list[
        Literal["crisis", "health", "complaint", "legal", "minor", "harassment", "privacy"]
    ] = Field(default_factory=list, description="Sensitive kinds found; empty when ordinary.")
    reasons: list[str] = Field(
        default_factory=list, description="One reason per finding, in the provider's words."
    )
    urgency: Literal["normal", "high", "crisis"] = "normal"


class QualificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    prospect_id: str
    touchpoint_id: str
    intent: str
    intent_confidence: float
    language: str
    entities: EntitiesOut
    p_book: float = Field(description="Calibrated probability that this prospect books.")
    factors: list[Factor]
    graph_state: str = Field(
        description="empty (no network signal), degraded (graph unreachable), the graph's "
        "network state (sparse, growing, dense) or present"
    )
    graph_notices: list[str] = Field(
        default_factory=list,
        description="What the copilot should tell the provider about "
        "the network signal, e.g. that its privacy budget for this person is spent.",
    )
    model_version: str
    triage: TriageOut = Field(
        default_factory=TriageOut,
        description="What the screen before drafting found: sensitive kinds, reasons, urgency.",
    )


class DraftOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    prospect_id: str
    qualification_id: str
    channel: str | None
    language: str
    tone: str
    body: str
    source: str = Field(description="offline, mcp_sampling or llm_endpoint")
    suggested_action: str = Field(description="approve, discard or review")
    needs_review: bool = Field(
        default=False,
        description="Held back from one-tap and batch approval: approve it on its own with "
        "confirm_review, or edit it.",
    )
    review_reasons: list[str] = Field(
        default_factory=list, description="Why the draft is held back, in the provider's words."
    )
    status: DraftStatus
    edited_body: str | None
    edit_distance: int | None
    outbound_touchpoint_id: str | None
    received_at: datetime
    ready_at: datetime
    latency_ms: float
    decided_at: datetime | None


class DraftDetail(DraftOut):
    qualification: QualificationOut


class DraftPage(BaseModel):
    items: list[DraftDetail]
    total: int


class QualifiedInbound(BaseModel):
    """The ingested message with what auto-qualify made of it."""

    ingest: IngestResult
    qualification: QualificationOut
    draft: DraftOut


class EditIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_DRAFT_CHARS),
        AS_TEXT,
    ]


class BatchApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    draft_ids: list[Annotated[str, StringConstraints(min_length=1, max_length=64), AS_LINE]] = (
        Field(min_length=1, max_length=MAX_BATCH)
    )


class BatchApproveOut(BaseModel):
    approved: list[DraftOut]


class LatencyStats(BaseModel):
    count: int
    p50_seconds: float | None
    p95_seconds: float | None


class QualificationReport(BaseModel):
    """Time to first response and time saved for the acting Person."""

    inbound_qualified: int
    drafts_pending: int
    drafts_approved: int
    drafts_edited: int
    drafts_discarded: int
    inbound_to_draft: LatencyStats
    inbound_to_approved: LatencyStats
    seconds_saved_estimate: float
    seconds_saved_range: tuple[float, float]
    seconds_per_manual_reply_assumed: float
    booked_prospects: int
    seconds_saved_per_booking: float | None
    model_version: str
