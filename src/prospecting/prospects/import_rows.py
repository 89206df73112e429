"""Booking tools' CSV exports, one row at a time (pure): which column is which, what a status
means, and whether a row is accepted, with the reason when it is not.

Header aliases cover Square, Acuity, Calendly, Fresha, Vagaro, Google Contacts and a plain
`name,phone,email,date,status`, compared without case, spaces or punctuation. Identifiers go
through the resolver's normalisers, each distinct raw value once. A row needs a phone or an
email that normalises (the strong identifiers it is matched on, again on the next import); a
bad phone beside a good email (or the reverse) keeps the row without it, as a warning.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from prospecting.errors import InvalidInput
from prospecting.fields import clean_line, text_problem
from prospecting.prospects.import_dates import DateReader
from prospecting.prospects.schemas import ImportIssue, Outcome
from prospecting.resolver.chain import Identifiers
from prospecting.resolver.normalize import normalize_email, normalize_name, normalize_phone

MAX_LISTED_ISSUES = 200
"""Rejected rows (and warnings) listed in the report; the totals count them all."""
_LIMITS = {"phone": 40, "email": 320, "name": 200}

# ---- columns ----------------------------------------------------------------------------

HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "name": (
        "name", "fullname", "clientname", "customername", "client", "customer", "contact",
        "contactname", "displayname", "patientname", "patient", "attendeename", "inviteename",
        "guestname", "studentname",
    ),
    "first_name": (
        "firstname", "first", "givenname", "forename", "clientfirstname", "customerfirstname",
        "inviteefirstname",
    ),
    "last_name": (
        "lastname", "last", "surname", "familyname", "clientlastname", "customerlastname",
        "inviteelastname",
    ),
    "phone": (
        "phone", "phonenumber", "phoneno", "mobile", "mobilephone", "mobilenumber", "cell",
        "cellphone", "telephone", "tel", "clientphone", "customerphone", "contactnumber",
        "primaryphone", "phone1value", "textremindernumber", "inviteephone",
    ),
    "email": (
        "email", "emailaddress", "mail", "clientemail", "customeremail", "inviteeemail",
        "primaryemail", "email1value",
    ),
    "date": (
        "date", "appointmentdate", "appointmentdatetime", "appointment", "appointmentstart",
        "startdate", "startdatetime", "start", "datetime", "scheduleddate", "scheduledfor",
        "bookingdate", "eventdate", "visitdate", "servicedate",
    ),
    "time": ("time", "appointmenttime", "scheduledtime", "bookingtime", "eventtime", "visittime"),
    "status": (
        "status", "appointmentstatus", "bookingstatus", "eventstatus", "state", "outcome",
        "attendance", "attendancestatus",
    ),
}  # fmt: skip
"""Headers of common exports (Square, Acuity, Calendly, Fresha, Vagaro, Google Contacts and
plain name,phone,email,date,status), compared without case, spaces or punctuation."""
_ALIAS_FIELD = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}
_START_TIME = "starttime"
"""Acuity's full start date-time, Vagaro's time beside a date column: read as whichever is
missing."""


def _fold_header(header: str) -> str:
    return re.sub(r"[^0-9a-z]", "", header.casefold())


@dataclass(frozen=True)
class Columns:
    """Which column holds each field, the header it came from, and the headers ignored."""

    index: dict[str, int]
    headers: dict[str, str]
    ignored: list[str]

    def value(self, record: Sequence[str], name: str) -> str:
        at = self.index.get(name)
        return record[at].strip() if at is not None and at < len(record) else ""


def map_columns(header: Sequence[str], *, field_name: str = "file") -> Columns:
    """Map a header row to fields; the first column for a field wins, the rest are ignored.
    Without a phone or an email column no client could be matched again: InvalidInput."""
    index: dict[str, int] = {}
    ignored: list[str] = []
    start_time: int | None = None
    for at, raw in enumerate(header):
        folded = _fold_header(raw)
        name = _ALIAS_FIELD.get(folded)
        if folded == _START_TIME and start_time is None:
            start_time = at
        elif name is not None and name not in index:
            index[name] = at
        elif raw.strip():
            ignored.append(raw.strip())
    if start_time is not None:
        slot = "time" if "date" in index else "date"
        if slot in index:
            ignored.append(header[start_time].strip())
        else:
            index[slot] = start_time
    if "phone" not in index and "email" not in index:
        raise InvalidInput(
            field_name,
            "the header row names no phone or email column",
            hint="put the header row first, with a column named phone (or mobile, telephone) "
            "or email; name, date, time and status columns are optional",
        )
    headers = {name: header[at].strip() for name, at in sorted(index.items(), key=lambda i: i[1])}
    return Columns(index=index, headers=headers, ignored=ignored)


# ---- statuses ---------------------------------------------------------------------------

STATUS_WORDS: dict[Outcome | None, tuple[str, ...]] = {
    Outcome.BOOKED: (
        "booked", "confirmed", "accepted", "active", "completed", "complete", "done", "finished",
        "attended", "showed", "show", "showed up", "arrived", "checked in", "checked out",
        "started", "in progress", "paid", "fulfilled",
    ),
    Outcome.RESCHEDULED: ("rescheduled", "moved"),
    Outcome.NO_SHOW: (
        "no show", "noshow", "no showed", "missed", "did not show", "didn't show",
        "did not attend", "absent",
    ),
    Outcome.DECLINED: (
        "cancelled", "canceled", "cancellation", "late cancellation", "late cancel",
        "cancelled by client", "cancelled by customer", "cancelled by buyer",
        "canceled by invitee", "declined", "rejected", "refused",
    ),
    Outcome.BLOCKED: ("blocked", "banned", "blacklisted", "do not book"),
    None: (
        "", "upcoming", "pending", "scheduled", "unconfirmed", "requested", "tentative",
        "waitlist", "waitlisted", "new", "open", "cancelled by seller", "cancelled by provider",
        "cancelled by business", "cancelled by staff", "canceled by host",
    ),
}  # fmt: skip
"""Booking tools' statuses as our outcomes. None: nothing to record yet (upcoming), or the
provider cancelled (which says nothing about the client)."""
STATUS_HELP = (
    "booked/completed/attended/showed/paid, rescheduled, no-show/missed, "
    "cancelled/declined, blocked/banned, or empty/upcoming"
)


def _fold_status(raw: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", raw.casefold().replace("'", "")).split())


_STATUS = {_fold_status(word): outcome for outcome, words in STATUS_WORDS.items() for word in words}


@lru_cache(maxsize=1024)
def read_status(raw: str) -> Outcome | None:
    """The outcome a status stands for; ValueError for a status outside the vocabulary."""
    folded = _fold_status(raw)
    if folded in _STATUS:
        return _STATUS[folded]
    if folded.replace(" ", "") in _STATUS:
        return _STATUS[folded.replace(" ", "")]
    raise ValueError(folded)


# ---- one row ----------------------------------------------------------------------------


@dataclass(slots=True)
class ImportRow:
    """One accepted row: normalised identifiers, the raw name to show, when and what happened."""

    number: int
    ids: Identifiers
    display_name: str | None
    at: datetime | None
    outcome: Outcome | None


@dataclass
class Issues:
    """Rejected rows and warnings: every one counted, the first MAX_LISTED_ISSUES listed."""

    rejected: list[ImportIssue] = field(default_factory=list)
    rejected_total: int = 0
    warnings: list[ImportIssue] = field(default_factory=list)
    warnings_total: int = 0

    def reject(self, row: int, name: str, reason: str) -> None:
        self.rejected_total += 1
        if len(self.rejected) < MAX_LISTED_ISSUES:
            self.rejected.append(ImportIssue(row=row, field=name, reason=reason))

    def warn(self, row: int, name: str, reason: str) -> None:
        self.warnings_total += 1
        if len(self.warnings) < MAX_LISTED_ISSUES:
            self.warnings.append(ImportIssue(row=row, field=name, reason=reason))


Checked = tuple[str | None, str | None]
"""(normalised value, None) or (None, reason)."""


_PUNCTUATED_NUMBER = re.compile(r"\+?[\d\s().\-/]+")
_NUMBER_PUNCTUATION = re.compile(r"[\s().\-/]")


def phone_key(raw: str) -> str:
    """The same number in other punctuation (07400 123456, (07400) 123-456) shares one
    cache entry: the phone parser drops exactly these characters. Letters, extensions and
    very short values keep their raw text."""
    if not _PUNCTUATED_NUMBER.fullmatch(raw):
        return raw
    bare = _NUMBER_PUNCTUATION.sub("", raw)
    return bare if len(bare) >= 5 else raw


def email_key(raw: str) -> str:
    """`normalize_email` begins by trimming and lowercasing: variants that differ only there
    share one cache entry."""
    return raw.strip().lower()


class _Normalised:
    """One resolver normaliser over a file: each distinct value (after `key`) is normalised
    once."""

    def __init__(
        self, name: str, normalise: Callable[[str], str], key: Callable[[str], str] = str.strip
    ) -> None:
        self.name, self.normalise, self.key, self.limit = name, normalise, key, _LIMITS[name]
        self._memo: dict[str, Checked] = {}

    def __call__(self, raw: str) -> Checked:
        if not raw:
            return None, None
        problem = text_problem(raw, one_line=True)  # the text rule of prospecting.fields
        if problem is not None:
            return None, problem
        if len(raw) > self.limit:
            return None, f"longer than {self.limit} characters"
        key = self.key(raw)
        hit = self._memo.get(key)
        if hit is None:
            try:
                hit = (self.normalise(key), None)
            except InvalidInput as exc:
                hit = (None, exc.reason)
            self._memo[key] = hit
        return hit


class RowReader:
    """Validates and normalises one record at a time; what is wrong goes to `issues`."""

    def __init__(
        self, columns: Columns, dates: DateReader, issues: Issues, *, region: str | None
    ) -> None:
        self.columns, self.dates, self.issues = columns, dates, issues
        self.phone = _Normalised(
            "phone",
            lambda raw: normalize_phone(raw, default_region=region, field="phone"),
            phone_key,
        )
        self.email = _Normalised(
            "email", lambda raw: normalize_email(raw, field="email"), email_key
        )
        self.name = _Normalised("name", lambda raw: normalize_name(raw, field="name"))

    def read(self, record: Sequence[str], number: int) -> ImportRow | None:
        """The accepted row, or None (rejected, with its reason in `issues`)."""
        get = self.columns.value
        raw_name = get(record, "name") or " ".join(
            filter(None, (get(record, "first_name"), get(record, "last_name")))
        )
        phone, phone_problem = self.phone(get(record, "phone"))
        email, email_problem = self.email(get(record, "email"))
        name, name_problem = self.name(raw_name)
        problems = {"phone": phone_problem, "email": email_problem, "name": name_problem}
        if phone is None and email is None:
            failed = next((f for f in ("phone", "email") if problems[f]), None)
            reason = problems[failed] if failed else "no phone or email to match the client on"
            self.issues.reject(number, failed or "phone", reason or "")
            return None
        status = get(record, "status")
        try:
            outcome = read_status(status)
        except ValueError:
            header = self.columns.headers.get("status", "status")
            self.issues.reject(
                number,
                "status",
                f'column "{header}": unknown status "{status[:40]}"; known: {STATUS_HELP}',
            )
            return None
        at = None
        raw_date = get(record, "date")
        if raw_date:
            when = self.dates.read(raw_date, get(record, "time"))
            if isinstance(when, tuple):
                self.issues.reject(number, *when)
                return None
            at = when
        for name_, problem in problems.items():
            if problem:
                self.issues.warn(number, name_, f"{problem}: stored without it")
        ids = Identifiers(phone=phone, email=email, name=name)
        shown = clean_line(raw_name) if name is not None else None
        return ImportRow(number, ids, shown, at, outcome)
