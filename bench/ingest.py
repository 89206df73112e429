# ruff: noqa: E402  (the import path is fixed before the imports, see below)
"""Ingest and inbound → draft benchmark, each beside its floor measured in the same run.

One message per transaction, the way the service takes them (issue 11, item 2):

(a) ingest alone: `prospects.ingest` (normalise, hash chain, strong-match dedup, fuzzy-name
    suggestions, insert or attach) in one tenant transaction per message;
(b) ingest + link: (a), then the graph link of the prospect (`graph.subjects.link_prospect`)
    in a graph transaction of its own, for a provider with contribute and query consent, as
    inbound's step 2 makes it: a new prospect's chain comes from its ingest, not a re-read;
(c) inbound → draft: `workflows.inbound.receive` (ingest, link, one audited graph query,
    qualify and draft; graph consent on, no language-model refiner), p50 and p99 latency on
    the demo network (seeded consents and contributions).

Each ingest figure and floor also gives its process CPU time per message (`*_cpu_per_msg`, ms):
on a machine shared with other work the rates move with the load, the CPU per message much
less.

Floors, same run, same stores and messages; the ingest figures and these floors run in
alternating slices (`--rounds`), so a change of load during the run weighs on each alike:

- bare executemany: the rows one ingest writes (a prospect, its chain, a touchpoint) through
  the DB-API connection, one `BEGIN IMMEDIATE … COMMIT` per message, no lookups;
- Core-only ingest: normalise + hash + one strong-match SELECT + Core INSERTs (or an UPDATE
  and an INSERT on a repeat sender), one transaction per message;
- Core-only ingest + link, the floor of (b): the Core-only ingest, then in a graph transaction
  of its own the link by Core statements built once, with client-side ids (the caller's link;
  for a new prospect the subjects holding a strong digest, then the subject key, its budget,
  its digests and the link), no consent or blocked-digest reads, no ORM;
- DB-API ingest + link (SQLite): the same work as the Core-only floor (normalise, hash, the
  same reads and writes, its statements compiled once from the same Core statements) run on
  the two stores' DB-API connections with no SQLAlchemy execution at all: what this
  machine's Python and SQLite can do for one message of ingest + link at best;
- intent + scoring: reading, triage, features and the logistic score of the same bodies with no
  database at all.

    .venv/bin/python bench/ingest.py                       # quick (~30 s), SQLite in a temp dir
    .venv/bin/python bench/ingest.py --n 5000 --inbound 1000
    .venv/bin/python bench/ingest.py --json out.json       # name -> {value, unit, floor, ratio}
    .venv/bin/python bench/ingest.py --profile ingest      # cProfile of (b), top functions
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/ holds scripts, not modules: one named like a standard module (bench/http.py) must not
# shadow it, so the script's own folder leaves the import path first.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import cProfile
import json
import os
import pstats
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, create_engine, insert, select, text, update
from sqlalchemy.engine import make_url

import prospecting
from prospecting.config import load_settings
from prospecting.db import new_id, normalize_url, ordered_id, utcnow
from prospecting.demo import network as demo
from prospecting.demo.qualify import generate
from prospecting.graph import service as graph
from prospecting.graph.models import ProspectLink, SubjectBudget, SubjectDimension, SubjectKey
from prospecting.graph.schemas import ConsentAction, ConsentChange
from prospecting.graph.subjects import FromIngest, link_prospect
from prospecting.identity import service as identity
from prospecting.identity.models import Person, Role
from prospecting.identity.schemas import PersonCreate
from prospecting.migrations import upgrade_all
from prospecting.prospects import service as prospects
from prospecting.prospects.models import Prospect, ProspectIdentifier, Touchpoint
from prospecting.prospects.schemas import Channel, InboundMessage
from prospecting.prospects.service import Ingested
from prospecting.qualify import intent as reader
from prospecting.qualify import training
from prospecting.qualify.profile import profile_for
from prospecting.qualify.scoring import History, all_features
from prospecting.qualify.triage import triage
from prospecting.resolver.chain import normalize_identifiers
from prospecting.resolver.keys import STRONG_DIMENSIONS, Digest
from prospecting.runtime import Context, Runtime
from prospecting.workflows import inbound

KEY = "b1=" + "bench-network-secret-" + "i" * 40
FIRST = ["Amara", "Jamie", "Lucía", "Marcus", "Priya", "Tyler", "Zoë", "Olivier", "Noah", "Mia"]
SYLLABLES = ["ok", "af", "or", "cla", "rke", "fer", "nan", "dez", "re", "id", "na", "ir"]
BODIES = [
    "Hi, is Friday afternoon free for a first session?",
    "How much is an initial consultation?",
    "Could I book something next week, mornings work best",
    "Thanks for getting back to me!",
]


def sender(i: int) -> tuple[str, str, str]:
    """A deterministic sender: a valid GB mobile, an email, a name whose surname block is
    shared with a few dozen other senders (the fuzzy-name candidates)."""
    surname = "".join(SYLLABLES[(i // 10 // 12**k) % 12] for k in range(3)).capitalize()
    # +44 74n0 xxxxxx: a million valid mobiles per n, so the floors' offsets (millions apart)
    # never reuse a number the history holds: their messages are new senders, as (a)'s are
    mobile = f"+4474{i // 1_000_000 % 10}0{i % 1_000_000:06d}"
    return mobile, f"s{i}@example.org", f"{FIRST[i % 10]} {surname}"


def message_for(i: int, offset: int) -> InboundMessage:
    """Every 5th message is from an earlier sender (attach), every 7th a typo'd name from a new
    number (a merge suggestion); the rest are new senders."""
    who = offset + i
    if i % 5 == 4:
        phone, email, name = sender(offset + i - 3)
    elif i % 7 == 6:
        _, _, name = sender(offset + i - 2)
        phone, email, _ = sender(who)
        name = name[:-1] + ("x" if name[-1] != "x" else "y")
    else:
        phone, email, name = sender(who)
    return InboundMessage(
        channel=Channel.SMS,
        sender_phone=phone,
        sender_email=email,
        sender_name=name,
        body=BODIES[i % len(BODIES)],
    )


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def new_provider(runtime: Runtime, name: str) -> Person:
    with runtime.stores.tenant() as session:
        person = identity.create_person(
            session=session,
            data=PersonCreate(
                display_name=name,
                service_categories=["therapy"],
                region="GB-LND",
                default_phone_region="GB",
            ),
        )
    with runtime.stores.tenant_read() as tenant, runtime.stores.graph() as graph_session:
        ctx = Context(tenant, graph_session, person, runtime.settings, runtime.resolver, "cli")
        for action in (ConsentAction.CONTRIBUTE_ALL, ConsentAction.QUERY_ON):
            graph.change_consent(ctx, ConsentChange(action=action))
    return person


def ingest_one(runtime: Runtime, actor: Person, message: InboundMessage) -> Ingested:
    with runtime.stores.tenant() as session:
        return prospects.ingest(
            session=session, actor=actor, resolver=runtime.resolver, message=message
        )


def link_one(runtime: Runtime, actor: Person, ingested: Ingested) -> None:
    """The link as inbound's step 2 makes it: a new prospect's chain comes from its ingest."""
    with runtime.stores.tenant_read() as tenant, runtime.stores.graph() as graph_session:
        ctx = Context(tenant, graph_session, actor, runtime.settings, runtime.resolver, "cli")
        link_prospect(ctx, ingested.prospect.id, ingested=FromIngest(chain=ingested.graph_chain))


def interleaved(
    n: int,
    rounds: int,
    steps: dict[str, Callable[[int], None]],
    around: Callable[[str], Any] | None = None,
) -> tuple[dict[str, float], dict[str, float]]:
    """Rates (steps per second) of several step functions run in `rounds` alternating slices
    of n/rounds steps each (the order rotating every round), so a change in the machine's
    load during the run weighs on every figure alike and their ratios hold; and each one's
    process CPU time per step in ms (what the step costs, whoever else shares the cores).
    `around(name)` gives a context for each slice (the profiler)."""
    spent = dict.fromkeys(steps, 0.0)
    cpu = dict.fromkeys(steps, 0.0)
    names = list(steps)
    bounds = [n * r // rounds for r in range(rounds + 1)]
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            with around(name) if around is not None else nullcontext():
                started, cpu_started = time.perf_counter(), time.process_time()
                for i in range(bounds[r], bounds[r + 1]):
                    steps[name](i)
                spent[name] += time.perf_counter() - started
                cpu[name] += time.process_time() - cpu_started
    rates = {name: n / seconds for name, seconds in spent.items()}
    return rates, {name: seconds * 1000 / n for name, seconds in cpu.items()}


@contextmanager
def bare_executemany(
    runtime: Runtime, actor: Person, n: int, offset: int
) -> Iterator[Callable[[int], None]]:
    """The rows of one new-sender ingest written through the DB-API, no lookups, no ORM."""
    hashes = [runtime.resolver.chains(_ids(actor, sender(offset + i))) for i in range(n)]
    raw = runtime.stores.tenant_engine.raw_connection()
    cursor = raw.cursor()
    now = utcnow().isoformat()
    pg = runtime.stores.tenant_engine.dialect.name == "postgresql"
    mark = "%s" if pg else "?"

    def sql(table: str, columns: str) -> str:
        marks = ", ".join([mark] * (columns.count(",") + 1))
        return f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 (fixed names)

    p_sql = sql(
        "prospects",
        "id, person_id, display_name, phone_e164, phone_unverified, email, normalized_name, "
        "name_block, status, created_at, updated_at, last_inbound_at",
    )
    i_sql = sql(
        "prospect_identifiers",
        "id, prospect_id, person_id, dimension, scheme, key_id, digest, created_at",
    )
    t_sql = sql(
        "prospect_touchpoints",
        "id, prospect_id, person_id, kind, direction, channel, body, sender_phone, "
        "sender_email, sender_name, occurred_at, created_at",
    )

    def step(i: int) -> None:
        phone, email, name = sender(offset + i)
        pid = new_id()
        if pg:
            cursor.execute("BEGIN")
        else:
            cursor.execute("BEGIN IMMEDIATE")
        cursor.executemany(
            p_sql,
            [(pid, actor.id, name, phone, False, email, name.lower(), "x", "new", now, now, now)],
        )
        cursor.executemany(
            i_sql,
            [
                (new_id(), pid, actor.id, d.dimension, d.scheme, d.key_id, d.value, now)
                for d in hashes[i]
            ],
        )
        cursor.executemany(
            t_sql,
            [
                (new_id(), pid, actor.id, "message", "inbound", "sms", "hi", phone, email, name)
                + (now,) * 2
            ],
        )
        raw.commit() if pg else cursor.execute("COMMIT")

    try:
        yield step
    finally:
        cursor.close()
        raw.close()


def _ids(actor: Person, who: tuple[str, str, str]) -> Any:
    phone, email, name = who
    return normalize_identifiers(
        phone=phone,
        email=email,
        name=name,
        default_region=actor.default_phone_region,
        lenient_phone=True,
    )


def core_ingest(runtime: Runtime, actor: Person, offset: int) -> Callable[[int], CoreIngested]:
    """Normalise + hash + one strong-match SELECT + Core writes, one transaction per message."""
    engine = runtime.stores.tenant_engine
    key_id = runtime.resolver.active_key_id
    p, pi, tp = Prospect.__table__, ProspectIdentifier.__table__, Touchpoint.__table__
    rows = _FloorRows(actor.id, runtime.settings.graph_subject_budget_units)

    def step(i: int) -> CoreIngested:
        message = message_for(i, offset)
        ids = _ids(actor, (message.sender_phone, message.sender_email, message.sender_name))
        chain = runtime.resolver.chains(ids)
        strong = [d.value for d in chain if d.key_id == key_id and d.dimension in STRONG_DIMENSIONS]
        now = utcnow()
        with engine.begin() as conn:
            hit = conn.execute(
                select(pi.c.prospect_id).where(
                    pi.c.person_id == actor.id, pi.c.digest.in_(strong), pi.c.key_id == key_id
                )
            ).first()
            created = hit is None
            if hit is not None:
                pid = hit[0]
                conn.execute(update(p).where(p.c.id == pid).values(last_inbound_at=now))
            else:
                pid = new_id()
                conn.execute(insert(p).values(rows.prospect(pid, message, ids, now)))
                conn.execute(insert(pi), [rows.identifier(pid, d, now) for d in chain])
            conn.execute(insert(tp).values(rows.touchpoint(pid, message, ids, now)))
        return CoreIngested(pid, chain if created else None)

    return step


class _FloorRows:
    """The rows the Core and DB-API floors write for one message, built alike for both."""

    def __init__(self, actor_id: str, units: int) -> None:
        self.actor_id, self.units = actor_id, units

    def prospect(
        self, pid: str, message: InboundMessage, ids: Any, now: datetime
    ) -> dict[str, Any]:
        return {
            "id": pid,
            "person_id": self.actor_id,
            "display_name": message.sender_name,
            "phone_e164": ids.phone,
            "email": ids.email,
            "normalized_name": ids.name,
            "name_block": prospects.name_block(ids.name) if ids.name else None,
            "status": "new",
            "created_at": now,
            "updated_at": now,
            "last_inbound_at": now,
        }

    def identifier(self, pid: str, d: Digest, now: datetime) -> dict[str, Any]:
        return {
            "id": new_id(),
            "prospect_id": pid,
            "person_id": self.actor_id,
            "dimension": d.dimension,
            "scheme": d.scheme,
            "key_id": d.key_id,
            "digest": d.value,
            "created_at": now,
        }

    def touchpoint(
        self, pid: str, message: InboundMessage, ids: Any, now: datetime
    ) -> dict[str, Any]:
        return {
            "id": new_id(),
            "prospect_id": pid,
            "person_id": self.actor_id,
            "kind": "message",
            "direction": "inbound",
            "channel": message.channel.value,
            "body": message.body,
            "sender_phone": ids.phone,
            "sender_email": ids.email,
            "sender_name": ids.name,
            "occurred_at": now,
            "created_at": now,
        }

    def subject(self, key: str, now: datetime) -> dict[str, Any]:
        return {
            "subject_key": key,
            "status": "active",
            "split_from": None,
            "merged_into": None,
            "created_at": now,
            "updated_at": now,
        }

    def budget(self, key: str) -> dict[str, Any]:
        return {"subject_key": key, "limit_units": self.units, "spent_units": 0, "withheld": 0}

    def dimension(self, key: str, d: Digest, now: datetime) -> dict[str, Any]:
        return {
            "id": ordered_id(),
            "subject_key": key,
            "dimension": d.dimension,
            "key_id": d.key_id,
            "digest": d.value,
            "collision_reports": 0,
            "created_at": now,
        }

    def link(self, pid: str, key: str, chain: list[Digest], now: datetime) -> dict[str, Any]:
        return {
            "id": ordered_id(),
            "provider_id": self.actor_id,
            "prospect_id": pid,
            "subject_key": key,
            "confidence": 1.0,
            "matched_on": [],
            "chain": [[d.dimension, d.key_id, d.value] for d in chain],
            "created_at": now,
            "updated_at": now,
        }


class CoreIngested(NamedTuple):
    prospect_id: str
    chain: list[Digest] | None  # a new prospect's chain; None when the message attached


def core_link(runtime: Runtime, actor: Person) -> Callable[[CoreIngested], None]:
    """The graph link of a Core ingest's prospect, Core only, one transaction: the caller's
    link by (provider, prospect); if none, the active subjects holding a strong digest of the
    chain, then a new subject key, its budget, its digests and the link (client-side ids, no
    ORM, no consent or blocked-digest reads; statements built once): the link's own reads and
    writes at their floor."""
    engine = runtime.stores.graph_engine
    links, keys, budgets, dims = (
        ProspectLink.__table__,
        SubjectKey.__table__,
        SubjectBudget.__table__,
        SubjectDimension.__table__,
    )
    rows = _FloorRows(actor.id, runtime.settings.graph_subject_budget_units)
    held_link = select(links.c.subject_key).where(
        links.c.provider_id == bindparam("provider_id"),
        links.c.prospect_id == bindparam("prospect_id"),
    )
    holders = (
        select(dims.c.subject_key, dims.c.dimension)
        .join(keys, keys.c.subject_key == dims.c.subject_key)
        .where(dims.c.digest.in_(bindparam("strong", expanding=True)), keys.c.status == "active")
    )
    new_key, new_budget, new_dims, new_link = (
        insert(keys),
        insert(budgets),
        insert(dims),
        insert(links),
    )

    def step(ingested: CoreIngested) -> None:
        with engine.begin() as conn:
            held = conn.execute(
                held_link, {"provider_id": actor.id, "prospect_id": ingested.prospect_id}
            ).first()
            if held is not None or not ingested.chain:
                return
            chain = ingested.chain
            strong = [d.value for d in chain if d.dimension in STRONG_DIMENSIONS]
            conn.execute(holders, {"strong": strong}).all()
            now, subject_key = utcnow(), new_id()
            conn.execute(new_key, rows.subject(subject_key, now))
            conn.execute(new_budget, rows.budget(subject_key))
            conn.execute(new_dims, [rows.dimension(subject_key, d, now) for d in chain])
            conn.execute(new_link, rows.link(ingested.prospect_id, subject_key, chain, now))

    return step


class _DriverStatement(NamedTuple):
    sql: str
    names: tuple[str, ...]  # the parameters in the SQL's positional order
    defaults: dict[str, Any]  # scalar column defaults of an insert's other columns

    def row(self, values: dict[str, Any]) -> tuple[Any, ...]:
        """Parameters as the driver takes them: datetimes as SQLite's text, lists as JSON."""
        out = []
        for name in self.names:
            value = values[name] if name in values else self.defaults[name]
            if isinstance(value, datetime):
                value = value.replace(tzinfo=None).isoformat(sep=" ")
            elif isinstance(value, list):
                value = json.dumps(value)
            out.append(value)
        return tuple(out)


def _driver(engine: Any, statement: Any) -> _DriverStatement:
    """A Core statement compiled once to the driver's positional SQL (SQLite's `?`)."""
    compiled = statement.compile(dialect=engine.dialect)
    return _DriverStatement(compiled.string, tuple(compiled.positiontup or ()), {})


def _driver_insert(engine: Any, table: Any, values: dict[str, Any]) -> _DriverStatement:
    """An insert of `values`' columns; the compiler adds the columns with a default, which
    take their scalar default (None where the default is a function)."""
    statement = _driver(engine, insert(table).values({name: bindparam(name) for name in values}))
    defaults = {}
    for name in statement.names:
        default = table.c[name].default if name not in values else None
        if name not in values:
            defaults[name] = default.arg if default is not None and default.is_scalar else None
    return statement._replace(defaults=defaults)


@contextmanager
def dbapi_ingest_link(
    runtime: Runtime, actor: Person, offset: int
) -> Iterator[Callable[[int], None]]:
    """The Core ingest + link floor's work with no SQLAlchemy execution at all: the same
    normalisation, hashing, reads and writes, its statements compiled once from the same Core
    statements and run on the two stores' DB-API connections, `BEGIN IMMEDIATE … COMMIT` on
    each. What Python and SQLite on this machine do for one message of ingest + link at best
    (SQLite only)."""
    tenant, graph_engine = runtime.stores.tenant_engine, runtime.stores.graph_engine
    key_id = runtime.resolver.active_key_id
    p, pi, tp = Prospect.__table__, ProspectIdentifier.__table__, Touchpoint.__table__
    links, keys = ProspectLink.__table__, SubjectKey.__table__
    budgets, dims = SubjectBudget.__table__, SubjectDimension.__table__
    rows = _FloorRows(actor.id, runtime.settings.graph_subject_budget_units)
    now0, sample = utcnow(), Digest("phone", "s", key_id, "d")
    message0 = message_for(0, offset)
    ids0 = _ids(actor, (message0.sender_phone, message0.sender_email, message0.sender_name))
    new_prospect = _driver_insert(tenant, p, rows.prospect("x", message0, ids0, now0))
    new_identifier = _driver_insert(tenant, pi, rows.identifier("x", sample, now0))
    new_touchpoint = _driver_insert(tenant, tp, rows.touchpoint("x", message0, ids0, now0))
    touch = _driver(
        tenant, update(p).where(p.c.id == bindparam("pid")).values(last_inbound_at=bindparam("now"))
    )
    held_link = _driver(
        graph_engine,
        select(links.c.subject_key).where(
            links.c.provider_id == bindparam("provider_id"),
            links.c.prospect_id == bindparam("prospect_id"),
        ),
    )
    new_key = _driver_insert(graph_engine, keys, rows.subject("x", now0))
    new_budget = _driver_insert(graph_engine, budgets, rows.budget("x"))
    new_dim = _driver_insert(graph_engine, dims, rows.dimension("x", sample, now0))
    new_link = _driver_insert(graph_engine, links, rows.link("x", "x", [], now0))

    def marks(n: int) -> str:
        return ", ".join("?" * n)

    raw_tenant, raw_graph = tenant.raw_connection(), graph_engine.raw_connection()
    tcur, gcur = raw_tenant.cursor(), raw_graph.cursor()

    def step(i: int) -> None:
        message = message_for(i, offset)
        ids = _ids(actor, (message.sender_phone, message.sender_email, message.sender_name))
        chain = runtime.resolver.chains(ids)
        strong = [d.value for d in chain if d.key_id == key_id and d.dimension in STRONG_DIMENSIONS]
        now = utcnow()
        tcur.execute("BEGIN IMMEDIATE")
        hit = tcur.execute(
            "SELECT prospect_id FROM prospect_identifiers WHERE person_id = ? AND key_id = ?"  # noqa: S608 (only marks)
            f" AND digest IN ({marks(len(strong))}) LIMIT 1",
            (actor.id, key_id, *strong),
        ).fetchone()
        if hit is not None:
            pid = hit[0]
            tcur.execute(touch.sql, touch.row({"now": now, "updated_at": now, "pid": pid}))
        else:
            pid = new_id()
            tcur.execute(new_prospect.sql, new_prospect.row(rows.prospect(pid, message, ids, now)))
            tcur.executemany(
                new_identifier.sql,
                [new_identifier.row(rows.identifier(pid, d, now)) for d in chain],
            )
        tcur.execute(
            new_touchpoint.sql, new_touchpoint.row(rows.touchpoint(pid, message, ids, now))
        )
        tcur.execute("COMMIT")
        gcur.execute("BEGIN IMMEDIATE")
        held = gcur.execute(held_link.sql, (actor.id, pid)).fetchone()
        if held is None and hit is None:
            strong_all = [d.value for d in chain if d.dimension in STRONG_DIMENSIONS]
            gcur.execute(
                "SELECT d.subject_key, d.dimension FROM prospect_subject_dimensions AS d JOIN"  # noqa: S608
                " prospect_subject_keys AS k ON k.subject_key = d.subject_key WHERE d.digest"
                f" IN ({marks(len(strong_all))}) AND k.status = 'active'",
                strong_all,
            ).fetchall()
            key = new_id()
            gcur.execute(new_key.sql, new_key.row(rows.subject(key, now)))
            gcur.execute(new_budget.sql, new_budget.row(rows.budget(key)))
            gcur.executemany(new_dim.sql, [new_dim.row(rows.dimension(key, d, now)) for d in chain])
            gcur.execute(new_link.sql, new_link.row(rows.link(pid, key, chain, now)))
        gcur.execute("COMMIT")

    try:
        yield step
    finally:
        for closing in (tcur, gcur, raw_tenant, raw_graph):
            closing.close()


def intent_scoring(runtime: Runtime, actor: Person, bodies: list[str]) -> list[float]:
    """Read, triage, features and score per message, no database (the inbound path's own work)."""
    with runtime.stores.tenant_read() as session:
        profile = profile_for(session=session, actor=actor)
        scorer = training.active_scorer(session=session, actor=actor)
    names = [s.name for s in profile.services]
    times = []
    for body in bodies:
        started = time.perf_counter()
        read = reader.classify(body, service_names=names, time_zone=actor.time_zone, now=utcnow())
        triage(body, language=read.language)
        features = all_features(body, read, History(), None, languages=profile.languages)
        scorer.score(features)
        times.append((time.perf_counter() - started) * 1000)
    return times


def inbound_messages(n: int) -> list[tuple[int, InboundMessage]]:
    """Demo-like bodies; every third sender is one the demo network knows (a linked subject
    with contributions), the rest are new."""
    known = [(who, phone, email, name) for who, _, phone, email, name, _, _ in demo.MESSAGES]
    out: list[tuple[int, InboundMessage]] = []
    for i, prospect in enumerate(generate(seed=1000, per_provider=max(n // 4 + 1, 1))):
        text = prospect.messages[-1].text
        if i % 3 == 0:
            who, phone, email, name = known[(i // 3) % len(known)]
        else:
            who, (phone, email, name) = prospect.provider, sender(900_000 + i)
        out.append(
            (
                who,
                InboundMessage(
                    channel=prospect.messages[-1].channel,
                    sender_phone=phone,
                    sender_email=email,
                    sender_name=name,
                    body=text,
                ),
            )
        )
    return out[:n]


def figure(value: float, unit: str, floor: float | None, *, lower_is_better: bool) -> dict:
    ratio = None
    if floor:
        ratio = round(value / floor if lower_is_better else floor / value, 3)
    return {
        "value": round(value, 3),
        "unit": unit,
        "floor": None if floor is None else round(floor, 3),
        "ratio": ratio,
        "lower_is_better": lower_is_better,
    }


def run(args: argparse.Namespace, folder: Path) -> dict[str, dict]:
    settings = load_settings(
        mode="test",
        data_dir=folder,
        network_key=KEY,
        tenant_database_url=args.tenant_url,
        graph_database_url=args.graph_url,
    )
    upgrade_all(settings.resolved_tenant_url, settings.resolved_graph_url)
    runtime = Runtime.build(settings)
    reader.classify("warm up")
    demo.seed_network(runtime)
    with runtime.stores.tenant_read() as session:
        actors = [
            p
            for p in session.scalars(select(Person).order_by(Person.created_at))
            if p.has_role(Role.PROVIDER)
        ]
    solo, linked = new_provider(runtime, "Bench Ingest"), new_provider(runtime, "Bench Link")
    n, warm = args.n, args.warm
    # A history first, so dedup, the fuzzy-name blocks and the graph have rows to find.
    for i in range(warm):
        ingest_one(runtime, solo, message_for(i, 0))
        link_one(runtime, linked, ingest_one(runtime, linked, message_for(i, 0)))

    def only_ingest(i: int) -> None:
        ingest_one(runtime, solo, message_for(warm + i, 0))

    def ingest_link(i: int) -> None:
        link_one(runtime, linked, ingest_one(runtime, linked, message_for(warm + i, 0)))

    profiler = cProfile.Profile() if args.profile else None

    @contextmanager
    def profiled(name: str) -> Iterator[None]:
        on = profiler if args.profile == "ingest" and name in ("a", "b") else None
        if on is not None:
            on.enable()
        try:
            yield
        finally:
            if on is not None:
                on.disable()

    core_then = core_ingest(runtime, linked, 4_000_000)
    link_core = core_link(runtime, linked)

    def core_ingest_link(i: int) -> None:
        link_core(core_then(i))

    sqlite = runtime.stores.tenant_engine.dialect.name == "sqlite"
    driver_link = dbapi_ingest_link(runtime, linked, 5_000_000) if sqlite else nullcontext(None)
    with bare_executemany(runtime, solo, n, 2_000_000) as bare, driver_link as dbapi_link:
        steps = {
            "a": only_ingest,
            "b": ingest_link,
            "core": core_ingest(runtime, solo, 3_000_000),
            "core_link": core_ingest_link,
            "bare": bare,
        }
        if dbapi_link is not None:
            steps["dbapi_link"] = dbapi_link
        rates, cpu_ms = interleaved(n, args.rounds, steps, around=profiled)
    a, b, floor_core, floor_bare = rates["a"], rates["b"], rates["core"], rates["bare"]
    floor_core_link = rates["core_link"]

    work = inbound_messages(args.inbound)
    latencies = []
    for i, (who, message) in enumerate(work):
        if profiler is not None and args.profile == "inbound" and i >= args.inbound // 10:
            profiler.enable()
        started = time.perf_counter()
        inbound.receive(runtime, actor=actors[who], message=message, channel="cli", refiner=None)
        latencies.append((time.perf_counter() - started) * 1000)
        if profiler is not None:
            profiler.disable()
    latencies = latencies[len(latencies) // 10 :]  # the first tenth warms caches
    floor_scoring = intent_scoring(runtime, actors[0], [m.body for _, m in work])
    runtime.stores.dispose()
    if profiler is not None:
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)

    backend = settings.resolved_tenant_url.split(":", 1)[0].split("+", 1)[0]
    s50, s99 = statistics.median(floor_scoring), pct(floor_scoring, 99)
    return {
        f"ingest_{backend}_per_s": figure(a, "msg/s", floor_core, lower_is_better=False),
        "ingest_link_per_s": figure(b, "msg/s", floor_core_link, lower_is_better=False),
        "ingest_core_floor_per_s": figure(floor_core, "msg/s", floor_bare, lower_is_better=False),
        "ingest_link_core_floor_per_s": figure(
            floor_core_link, "msg/s", floor_core, lower_is_better=False
        ),
        "ingest_executemany_floor_per_s": figure(floor_bare, "msg/s", None, lower_is_better=False),
        **(
            {
                "ingest_link_dbapi_floor_per_s": figure(
                    rates["dbapi_link"], "msg/s", floor_core_link, lower_is_better=False
                ),
                "ingest_link_dbapi_floor_cpu_per_msg": figure(
                    cpu_ms["dbapi_link"], "ms CPU", cpu_ms["core_link"], lower_is_better=True
                ),
            }
            if "dbapi_link" in rates
            else {}
        ),
        f"ingest_{backend}_cpu_per_msg": figure(
            cpu_ms["a"], "ms CPU", cpu_ms["core"], lower_is_better=True
        ),
        "ingest_link_cpu_per_msg": figure(
            cpu_ms["b"], "ms CPU", cpu_ms["core_link"], lower_is_better=True
        ),
        "ingest_link_core_floor_cpu_per_msg": figure(
            cpu_ms["core_link"], "ms CPU", cpu_ms["core"], lower_is_better=True
        ),
        "ingest_core_floor_cpu_per_msg": figure(
            cpu_ms["core"], "ms CPU", None, lower_is_better=True
        ),
        "inbound_draft_p50": figure(statistics.median(latencies), "ms", s50, lower_is_better=True),
        "inbound_draft_p99": figure(pct(latencies, 99), "ms", s99, lower_is_better=True),
        "intent_scoring_p50": figure(s50, "ms", None, lower_is_better=True),
    }


@contextmanager
def postgres_databases(server: str) -> Iterator[tuple[str, str]]:
    """Two fresh databases on the server (tenant, graph), dropped afterwards."""
    base = make_url(normalize_url(server))
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    names = [f"bench_ingest_{os.getpid()}_{kind}" for kind in ("tenant", "graph")]
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield tuple(  # type: ignore[misc]
            base.set(database=name).render_as_string(hide_password=False) for name in names
        )
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="messages per ingest figure")
    parser.add_argument("--warm", type=int, default=1000, help="history ingested first")
    parser.add_argument("--inbound", type=int, default=300, help="inbound → draft messages")
    parser.add_argument(
        "--rounds", type=int, default=8, help="alternating slices of the ingest figures and floors"
    )
    parser.add_argument("--tenant-url", help="tenant store URL (default: SQLite in a temp dir)")
    parser.add_argument("--graph-url", help="graph store URL (default: SQLite in a temp dir)")
    parser.add_argument(
        "--postgres", help="PostgreSQL server URL: both stores in fresh databases there"
    )
    parser.add_argument("--json", type=Path, help="write name -> {value, unit, floor, ratio}")
    parser.add_argument("--profile", choices=["ingest", "inbound"], help="cProfile to stderr")
    args = parser.parse_args()
    print(f"prospecting from {Path(prospecting.__file__).parent}", file=sys.stderr)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        if args.postgres:
            with postgres_databases(args.postgres) as (tenant_url, graph_url):
                args.tenant_url, args.graph_url = tenant_url, graph_url
                figures = run(args, Path(tmp))
        else:
            figures = run(args, Path(tmp))
    print(f"load average (1 min) before: {load:.2f}, after: {os.getloadavg()[0]:.2f}")
    for name, f in figures.items():
        floor = "" if f["floor"] is None else f"  floor {f['floor']:,.2f}  ratio {f['ratio']}"
        print(f"{name:34s} {f['value']:>10,.2f} {f['unit']}{floor}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
