"""Linking many hash chains at once, on exactly the rules of `subjects.link_prospect`.

`link_prospect` links one chain against the subjects in the store. A provider's import links
thousands, and two of its rows (or rows of two providers imported one after the other) may be
one person, so the batch must decide each chain against the store *and* the subjects the
batch itself created or merged so far, in order, exactly as one-at-a-time linking would:

- **Load** (two statements; on SQLite each `IN` list is one JSON parameter, elsewhere chunks):
  the active subjects holding any strong digest of the batch, their digests and collision
  reports.
- **Link** (memory only): for each chain, the candidates that share a strong digest, scored by
  `linkage.link_score` with the subject's collision down-weights, best first; the best linked
  candidate wins, a chain anchored on two subjects merges them (survivor: the best), no
  linked candidate mints a new key. A merge re-points the absorbed key's digests to the
  survivor in memory (union-find), so later chains see one person.
- **Write** (one executemany per table; on SQLite straight to the DBAPI cursor, bound digests
  in the unique index's order, row ids that sort by creation): new keys and budgets, bound
  digests, links; then the merges in order, set-based (`_Merges`): the absorbed key is
  marked merged, its digests, links and contact days move, its budget is folded in, a
  `merge` correction is recorded. A merge whose absorbed key has contributions, attestations
  or attributions to move takes `lineage.merge` (replay, unique moves), so those rules live
  in one place.
- **Page cache** (SQLite): from `load` to the end of `write` the graph connection's page cache
  may hold `PAGE_CACHE_KIB`; then its setting comes back. Only memory changes: the same rows,
  in the same transaction, synced as before.

Blocked digests, consent and existing links are the caller's (`graph.history`), which runs
the whole batch with the cyclic garbage collector paused (`cycle_collection_paused`).
"""

from __future__ import annotations

import gc
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    CursorResult,
    Select,
    Table,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from prospecting.db import utcnow
from prospecting.graph import lineage, linkage
from prospecting.graph.models import (
    Contribution,
    Correction,
    PeerAttestation,
    ProspectLink,
    SubjectAttribution,
    SubjectBudget,
    SubjectContact,
    SubjectDimension,
    SubjectKey,
    SubjectStatus,
    Supersession,
)
from prospecting.resolver.keys import STRONG_DIMENSIONS, Digest
from prospecting.runtime import Context

CHUNK = 2_000
"""Values per IN list: well under SQLite's 32,766 variables, few statements per batch."""
PAGE_CACHE_KIB = 65_536
"""SQLite page cache of the batch's graph connection from `load` to `write`, in KiB (SQLite's
default is 2,048). A batch probes and inserts at random places of the digest, subject-key and
link indexes: with the default cache most probes read their page from the file again (the
linking bench read about 20 times the store's size) and dirty pages spill to the log before
the commit. The cache takes memory only for pages read, and its setting comes back after
`write` (a batch that fails before leaves it on that pooled connection: memory only)."""
DigestKey = tuple[str, str, str]  # (dimension, key_id, digest)
_InBuilder = Callable[[ColumnElement[Any], str], ColumnElement[bool]]
_ScoreKey = tuple[frozenset[str], frozenset[str], tuple[tuple[str, float], ...]]


def table(model: type[Any]) -> Table:
    t = model.__table__
    assert isinstance(t, Table)
    return t


def fresh_ids(batch: int = 4096) -> Iterator[str]:
    """Ids in `db.new_id`'s format (32 hex digits, 128 random bits), drawn in bulk."""
    while True:
        pool = os.urandom(16 * batch).hex()
        for start in range(0, len(pool), 32):
            yield pool[start : start + 32]


def ordered_id_list(count: int) -> list[str]:
    """`count` row ids in `db.new_id`'s format (32 hex digits) that sort by creation: 12 digits
    of milliseconds, then 80 random bits, the same order as `db.ordered_id` (which makes them
    one at a time), drawn in one go. For rows no one outside the graph store sees (bound
    digests, links; never a subject key, which must not tell when it was made): a batch then
    appends to the primary-key index instead of dirtying a random page of it per row."""
    prefix = f"{time.time_ns() // 1_000_000:012x}"[-12:]
    pool = os.urandom(10 * count).hex()
    return [prefix + pool[start : start + 20] for start in range(0, 20 * count, 20)]


def ordered_ids(batch: int = 4096) -> Iterator[str]:
    """`ordered_id_list`'s ids one at a time, drawn `batch` at a time."""
    while True:
        yield from ordered_id_list(batch)


def with_ids(rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Each row behind a fresh id of `ordered_id_list`, in the rows' order (the order the batch
    writes them in: it appends to the id index)."""
    return [(row_id, *row) for row_id, row in zip(ordered_id_list(len(rows)), rows, strict=True)]


def chunks(values: Iterable[str], size: int = CHUNK) -> Iterator[list[str]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch runs (reference counting still frees).

    A batch builds ~10^5 small containers (digest sets, rows) that all live until it ends;
    each generational collection on the way would rescan them, and every older object of the
    process, for no garbage (measured: about a quarter of the batch's CPU at 20k records).
    The collector's previous state comes back after, and a collection runs then if due."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def insert_rows(
    conn: Connection,
    into: Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    constants: Mapping[str, Any] | None = None,
    encoders: Mapping[str, Callable[[Any], Any]] | None = None,
) -> None:
    """INSERT `rows` (values in `columns` order; `constants` the same for every row) in one
    executemany.

    On SQLite the statement is built here and the DBAPI cursor takes the rows as they are: each
    column's bind processing (datetimes, JSON, enums) is applied here, a constant's once, with
    none of SQLAlchemy's per-row parameter building; `encoders` stand in for a column's own
    processing there (they must bind the same value, faster). Other backends take Core's
    executemany."""
    if not rows:
        return
    fixed = dict(constants or {})
    dialect = conn.dialect
    if dialect.paramstyle != "qmark":
        conn.execute(insert(into), [dict(zip(columns, row, strict=True)) | fixed for row in rows])
        return

    def processor(name: str) -> Any:
        if encoders and name in encoders:
            return encoders[name]
        return into.c[name].type.dialect_impl(dialect).bind_processor(dialect)

    bound = []
    for name, value in fixed.items():
        process = processor(name)
        bound.append(process(value) if process else value)
    tail = tuple(bound)
    varying = [(i, process) for i, name in enumerate(columns) if (process := processor(name))]
    if varying:
        out: list[tuple[Any, ...]] = []
        for row in rows:
            values = list(row)
            for i, process in varying:
                values[i] = process(values[i])
            out.append((*values, *tail))
    else:
        out = [row + tail for row in rows]
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in (*columns, *fixed))
    marks = ", ".join("?" * (len(columns) + len(fixed)))
    target = dialect.identifier_preparer.format_table(into)
    # names from the table's metadata, quoted by the dialect; every value is a bound parameter
    conn.exec_driver_sql(f"INSERT INTO {target} ({names}) VALUES ({marks})", out)  # noqa: S608


def json_strings() -> Callable[[Sequence[str]], str]:
    """`json.dumps` of a list of strings (a link's `matched_on`), encoded once per distinct
    list: a batch has a handful of them."""
    seen: dict[tuple[str, ...], str] = {}

    def encode(value: Sequence[str]) -> str:
        key = tuple(value)
        text = seen.get(key)
        if text is None:
            text = seen[key] = json.dumps(list(value))
        return text

    return encode


def json_chain() -> Callable[[Sequence[DigestKey]], str]:
    """`json.dumps` of a chain (a link's `chain`: (dimension, key id, digest) triples), the same
    text, joined from its strings' encodings by json's own string encoder (ASCII, as `dumps`
    by default), the (dimension, key id) part once per pair: about a third of `dumps`' time,
    which was a tenth of a 20k-record batch's CPU."""
    quote = json.encoder.encode_basestring_ascii
    prefixes: dict[tuple[str, str], str] = {}

    def encode(chain: Sequence[DigestKey]) -> str:
        parts = []
        for dimension, key_id, digest in chain:
            prefix = prefixes.get((dimension, key_id))
            if prefix is None:
                prefix = prefixes[(dimension, key_id)] = f"[{quote(dimension)}, {quote(key_id)}, "
            parts.append(f"{prefix}{quote(digest)}]")
        return f"[{', '.join(parts)}]"

    return encode


def widen_page_cache(conn: Connection, kib: int = PAGE_CACHE_KIB) -> int | None:
    """On SQLite, let this connection's page cache hold at least `kib` KiB; returns the
    `cache_size` to put back (None: nothing changed). Memory only, per connection: what is
    written and when it is synced do not change."""
    if conn.dialect.name != "sqlite":
        return None
    before = int(conn.exec_driver_sql("PRAGMA cache_size").scalar_one())
    # positive: pages; negative: KiB
    if before < 0 and -before >= kib:
        return None
    if before > 0:
        page = int(conn.exec_driver_sql("PRAGMA page_size").scalar_one())
        if before * page >= kib * 1024:
            return None
    conn.exec_driver_sql(f"PRAGMA cache_size = {-int(kib)}")
    return before


def restore_page_cache(conn: Connection, before: int | None) -> None:
    if before is not None:
        conn.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")


def _in(column: ColumnElement[Any], name: str, json_list: bool) -> ColumnElement[bool]:
    if json_list:
        values = func.json_each(bindparam(name)).table_valued("value")
        return column.in_(select(values.c.value))
    return column.in_(bindparam(name, expanding=True))


def in_list(make: Callable[[_InBuilder], Select[Any]]) -> InList:
    """A statement with `IN` lists built both ways (see `InList`); `make` gets the `IN` builder."""
    return InList(
        make(lambda column, name: _in(column, name, False)),
        make(lambda column, name: _in(column, name, True)),
    )


@dataclass(frozen=True)
class InList:
    """One SELECT with `column IN (values)` lists of up to CHUNK values. On SQLite each list
    is ONE bound parameter, a JSON array read by json_each: thousands of values cost one
    parameter instead of one each to render, bind and parse. Elsewhere an expanding IN."""

    expanding: Select[Any]
    json_each: Select[Any]

    def execute(
        self, conn: Connection, lists: Mapping[str, Sequence[str]], **params: Any
    ) -> CursorResult[*tuple[Any, ...]]:
        if conn.dialect.name == "sqlite":
            values = {name: json.dumps(list(v)) for name, v in lists.items()}
            return conn.execute(self.json_each, {**params, **values})
        return conn.execute(self.expanding, {**params, **lists})


_DIMS, _KEYS = table(SubjectDimension), table(SubjectKey)
# Built once: building a statement of 2,000 literals costs more than SQLite takes to run it.
_CANDIDATES = in_list(
    lambda in_: (
        select(_DIMS.c.subject_key)
        .join(_KEYS, _KEYS.c.subject_key == _DIMS.c.subject_key)
        .where(in_(_DIMS.c.digest, "digests"), _KEYS.c.status == SubjectStatus.ACTIVE)
        .distinct()
    )
)
_DIMENSIONS = in_list(
    lambda in_: select(
        _DIMS.c.subject_key,
        _DIMS.c.dimension,
        _DIMS.c.key_id,
        _DIMS.c.digest,
        _DIMS.c.collision_reports,
    ).where(in_(_DIMS.c.subject_key, "keys"))
)


_CONTRIBUTIONS, _SUPERSESSIONS = table(Contribution), table(Supersession)
_BUDGETS, _CORRECTIONS = table(SubjectBudget), table(Correction)
# `_Merges`' reads and writes, built once: building them per merge batch (IN lists of literals,
# ORM execution) cost several times what SQLite takes to run them.
_LIVE_CONTRIBUTIONS = in_list(
    lambda in_: (
        select(_CONTRIBUTIONS.c.subject_key)
        .where(
            in_(_CONTRIBUTIONS.c.subject_key, "keys"),
            _CONTRIBUTIONS.c.id.not_in(
                select(_SUPERSESSIONS.c.superseded_id).where(
                    in_(_SUPERSESSIONS.c.subject_key, "superseded_keys")
                )
            ),
        )
        .distinct()
    )
)


def _holding(model: type[Any]) -> InList:
    """The keys among `keys` that have a row of `model`."""
    t = table(model)
    return in_list(
        lambda in_: select(t.c.subject_key).where(in_(t.c.subject_key, "keys")).distinct()
    )


_HOLDING = (_holding(PeerAttestation), _holding(SubjectAttribution))
_MERGE_DIMENSIONS = in_list(
    lambda in_: select(
        _DIMS.c.id,
        _DIMS.c.subject_key,
        _DIMS.c.dimension,
        _DIMS.c.key_id,
        _DIMS.c.digest,
        _DIMS.c.collision_reports,
    ).where(in_(_DIMS.c.subject_key, "keys"))
)
_MERGE_BUDGETS = in_list(
    lambda in_: (
        select(
            _BUDGETS.c.subject_key,
            _BUDGETS.c.limit_units,
            _BUDGETS.c.spent_units,
            _BUDGETS.c.withheld,
        )
        .where(in_(_BUDGETS.c.subject_key, "keys"))
        .with_for_update()
    )
)
_RAISE_REPORTS = (
    update(_DIMS)
    .where(_DIMS.c.id == bindparam("row_id"))
    .values(collision_reports=bindparam("count"))
)
_FOLD_BUDGET = (
    update(_BUDGETS)
    .where(_BUDGETS.c.subject_key == bindparam("key"))
    .values(spent_units=bindparam("spent"), withheld=bindparam("held"))
)
_MOVE = tuple(
    update(t)
    .where(t.c.subject_key == bindparam("absorbed"))
    .values(subject_key=bindparam("survivor"))
    for t in (table(ProspectLink), table(SubjectContact))
)
_ABSORB = (
    update(_KEYS)
    .where(_KEYS.c.subject_key == bindparam("absorbed"))
    .values(
        status=SubjectStatus.MERGED,
        merged_into=bindparam("survivor"),
        updated_at=bindparam("now", type_=_KEYS.c.updated_at.type),
    )
)


@dataclass(frozen=True, slots=True)
class Merge:
    survivor: str
    absorbed: str
    provider_id: str
    prospect_id: str


@dataclass
class BatchLinker:
    """In-memory view of the subjects a batch can meet, and the rows it will write."""

    ctx: Context
    holders: dict[DigestKey, set[str]] = field(default_factory=dict)
    held: dict[str, set[DigestKey]] = field(default_factory=dict)
    present: dict[str, set[str]] = field(default_factory=dict)
    reports: dict[str, dict[str, int]] = field(default_factory=dict)
    alias: dict[str, str] = field(default_factory=dict)  # absorbed -> survivor
    new_subjects: list[str] = field(default_factory=list)
    merges: list[Merge] = field(default_factory=list)
    dimensions: list[tuple[str, ...]] = field(default_factory=list)  # key, dim, key id, digest
    links: list[tuple[Any, ...]] = field(default_factory=list)  # provider ... chain; ids at write
    _scores: dict[_ScoreKey, linkage.LinkResult] = field(default_factory=dict)
    _ids: Iterator[str] = field(default_factory=fresh_ids)  # subject keys: random
    _cache_before: int | None = None  # the connection's page cache setting before `load`

    @classmethod
    def load(cls, ctx: Context, chains: Iterable[Sequence[Digest]]) -> BatchLinker:
        """The active subjects holding any strong digest of these chains, with all their
        digests and their collision reports under the active key: what linkage needs, in bulk
        reads (a subject sharing only a name with a chain is no candidate)."""
        linker = cls(ctx)
        strong = {d.value for chain in chains for d in chain if d.dimension in STRONG_DIMENSIONS}
        conn = ctx.graph.connection()  # Core rows: no ORM row processing
        linker._cache_before = widen_page_cache(conn)
        key_id = ctx.resolver.active_key_id
        holders, held, present = linker.holders, linker.held, linker.present
        reports: dict[tuple[str, str], int] = {}
        # on SQLite one JSON parameter holds any number of values: one statement each
        whole = conn.dialect.name == "sqlite"
        candidates: set[str] = set()
        for part in chunks(strong, max(len(strong), 1) if whole else CHUNK):
            candidates.update(_CANDIDATES.execute(conn, {"digests": part}).scalars().all())
        for part in chunks(candidates, max(len(candidates), 1) if whole else CHUNK):
            rows = _DIMENSIONS.execute(conn, {"keys": part}).all()
            for subject_key, dim, row_key, digest, count in rows:
                key = (dim, row_key, digest)
                if key in holders:
                    holders[key].add(subject_key)
                else:
                    holders[key] = {subject_key}
                if subject_key in held:
                    held[subject_key].add(key)
                else:
                    held[subject_key] = {key}
                if row_key != key_id:
                    continue
                if subject_key in present:
                    present[subject_key].add(dim)
                else:
                    present[subject_key] = {dim}
                if count:
                    reports[(subject_key, dim)] = max(reports.get((subject_key, dim), 0), count)
        for (subject_key, dim), count in reports.items():
            linker.reports.setdefault(subject_key, {})[dim] = count
        return linker

    def root(self, subject_key: str) -> str:
        """The key a (possibly merged) key lives on in now."""
        while subject_key in self.alias:
            subject_key = self.alias[subject_key]
        return subject_key

    def _score(self, subject_key: str, agree: set[str], mine: set[str]) -> linkage.LinkResult:
        """`subjects.score`, memoized on what it depends on."""
        reports = self.reports.get(subject_key)
        weights = (
            tuple(sorted((d, linkage.collision_downweight(n)) for d, n in reports.items() if n))
            if reports
            else ()
        )
        present = self.present.get(subject_key)
        compared = frozenset((present & mine) | agree) if present else frozenset(agree)
        key = (frozenset(agree), compared, weights)
        result = self._scores.get(key)
        if result is None:
            result = linkage.link_score(agree, compared, downweights=dict(weights))
            self._scores[key] = result
        return result

    def link(self, provider_id: str, prospect_id: str, chain: Sequence[Digest]) -> str:
        """Link one chain as `link_prospect` would at this point of the batch; returns the
        subject key it is bound to now."""
        keys = [(d.dimension, d.key_id, d.value) for d in chain]
        holders = self.holders
        agreeing: dict[str, set[str]] = {}
        for key in keys:
            have = holders.get(key)
            if have:
                for subject_key in have:
                    agree = agreeing.get(subject_key)
                    if agree is None:
                        agreeing[subject_key] = {key[0]}
                    else:
                        agree.add(key[0])
        found = []
        if agreeing:
            mine = {key[0] for key in keys}
            for subject_key, agree in agreeing.items():
                if not agree.isdisjoint(STRONG_DIMENSIONS):  # a name alone is no candidate
                    found.append((self._score(subject_key, agree, mine), subject_key, agree))
            found.sort(key=lambda row: (-row[0].confidence, row[1]))
        linked = [row for row in found if linkage.decide(row[0])]
        if linked:
            result, subject_key, agree = linked[0]
            confidence = result.confidence
            matched = sorted(agree & result.scored) or sorted(agree)
            for other, other_key, _ in linked[1:]:  # anchored on both: one person
                if result.anchored and other.anchored:
                    self._merge(subject_key, other_key, provider_id, prospect_id)
            held = self.held.setdefault(subject_key, set())
            present = self.present.setdefault(subject_key, set())
        else:
            subject_key = next(self._ids)
            self.new_subjects.append(subject_key)
            confidence = 1.0 - (found[0][0].confidence if found else 0.0)
            matched = []
            held = self.held[subject_key] = set()
            present = self.present[subject_key] = set()
        active = self.ctx.resolver.active_key_id
        dimensions = self.dimensions
        for key in keys:  # bind_digests
            if key in held:
                continue
            held.add(key)
            have = holders.get(key)
            if have is None:
                holders[key] = {subject_key}
            else:
                have.add(subject_key)
            if key[1] == active:
                present.add(key[0])
            dimensions.append((subject_key, *key))
        self.links.append(
            (provider_id, prospect_id, subject_key, round(confidence, 6), matched, keys)
        )
        return subject_key

    def _merge(self, survivor: str, absorbed: str, provider_id: str, prospect_id: str) -> None:
        """What `lineage.merge` does to what linking sees: the absorbed key's digests answer
        as the survivor's, with the higher collision count of the two."""
        for key in self.held.pop(absorbed, set()):
            holders = self.holders[key]
            holders.discard(absorbed)
            holders.add(survivor)
            self.held.setdefault(survivor, set()).add(key)
        self.present.setdefault(survivor, set()).update(self.present.pop(absorbed, set()))
        kept = self.reports.setdefault(survivor, {})
        for dim, n in self.reports.pop(absorbed, {}).items():
            kept[dim] = max(kept.get(dim, 0), n)
        self.alias[absorbed] = survivor
        self.merges.append(Merge(survivor, absorbed, provider_id, prospect_id))

    def merged_keys(self) -> set[str]:
        """Every key a merge of this batch touched (their stored state changed)."""
        return {m.survivor for m in self.merges} | {m.absorbed for m in self.merges}

    def write(self, *, budget_units: int) -> None:
        """New keys and budgets, bound digests and links (one executemany each), then the
        merges in order; the batch starts over empty and the page cache is put back."""
        conn = self.ctx.graph.connection()
        try:
            self._write(conn, budget_units)
        finally:
            restore_page_cache(conn, self._cache_before)
            self._cache_before = None

    def _write(self, conn: Connection, budget_units: int) -> None:
        now = utcnow()
        new = [(k,) for k in self.new_subjects]
        insert_rows(
            conn,
            table(SubjectKey),
            ("subject_key",),
            new,
            {
                "status": SubjectStatus.ACTIVE,
                "split_from": None,
                "merged_into": None,
                "created_at": now,
                "updated_at": now,
            },
        )
        insert_rows(
            conn,
            table(SubjectBudget),
            ("subject_key",),
            new,
            {"limit_units": budget_units, "spent_units": 0, "withheld": 0},
        )
        self.dimensions.sort()  # the unique index's order: fewer pages
        insert_rows(
            conn,
            table(SubjectDimension),
            ("id", "subject_key", "dimension", "key_id", "digest"),
            with_ids(self.dimensions),
            {"collision_reports": 0, "created_at": now},
        )
        insert_rows(
            conn,
            table(ProspectLink),
            (
                "id",
                "provider_id",
                "prospect_id",
                "subject_key",
                "confidence",
                "matched_on",
                "chain",
            ),
            with_ids(self.links),
            {"created_at": now, "updated_at": now},
            {"matched_on": json_strings(), "chain": json_chain()},
        )
        if self.merges:
            _Merges(self.ctx, self.merges, self._ids).apply()
        self.new_subjects, self.dimensions, self.links, self.merges = [], [], [], []


class _Merges:
    """`lineage.merge` for many merges at once, in order. Only the state a merge of keys
    without contributions, attestations or attributions changes: dimensions, budgets, links,
    contact days, the key's status and the correction. Any other merge goes through
    `lineage.merge` itself, after the merges before it are written."""

    def __init__(self, ctx: Context, merges: Sequence[Merge], ids: Iterator[str]) -> None:
        self.ctx, self.merges, self.ids = ctx, merges, ids

    def apply(self) -> None:
        heavy = self._heavy({m.absorbed for m in self.merges})
        pending: list[Merge] = []
        for m in self.merges:
            if m.absorbed in heavy:
                self._fast(pending)
                pending = []
                self.ctx.graph.expire_all()
                lineage.merge(
                    self.ctx,
                    survivor=m.survivor,
                    absorbed=m.absorbed,
                    bridge=(m.provider_id, m.prospect_id),
                )
                heavy.add(m.survivor)
            else:
                pending.append(m)
        self._fast(pending)

    def _heavy(self, keys: set[str]) -> set[str]:
        """Keys with rows only `lineage.merge` may move: live contributions, attestations,
        attributions."""
        graph: Session = self.ctx.graph
        graph.flush()  # Core statements below: what the ORM holds must be in the store first
        conn = graph.connection()
        found: set[str] = set()
        for part in chunks(keys):
            lists = {"keys": part, "superseded_keys": part}
            found.update(_LIVE_CONTRIBUTIONS.execute(conn, lists).scalars().all())
            for holding in _HOLDING:
                found.update(holding.execute(conn, {"keys": part}).scalars().all())
        return found

    def _fast(self, merges: Sequence[Merge]) -> None:
        if not merges:
            return
        graph = self.ctx.graph
        graph.flush()  # Core statements below: what the ORM holds must be in the store first
        conn = graph.connection()
        keys = {m.survivor for m in merges} | {m.absorbed for m in merges}
        dims: dict[str, dict[DigestKey, list[Any]]] = {k: {} for k in keys}
        for part in chunks(keys):
            for row_id, subject_key, dim, key_id, digest, count in _MERGE_DIMENSIONS.execute(
                conn, {"keys": part}
            ):
                dims[subject_key][(dim, key_id, digest)] = [row_id, count]
        budgets: dict[str, list[int]] = {}
        for part in chunks(keys):
            for subject_key, limit, spent, withheld in _MERGE_BUDGETS.execute(conn, {"keys": part}):
                budgets[subject_key] = [limit, spent, withheld]
        now = utcnow()
        inserts: dict[str, dict[str, object]] = {}  # id -> new dimension row
        raised: dict[str, int] = {}  # stored dimension id -> new collision count
        changed: set[str] = set()
        for m in merges:
            have = dims[m.survivor]
            for ident, (_row_id, count) in dims[m.absorbed].items():
                if ident in have:
                    mine = have[ident]
                    if count > mine[1]:
                        mine[1] = count
                        if mine[0] in inserts:
                            inserts[mine[0]]["collision_reports"] = count
                        else:
                            raised[mine[0]] = count
                    continue
                new = next(self.ids)
                have[ident] = [new, count]
                inserts[new] = {
                    "id": new,
                    "subject_key": m.survivor,
                    "dimension": ident[0],
                    "key_id": ident[1],
                    "digest": ident[2],
                    "collision_reports": count,
                    "created_at": now,
                }
            kept, gone = budgets.get(m.survivor), budgets.get(m.absorbed)
            if kept is not None and gone is not None:
                kept[1] = min(kept[0], kept[1] + gone[1])
                kept[2] += gone[2]
                changed.add(m.survivor)
        if inserts:
            conn.execute(insert(_DIMS), list(inserts.values()))
        if raised:
            conn.execute(_RAISE_REPORTS, [{"row_id": k, "count": v} for k, v in raised.items()])
        if changed:
            conn.execute(
                _FOLD_BUDGET,
                [
                    {"key": k, "spent": budgets[k][1], "held": budgets[k][2]}
                    for k in sorted(changed)
                ],
            )
        moves = [{"absorbed": m.absorbed, "survivor": m.survivor} for m in merges]
        for move in _MOVE:
            conn.execute(move, moves)
        conn.execute(_ABSORB, [move | {"now": now} for move in moves])
        conn.execute(
            insert(_CORRECTIONS),
            [
                {
                    "id": next(self.ids),
                    "kind": "merge",
                    "provider_id": m.provider_id,
                    "prospect_id": m.prospect_id,
                    "subject_key": m.survivor,
                    "dimension": None,
                    "detail": {"merged": m.absorbed},
                    "created_at": now,
                }
                for m in merges
            ],
        )
        graph.expire_all()
