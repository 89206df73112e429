"""Appointment dates from booking tools' exports, read fast and always to UTC (pure).

A CSV import reads 100k dates: ISO 8601 and the explicit formats exports use (05/03/2024,
5 Mar 2024, March 5, 2024 2:30 pm, with or without a separate time) take microseconds; only
other text goes to dateparser, which takes milliseconds, so its results are cached and it is
never asked for relative dates ("yesterday" would change meaning between two imports).
All-numeric dates are read day first or month first, whichever the file proves, else the
caller's choice, else the provider's phone region.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, time, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from prospecting.identity.models import Person
from prospecting.prospects.schemas import DateOrder

MONTH_FIRST_REGIONS = frozenset({"US", "PR", "GU", "VI", "AS", "MP", "UM", "PH", "FM", "MH", "PW"})
"""Phone regions whose all-numeric dates read month first (03/05/2024 is March 5th)."""
_YEARS = (1900, 2100)
_SLOW_LANGUAGES = ("en", "fr", "de", "es", "it", "nl", "pt")
"""Month and day names dateparser tries (the languages the product reads); trying all of its
200 locales costs a second per unreadable value."""

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}  # fmt: skip
_ISO_DATE_ONLY = re.compile(r"\d{4}-?\d{2}-?\d{2}")
_NUMERIC = re.compile(r"(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})(?:(?:\s+|T|,\s*)(.+))?")
_MONTH_DAY = re.compile(
    r"(?:[a-z]+,?\s+)?([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})"
    r"(?:(?:\s+|,\s*|\s+at\s+)(.+))?",
    re.IGNORECASE,
)
_DAY_MONTH = re.compile(
    r"(?:[a-z]+,?\s+)?(\d{1,2})(?:st|nd|rd|th)?[\s\-]+([a-z]{3,9})\.?,?[\s\-]+(\d{4})"
    r"(?:(?:\s+|,\s*|\s+at\s+)(.+))?",
    re.IGNORECASE,
)
_CLOCK = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?(?::(\d{2}))?\s*(?:([ap])\.?\s*m\.?)?", re.I)


def read_clock(raw: str) -> time | None:
    """14:30, 14:30:00, 2:30 PM, 2pm; None for anything else."""
    match = _CLOCK.fullmatch(raw.strip())
    if match is None:
        return None
    hour, minute, second, half = match.groups()
    if minute is None and half is None:
        return None
    h, m, s = int(hour), int(minute or 0), int(second or 0)
    if half is not None:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if half.lower() == "p" else 0)
    if h > 23 or m > 59 or s > 59:
        return None
    return time(h, m, s)


def detect_order(values: Iterable[str]) -> DateOrder | None:
    """The order a file's numeric dates must have (a first part over 12 is a day), or None
    when its dates do not tell (or contradict each other)."""
    day_first = month_first = False
    for value in values:
        match = _NUMERIC.fullmatch(value.strip())
        if match is None or len(match.group(1)) > 2:
            continue
        a, b = int(match.group(1)), int(match.group(2))
        day_first |= a > 12 >= b
        month_first |= b > 12 >= a
    if day_first == month_first:
        return None
    return DateOrder.DMY if day_first else DateOrder.MDY


def _date_of(year: str, month: int, day: str) -> datetime | None:
    y = int(year)
    if len(year) == 2:
        y += 2000
    elif len(year) != 4:
        return None
    try:
        return datetime(y, month, int(day))
    except ValueError:
        return None


class DateReader:
    """Appointment dates to UTC: ISO 8601 and a few explicit formats on a fast path; only
    other text goes to dateparser (slow, so every result is cached). A naive value is in the
    provider's time zone; a date alone is noon there, so its day survives the move to UTC."""

    def __init__(self, order: DateOrder, zone: tzinfo) -> None:
        self.order = order
        self.zone = zone
        self._memo: dict[tuple[str, str], datetime | tuple[str, str]] = {}

    def read(self, raw_date: str, raw_time: str = "") -> datetime | tuple[str, str]:
        """The UTC moment, or (field, reason)."""
        key = (raw_date, raw_time)
        hit = self._memo.get(key)
        if hit is None:
            hit = self._memo[key] = self._read(raw_date, raw_time)
        return hit

    def _read(self, raw_date: str, raw_time: str) -> datetime | tuple[str, str]:
        parsed = self._parse(raw_date.strip())
        if parsed is None:
            return "date", (
                f'"{raw_date[:40]}" is not a date this import reads '
                "(e.g. 2024-03-05 14:30, 05/03/2024 or 5 Mar 2024)"
            )
        when, has_time = parsed
        if not has_time and raw_time:
            clock = read_clock(raw_time)
            if clock is None:
                return "time", f'"{raw_time[:20]}" is not a time (e.g. 14:30 or 2:30 PM)'
            when, has_time = datetime.combine(when.date(), clock, when.tzinfo), True
        if not has_time:
            when = when.replace(hour=12, minute=0, second=0, microsecond=0)
        if when.tzinfo is None:
            when = when.replace(tzinfo=self.zone)
        when = when.astimezone(UTC)
        if not _YEARS[0] <= when.year <= _YEARS[1]:
            return "date", f"{when.year} is outside {_YEARS[0]}-{_YEARS[1]}"
        return when

    def _parse(self, text: str) -> tuple[datetime, bool] | None:
        try:
            return datetime.fromisoformat(text), not _ISO_DATE_ONLY.fullmatch(text)
        except ValueError:
            pass
        fast = self._numeric(text) or self._named(text)
        if fast is not None:
            return fast
        return self._slow(text)

    def _numeric(self, text: str) -> tuple[datetime, bool] | None:
        match = _NUMERIC.fullmatch(text)
        if match is None:
            return None
        a, b, c, rest = match.groups()
        if len(a) == 4:
            year, month, day = a, b, c
        elif self.order is DateOrder.DMY:
            day, month, year = a, b, c
        else:
            month, day, year = a, b, c
        return self._with_clock(_date_of(year, int(month), day), rest)

    def _named(self, text: str) -> tuple[datetime, bool] | None:
        for pattern, month_at, day_at in ((_MONTH_DAY, 1, 2), (_DAY_MONTH, 2, 1)):
            match = pattern.fullmatch(text)
            month = _MONTHS.get(match.group(month_at).lower()) if match else None
            if match is not None and month is not None:
                return self._with_clock(
                    _date_of(match.group(3), month, match.group(day_at)), match.group(4)
                )
        return None

    @staticmethod
    def _with_clock(day: datetime | None, rest: str | None) -> tuple[datetime, bool] | None:
        if day is None:
            return None
        if not rest:
            return day, False
        clock = read_clock(rest)
        return (datetime.combine(day.date(), clock), True) if clock is not None else None

    def _slow(self, text: str) -> tuple[datetime, bool] | None:
        import dateparser  # slow to import and to run: only for what the fast path cannot read

        parsed = dateparser.parse(
            text,
            languages=list(_SLOW_LANGUAGES),
            settings={
                "DATE_ORDER": self.order.value.upper(),
                "PARSERS": ["absolute-time"],
                "REQUIRE_PARTS": ["day", "month", "year"],
            },
        )
        if parsed is None:
            return None
        return parsed, parsed.time() != time(0)


def provider_zone(actor: Person) -> tzinfo:
    try:
        return ZoneInfo(actor.time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return UTC
