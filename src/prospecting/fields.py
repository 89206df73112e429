"""Input field types shared by every capability and edge: one rule per kind of value, applied by
an Annotated type to every field a caller fills in (HTTP bodies, MCP tool arguments, CLI).

Text (every str input):
- NUL and the other C0/C1 control characters are rejected (422 / invalid_input naming the
  field), except tab, line feed and carriage return in free text (`Text`). A name, id or label
  (`Line`) rejects those too: it is one line.
- Bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) are rejected
  everywhere: they make stored text read differently from what it is. Right-to-left text
  (Arabic, Hebrew) needs none of them; the marks U+200E and U+200F stay allowed.
- Zero-width characters (U+200B-U+200D, U+2060, U+FEFF) are removed from a `Line`, so a name
  with a hidden one is the same name; they are kept in `Text`, where the joiner forms emoji and
  the non-joiner shapes Persian words.
Every other character (accents, CJK, emoji, Arabic, Hebrew...) is accepted as sent.
The one-line rule also guards every URL path segment and query value (`text_problem`, used by
edges/http/limits.py), so an id with a NUL never reaches the store.
The JSON schema states the rule: AS_LINE and AS_TEXT give their field a `pattern` built from
the same character sets (LINE_PATTERN, TEXT_PATTERN; the FILLED_* ones when a minimum length
asks for text left once trimmed), so data valid under the OpenAPI document passes the rule.

Numbers: `StrictInt` and `StrictFloat` refuse `true`/`false` and numeric strings; an int is
also bounded to 64 bits. Date-times (`Instant`): ISO 8601 text with a time zone only (an epoch
number is refused), and the instant in UTC must lie in 1900-2200 (a year-9999 date with a
negative offset would overflow when converted).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    GetJsonSchemaHandler,
    Strict,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

INT64_MAX = 2**63 - 1

# The character sets of the text rule, written once: the runtime checks below and the JSON
# Schema `pattern`s (LINE_PATTERN, TEXT_PATTERN) are both built from them. The escapes \xNN
# and \uNNNN mean the same in Python and ECMA-262 (JSON Schema) regular expressions.
_CONTROL_CHARS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_LINE_BREAK_CHARS = r"\t\n\r"
_BIDI_CHARS = r"\u202a-\u202e\u2066-\u2069"
_ZERO_WIDTH_CHARS = r"\u200b-\u200d\u2060\ufeff"

_CONTROL = re.compile(f"[{_CONTROL_CHARS}]")
_LINE_BREAK = re.compile(f"[{_LINE_BREAK_CHARS}]")
_BIDI = re.compile(f"[{_BIDI_CHARS}]")
_ZERO_WIDTH = re.compile(f"[{_ZERO_WIDTH_CHARS}]")

_LINE_OK = f"[^{_CONTROL_CHARS}{_LINE_BREAK_CHARS}{_BIDI_CHARS}]"
_TEXT_OK = f"[^{_CONTROL_CHARS}{_BIDI_CHARS}]"
LINE_PATTERN = f"^{_LINE_OK}*$"
"""JSON Schema `pattern` of a `Line`: no control character, line break or bidi control."""
TEXT_PATTERN = f"^{_TEXT_OK}*$"
"""JSON Schema `pattern` of a `Text`: no control character (tab, LF, CR allowed), no bidi
control."""
_VISIBLE = f"[^\\s{_CONTROL_CHARS}{_BIDI_CHARS}{_ZERO_WIDTH_CHARS}]"
FILLED_LINE_PATTERN = f"^{_LINE_OK}*{_VISIBLE}{_LINE_OK}*$"
"""A `Line` that is not empty once stripped of spaces and zero-width characters (the pattern of
a `Line` with a minimum length)."""
FILLED_TEXT_PATTERN = f"^{_TEXT_OK}*[^\\s{_CONTROL_CHARS}{_BIDI_CHARS}]{_TEXT_OK}*$"
"""A `Text` that is not blank (the pattern of a `Text` with a minimum length)."""


def text_problem(value: str, *, one_line: bool) -> str | None:
    """Why `value` breaks the text rule (with what to send instead), or None when it is fine."""
    if "\x00" in value:
        return "contains a NUL character; send the text without it"
    if one_line and (_CONTROL.search(value) or _LINE_BREAK.search(value)):
        return "contains control characters or line breaks; send one line of text"
    if _CONTROL.search(value):
        return "contains control characters; send printable text (tabs and new lines are fine)"
    if _BIDI.search(value):
        return (
            "contains bidi override or isolate characters (U+202A-U+202E, U+2066-U+2069); "
            "send the text without them"
        )
    return None


def _checked(value: Any, *, one_line: bool) -> Any:
    if not isinstance(value, str):
        return value  # the str validator names the wrong type
    problem = text_problem(value, one_line=one_line)
    if problem is not None:
        raise ValueError(problem)
    return _ZERO_WIDTH.sub("", value).strip() if one_line else value


def clean_line(value: Any) -> Any:
    """The one-line rule (names, ids, labels): see the module docstring."""
    return _checked(value, one_line=True)


def clean_text(value: Any) -> Any:
    """The free-text rule (messages, notes, answers): see the module docstring."""
    return _checked(value, one_line=False)


@dataclass(frozen=True)
class _TextRule(BeforeValidator):
    """The text rule as a validator that also states it in the JSON schema, as a `pattern`
    (FILLED_* when a minimum length asks for text that is not blank once trimmed)."""

    pattern: str = ""
    filled_pattern: str = ""

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        if schema.get("type") == "string" and "pattern" not in schema and "enum" not in schema:
            filled = schema.get("minLength", 0) >= 1
            schema["pattern"] = self.filled_pattern if filled else self.pattern
        return schema


@dataclass(frozen=True, eq=False)  # eq=False: hashable by identity, as Annotated needs
class JsonSchemaExtra:
    """Annotated metadata that adds keywords to a type's JSON schema, validation unchanged: the
    schema states a rule a validator checks (e.g. an enum of the values a validator accepts)."""

    extra: dict[str, Any]

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {**handler(core_schema), **self.extra}


AS_LINE = _TextRule(clean_line, pattern=LINE_PATTERN, filled_pattern=FILLED_LINE_PATTERN)
"""Annotated metadata, last: `Annotated[str, StringConstraints(...), AS_LINE]` (the rule runs
first, so lengths count the cleaned text)."""
AS_TEXT = _TextRule(clean_text, pattern=TEXT_PATTERN, filled_pattern=FILLED_TEXT_PATTERN)
"""Annotated metadata, last, for free text: `Annotated[str, StringConstraints(...), AS_TEXT]`."""
Line = Annotated[str, AS_LINE]
"""One line of text: a name, an id, a label."""
Text = Annotated[str, AS_TEXT]
"""Free text that may span lines: a message, a note, an answer."""

StrictInt = Annotated[int, Strict(), Field(ge=-INT64_MAX - 1, le=INT64_MAX)]
"""A JSON integer: not `true`, not "5", not 5.5, within 64 bits."""
StrictFloat = Annotated[float, Strict()]
"""A JSON number: not `true`, not "5"."""

EARLIEST = datetime(1899, 12, 31, tzinfo=UTC)  # 1900-01-01 in every time zone
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
_DATE_HELP = "send an ISO 8601 date-time with a time zone, e.g. 2025-03-01T09:30:00+00:00"


def _not_a_number(value: Any) -> Any:
    numeric = isinstance(value, int | float) or (
        isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+(\.\d*)?\s*", value) is not None
    )
    if numeric:
        raise ValueError(f"a number is not a date-time; {_DATE_HELP}")
    return value


def _in_range(value: datetime) -> datetime:
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError):
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise ValueError(f"must lie between the years 1900 and 2199 in UTC; {_DATE_HELP}")
    return value


INSTANT_PATTERN = r"^(?:19\d\d|20\d\d|21[0-8]\d|2199-(?:0\d|1[01]))-"
"""The years an `Instant` may state: 1900 to November 2199, so that every offset (up to a day)
keeps it within EARLIEST and LATEST in UTC."""

Instant = Annotated[
    AwareDatetime,
    AfterValidator(_in_range),
    BeforeValidator(_not_a_number),
    JsonSchemaExtra({"pattern": INSTANT_PATTERN}),
]
"""An aware date-time given as ISO 8601 text, 1900-2199 once converted to UTC."""
