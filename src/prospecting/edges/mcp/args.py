"""Tool arguments written for a model: every one described, bounded and, where the values are a
fixed set, an enum in the schema. Plus the opaque paging cursor the list tools share."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from prospecting.errors import InvalidInput
from prospecting.fields import AS_LINE, StrictInt
from prospecting.qualify.intent import INTENTS
from prospecting.qualify.language import LANGUAGES

MAX_PAGE = 100
MAX_ID = 64


@dataclass(frozen=True)
class OneOf:
    """Annotated metadata: the string must be one of `values` (an enum in the JSON schema,
    checked case-insensitively on the way in; None passes for an optional argument)."""

    values: tuple[str, ...]

    def check(self, value: str | None) -> str | None:
        if value is None:
            return None
        folded = value.strip().lower()
        if folded not in self.values:
            raise ValueError(f"must be one of {', '.join(self.values)}")
        return folded

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json = handler(schema)
        branches = json.get("anyOf", [json])
        for branch in branches:
            if branch.get("type") == "string":
                branch["enum"] = list(self.values)
        return json


ProspectId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_ID,
        description="A prospect's id, as list_prospects, get_prospect or qualify_inbound give it.",
    ),
    AS_LINE,
]
DraftId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_ID,
        description="A reply draft's id, as list_drafts or qualify_inbound give it.",
    ),
    AS_LINE,
]
SuggestionId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_ID,
        description="A merge suggestion's id, as list_merge_suggestions gives it.",
    ),
    AS_LINE,
]
SubjectKey = Annotated[
    str,
    Field(
        min_length=1,
        max_length=32,
        description="An opaque network subject key (from graph_link_prospect or graph_query).",
    ),
    AS_LINE,
]
Limit = Annotated[
    StrictInt, Field(ge=1, le=MAX_PAGE, description=f"How many items per page (1-{MAX_PAGE}).")
]
Cursor = Annotated[
    str | None,
    Field(
        default=None,
        max_length=512,
        description="Opaque: pass the next_cursor of the previous page to get the next one; "
        "omit it for the first page. A cursor only works with the same filters.",
    ),
]
Intent = Annotated[
    str | None,
    OneOf(INTENTS),
    Field(description="Only drafts answering a message of this intent."),
]
Language = Annotated[str, OneOf(LANGUAGES)]
"""An ISO 639-1 code among the languages the product reads (qualify.language.LANGUAGES)."""
CURRENCY_PATTERN = "^[A-Z]{3}$"
CURRENCY_HELP = "ISO 4217 currency code in capitals, e.g. GBP, EUR or USD."


# ---- the opaque cursor --------------------------------------------------------------------


def _fingerprint(kind: str, filters: dict[str, Any]) -> str:
    blob = json.dumps([kind, filters], sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def encode_cursor(kind: str, filters: dict[str, Any], position: dict[str, Any]) -> str:
    """Opaque to the client: where the next page starts, bound to the filters that made it."""
    payload = {"k": kind, "f": _fingerprint(kind, filters), "p": position}
    raw = json.dumps(payload, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, kind: str, filters: dict[str, Any]) -> dict[str, Any] | None:
    """The position a cursor stands for, or None for the first page; InvalidInput when it was
    made by another listing or other filters, or is not a cursor at all."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        position = payload["p"]
        matches = payload["k"] == kind and payload["f"] == _fingerprint(kind, filters)
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise InvalidInput(
            "cursor",
            "not a cursor this server issued",
            hint="omit cursor to start from the first page",
        ) from None
    if not matches or not isinstance(position, dict):
        raise InvalidInput(
            "cursor",
            "was issued for other filters",
            hint="call again with the same filters as the first page, or omit cursor",
        )
    return position


def keyset(position: dict[str, Any] | None) -> tuple[datetime, str] | None:
    """A (created_at, id) keyset position from a decoded cursor."""
    if position is None:
        return None
    try:
        return datetime.fromisoformat(str(position["at"])), str(position["id"])
    except (KeyError, ValueError):
        raise InvalidInput(
            "cursor", "not a cursor this server issued", hint="omit cursor to start again"
        ) from None


def offset_of(position: dict[str, Any] | None) -> int:
    if position is None:
        return 0
    value = position.get("offset")
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 1_000_000_000:
        raise InvalidInput(
            "cursor", "not a cursor this server issued", hint="omit cursor to start again"
        )
    return value
