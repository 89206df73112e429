"""Graph benchmark: query latency beside its floor, and contribution throughput.

For each size it bulk-builds (SQLAlchemy Core, executemany batches, not the per-row service) a
network of S subjects, P providers and C contributions, each contribution noised by the real
OpenDP mechanism (drawn from a pool of real randomized reports), plus BUSY subjects with
exactly --busy-rows contributions each. Then it prints, measured interleaved in the same run:

- graph_query p50/p99 in-process (the service, one transaction pair per query) on ordinary
  subjects and on busy ones;
- the FLOOR beside each: an indexed read of the subject's contribution rows plus one audit-shaped
  insert, both with SQLAlchemy Core in one transaction on the same database, and the ratio;
- graph_query over HTTP (uvicorn on loopback, a real bearer token);
- contribution throughput through the real service (link + consent + budget lock + noise +
  insert, one transaction each).

Finally (not with --json) band width versus number of contributions at the default epsilon.

    .venv/bin/python bench/graph.py                        # 10k and 100k subjects (SQLite)
    .venv/bin/python bench/graph.py --subjects 10000       # quick run
    .venv/bin/python bench/graph.py --subjects 10000 100000 1000000
    .venv/bin/python bench/graph.py --postgres postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/graph.py --subjects 10000 --json out.json   # figures as JSON
    .venv/bin/python bench/graph.py --subjects 10000 --profile   # cProfile of the queries

`--json PATH` writes {name: {value, unit, floor, ratio}} (floor and ratio null where a figure
has no floor), e.g. "graph_query p99 (SQLite, 10k)".
"""

from __future__ import annotations

import sys

# bench/ holds scripts whose names may shadow the standard library (bench/http.py shadows
# `http`): run as a script, this file must not import from its own folder
if sys.path and sys.path[0] == __file__.rsplit("/", 1)[0]:
    sys.path.pop(0)

import argparse
import cProfile
import json
import logging
import os
import pstats
import random
import socket
import sqlite3
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import (
    Column,
    Index,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    create_engine,
    insert,
    select,
    text,
)

from prospecting.app import create_app
from prospecting.config import Settings
from prospecting.db import Stores, new_id, utcnow
from prospecting.graph import dp, service
from prospecting.graph.models import (
    Contribution,
    ProspectLink,
    ProviderConsent,
    QueryAudit,
    SubjectBudget,
    SubjectDimension,
    SubjectKey,
)
from prospecting.graph.schemas import ContributionIn, GraphQueryIn
from prospecting.identity import service as identity
from prospecting.identity.models import Person
from prospecting.identity.schemas import PersonCreate
from prospecting.migrations import upgrade_all
from prospecting.prospects.identifiers import store_chain
from prospecting.prospects.models import Prospect
from prospecting.resolver.chain import Identifiers
from prospecting.resolver.keyring import KeyRing
from prospecting.resolver.service import Resolver
from prospecting.runtime import Context

KEY = "b1=" + "bench-network-secret-" + "z" * 40
CATEGORIES = ["therapy", "coaching", "fitness", "salon", "tutoring"]
REGIONS = ["GB-LND", "ES-MD", "US-NY", "FR-IDF"]
BATCH = 20_000
POOL = 4_000  # real randomized reports per true outcome mix, sampled into contributions
# a realistic outcome mix (true values, randomized before anything is stored)
MIX = (
    ["booked"] * 40
    + ["rescheduled"] * 10
    + ["no_show"] * 15
    + ["ghosted"] * 20
    + ["declined"] * 10
    + ["blocked"] * 5
)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def build(
    stores: Stores,
    settings: Settings,
    args: argparse.Namespace,
    subjects: int,
) -> tuple[str, str, list[str], list[str]]:
    """Bulk insert the network; returns (asker id, token, ordinary keys, busy keys to query)."""
    rng = random.Random(7)
    t0 = time.perf_counter()
    providers = args.providers
    person_rows = [
        {
            "id": new_id(),
            "display_name": f"Provider {i}",
            "service_categories": [CATEGORIES[i % len(CATEGORIES)]],
            "region": REGIONS[i % len(REGIONS)],
            "default_phone_region": "GB",
            "time_zone": "UTC",
            "created_at": utcnow(),
        }
        for i in range(providers)
    ]
    with stores.tenant_engine.begin() as conn:
        conn.execute(insert(Person), person_rows)
    with stores.tenant() as tenant:
        asker = identity.create_person(
            session=tenant,
            data=PersonCreate(
                display_name="Bench asker", service_categories=["therapy"], region="GB-LND"
            ),
        )
        _, token = identity.issue_token(session=tenant, person=asker, name="bench")
        asker_id = asker.id
    provider_ids = [p["id"] for p in person_rows]
    keys = [new_id() for _ in range(subjects)]
    now = utcnow()
    units = settings.graph_contribution_epsilon_units
    limit = settings.graph_subject_budget_units
    pool = [dp.randomize_outcome(rng.choice(MIX), epsilon_units=units) for _ in range(POOL)]
    pool_noise = [(noised, asdict(params)) for noised, params in pool]
    # how many rows each subject gets: BUSY subjects exactly --busy-rows, the rest uniform
    busy = list(range(min(args.busy, subjects)))
    per_subject = [0] * subjects
    for s in busy:
        per_subject[s] = args.busy_rows
    rest = int(subjects * args.contributions_per_subject)
    for _ in range(rest):
        per_subject[rng.randrange(len(busy), subjects) if subjects > len(busy) else 0] += 1
    total = sum(per_subject)
    with stores.graph_engine.begin() as conn:
        for i in range(0, subjects, BATCH):
            chunk = range(i, min(subjects, i + BATCH))
            conn.execute(
                insert(SubjectKey),
                [
                    {
                        "subject_key": keys[s],
                        "status": "active",
                        "created_at": now,
                        "updated_at": now,
                    }
                    for s in chunk
                ],
            )
            conn.execute(
                insert(SubjectDimension),
                [
                    {
                        "id": new_id(),
                        "subject_key": keys[s],
                        "dimension": "phone",
                        "key_id": "b1",
                        "digest": uuid.uuid4().hex + uuid.uuid4().hex,
                        "collision_reports": 0,
                        "created_at": now,
                    }
                    for s in chunk
                ],
            )
            budgets = []
            rows: list[dict[str, Any]] = []
            for s in chunk:
                noised = min(per_subject[s], limit // units if units else 0)
                budgets.append(
                    {
                        "subject_key": keys[s],
                        "limit_units": limit,
                        "spent_units": noised * units,
                        "withheld": per_subject[s] - noised,
                    }
                )
                for j in range(per_subject[s]):
                    row = {
                        "id": new_id(),
                        "provider_id": rng.choice(provider_ids),
                        "prospect_id": new_id(),
                        "outcome_version": 1,
                        "generation": 0,
                        "subject_key": keys[s],
                        "fingerprint": uuid.uuid4().hex * 2,
                        "created_at": now - timedelta(days=rng.uniform(0, 28)),
                        "noised_outcome": None,
                        "outcome_noise": None,
                        "noised_days": None,
                        "days_noise": None,
                        "epsilon_units": 0,
                        "withheld": True,
                    }
                    if j < noised:
                        outcome, params = rng.choice(pool_noise)
                        row |= {
                            "noised_outcome": outcome,
                            "outcome_noise": params,
                            "epsilon_units": units,
                            "withheld": False,
                        }
                    rows.append(row)
                if len(rows) >= BATCH:
                    conn.execute(insert(Contribution), rows)
                    rows = []
            if rows:
                conn.execute(insert(Contribution), rows)
            conn.execute(insert(SubjectBudget), budgets)
        conn.execute(
            insert(ProviderConsent),
            [
                {
                    "provider_id": p,
                    "contribute_policy": "all",
                    "query_enabled": True,
                    "updated_at": now,
                }
                for p in [*provider_ids, asker_id]
            ],
        )
        ordinary = rng.sample(range(len(busy), subjects), min(args.queries, subjects - len(busy)))
        conn.execute(
            insert(ProspectLink),
            [
                {
                    "id": new_id(),
                    "provider_id": asker_id,
                    "prospect_id": new_id(),
                    "subject_key": keys[s],
                    "confidence": 0.99,
                    "matched_on": ["phone"],
                    "chain": [],
                    "created_at": now,
                    "updated_at": now,
                }
                for s in [*busy, *ordinary]
            ],
        )
    if stores.graph_engine.dialect.name == "postgresql":
        for engine in (stores.graph_engine, stores.tenant_engine):
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))
    print(
        f"  built {subjects:,} subjects, {providers:,} providers, {total:,} contributions "
        f"({len(busy)} busy subjects with {args.busy_rows} each) "
        f"in {time.perf_counter() - t0:.1f}s",
        flush=True,
    )
    return asker_id, token, [keys[s] for s in ordinary], [keys[s] for s in busy]


def floor_table(stores: Stores) -> tuple[Any, Any]:
    """A copy of the audit table (columns and indexes) without the chain and append-only
    triggers, and a table of one row per (answer, contributor) with the indexes the audit's
    contributor rows had before contributor sets (no foreign key): the floors' inserts go
    there."""
    metadata = MetaData()
    source: Table = QueryAudit.__table__  # type: ignore[assignment]
    audit_table = source.to_metadata(metadata, name="bench_floor_audit")
    for index in list(audit_table.indexes):
        index.name = f"bench_{index.name}"  # type: ignore[assignment]
    for constraint in audit_table.constraints:  # PostgreSQL: constraint names are per schema
        if isinstance(constraint.name, str):
            constraint.name = f"bench_{constraint.name}"  # type: ignore[assignment]
    contributor_table = Table(
        "bench_floor_contributors",
        metadata,
        Column("id", String(32), primary_key=True),
        Column("audit_id", String(32), nullable=False),
        Column("provider_id", String(32), nullable=False),
        UniqueConstraint("audit_id", "provider_id"),
        Index("bench_floor_contributors_provider", "provider_id"),
    )
    metadata.create_all(stores.graph_engine)
    return audit_table, contributor_table


def floor_once(
    stores: Stores, tables: tuple[Any, Any], asker_id: str, key: str, *, contributors: bool
) -> float:
    """Indexed read of the subject's contribution rows + one audit insert (Core, one txn);
    with `contributors`, also the audit's one row per contributor (what a query must write
    so that each contributor can read that an answer used their rows)."""
    audit_table, contributor_table = tables
    t = time.perf_counter()
    with stores.graph_engine.begin() as conn:
        rows = conn.execute(
            select(
                Contribution.provider_id,
                Contribution.withheld,
                Contribution.noised_outcome,
                Contribution.outcome_noise,
            ).where(Contribution.subject_key == key)
        ).all()
        audit_id = new_id()
        providers = sorted({r.provider_id for r in rows})
        conn.execute(
            insert(audit_table).values(
                id=audit_id,
                consumer_id=asker_id,
                subject_key=key,
                kind="query",
                scope={},
                result_state="ok" if rows else "insufficient_contributors",
                contributor_count=len(providers),
                created_at=utcnow(),
            )
        )
        if contributors and providers:
            conn.execute(
                insert(contributor_table),
                [{"id": new_id(), "audit_id": audit_id, "provider_id": p} for p in providers],
            )
    return time.perf_counter() - t


def add_contributor(stores: Stores, key: str, rng: random.Random) -> None:
    """One more consenting provider contributes a noised report about `key` (untimed), so the
    next answer about it uses a contributor set no answer has used before."""
    provider, now = new_id(), utcnow()
    outcome, params = dp.randomize_outcome(
        rng.choice(MIX), epsilon_units=dp.DEFAULT_CONTRIBUTION_EPSILON_UNITS
    )
    with stores.graph_engine.begin() as conn:
        conn.execute(
            insert(ProviderConsent).values(
                provider_id=provider, contribute_policy="all", query_enabled=True, updated_at=now
            )
        )
        conn.execute(
            insert(Contribution).values(
                id=new_id(),
                provider_id=provider,
                prospect_id=new_id(),
                outcome_version=1,
                generation=0,
                subject_key=key,
                fingerprint=uuid.uuid4().hex * 2,
                created_at=now,
                noised_outcome=outcome,
                outcome_noise=asdict(params),
                noised_days=None,
                days_noise=None,
                epsilon_units=dp.DEFAULT_CONTRIBUTION_EPSILON_UNITS,
                withheld=False,
            )
        )


def query_once(
    stores: Stores, settings: Settings, resolver: Resolver, token: str, key: str
) -> float:
    """One query as the HTTP edge runs it (edges/http/deps.py): the acting Person verified
    from the token in a tenant read transaction, the query in a graph transaction."""
    t = time.perf_counter()
    with stores.tenant_read() as tenant, stores.graph() as graph:
        actor = identity.authenticate(session=tenant, token=token)
        ctx = Context(tenant, graph, actor, settings, resolver)
        service.query(ctx, GraphQueryIn(subject_key=key))
    return time.perf_counter() - t


def wal_position(wal: Path) -> tuple[bytes, int]:
    """(salts of the WAL's current generation, frames written in it so far). A checkpoint that
    copied every frame lets the next writer restart the WAL from its start with new salts, so
    the file's size says nothing once checkpoints run in the background: count the frames
    whose header carries the WAL header's salts instead."""
    data = wal.read_bytes() if wal.exists() else b""
    if len(data) < 32:
        return b"", 0
    frame = 24 + int.from_bytes(data[8:12], "big")  # frame header + page
    salts, frames, offset = data[16:24], 0, 32
    while offset + frame <= len(data) and data[offset + 8 : offset + 16] == salts:
        frames, offset = frames + 1, offset + frame
    return salts, frames


def wal_frames(
    graph_url: str,
    step: Callable[[str], float],
    keys: list[str],
    prepare: Callable[[str], None] | None = None,
) -> float:
    """SQLite WAL frames (pages) one call of `step` appends, averaged over `keys` (`prepare`
    runs before each call, not counted): a load-independent measure of what a write costs,
    and of how often it meets a WAL checkpoint. A write restarts the WAL only as it begins, so
    a step's frames are all in one generation: its count is the difference within one, or
    the new generation's whole count when the step restarted it."""
    path = graph_url.removeprefix("sqlite:///")
    raw = sqlite3.connect(path)
    try:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        raw.close()
    wal = Path(path + "-wal")
    frames = 0
    for key in keys:
        if prepare is not None:
            prepare(key)
        salts, before = wal_position(wal)
        step(key)
        after_salts, after = wal_position(wal)
        frames += after - before if after_salts == salts else after
    return frames / len(keys)


def side_by_side(
    measure: Callable[[str], float], floor: Callable[[str], float], keys: list[str]
) -> tuple[list[float], list[float]]:
    """Query and floor interleaved key by key, so both see the same machine and caches."""
    times, floors = [], []
    for key in keys:
        floors.append(floor(key))
        times.append(measure(key))
    return times, floors


def profile_queries(query: Callable[[str], float], keys: list[str]) -> None:
    """cProfile of the in-process queries (ordinary and busy subjects) to stderr, by own time
    and by cumulative time: what a query spends outside the database driver."""
    profiler = cProfile.Profile()
    profiler.enable()
    for key in keys:
        query(key)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stderr)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(45)


def query_over_http(
    stores: Stores, settings: Settings, resolver: Resolver, token: str, keys: list[str]
) -> list[float]:
    from prospecting.runtime import Runtime

    runtime = Runtime(settings=settings, stores=stores, resolver=resolver)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(runtime=runtime),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    times = []
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ) as client:
            for key in keys:
                t = time.perf_counter()
                r = client.post(f"/prospect-graph/subjects/{key}")
                times.append(time.perf_counter() - t)
                r.raise_for_status()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    return times


def contribution_throughput(
    stores: Stores, settings: Settings, resolver: Resolver, asker_id: str, n: int
) -> float:
    """Real service calls, one transaction pair each: new prospect chains get linked first."""
    with stores.tenant() as tenant:
        prospect_ids = []
        for i in range(n):
            prospect = Prospect(person_id=asker_id)
            tenant.add(prospect)
            tenant.flush()
            ids = Identifiers(phone=f"+44790{i:07d}", email=None, name=None)
            store_chain(
                session=tenant,
                person_id=asker_id,
                prospect_id=prospect.id,
                digests=resolver.chains(ids),
            )
            prospect_ids.append(prospect.id)
    t = time.perf_counter()
    for pid in prospect_ids:
        with stores.tenant() as tenant, stores.graph() as graph:
            actor = identity.get_person(session=tenant, person_id=asker_id)
            ctx = Context(tenant, graph, actor, settings, resolver)
            service.contribute(ctx, ContributionIn(prospect_id=pid, outcome="booked"))
    return n / (time.perf_counter() - t)


def band_widths(repeats: int = 20) -> None:
    print(
        "\nband width vs contributions (default epsilon = 1 per outcome, 95% band, "
        "mean over report classes of (upper - lower) / n, as a share):"
    )
    units = dp.DEFAULT_CONTRIBUTION_EPSILON_UNITS
    rng = random.Random(11)
    for n in (2, 5, 10, 20, 50, 100, 200, 500, 1000):
        widths = []
        for _ in range(repeats):
            reports = [dp.randomize_outcome(rng.choice(MIX), epsilon_units=units) for _ in range(n)]
            hist = dp.estimate_histogram(reports)
            widths.append(
                statistics.fmean((hist.upper[c] - hist.lower[c]) / n for c in dp.REPORT_CLASSES)
            )
        print(f"  n={n:5d}  band width {statistics.fmean(widths):.3f}")


def _size(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n // 1000}k"


Figures = dict[str, dict[str, Any]]


def _record(
    figures: Figures, name: str, value: float, unit: str, floor: float | None = None
) -> None:
    figures[name] = {
        "value": round(value, 3),
        "unit": unit,
        "floor": None if floor is None else round(floor, 3),
        "ratio": None if not floor else round(value / floor, 2),
    }


def _report(
    figures: Figures, label: str, suffix: str, times: list[float], floors: list[float]
) -> None:
    parts = []
    for q, name in ((0.5, "p50"), (0.99, "p99")):
        value, floor = pct(times, q) * 1e3, pct(floors, q) * 1e3
        _record(figures, f"{label} {name} {suffix}", value, "ms", floor)
        parts.append(f"{name} {value:.1f} ms (floor {floor:.1f} ms, {value / floor:.1f}x)")
    print(f"  {label + ':':22s} " + ", ".join(parts) + f"  [{len(times)} queries]", flush=True)


def run(size: int, args: argparse.Namespace, workdir: Path, figures: Figures) -> None:
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"\n== {size:,} subjects, {args.providers:,} providers, "
        f"~{int(size * args.contributions_per_subject):,} contributions ({backend})",
        flush=True,
    )
    tenant_url, graph_url, cleanup = urls(args, workdir, size)
    upgrade_all(tenant_url, graph_url)
    settings = Settings(
        mode="test",
        data_dir=workdir,
        tenant_database_url=tenant_url,
        graph_database_url=graph_url,
        network_key=KEY,
    )  # type: ignore[arg-type]
    stores = Stores.from_urls(tenant_url, graph_url)
    resolver = Resolver(KeyRing.parse(KEY))
    providers = "" if args.providers == 1000 else f", {_size(args.providers)} providers"
    suffix = f"({backend}, {_size(size)}{providers})"
    try:
        asker, token, keys, busy = build(stores, settings, args, size)
        tables = floor_table(stores)

        def query(key: str) -> float:
            return query_once(stores, settings, resolver, token, key)

        def floor(key: str) -> float:
            return floor_once(stores, tables, asker, key, contributors=False)

        def floor_with_contributors(key: str) -> float:
            return floor_once(stores, tables, asker, key, contributors=True)

        rng = random.Random(5)

        def query_new_set(key: str) -> float:  # one more contributor first (untimed)
            add_contributor(stores, key, rng)
            return query(key)

        side_by_side(query, floor, keys[:20] + busy[:5])  # warm up
        if args.profile:
            profile_queries(query, keys + busy)
        times, floors = side_by_side(query, floor, keys)
        _report(figures, "graph_query", suffix, times, floors)
        busy_keys = [busy[i % len(busy)] for i in range(args.busy_queries)] if busy else []
        if busy_keys:
            btimes, bfloors = side_by_side(query, floor, busy_keys)
            _report(figures, "graph_query busy", suffix, btimes, bfloors)
            _report(figures, "graph_query all", suffix, times + btimes, floors + bfloors)
            # a busy subject whose contributors changed since the last answer: the audit
            # writes the new contributor set (~220 members), beside the floor plus one row
            # per contributor (what every answer wrote before contributor sets)
            btimes2, bfloors2 = side_by_side(query_new_set, floor_with_contributors, busy_keys)
            _report(figures, "busy, new set each read", suffix, btimes2, bfloors2)
        if not args.postgres:  # what each write appends to the WAL, beside its floor

            def one_more(key: str) -> None:
                add_contributor(stores, key, rng)

            cases = (  # (label, step, floor, keys, before each)
                ("read, set stored", query, floor, keys[-40:], None),
                ("read, new set", query, floor, keys[-40:], one_more),
                ("busy read, set stored", query, floor, (busy * 8)[:40], None),
                ("busy read, new set", query, floor_with_contributors, busy[:3], one_more),
            )
            parts = []
            for label, step, floor_step, some, prepare in cases:
                if not some:
                    continue
                value = wal_frames(graph_url, step, some, prepare)
                under = wal_frames(graph_url, floor_step, some)
                _record(figures, f"WAL pages per {label} {suffix}", value, "pages", under)
                parts.append(f"{label} {value:.1f} (floor {under:.1f})")
            print(f"  {'WAL pages per read:':22s} " + ", ".join(parts), flush=True)
        if args.http_queries:
            remote = query_over_http(stores, settings, resolver, token, keys[: args.http_queries])
            p50, p99 = pct(remote, 0.5) * 1e3, pct(remote, 0.99) * 1e3
            _record(figures, f"graph_query HTTP p50 {suffix}", p50, "ms")
            _record(figures, f"graph_query HTTP p99 {suffix}", p99, "ms")
            print(f"  {'query over HTTP:':22s} p50 {p50:.1f} ms, p99 {p99:.1f} ms", flush=True)
        if args.contribute:
            rate = contribution_throughput(stores, settings, resolver, asker, args.contribute)
            _record(figures, f"graph contributions through the service {suffix}", rate, "/s")
            print(f"  contributions through the service: {rate:.0f}/s ({args.contribute} calls)")
    finally:
        stores.dispose()
        cleanup()


def growth(figures: Figures, sizes: list[int], backend: str) -> None:
    """p99 at the largest network over p99 at the smallest (ordinary and busy subjects
    together), beside the same growth of the floor: flat is 1.0."""
    if len(sizes) < 2:
        return
    small, large = (f"({backend}, {_size(n)})" for n in (min(sizes), max(sizes)))
    first, last = (
        figures.get(f"graph_query all p99 {small}"),
        figures.get(f"graph_query all p99 {large}"),
    )
    if not first or not last:
        return
    name = f"graph_query p99 growth {_size(min(sizes))}->{_size(max(sizes))} ({backend})"
    value = last["value"] / first["value"]
    floor = last["floor"] / first["floor"] if first["floor"] else None
    figures[name] = {
        "value": round(value, 2),
        "unit": "x",
        "floor": floor and round(floor, 2),
        "ratio": None,
    }
    print(f"\n{name}: {value:.2f}x (floor {floor or float('nan'):.2f}x)")


def urls(args: argparse.Namespace, workdir: Path, size: int) -> tuple[str, str, Callable[[], None]]:
    if not args.postgres:
        folder = workdir / f"s{size}"
        folder.mkdir()
        return (
            f"sqlite:///{folder / 'tenant.sqlite3'}",
            f"sqlite:///{folder / 'graph.sqlite3'}",
            lambda: None,
        )
    admin = create_engine(
        args.postgres.replace("postgresql://", "postgresql+psycopg://"),
        isolation_level="AUTOCOMMIT",
    )
    names = [f"bench_{uuid.uuid4().hex[:8]}_{kind}" for kind in ("t", "g")]
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = args.postgres.rsplit("/", 1)[0]

    def cleanup() -> None:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return f"{base}/{names[0]}", f"{base}/{names[1]}", cleanup


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--subjects",
        nargs="+",
        default=["10000", "100000"],
        help="network sizes, space- or comma-separated (default 10000 100000)",
    )
    parser.add_argument("--providers", type=int, default=1000)
    parser.add_argument("--contributions-per-subject", type=float, default=5.0)
    parser.add_argument("--busy", type=int, default=5, help="busy subjects (default 5)")
    parser.add_argument(
        "--busy-rows", type=int, default=250, help="contributions per busy subject (250)"
    )
    parser.add_argument(
        "--queries",
        type=int,
        default=1000,
        help="ordinary subjects queried (1,000: p99 is then the tenth slowest, not the third)",
    )
    parser.add_argument("--busy-queries", type=int, default=100, help="queries on busy subjects")
    parser.add_argument("--http-queries", type=int, default=100)
    parser.add_argument(
        "--contribute", type=int, default=100, help="contributions timed through the service"
    )
    parser.add_argument("--postgres", help="admin URL; builds throwaway databases there")
    parser.add_argument("--skip-bands", action="store_true")
    parser.add_argument("--json", type=Path, help="write {name: {value, unit, floor, ratio}}")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile of the in-process queries to stderr"
    )
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    sizes = [int(s) for part in args.subjects for s in part.split(",") if s]
    figures: Figures = {}
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average (1 min): {load:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            run(size, args, Path(tmp), figures)
    growth(figures, sizes, "PostgreSQL" if args.postgres else "SQLite")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
        print(f"\nwrote {len(figures)} figures to {args.json}")
    elif not args.skip_bands:
        band_widths()


if __name__ == "__main__":
    main()
