"""Pydantic shapes for prospects and touchpoints."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from prospecting.fields import AS_LINE, AS_TEXT, FILLED_LINE_PATTERN, Instant, JsonSchemaExtra

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

Trimmed = Annotated[str, StringConstraints(strip_whitespace=True, max_length=320), AS_LINE]


class InboundMessage(BaseModel):
    """An inbound message; at least one of phone, email or name identifies the sender."""

    model_config = ConfigDict(
        extra="forbid",
        # _some_sender, stated: one sender field is a string with more than spaces in it.
        json_schema_extra={
            "anyOf": [
                {
                    "required": [name],
                    "properties": {name: {"type": "string", "pattern": FILLED_LINE_PATTERN}},
                }
                for name in ("sender_phone", "sender_email", "sender_name")
            ]
        },
    )

    channel: Channel
    sender_phone: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=40), AS_LINE] | None
    ) = None
    sender_email: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, max_length=320),
            # normalize_email refuses what is not an address; "" is no address at all
            JsonSchemaExtra({"anyOf": [{"format": "email"}, {"maxLength": 0}]}),
            AS_LINE,
        ]
        | None
    ) = None
    sender_name: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), AS_LINE] | None
    ) = None
    body: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_BODY_CHARS),
        AS_TEXT,
    ]
    received_at: Instant | None = None

    @model_validator(mode="after")
    def _some_sender(self) -> InboundMessage:
        if not (self.sender_phone or self.sender_email or self.sender_name):
            raise ValueError("one of sender_phone, sender_email or sender_name is required")
        return self


class ProspectUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), AS_LINE] | None
    ) = None
    status: ProspectStatus | None = None
    notes: Annotated[str, StringConstraints(max_length=5000), AS_TEXT] | None = None

    @model_validator(mode="after")
    def _not_merged(self) -> ProspectUpdate:
        if self.status is ProspectStatus.MERGED:
            raise ValueError("status 'merged' is set only by accepting a merge suggestion")
        return self


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    occurred_at: Instant | None = None


class ProspectOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    display_name: str | None
    phone_e164: str | None
    phone_unverified: bool = Field(
        default=False,
        description="An inbound's phone failed validation: kept raw, not hashed or linked.",
    )
    email: str | None
    status: ProspectStatus
    notes: str | None
    merged_into_id: str | None
    link_confidence: float | None
    created_at: datetime
    updated_at: datetime
    last_inbound_at: datetime | None
    origin: str | None = Field(
        default=None,
        description='"warm_intro" or "handoff" when a vetted peer referred this person (the '
        "coop), with `origin_ref` naming the intro or hand-off; null for your own inbound.",
    )
    origin_ref: str | None = None


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
    phone_unverified: bool = Field(
        default=False,
        description="This inbound's phone failed validation; the message was kept, unhashed.",
    )


class ProspectPage(BaseModel):
    items: list[ProspectOut]
    total: int
    limit: int
    offset: int


class DateOrder(enum.StrEnum):
    """How an import reads an all-numeric date such as 03/05/2024."""

    DMY = "dmy"
    MDY = "mdy"


class ImportIssue(BaseModel):
    """One rejected row, or one value an accepted row was stored without. Never the raw
    identifier: the reason says what is wrong with it."""

    row: int = Field(description="The row as a spreadsheet numbers it (the header is row 1).")
    field: str = Field(description="phone, email, name, date, time, status or file.")
    reason: str


class ImportNetwork(BaseModel):
    """What the import gave the network graph: counts only, never who."""

    requested: bool = Field(description="False when the import was kept local as asked.")
    linked: int = 0
    contacts: int = Field(default=0, description="Contact days recorded for linked prospects.")
    contributed: int = Field(default=0, description="Latest outcomes contributed (noised).")
    withheld: int = Field(default=0, description="Outcomes not stored: the budget was spent.")
    not_consented: int = Field(default=0, description="Prospects outside contribute consent.")
    opted_out: int = Field(default=0, description="Prospects whose person left the graph.")
    rows_not_shared: int = Field(
        default=0,
        description="Imported rows whose chunk the graph refused or could not take (see "
        "`error`); importing the same file again shares them and stores nothing twice.",
    )
    error: str | None = Field(default=None, description="`code: detail` of the first failure.")


class ImportReport(BaseModel):
    """What a CSV import stored, skipped and rejected; importing the same file again stores
    nothing new (every row is then a duplicate)."""

    rows: int = Field(description="Data rows read (blank lines are not counted).")
    imported: int = Field(description="Rows accepted (stored, or duplicates of stored ones).")
    rejected_total: int
    rejected: list[ImportIssue] = Field(description="The first rejected rows, with reasons.")
    warnings_total: int
    warnings: list[ImportIssue] = Field(
        description="Values an accepted row was stored without (e.g. an invalid phone next to "
        "a valid email), and statuses not recorded."
    )
    clients_created: int
    clients_matched: int = Field(description="Your existing prospects the file's clients matched.")
    appointments: int = Field(description="New appointment touchpoints.")
    future_appointments: int = Field(
        description="Of those, appointments after the import: stored, never contributed."
    )
    outcomes: int = Field(description="New outcome touchpoints (each a new outcome_version).")
    duplicates: int = Field(description="Accepted rows that stored nothing new.")
    merge_suggestions: int = Field(
        description="New suggestions: a client's phone and email matched two prospects."
    )
    columns: dict[str, str] = Field(description="Each field read, with the header it came from.")
    ignored_columns: list[str]
    date_order: DateOrder
    date_order_from: Literal["option", "file", "phone_region"]
    network: ImportNetwork
    seconds: float
