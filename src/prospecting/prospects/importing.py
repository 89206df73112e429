"""Import a provider's existing clients and past appointments from a booking tool's CSV export.

Every client becomes one of the caller's prospects (or is matched to one), every appointment
an inbound touchpoint and every status an outcome, stored the way the live paths store them,
so qualification, training and the graph read imported history like live history:

- a prospect's fields are filled as `ingest` fills them, its hash chain as `store_chain` does;
- an appointment is a touchpoint of kind `appointment`, direction `inbound`, with the
  normalised sender fields and no channel or body: history reads count from the first
  one, `keys rehash` re-hashes the chain from it, a past one moves `last_inbound_at` as a
  message would, and qualification (which reads messages) never takes it for a message;
- a status is an outcome touchpoint (kind `outcome`, direction `internal`) with the next
  `outcome_version`, in date order, and the prospect's status follows the latest one, as in
  `record_outcome`.

Set-based, because an export of 100k rows must take seconds where `ingest` costs several
queries and an ORM flush per message: rows are parsed and normalised in memory (each distinct
raw value once, `import_rows`), grouped into clients by their strong digests, matched against
the caller's own prospects with a few IN queries per chunk, and written with Core executemany
under client-side ids; nothing written is read back.

An appointment after the import is stored with its status, but the graph is never given
either (`HistoryRow` carries past contacts only). A status without a date is the client's
standing at the import, recorded once.

Idempotent: a client matches the prospect it created, and an appointment already stored for
that prospect at that time (with the same status) stores nothing, so importing a file twice
changes nothing. Rejected rows are reported, never fatal; only an unreadable file is an error.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from prospecting.errors import InvalidInput
from prospecting.identity.models import Person
from prospecting.prospects.identifiers import STRONG_PRIORITY
from prospecting.prospects.import_dates import (
    MONTH_FIRST_REGIONS,
    DateReader,
    detect_order,
    provider_zone,
)
from prospecting.prospects.import_rows import Columns, ImportRow, Issues, RowReader, map_columns
from prospecting.prospects.models import MergeSuggestion, Prospect, ProspectIdentifier, Touchpoint
from prospecting.prospects.schemas import (
    OUTCOME_STATUS,
    DateOrder,
    ImportNetwork,
    ImportReport,
    Outcome,
    ProspectStatus,
    SuggestionStatus,
)
from prospecting.prospects.service import lock_tenant, name_block
from prospecting.resolver.chain import Identifiers
from prospecting.resolver.keys import STRONG_DIMENSIONS, Digest
from prospecting.resolver.service import Resolver

MAX_IMPORT_BYTES = 16 * 1024 * 1024
"""The largest CSV the HTTP edge takes (about 150k rows of a typical export); larger files go
through `prospecting prospects import FILE`."""
CHUNK_ROWS = 5_000
"""Rows per tenant transaction (and per graph transaction after it)."""
APPOINTMENT = "appointment"
_ID_BATCH = 500

Progress = Callable[[str, int, int], None]
"""(stage, done, total): stage is `reading` (rows parsed) or `importing` (rows stored)."""

# ---- reading: the whole file, parsed and grouped into clients ---------------------------


@dataclass
class Plan:
    """A parsed file: its accepted rows grouped into clients, its issues and columns."""

    columns: Columns
    date_order: DateOrder
    date_order_from: Literal["option", "file", "phone_region"]
    rows: int
    accepted: int
    clients: list[list[ImportRow]]
    issues: Issues
    now: datetime
    chains: dict[Identifiers, list[Digest]]
    active_key: str

    def strong(self, ids: Identifiers) -> list[tuple[str, str]]:
        """(dimension, digest) of the strong digests under the active key: what matches."""
        return [
            (d.dimension, d.value)
            for d in self.chains[ids]
            if d.key_id == self.active_key and d.dimension in STRONG_DIMENSIONS
        ]

    def chunks(self, rows_per_chunk: int = CHUNK_ROWS) -> Iterator[list[list[ImportRow]]]:
        """Whole clients, about `rows_per_chunk` rows at a time."""
        chunk: list[list[ImportRow]] = []
        size = 0
        for client in self.clients:
            chunk.append(client)
            size += len(client)
            if size >= rows_per_chunk:
                yield chunk
                chunk, size = [], 0
        if chunk:
            yield chunk


def decode_csv(data: bytes) -> str:
    """Text of an exported file: UTF-8 (with or without a BOM), else Windows-1252 (Excel)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _records(text: str, field_name: str, issues: Issues) -> Iterator[tuple[int, list[str]]]:
    """(row number, values) of each record; a record the csv module cannot read is rejected."""
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    number = 0
    while True:
        number += 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if number == 1:
                raise InvalidInput(
                    field_name, f"the header row is not readable CSV ({exc})"
                ) from None
            issues.reject(number, "file", f"not readable CSV ({exc})")
            continue
        yield number, record


def plan_import(
    *,
    text: str,
    actor: Person,
    resolver: Resolver,
    date_order: DateOrder | None = None,
    now: datetime,
    field_name: str = "file",
    progress: Progress | None = None,
) -> Plan:
    """Read, validate and normalise every row, and group rows into clients (pure: no session).

    Rows sharing a strong digest (phone, email, name+phone, name+email) are one client,
    transitively, so the grouping does not depend on row order. Only an unreadable file or a
    header without a phone or email column raises (InvalidInput naming `field_name`).
    """
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise InvalidInput(field_name, "is empty: export the CSV with its header row")
    issues = Issues()
    records = _records(text, field_name, issues)
    _, header = next(records)
    columns = map_columns(header, field_name=field_name)
    body = list(records)
    unreadable = issues.rejected_total
    order, order_from = _choose_order(date_order, columns, body, actor.default_phone_region)
    reader = RowReader(
        columns,
        DateReader(order, provider_zone(actor)),
        issues,
        region=actor.default_phone_region,
    )
    accepted: list[ImportRow] = []
    rows = unreadable
    for done, (number, record) in enumerate(body, start=1):
        if any(value.strip() for value in record):
            rows += 1
            row = reader.read(record, number)
            if row is not None:
                accepted.append(row)
        if progress is not None and (done % CHUNK_ROWS == 0 or done == len(body)):
            progress("reading", done, len(body))
    chains = {ids: resolver.chains(ids) for ids in dict.fromkeys(r.ids for r in accepted)}
    plan = Plan(
        columns=columns,
        date_order=order,
        date_order_from=order_from,
        rows=rows,
        accepted=len(accepted),
        clients=[],
        issues=issues,
        now=now,
        chains=chains,
        active_key=resolver.active_key_id,
    )
    plan.clients = _group(accepted, plan.strong)
    return plan


def _choose_order(
    option: DateOrder | None,
    columns: Columns,
    body: Sequence[tuple[int, list[str]]],
    region: str | None,
) -> tuple[DateOrder, Literal["option", "file", "phone_region"]]:
    if option is not None:
        return option, "option"
    found = detect_order(columns.value(record, "date") for _, record in body)
    if found is not None:
        return found, "file"
    month_first = (region or "").upper() in MONTH_FIRST_REGIONS
    return (DateOrder.MDY if month_first else DateOrder.DMY), "phone_region"


def _group(
    rows: Sequence[ImportRow], strong: Callable[[Identifiers], list[tuple[str, str]]]
) -> list[list[ImportRow]]:
    """Union-find over strong digests: rows sharing one, directly or through others, are one
    client. Clients come out in the order of their first row."""
    parent: list[int] = []
    owner: dict[tuple[str, str], int] = {}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    placed: list[int] = []
    for row in rows:
        keys = strong(row.ids)
        roots = {root(owner[k]) for k in keys if k in owner}
        if roots:
            at = min(roots)
            for other in roots:
                parent[other] = at
        else:
            at = len(parent)
            parent.append(at)
        for k in keys:
            owner.setdefault(k, at)
        placed.append(at)
    clients: dict[int, list[ImportRow]] = {}
    for row, at in zip(rows, placed, strict=True):
        clients.setdefault(root(at), []).append(row)
    return list(clients.values())


# ---- writing: one chunk of clients in one tenant transaction ----------------------------


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """What the graph may take of an imported row: a past contact of the prospect and, on one
    row per prospect, the latest outcome the file gave it with its version."""

    prospect_id: str
    contacted_at: datetime | None
    outcome: Outcome | None = None
    outcome_version: int = 1


@dataclass
class Written:
    """What chunks stored, summed; `history` is what the graph may take of them."""

    rows: int = 0
    clients_created: int = 0
    matched: set[str] = field(default_factory=set)
    appointments: int = 0
    future_appointments: int = 0
    outcomes: int = 0
    duplicates: int = 0
    merge_suggestions: int = 0
    history: list[HistoryRow] = field(default_factory=list)

    def add(self, other: Written) -> None:
        self.rows += other.rows
        self.clients_created += other.clients_created
        self.matched |= other.matched
        self.appointments += other.appointments
        self.future_appointments += other.future_appointments
        self.outcomes += other.outcomes
        self.duplicates += other.duplicates
        self.merge_suggestions += other.merge_suggestions


_FIELDS = (
    "phone_e164",
    "email",
    "normalized_name",
    "name_block",
    "display_name",
    "status",
    "last_inbound_at",
)


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


_PROSPECT = _table(Prospect)
_UPDATE = (
    update(_PROSPECT)
    .where(_PROSPECT.c.id == bindparam("b_id"))
    .values({name: bindparam(f"b_{name}") for name in (*_FIELDS, "updated_at")})
)


@dataclass
class _Target:
    """A prospect the chunk writes to, with what is already stored for it."""

    id: str
    new: bool
    fields: dict[str, Any]
    chain: set[tuple[str, str, str]] = field(default_factory=set)
    appointments: set[datetime] = field(default_factory=set)
    at_time: dict[tuple[datetime, str], int] = field(default_factory=dict)
    versions: dict[int, tuple[datetime, str]] = field(default_factory=dict)
    max_version: int = 0
    max_past_version: int = 0

    @property
    def latest(self) -> tuple[datetime, str] | None:
        """(when, outcome) of the highest outcome version: the prospect's current outcome."""
        return self.versions[self.max_version] if self.versions else None

    def record(self, version: int, at: datetime, outcome: str, now: datetime) -> None:
        self.versions[version] = (at, outcome)
        self.max_version = max(self.max_version, version)
        self.at_time[(at, outcome)] = max(version, self.at_time.get((at, outcome), 0))
        if at <= now:
            self.max_past_version = max(self.max_past_version, version)


def _fresh_ids(batch: int = 4096) -> Iterator[str]:
    """Client-side ids in `db.new_id`'s format (32 hex digits, 128 random bits), drawn from
    the OS in bulk: a uuid4 object per row costs more than inserting the row."""
    while True:
        pool = os.urandom(16 * batch).hex()
        for start in range(0, len(pool), 32):
            yield pool[start : start + 32]


def _batches(values: Iterable[str]) -> Iterator[list[str]]:
    values = list(values)
    for start in range(0, len(values), _ID_BATCH):
        yield values[start : start + _ID_BATCH]


class _Chunk:
    """One chunk's work: match its clients, load what is stored for the prospects matched,
    decide every row, then write the lot with one executemany per table."""

    def __init__(self, session: Session, actor: Person, plan: Plan) -> None:
        self.session, self.actor, self.plan, self.now = session, actor, plan, plan.now
        self.targets: dict[str, _Target] = {}
        self.original: dict[str, dict[str, Any]] = {}
        self.suggestions: dict[tuple[str, str], str] = {}
        self.identifiers: list[dict[str, Any]] = []
        self.appointments: list[dict[str, Any]] = []
        self.outcomes: list[dict[str, Any]] = []
        self.ids = _fresh_ids()
        self.out = Written()

    def run(self, clients: Sequence[list[ImportRow]]) -> Written:
        lock_tenant(self.session, self.actor.id)
        for target_id, rows in self._assign(clients).items():
            self._apply(self.targets[target_id], sorted(rows, key=_chronological))
            self.out.rows += len(rows)
        self._flush()
        return self.out

    # -- matching --------------------------------------------------------------------------

    def _assign(self, clients: Sequence[list[ImportRow]]) -> dict[str, list[ImportRow]]:
        """Each client to the prospect it matches (strong digests, as `ingest` ranks them,
        merges followed), else to a new one; a second prospect matched is a merge suggestion."""
        keys = [
            sorted({k for row in client for k in self.plan.strong(row.ids)}) for client in clients
        ]
        found = self._stored_digests({digest for client_keys in keys for _, digest in client_keys})
        live = _Live.load(self.session, self.actor.id, {p for ids in found.values() for p in ids})
        rows_of: dict[str, list[ImportRow]] = {}
        for client, client_keys in zip(clients, keys, strict=True):
            ranked = live.ranked(
                [(dim, p) for dim, d in client_keys for p in found.get((dim, d), ())]
            )
            if ranked:
                target_id = ranked[0][0]
                for other, dimension in ranked[1:]:
                    self.suggestions.setdefault((other, target_id), f"shared_{dimension}")
            else:
                target_id = next(self.ids)
                self.targets[target_id] = _Target(target_id, True, _new_fields())
                self.out.clients_created += 1
            rows_of.setdefault(target_id, []).extend(client)
        self._load([p for p in rows_of if p not in self.targets], live)
        return rows_of

    def _stored_digests(self, digests: set[str]) -> dict[tuple[str, str], set[str]]:
        """(dimension, digest) → the caller's prospects holding it under the active key."""
        found: dict[tuple[str, str], set[str]] = {}
        table = ProspectIdentifier
        for batch in _batches(sorted(digests)):
            rows = self.session.execute(
                select(table.prospect_id, table.dimension, table.digest).where(
                    table.person_id == self.actor.id,
                    table.key_id == self.plan.active_key,
                    table.digest.in_(batch),
                )
            )
            for prospect_id, dimension, digest in rows:
                if dimension in STRONG_DIMENSIONS:
                    found.setdefault((dimension, digest), set()).add(prospect_id)
        return found

    def _load(self, prospect_ids: list[str], live: _Live) -> None:
        """The stored chain, appointments and outcomes of the existing prospects matched."""
        self.out.matched.update(prospect_ids)
        for prospect_id in prospect_ids:
            stored = {name: live.rows[prospect_id][name] for name in _FIELDS}
            self.targets[prospect_id] = _Target(prospect_id, False, dict(stored))
            self.original[prospect_id] = stored
        for batch in _batches(prospect_ids):
            chains = self.session.execute(
                select(
                    ProspectIdentifier.prospect_id,
                    ProspectIdentifier.key_id,
                    ProspectIdentifier.dimension,
                    ProspectIdentifier.digest,
                ).where(ProspectIdentifier.prospect_id.in_(batch))
            )
            for prospect_id, key_id, dimension, digest in chains:
                self.targets[prospect_id].chain.add((key_id, dimension, digest))
            history = self.session.execute(
                select(
                    Touchpoint.prospect_id,
                    Touchpoint.kind,
                    Touchpoint.occurred_at,
                    Touchpoint.outcome,
                    Touchpoint.outcome_version,
                ).where(
                    Touchpoint.prospect_id.in_(batch),
                    Touchpoint.kind.in_((APPOINTMENT, "outcome")),
                )
            )
            for prospect_id, kind, at, outcome, version in history:
                target = self.targets[prospect_id]
                if kind == APPOINTMENT:
                    target.appointments.add(at)
                elif version is not None and outcome is not None:
                    target.record(version, at, outcome, self.now)

    # -- deciding each row -----------------------------------------------------------------

    def _apply(self, target: _Target, rows: list[ImportRow]) -> None:
        creating = target.new
        versions: list[tuple[ImportRow, int | None]] = []
        for row in rows:
            changed = self._absorb(target, row) or creating
            creating = False
            if row.at is not None:
                changed = self._appointment(target, row) or changed
            version = None
            if row.outcome is not None:
                version, added = self._outcome(target, row, row.outcome)
                changed = changed or added
            if not changed:
                self.out.duplicates += 1
            versions.append((row, version))
        self._history(target, versions)
        latest = target.latest
        if latest is not None:
            target.fields["status"] = OUTCOME_STATUS[Outcome(latest[1])]

    def _absorb(self, target: _Target, row: ImportRow) -> bool:
        """The row's digests the prospect lacks (as `store_chain`), and its missing fields."""
        added = False
        for d in self.plan.chains[row.ids]:
            key = (d.key_id, d.dimension, d.value)
            if key in target.chain:
                continue
            target.chain.add(key)
            self.identifiers.append(
                {
                    "id": next(self.ids),
                    "prospect_id": target.id,
                    "person_id": self.actor.id,
                    "dimension": d.dimension,
                    "scheme": d.scheme,
                    "key_id": d.key_id,
                    "digest": d.value,
                    "created_at": self.now,
                }
            )
            added = True
        return _fill_missing(target.fields, row) or added

    def _appointment(self, target: _Target, row: ImportRow) -> bool:
        at = row.at
        assert at is not None
        if at in target.appointments:
            return False
        target.appointments.add(at)
        ids = row.ids
        self.appointments.append(
            self._touchpoint(target, APPOINTMENT, "inbound", at)
            | {"sender_phone": ids.phone, "sender_email": ids.email, "sender_name": ids.name}
        )
        self.out.appointments += 1
        if at > self.now:
            self.out.future_appointments += 1
        else:
            last = target.fields["last_inbound_at"]
            target.fields["last_inbound_at"] = at if last is None else max(last, at)
        return True

    def _outcome(
        self, target: _Target, row: ImportRow, outcome: Outcome
    ) -> tuple[int | None, bool]:
        """(the version that stands for this row's status, whether it is new). A status
        without a date is the client's standing now; one older than the latest outcome
        recorded would supersede a newer one, so it is not recorded (a warning)."""
        latest = target.latest
        if row.at is None:
            if latest is not None and latest[1] == outcome.value:
                return target.max_version, False
            at = self.now
        else:
            at = row.at
            stored = target.at_time.get((at, outcome.value))
            if stored is not None:
                return stored, False
            if latest is not None and at < latest[0]:
                self.plan.issues.warn(
                    row.number,
                    "status",
                    "not recorded: a later outcome is already recorded for this client",
                )
                return None, False
        version = target.max_version + 1
        target.record(version, at, outcome.value, self.now)
        self.outcomes.append(
            self._touchpoint(target, "outcome", "internal", at)
            | {"outcome": outcome.value, "outcome_version": version}
        )
        self.out.outcomes += 1
        return version, True

    def _history(self, target: _Target, rows: list[tuple[ImportRow, int | None]]) -> None:
        """Past contacts, and the newest past outcome the file stands for when nothing newer
        is recorded (a future appointment's status is never shared)."""
        past = [(row, v) for row, v in rows if row.at is None or row.at <= self.now]
        self.out.history.extend(HistoryRow(target.id, row.at) for row, _ in past if row.at)
        newest = max((v for _, v in past if v is not None), default=None)
        if newest is not None and newest == target.max_past_version:
            at, outcome = target.versions[newest]
            contacted = at if at in target.appointments else None
            self.out.history.append(HistoryRow(target.id, contacted, Outcome(outcome), newest))

    def _touchpoint(
        self, target: _Target, kind: str, direction: str, at: datetime
    ) -> dict[str, Any]:
        """The columns every touchpoint has; the ones left out (channel, body, and the sender
        or the outcome) are NULL, which saves binding them 100k times."""
        return {
            "id": next(self.ids),
            "prospect_id": target.id,
            "person_id": self.actor.id,
            "kind": kind,
            "direction": direction,
            "occurred_at": at,
            "created_at": self.now,
        }

    # -- writing ---------------------------------------------------------------------------

    def _flush(self) -> None:
        created, changed = [], []
        for target in self.targets.values():
            if target.new:
                created.append(
                    {
                        "id": target.id,
                        "person_id": self.actor.id,
                        **target.fields,
                        "created_at": self.now,
                        "updated_at": self.now,
                    }
                )
            elif target.fields != self.original[target.id]:
                changed.append(
                    {"b_id": target.id, "b_updated_at": self.now}
                    | {f"b_{name}": value for name, value in target.fields.items()}
                )
        execute = self.session.execute
        if created:
            execute(insert(_PROSPECT), created)
        if changed:
            execute(_UPDATE, changed)
        if self.identifiers:
            execute(insert(_table(ProspectIdentifier)), self.identifiers)
        for touchpoints in (self.appointments, self.outcomes):
            if touchpoints:
                execute(insert(_table(Touchpoint)), touchpoints)
        self.out.merge_suggestions = self._suggest()

    def _suggest(self) -> int:
        """Merge suggestions not already stored (as `ingest` makes for a second match)."""
        if not self.suggestions:
            return 0
        stored: set[tuple[str, str]] = set()
        for batch in _batches(sorted({source for source, _ in self.suggestions})):
            pairs = self.session.execute(
                select(MergeSuggestion.prospect_id, MergeSuggestion.candidate_id).where(
                    MergeSuggestion.prospect_id.in_(batch)
                )
            )
            stored.update((source, candidate) for source, candidate in pairs)
        rows = [
            {
                "id": next(self.ids),
                "person_id": self.actor.id,
                "prospect_id": source,
                "candidate_id": candidate,
                "reason": reason,
                "score": 1.0,
                "status": SuggestionStatus.PENDING,
                "created_at": self.now,
                "decided_at": None,
            }
            for (source, candidate), reason in self.suggestions.items()
            if (source, candidate) not in stored
        ]
        if rows:
            self.session.execute(insert(_table(MergeSuggestion)), rows)
        return len(rows)


@dataclass
class _Live:
    """The caller's prospects a chunk matched, with the ones they were merged into."""

    rows: dict[str, dict[str, Any]]

    @classmethod
    def load(cls, session: Session, person_id: str, prospect_ids: set[str]) -> _Live:
        rows: dict[str, dict[str, Any]] = {}
        asked: set[str] = set()
        wanted = set(prospect_ids)
        while wanted:
            for batch in _batches(sorted(wanted)):
                found = session.execute(
                    select(Prospect.id, Prospect.merged_into_id, *_FIELD_COLUMNS).where(
                        Prospect.person_id == person_id, Prospect.id.in_(batch)
                    )
                )
                rows.update((row["id"], dict(row)) for row in found.mappings())
            asked |= wanted
            wanted = {r["merged_into_id"] for r in rows.values() if r["merged_into_id"]} - asked
        return cls(rows)

    def follow(self, prospect_id: str) -> str | None:
        """The surviving prospect a merged one was folded into (itself when not merged)."""
        seen: set[str] = set()
        current: str | None = prospect_id
        while current in self.rows and current not in seen:
            seen.add(current)
            target = self.rows[current]["merged_into_id"]
            if target is None:
                return current
            current = target
        return None

    def ranked(self, matches: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """(live prospect id, dimension), best first: phone, email, name+phone, name+email,
        then id, as `strong_matches` orders them; merges followed, each prospect once."""
        order = {dimension: i for i, dimension in enumerate(STRONG_PRIORITY)}
        ranked: list[tuple[str, str]] = []
        seen: set[str] = set()
        for dimension, prospect_id in sorted(set(matches), key=lambda m: (order[m[0]], m[1])):
            live = self.follow(prospect_id)
            if live is not None and live not in seen:
                seen.add(live)
                ranked.append((live, dimension))
        return ranked


_FIELD_COLUMNS = tuple(getattr(Prospect, name) for name in _FIELDS)


def _new_fields() -> dict[str, Any]:
    return dict.fromkeys(_FIELDS) | {"status": ProspectStatus.NEW}


def _fill_missing(fields: dict[str, Any], row: ImportRow) -> bool:
    """As `ingest` fills a prospect from a message: only what the prospect lacks."""
    ids, filled = row.ids, False
    if fields["phone_e164"] is None and ids.phone:
        fields["phone_e164"], filled = ids.phone, True
    if fields["email"] is None and ids.email:
        fields["email"], filled = ids.email, True
    if fields["normalized_name"] is None and ids.name:
        fields["normalized_name"], fields["name_block"] = ids.name, name_block(ids.name)
        fields["display_name"] = fields["display_name"] or row.display_name
        filled = True
    return filled


def _chronological(row: ImportRow) -> tuple[bool, datetime | None, int]:
    return (row.at is None, row.at, row.number)


def write_clients(
    *, session: Session, actor: Person, plan: Plan, clients: Sequence[list[ImportRow]]
) -> Written:
    """Store one chunk of the plan's clients for the caller (the caller commits): match them
    to the caller's own prospects only, add what is not stored yet, nothing twice."""
    return _Chunk(session, actor, plan).run(clients)


def report(plan: Plan, written: Written, network: ImportNetwork, *, seconds: float) -> ImportReport:
    issues = plan.issues
    return ImportReport(
        rows=plan.rows,
        imported=plan.accepted,
        rejected_total=issues.rejected_total,
        rejected=issues.rejected,
        warnings_total=issues.warnings_total,
        warnings=issues.warnings,
        clients_created=written.clients_created,
        clients_matched=len(written.matched),
        appointments=written.appointments,
        future_appointments=written.future_appointments,
        outcomes=written.outcomes,
        duplicates=written.duplicates,
        merge_suggestions=written.merge_suggestions,
        columns=plan.columns.headers,
        ignored_columns=plan.columns.ignored,
        date_order=plan.date_order,
        date_order_from=plan.date_order_from,
        network=network,
        seconds=round(seconds, 3),
    )
