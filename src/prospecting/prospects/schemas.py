"""Pydantic shapes for prospects and touchpoints."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

MAX_BODY_CHARS = 20_000


class Channel(enum.StrEnum):
    SMS = "sms"
    EMAIL = "email"
    WEB_FORM = "web_form"
    SOCIAL_DM = "social_dm"
    PHONE_CALL = "phone_call"


class Outcome(enum.StrEnum):
    BOOKED = "booked"
    RESCHEDULED = "rescheduled"
    NO_SHOW = "no_show"
    GHOSTED = "ghosted"
    DECLINED = "declined"
    BLOCKED = "blocked"


class SuggestionStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


POSITIVE_OUTCOMES: frozenset[str] = frozenset({Outcome.BOOKED, Outcome.RESCHEDULED})
"""The outcomes that count as "booked" everywhere: scoring labels, reachability, fingerprints."""


class ProspectStatus(enum.StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    QUALIFIED = "qualified"
    BOOKED = "booked"
    LOST = "lost"
    BLOCKED = "blocked"
    MERGED = "merged"


OUTCOME_STATUS = {
    Outcome.BOOKED: ProspectStatus.BOOKED,
    Outcome.RESCHEDULED: ProspectStatus.BOOKED,
    Outcome.NO_SHOW: ProspectStatus.LOST,
    Outcome.GHOSTED: ProspectStatus.LOST,
    Outcome.DECLINED: ProspectStatus.LOST,
    Outcome.BLOCKED: ProspectStatus.BLOCKED,
}

Trimmed = Annotated[str, StringConstraints(strip_whitespace=True, max_length=320)]


class InboundMessage(BaseModel):
    """An inbound message; at least one of phone, email or name identifies the sender."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel
    sender_phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = (
        None
    )
    sender_email: Trimmed | None = None
    sender_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = (
        None
    )
    body: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_BODY_CHARS)
    ]
    received_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _some_sender(self) -> InboundMessage:
        if not (self.sender_phone or self.sender_email or self.sender_name):
            raise ValueError("one of sender_phone, sender_email or sender_name is required")
        return self


class ProspectUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None
    ) = None
    status: ProspectStatus | None = None
    notes: Annotated[str, StringConstraints(max_length=5000)] | None = None

    @model_validator(mode="after")
    def _not_merged(self) -> ProspectUpdate:
        if self.status is ProspectStatus.MERGED:
            raise ValueError("status 'merged' is set only by accepting a merge suggestion")
        return self


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    occurred_at: AwareDatetime | None = None


class ProspectOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    display_name: str | None
    phone_e164: str | None
    email: str | None
    status: ProspectStatus
    notes: str | None
    merged_into_id: str | None
    link_confidence: float | None
    created_at: datetime
    updated_at: datetime
    last_inbound_at: datetime | None


class TouchpointOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    prospect_id: str
    kind: str
    direction: str
    channel: str | None
    body: str | None
    outcome: str | None
    outcome_version: int | None
    occurred_at: datetime


class MergeSuggestionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    prospect_id: str
    candidate_id: str
    reason: str
    score: float
    status: SuggestionStatus
    created_at: datetime


class IngestResult(BaseModel):
    prospect: ProspectOut
    touchpoint: TouchpointOut
    created: bool = Field(description="True when the inbound started a new prospect.")
    matched_on: str | None = Field(description="The strong dimension that attached it, if any.")
    merge_suggestions: list[MergeSuggestionOut]


class ProspectPage(BaseModel):
    items: list[ProspectOut]
    total: int
    limit: int
    offset: int
