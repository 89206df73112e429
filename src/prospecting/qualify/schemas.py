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
    StringConstraints,
    field_validator,
    model_validator,
)

from prospecting.prospects.schemas import IngestResult

MAX_DRAFT_CHARS = 4000
MAX_BATCH = 200

Tone = Literal["warm", "concise", "formal"]
ServiceName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
_LANGUAGE = re.compile(r"^[a-z]{2}$")
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
    duration_minutes: int | None = Field(default=None, ge=5, le=600)
    price_min: float | None = Field(default=None, ge=0, le=100_000)
    price_max: float | None = Field(default=None, ge=0, le=100_000)
    currency: str | None = None

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


class ProfileIn(BaseModel):
    """The provider's drafting profile (replaces the stored one as a whole)."""

    model_config = ConfigDict(extra="forbid")

    services: list[ServiceOffer] = Field(default_factory=list, max_length=50)
    hours_text: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = (
        None
    )
    booking_link: AnyHttpUrl | None = None
    tone: Tone = "warm"
    sign_off: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1, max_length=10)

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
    updated_at: datetime | None


class EntitiesOut(BaseModel):
    requested_service: str | None
    day_time_wishes: list[str]
    urgency: str


class Factor(BaseModel):
    """One reason the score moved: signed contribution on the log-odds scale."""

    feature: str
    reason: str
    contribution: float
    direction: Literal["raises", "lowers"]


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
    suggested_action: str
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
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_DRAFT_CHARS)
    ]


class BatchApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    draft_ids: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(
        min_length=1, max_length=MAX_BATCH
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
