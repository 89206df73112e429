"""Graph benchmark: query latency and contribution throughput on a synthetic network.

For each size it bulk-builds (SQLAlchemy Core, not the per-row service) a network of S subjects,
P providers and C contributions, each contribution noised by the real OpenDP mechanisms, then
prints graph_query latency p50/p99 in-process (the service, one transaction pair per query)
and over HTTP (uvicorn on loopback, a real bearer token), and contribution throughput through
the real service (link + consent + budget lock + noise + insert, one transaction each).
Finally it prints band width versus number of contributions at the default epsilon.

    .venv/bin/python bench/graph.py                        # 10k and 100k subjects (SQLite)
    .venv/bin/python bench/graph.py --subjects 10000       # quick run
    .venv/bin/python bench/graph.py --postgres postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import tempfile
import threading
import time
import uuid
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import create_engine, insert, text

from prospecting.app import create_app
from prospecting.config import Settings
from prospecting.db import Stores, new_id, utcnow
from prospecting.graph import dp, service
from prospecting.graph.models import (
    Contribution,
    ProspectLink,
    ProviderConsent,
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
    subjects: int,
    providers: int,
    contributions: int,
    targets: int,
) -> tuple[str, str, list[str]]:
    """Bulk insert the network; returns (asker id, asker token, subject keys to query)."""
    rng = random.Random(7)
    t0 = time.perf_counter()
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
    per_subject = [0] * subjects
    spent = [0] * subjects
    withheld = [0] * subjects
    units = settings.graph_contribution_epsilon_units
    limit = settings.graph_subject_budget_units
    with stores.graph_engine.begin() as conn:
        for i in range(0, subjects, BATCH):
            chunk = keys[i : i + BATCH]
            conn.execute(
                insert(SubjectKey),
                [
                    {"subject_key": k, "status": "active", "created_at": now, "updated_at": now}
                    for k in chunk
                ],
            )
            conn.execute(
                insert(SubjectBudget),
                [
                    {"subject_key": k, "limit_units": limit, "spent_units": 0, "withheld": 0}
                    for k in chunk
                ],
            )
            conn.execute(
                insert(SubjectDimension),
                [
                    {
                        "id": new_id(),
                        "subject_key": k,
                        "dimension": "phone",
                        "key_id": "b1",
                        "digest": uuid.uuid4().hex + uuid.uuid4().hex,
                        "collision_reports": 0,
                        "created_at": now,
                    }
                    for k in chunk
                ],
            )
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
        rows = []
        for _ in range(contributions):
            # 5% of contributions land on 100 "busy" subjects, the rest uniformly
            hot = rng.random() < 0.05
            s = rng.randrange(min(100, subjects)) if hot else rng.randrange(subjects)
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
            if limit - spent[s] >= units:
                noised, params = dp.randomize_outcome(rng.choice(MIX), epsilon_units=units)
                row |= {
                    "noised_outcome": noised,
                    "outcome_noise": asdict(params),
                    "epsilon_units": units,
                    "withheld": False,
                }
                spent[s] += units
            else:
                withheld[s] += 1
            per_subject[s] += 1
            rows.append(row)
            if len(rows) >= BATCH:
                conn.execute(insert(Contribution), rows)
                rows = []
        if rows:
            conn.execute(insert(Contribution), rows)
        busy = sorted(range(subjects), key=lambda s: -per_subject[s])
        picked = busy[: targets // 2] + rng.sample(range(subjects), targets - targets // 2)
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
                for s in picked
            ],
        )
        for s in range(subjects):
            if spent[s] or withheld[s]:
                conn.execute(
                    text(
                        "UPDATE subject_privacy_budgets SET spent_units = :u, withheld = :w "
                        "WHERE subject_key = :k"
                    ),
                    {"u": spent[s], "w": withheld[s], "k": keys[s]},
                )
    if stores.graph_engine.dialect.name == "postgresql":
        with stores.graph_engine.connect() as conn:
            conn.execute(text("ANALYZE"))
    print(
        f"  built {subjects:,} subjects, {providers:,} providers, {contributions:,} "
        f"contributions in {time.perf_counter() - t0:.1f}s "
        f"(max {max(per_subject)} contributions on one subject)"
    )
    return asker_id, token, [keys[s] for s in picked]


def query_in_process(
    stores: Stores, settings: Settings, resolver: Resolver, asker_id: str, keys: list[str]
) -> list[float]:
    times = []
    for key in keys:
        t = time.perf_counter()
        with stores.tenant() as tenant, stores.graph() as graph:
            actor = identity.get_person(session=tenant, person_id=asker_id)
            ctx = Context(tenant, graph, actor, settings, resolver)
            service.query(ctx, GraphQueryIn(subject_key=key))
        times.append(time.perf_counter() - t)
    return times


def query_over_http(
    stores: Stores, settings: Settings, resolver: Resolver, token: str, keys: list[str]
) -> list[float]:
    from prospecting.runtime import Runtime

    runtime = Runtime(settings=settings, stores=stores, resolver=resolver)
    import socket

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
        "mean over outcomes of (upper - lower) / n, as a share):"
    )
    units = dp.DEFAULT_CONTRIBUTION_EPSILON_UNITS
    rng = random.Random(11)
    for n in (2, 5, 10, 20, 50, 100, 200, 500, 1000):
        widths = []
        for _ in range(repeats):
            reports = [dp.randomize_outcome(rng.choice(MIX), epsilon_units=units) for _ in range(n)]
            hist = dp.estimate_histogram(reports)
            widths.append(
                statistics.fmean((hist.upper[c] - hist.lower[c]) / n for c in dp.OUTCOMES)
            )
        print(f"  n={n:5d}  band width {statistics.fmean(widths):.3f}")


def run(size: int, args: argparse.Namespace, workdir: Path) -> None:
    contributions = int(size * args.contributions_per_subject)
    print(
        f"\n== {size:,} subjects, {args.providers:,} providers, {contributions:,} contributions "
        f"({'PostgreSQL' if args.postgres else 'SQLite'})"
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
    try:
        asker, token, keys = build(
            stores, settings, size, args.providers, contributions, args.queries
        )
        query_in_process(stores, settings, resolver, asker, keys[:10])  # warm up
        local = query_in_process(stores, settings, resolver, asker, keys)
        print(
            f"  query in-process: p50 {pct(local, 0.5) * 1e3:.1f} ms, "
            f"p99 {pct(local, 0.99) * 1e3:.1f} ms ({len(keys)} queries)"
        )
        remote = query_over_http(stores, settings, resolver, token, keys)
        print(
            f"  query over HTTP:  p50 {pct(remote, 0.5) * 1e3:.1f} ms, "
            f"p99 {pct(remote, 0.99) * 1e3:.1f} ms"
        )
        rate = contribution_throughput(stores, settings, resolver, asker, args.contribute)
        print(f"  contributions through the service: {rate:.0f}/s ({args.contribute} calls)")
    finally:
        stores.dispose()
        cleanup()


def urls(args: argparse.Namespace, workdir: Path, size: int) -> tuple[str, str, object]:
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
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--subjects",
        default="10000,100000",
        help="comma-separated network sizes (default 10000,100000)",
    )
    parser.add_argument("--providers", type=int, default=1000)
    parser.add_argument("--contributions-per-subject", type=float, default=5.0)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument(
        "--contribute", type=int, default=300, help="contributions timed through the service"
    )
    parser.add_argument("--postgres", help="admin URL; builds throwaway databases there")
    parser.add_argument("--skip-bands", action="store_true")
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.subjects.split(",")):
            run(size, args, Path(tmp))
    if not args.skip_bands:
        band_widths()


if __name__ == "__main__":
    main()
