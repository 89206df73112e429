"""Load bench: a bounded mixed load against one real server process, then a write-loss check.

For each backend (SQLite, PostgreSQL) it starts `prospecting serve` in a subprocess on a free
port (PostgreSQL: two databases of its own, dropped afterwards), seeds providers and tokens,
and at each level (10, 50, 200 concurrent clients; `--requests` per level) drives a mix of
qualify-inbound (ingest), graph query, list prospects, contribute and approve-a-draft with
httpx (async). It prints throughput, p50/p99, counts by status, server errors (5xx other than
503) and lost writes: acknowledged ingests (prospect, touchpoint, qualification and draft) and
approvals that are not in the store afterwards. It asserts nothing.

`--crash`: one level runs, the server is SIGKILLed mid-load and restarted (start-up reconciles),
then every acknowledged write must be present and there must be no partial rows (a prospect
without a touchpoint, a touchpoint without its qualification, a qualification without a draft).

    .venv/bin/python bench/load.py --backend sqlite --requests 300
    .venv/bin/python bench/load.py --backend postgresql --workers 2
    .venv/bin/python bench/load.py --backend sqlite --crash
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from prospecting.config import Settings
from prospecting.db import Stores
from prospecting.identity import service as identity
from prospecting.identity.models import Role
from prospecting.identity.schemas import PersonCreate
from prospecting.migrations import upgrade_all

KEY = "o1=" + "bench-load-secret-" + "q" * 40
DEFAULT_PG = os.environ.get(
    "PROSPECTING_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PROSPECTING = str(Path(sys.executable).with_name("prospecting"))


@dataclass
class Acks:
    """Writes the server acknowledged (2xx), to look for in the store afterwards."""

    ingests: list[tuple[str, str, str, str]] = field(default_factory=list)  # prospect, tp, q, d
    approvals: list[str] = field(default_factory=list)
    contributions: int = 0


@dataclass
class Provider:
    headers: dict[str, str]
    prospects: list[str] = field(default_factory=list)
    drafts: list[str] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pg_databases(admin_url: str) -> tuple[str, str, list[str]]:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    names = [f"load_{kind}_{uuid.uuid4().hex[:8]}" for kind in ("tenant", "graph")]
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    base = make_url(admin_url)
    urls = [base.set(database=n).render_as_string(hide_password=False) for n in names]
    return urls[0], urls[1], names


def drop_databases(admin_url: str, names: list[str]) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def seed_providers(settings: Settings, count: int) -> list[Provider]:
    stores = Stores.from_settings(settings)
    out = []
    with stores.tenant() as session:
        for i in range(count):
            person = identity.create_person(
                session=session,
                data=PersonCreate(
                    display_name=f"Load Provider {i}",
                    service_categories=["therapy"],
                    region="GB-LND",
                    default_phone_region="GB",
                    time_zone="Europe/London",
                    roles=[Role.PROVIDER],
                ),
            )
            _, token = identity.issue_token(session=session, person=person, name="load")
            out.append(Provider({"Authorization": f"Bearer {token}"}))
    stores.dispose()
    return out


class Server:
    def __init__(self, env: dict[str, str], workers: int) -> None:
        self.env, self.workers, self.port = env, workers, free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        cmd = [PROSPECTING, "serve", "--port", str(self.port), "--workers", str(self.workers)]
        self.proc = subprocess.Popen(  # noqa: S603 (this venv's own command)
            cmd, env=self.env, stdout=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited at start-up")
            try:
                if httpx.get(f"{self.base}/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        raise RuntimeError("server did not start")

    def kill(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)  # the server and any workers, at once
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)


async def run_level(
    base: str, providers: list[Provider], clients: int, requests: int, acks: Acks
) -> tuple[float, list[float], Counter[str]]:
    statuses: Counter[str] = Counter()
    refusals: Counter[str] = Counter()
    latencies: list[float] = []
    counter = iter(range(requests))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:

        async def one(i: int) -> None:
            provider = providers[i % len(providers)]
            kind = ("ingest", "query", "list", "ingest", "contribute", "approve")[i % 6]
            if kind in ("query", "contribute") and not provider.prospects:
                kind = "ingest"
            if kind == "approve" and not provider.drafts:
                kind = "list"
            started = time.perf_counter()
            try:
                if kind == "ingest":
                    body = {
                        "channel": "sms",
                        "body": "Hi, can I book Thursday evening? How much is it?",
                        "sender_phone": f"+4479{uuid.uuid4().int % 10**8:08d}",
                    }
                    r = await http.post("/qualify/inbound", json=body, headers=provider.headers)
                    if r.status_code == 201:
                        got = r.json()
                        ack = (
                            got["ingest"]["prospect"]["id"],
                            got["ingest"]["touchpoint"]["id"],
                            got["qualification"]["id"],
                            got["draft"]["id"],
                        )
                        acks.ingests.append(ack)
                        provider.prospects.append(ack[0])
                        provider.drafts.append(ack[3])
                elif kind == "query":
                    body = {"prospect_id": provider.prospects[-1]}
                    r = await http.post(
                        "/prospect-graph/query", json=body, headers=provider.headers
                    )
                elif kind == "list":
                    r = await http.get("/prospects", headers=provider.headers)
                elif kind == "contribute":
                    body = {"prospect_id": provider.prospects.pop(), "outcome": "booked"}
                    r = await http.post(
                        "/prospect-graph/contributions", json=body, headers=provider.headers
                    )
                    acks.contributions += r.status_code == 200
                else:
                    draft = provider.drafts.pop()
                    r = await http.post(
                        f"/qualify/drafts/{draft}/approve",
                        params={"confirm_review": "true"},
                        headers=provider.headers,
                    )
                    if r.status_code == 200:
                        acks.approvals.append(draft)
                statuses[str(r.status_code)] += 1
                if 400 <= r.status_code < 500:  # which call, and the problem's detail
                    refusals[f"{r.status_code} {kind}: {r.json().get('detail', '?')}"] += 1
            except httpx.TransportError as exc:
                statuses[type(exc).__name__] += 1
            latencies.append(time.perf_counter() - started)

        async def client() -> None:
            for i in counter:
                await one(i)

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    for refusal, n in sorted(refusals.items()):
        print(f"    {n} x {refusal}")
    return elapsed, latencies, statuses


def check_store(tenant_url: str, acks: Acks) -> dict[str, int]:
    engine = create_engine(tenant_url)
    with engine.connect() as conn:

        def ids(sql: str) -> set[str]:
            return {row[0] for row in conn.execute(text(sql))}

        prospects = ids("SELECT id FROM prospects")
        touchpoints = ids("SELECT id FROM prospect_touchpoints")
        qualifications = ids("SELECT id FROM qualify_qualifications")
        drafts = ids("SELECT id FROM qualify_drafts")
        approved = ids("SELECT id FROM qualify_drafts WHERE status = 'approved'")
        partial = {
            "prospect without touchpoint": conn.execute(
                text(
                    "SELECT COUNT(*) FROM prospects p WHERE NOT EXISTS "
                    "(SELECT 1 FROM prospect_touchpoints t WHERE t.prospect_id = p.id)"
                )
            ).scalar_one(),
            "inbound without qualification": conn.execute(
                text(
                    "SELECT COUNT(*) FROM prospect_touchpoints t WHERE t.kind = 'message' "
                    "AND t.direction = 'inbound' AND NOT EXISTS "
                    "(SELECT 1 FROM qualify_qualifications q WHERE q.touchpoint_id = t.id)"
                )
            ).scalar_one(),
            "qualification without draft": conn.execute(
                text(
                    "SELECT COUNT(*) FROM qualify_qualifications q WHERE NOT EXISTS "
                    "(SELECT 1 FROM qualify_drafts d WHERE d.qualification_id = q.id)"
                )
            ).scalar_one(),
        }
    engine.dispose()
    lost = sum(
        not (p in prospects and t in touchpoints and q in qualifications and d in drafts)
        for p, t, q, d in acks.ingests
    ) + sum(d not in approved for d in acks.approvals)
    return {"lost writes": lost, **partial}


def report(label: str, clients: int, elapsed: float, lat: list[float], st: Counter[str]) -> None:
    lat = sorted(lat)
    p50 = statistics.median(lat) * 1000 if lat else 0.0
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else 0.0
    server_errors = sum(n for s, n in st.items() if s.startswith("5") and s != "503")
    print(
        f"{label:<11} {clients:>4} clients: {len(lat) / elapsed:7.1f} req/s  p50 {p50:7.1f} ms  "
        f"p99 {p99:7.1f} ms  statuses {dict(sorted(st.items()))}  server errors {server_errors}"
    )


def run_backend(backend: str, args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="load-"))
    names: list[str] = []
    if backend == "sqlite":
        tenant, graph = (
            f"sqlite:///{folder / 'tenant.sqlite3'}",
            f"sqlite:///{folder / 'graph.sqlite3'}",
        )
    else:
        tenant, graph, names = pg_databases(args.postgres)
    try:
        upgrade_all(tenant, graph)
        settings = Settings(
            mode="test",
            data_dir=folder,
            tenant_database_url=tenant,
            graph_database_url=graph,
            network_key=KEY,  # type: ignore[arg-type]
        )
        providers = seed_providers(settings, args.providers)
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PROSPECTING_MODE": "test",
            "PROSPECTING_DATA_DIR": str(folder),
            "PROSPECTING_TENANT_DATABASE_URL": tenant,
            "PROSPECTING_GRAPH_DATABASE_URL": graph,
            "PROSPECTING_NETWORK_KEY": KEY,
            "PROSPECTING_LOG_LEVEL": "WARNING",
        }
        server = Server(env, args.workers if backend == "postgresql" else 1)
        server.start()
        acks = Acks()
        try:
            for p in providers:
                for action in ("contribute_all", "query_on"):
                    httpx.post(
                        f"{server.base}/prospect-graph/consent",
                        json={"action": action},
                        headers=p.headers,
                        timeout=30,
                    ).raise_for_status()
            if args.crash:
                crash(server, providers, args, acks, backend)
            else:
                for clients in args.levels:
                    elapsed, lat, st = asyncio.run(
                        run_level(server.base, providers, clients, args.requests, acks)
                    )
                    report(backend, clients, elapsed, lat, st)
        finally:
            server.stop()
        print(
            f"{backend:<11} write check: {check_store(tenant, acks)} "
            f"(acknowledged: {len(acks.ingests)} ingests, {len(acks.approvals)} approvals, "
            f"{acks.contributions} contributions)"
        )
    finally:
        if names:
            drop_databases(args.postgres, names)


def crash(
    server: Server, providers: list[Provider], args: argparse.Namespace, acks: Acks, backend: str
) -> None:
    clients = max(args.levels)

    async def load_then_kill() -> tuple[float, list[float], Counter[str]]:
        task = asyncio.create_task(run_level(server.base, providers, clients, args.requests, acks))
        await asyncio.sleep(args.kill_after)
        server.kill()
        return await task

    elapsed, lat, st = asyncio.run(load_then_kill())
    report(f"{backend} kill", clients, elapsed, lat, st)
    server.start()  # start-up reconciles what the crash left unqualified
    print(f"{backend:<11} restarted after SIGKILL at {args.kill_after} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--levels", default="10,50,200")
    parser.add_argument("--requests", type=int, default=400, help="requests per level")
    parser.add_argument("--providers", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1, help="server workers (PostgreSQL)")
    parser.add_argument("--postgres", default=DEFAULT_PG)
    parser.add_argument("--crash", action="store_true")
    parser.add_argument("--kill-after", type=float, default=6.0)
    args = parser.parse_args()
    args.levels = [int(x) for x in args.levels.split(",")]
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        run_backend(backend, args)


if __name__ == "__main__":
    main()
