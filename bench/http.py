"""HTTP bench: the real app under uvicorn beside a FastAPI hello-world floor, same server setup.

One run starts `prospecting serve` (the same uvicorn settings as production: one process on
SQLite; `--postgres URL --workers 1,2` on PostgreSQL) on a free port with a seeded temporary
store, and a hello-world FastAPI app (a GET answering a small JSON list, a POST taking a
pydantic body, both plain `def` routes like the app's) under uvicorn with the same settings:
the framework floor (uvicorn's "auto" loop and HTTP parser, uvloop and httptools with the
project's dependencies installed; the run prints which). At 32 concurrent clients
(keep-alive connections) it drives a fixed number of requests at each of

- GET /prospects (a page of 30 prospects), beside the floor's GET;
- the same for a provider whose history import brought `--history` clients (3,000 by
  default): a page of 50 of them, the newest, must cost what a page of a small list costs;
- POST /prospect-graph/query on a prospect linked to a subject with a few contributions,
  beside the floor's POST;
- a mixed run: one request in four is a POST /qualify/inbound (a write: ingest, link, audited
  graph read, qualification, draft), the rest GET /prospects; the reads' latency beside the
  GET-only run shows whether reads queue behind writes;

and prints req/s, p50, p99, status counts and the server's CPU per request (with its event-loop
thread's share: the rest ran in worker threads), each beside its floor and the ratio. The load
client is a minimal asyncio HTTP/1.1 client (no httpx on the hot path, to stay light), but it
runs on the same cores as the servers: on a 2-core machine every figure includes its cost.

    .venv/bin/python bench/http.py                       # SQLite, quick (about a minute)
    .venv/bin/python bench/http.py --json out.json       # also write name -> figures
    .venv/bin/python bench/http.py --no-mixed            # only the two routes and their floors
    .venv/bin/python bench/http.py --postgres postgresql+psycopg://postgres@/postgres \\
        --workers 1,2                                    # PostgreSQL, 1 then 2 workers

`--json PATH` writes {name: {value, unit, floor, ratio}}: for throughput the ratio is
floor / value (how many times slower than the floor), for latency value / floor.

A BEFORE figure on older code: `PYTHONPATH=/tmp/worktree/src .venv/bin/python bench/http.py`;
the servers get the same PYTHONPATH and the run prints which `prospecting` they import.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named http.py: never let its folder shadow the standard library's `http`.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from types import ModuleType  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402

CLIENTS = 32
FLOOR_APP = """
from fastapi import FastAPI
from pydantic import BaseModel, Field

app = FastAPI()
ITEMS = [{"id": f"{i:032x}", "name": f"item {i}", "status": "new"} for i in range(3)]


class Query(BaseModel):
    prospect_id: str = Field(max_length=64)
    scope: dict[str, str] = Field(default_factory=dict)


@app.get("/items")
def items() -> list[dict[str, str]]:
    return ITEMS


@app.post("/query")
def query(data: Query) -> dict[str, object]:
    return {"prospect_id": data.prospect_id, "state": "ok", "counts": [1, 2, 3]}


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
"""


def _load_bench_module() -> ModuleType:
    """bench/load.py's server and seeding helpers (imported by path: bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location("bench_load", _HERE / "load.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_load"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


load = _load_bench_module()


# --- a light HTTP/1.1 client -------------------------------------------------------------------


class Connection:
    """One keep-alive connection; requests are written by hand, answers read by length."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None = None
    ) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if body is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b""))
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        fields = {}
        for line in head.decode("latin-1").split("\r\n")[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        if "content-length" in fields:
            data = await self.reader.readexactly(int(fields["content-length"]))
        elif fields.get("transfer-encoding") == "chunked":
            data = b""
            while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
                data += (await self.reader.readexactly(size + 2))[:-2]
            await self.reader.readuntil(b"\r\n")
        else:
            data = await self.reader.read()
        if fields.get("connection") == "close":
            await self.close()
        return status, data

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


Call = tuple[str, str, str, dict[str, str], bytes | None]
"""(label, method, path, headers, body)"""


def group_cpu(pgid: int | None) -> float:
    """CPU seconds (user + system) used so far by every process of a process group (the
    server and its workers): a figure the other load on the machine hardly moves."""
    if pgid is None:
        return 0.0
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # pgrp
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def loop_thread_cpu(pid: int | None) -> float:
    """CPU seconds used so far by a server process's main thread, the one running uvicorn's
    event loop (with one worker process; the rest of `group_cpu` is its worker threads)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/task/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    elapsed: float
    server_cpu: float = 0.0  # CPU seconds the server used for the measured requests
    loop_cpu: float = 0.0  # of which its event-loop thread's (one worker process)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, Counter[str]] = field(default_factory=dict)

    def rate(self, label: str) -> float:
        return len(self.latencies.get(label, [])) / self.elapsed

    def cpu_ms(self) -> float:
        """Server CPU milliseconds per request, over the whole run (all labels)."""
        n = sum(len(v) for v in self.latencies.values())
        return self.server_cpu * 1000 / n if n else 0.0

    def loop_cpu_ms(self) -> float:
        """The event-loop thread's share of `cpu_ms` (uvicorn, the middleware, routing, and
        whatever a route runs on the loop); the rest ran in worker threads."""
        n = sum(len(v) for v in self.latencies.values())
        return self.loop_cpu * 1000 / n if n else 0.0

    def pct(self, label: str, q: float) -> float:
        lat = sorted(self.latencies.get(label, []))
        if not lat:
            return 0.0
        if q == 0.5:
            return statistics.median(lat) * 1000
        return lat[min(len(lat) - 1, int(len(lat) * q))] * 1000


async def _drive(port: int, calls: Callable[[int], Call], total: int, clients: int) -> Result:
    result = Result(0.0)
    counter = iter(range(total))

    async def client() -> None:
        conn = Connection(port)
        try:
            for i in counter:
                label, method, path, headers, body = calls(i)
                started = time.perf_counter()
                try:
                    status, _ = await conn.request(method, path, headers, body)
                    code = str(status)
                except (OSError, asyncio.IncompleteReadError) as exc:
                    code = type(exc).__name__
                    await conn.close()
                result.latencies.setdefault(label, []).append(time.perf_counter() - started)
                result.statuses.setdefault(label, Counter())[code] += 1
        finally:
            await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    result.elapsed = time.perf_counter() - started
    return result


def drive(
    port: int,
    calls: Callable[[int], Call],
    total: int,
    clients: int = CLIENTS,
    pgid: int | None = None,
) -> Result:
    asyncio.run(_drive(port, calls, min(total, clients * 2), clients))  # warm up, not counted
    before, loop_before = group_cpu(pgid), loop_thread_cpu(pgid)
    result = asyncio.run(_drive(port, calls, total, clients))
    result.server_cpu = group_cpu(pgid) - before
    result.loop_cpu = loop_thread_cpu(pgid) - loop_before
    return result


# --- servers -----------------------------------------------------------------------------------


class FloorServer(load.Server):  # type: ignore[misc,name-defined]
    """The hello-world app under uvicorn's defaults, as `prospecting serve` runs the real one."""

    def __init__(self, env: dict[str, str], workers: int, folder: Path) -> None:
        super().__init__(env, workers)
        self.folder = folder
        (folder / "floor_app.py").write_text(FLOOR_APP)

    def start(self) -> None:
        cmd = [sys.executable, "-m", "uvicorn", "floor_app:app", "--app-dir", str(self.folder)]
        cmd += ["--host", "127.0.0.1", "--port", str(self.port)]
        if self.workers > 1:
            cmd += ["--workers", str(self.workers)]
        self.proc = subprocess.Popen(  # noqa: S603 (this venv's own interpreter)
            cmd, env=self.env, stdout=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError("floor server did not start")


# --- seeding -----------------------------------------------------------------------------------


def phone(j: int) -> str:
    return f"+4479{55000000 + j:08d}"


@dataclass
class Seeded:
    headers: list[dict[str, str]]
    queried: list[tuple[int, str]]  # (provider index, prospect id linked to a shared subject)
    large: dict[str, str] | None = None  # headers of the provider with a history import
    large_total: int = 0


def history_csv(rows: int) -> bytes:
    """A booking-system export of `rows` past appointments, each with a different client."""
    lines = ["Client Name,Mobile Number,Email,Scheduled Date,Time,Status,Service,Staff,Price"]
    for i in range(rows):
        day = f"2026-{1 + i % 11:02d}-{1 + i % 28:02d}"
        lines.append(
            f"Client {i:05d} Hist,07700 8{i:05d},client{i}@example.org,{day},10:00,Completed,"
            "Massage,Kim,45.00"
        )
    return ("\n".join(lines) + "\n").encode()


def seed_history(base: str, headers: dict[str, str], rows: int) -> int:
    """Import `rows` clients for one provider through POST /prospects/import; their count."""
    with httpx.Client(base_url=base, timeout=600) as http:
        r = http.post(
            "/prospects/import",
            content=history_csv(rows),
            headers=headers | {"Content-Type": "text/csv"},
        )
        r.raise_for_status()
        listed = http.get("/prospects?limit=1", headers=headers)
        listed.raise_for_status()
        return int(listed.json()["total"])


def seed(base: str, providers: list[Any], per_provider: int, contributed: int) -> Seeded:
    """Every provider consents, receives the same `per_provider` senders (so their prospects
    share subjects) and contributes an outcome for the first `contributed` of them."""
    headers = [p.headers for p in providers]
    queried: list[tuple[int, str]] = []
    with httpx.Client(base_url=base, timeout=60) as http:
        for h in headers:
            for action in ("contribute_all", "query_on"):
                r = http.post("/prospect-graph/consent", json={"action": action}, headers=h)
                r.raise_for_status()

    async def ingest_all() -> list[list[str]]:
        ids: list[list[str]] = [[] for _ in headers]
        async with httpx.AsyncClient(base_url=base, timeout=120) as http:
            sem = asyncio.Semaphore(8)

            async def one(p: int, j: int) -> None:
                body = {
                    "channel": "sms",
                    "body": "Hi, can I book Thursday evening? How much is it?",
                    "sender_phone": phone(j),
                }
                async with sem:
                    r = await http.post("/prospects/inbound", json=body, headers=headers[p])
                r.raise_for_status()
                ids[p].append(r.json()["prospect"]["id"])

            await asyncio.gather(
                *(one(p, j) for j in range(per_provider) for p in range(len(headers)))
            )
        return ids

    prospects = asyncio.run(ingest_all())
    outcomes = ("booked", "no_show", "ghosted", "booked")
    with httpx.Client(base_url=base, timeout=60) as http:
        for p, h in enumerate(headers):
            for k, prospect_id in enumerate(sorted(prospects[p])[:contributed]):
                body = {"prospect_id": prospect_id, "outcome": outcomes[(p + k) % len(outcomes)]}
                r = http.post("/prospect-graph/contributions", json=body, headers=h)
                r.raise_for_status()
                queried.append((p, prospect_id))
        p, prospect_id = queried[0]
        answer = http.post(
            "/prospect-graph/query", json={"prospect_id": prospect_id}, headers=headers[p]
        ).json()
        print(f"  sample graph answer: state {answer.get('state')!r}, keys {sorted(answer)[:6]}")
    return Seeded(headers, queried)


# --- runs --------------------------------------------------------------------------------------


@dataclass
class Figures:
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, name: str, value: float, unit: str, floor: float | None) -> None:
        ratio = None
        if floor:
            ratio = floor / value if unit == "req/s" and value else value / floor
        self.rows[name] = {
            "value": round(value, 2),
            "unit": unit,
            "floor": None if floor is None else round(floor, 2),
            "ratio": None if ratio is None else round(ratio, 2),
        }


def _loop(res: Result) -> str:
    """The event loop's share, where the server process runs it (one worker process: with
    several, the measured main thread is the supervisor's, which serves nothing)."""
    return f" (event loop {res.loop_cpu_ms():4.2f})" if res.loop_cpu > 0 else ""


def show(label: str, res: Result, key: str, floor: Result | None, floor_key: str) -> None:
    line = (
        f"  {label:<34} {res.rate(key):7.1f} req/s  p50 {res.pct(key, 0.5):7.1f} ms  "
        f"p99 {res.pct(key, 0.99):7.1f} ms  server CPU {res.cpu_ms():5.2f} ms/req{_loop(res)}  "
        f"{dict(sorted(res.statuses.get(key, {}).items()))}"
    )
    print(line)
    if floor is not None:
        rate = floor.rate(floor_key)
        print(
            f"  {'  floor':<34} {rate:7.1f} req/s  p50 {floor.pct(floor_key, 0.5):7.1f} ms  "
            f"p99 {floor.pct(floor_key, 0.99):7.1f} ms  server CPU {floor.cpu_ms():5.2f} ms/req"
            f"{_loop(floor)}"
            f"  -> {res.rate(key) / rate if rate else 0:.2f} of the floor's throughput"
        )


def record(figures: Figures, name: str, res: Result, key: str, floor: Result, fkey: str) -> None:
    figures.add(f"{name}_rps", res.rate(key), "req/s", floor.rate(fkey))
    figures.add(f"{name}_p50", res.pct(key, 0.5), "ms", floor.pct(fkey, 0.5))
    figures.add(f"{name}_p99", res.pct(key, 0.99), "ms", floor.pct(fkey, 0.99))
    figures.add(f"{name}_server_cpu_per_request", res.cpu_ms(), "ms", floor.cpu_ms())


def run_floor(env: dict[str, str], workers: int, folder: Path, n: int) -> tuple[Result, Result]:
    server = FloorServer(env, workers, folder)
    server.start()
    try:
        pgid = server.proc.pid
        get_floor = drive(server.port, lambda i: ("get", "GET", "/items", {}, None), n, pgid=pgid)
        body = json.dumps({"prospect_id": "0" * 32, "scope": {}}).encode()
        post_floor = drive(
            server.port, lambda i: ("post", "POST", "/query", {}, body), n, pgid=pgid
        )
    finally:
        server.stop()
    return get_floor, post_floor


def run_app(
    server: Any, seeded: Seeded, args: argparse.Namespace, mixed: bool
) -> tuple[Result, Result | None, Result, Result | None]:
    headers, queried = seeded.headers, seeded.queried

    def list_call(i: int) -> Call:
        return ("get", "GET", "/prospects", headers[i % len(headers)], None)

    def large_call(i: int) -> Call:
        assert seeded.large is not None
        return ("get", "GET", "/prospects", seeded.large, None)

    bodies = [(p, json.dumps({"prospect_id": pid}).encode()) for p, pid in queried]

    def query_call(i: int) -> Call:
        p, body = bodies[i % len(bodies)]
        return ("query", "POST", "/prospect-graph/query", headers[p], body)

    pgid = server.proc.pid
    gets = drive(server.port, list_call, args.requests, pgid=pgid)
    large = None
    if seeded.large is not None:
        large = drive(server.port, large_call, args.requests, pgid=pgid)
    queries = drive(server.port, query_call, args.requests, pgid=pgid)
    mixed_res = None
    if mixed:
        message = "Hi, is there space on Friday morning? What does a first visit cost?"

        def mixed_call(i: int) -> Call:
            if i % 4 == 0:
                body = {"channel": "sms", "body": message, "sender_phone": phone(10_000 + i)}
                h = headers[i % len(headers)]
                return ("write", "POST", "/qualify/inbound", h, json.dumps(body).encode())
            return list_call(i)

        mixed_res = drive(server.port, mixed_call, args.requests, pgid=pgid)
    return gets, large, queries, mixed_res


WHICH_CODE = """
import prospecting
def importable(name):  # as uvicorn's "auto" decides: by importing it
    try:
        __import__(name)
    except ImportError:
        return False
    return True
loop = "uvloop" if importable("uvloop") else "asyncio"
http = "httptools" if importable("httptools") else "h11"
print(f"{prospecting.__file__}; uvicorn's auto loop and parser: {loop}, {http}")
"""


def which_code(env: dict[str, str]) -> str:
    """The `prospecting` the servers import, and the event loop and HTTP parser uvicorn's
    "auto" settings pick in their environment (the app's and the floor's alike)."""
    out = subprocess.run(  # noqa: S603 (this venv's own interpreter)
        [sys.executable, "-c", WHICH_CODE], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def run_backend(backend: str, args: argparse.Namespace, figures: Figures) -> None:
    from prospecting.config import Settings
    from prospecting.migrations import upgrade_all

    folder = Path(tempfile.mkdtemp(prefix="http-bench-"))
    names: list[str] = []
    if backend == "sqlite":
        tenant = f"sqlite:///{folder / 'tenant.sqlite3'}"
        graph = f"sqlite:///{folder / 'graph.sqlite3'}"
        worker_counts = [1]
    else:
        tenant, graph, names = load.pg_databases(args.postgres)
        worker_counts = args.workers
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PROSPECTING_MODE": "test",
        "PROSPECTING_DATA_DIR": str(folder),
        "PROSPECTING_TENANT_DATABASE_URL": tenant,
        "PROSPECTING_GRAPH_DATABASE_URL": graph,
        "PROSPECTING_NETWORK_KEY": load.KEY,
        "PROSPECTING_LOG_LEVEL": "WARNING",
    }
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    env.update(dict(item.split("=", 1) for item in args.set))
    try:
        upgrade_all(tenant, graph)
        settings = Settings(
            mode="test",
            data_dir=folder,
            tenant_database_url=tenant,
            graph_database_url=graph,
            network_key=load.KEY,  # type: ignore[arg-type]
        )
        providers = load.seed_providers(settings, args.providers + (1 if args.history else 0))
        print(f"{backend}: servers import {which_code(env)}")
        seeded: Seeded | None = None
        for workers in worker_counts:
            get_floor, post_floor = run_floor(env, workers, folder, args.floor_requests)
            server = load.Server(env, workers)
            server.start()
            try:
                if seeded is None:
                    started = time.perf_counter()
                    seeded = seed(
                        server.base, providers[: args.providers], args.prospects, args.contributed
                    )
                    if args.history:
                        seeded.large = providers[-1].headers
                        seeded.large_total = seed_history(server.base, seeded.large, args.history)
                    print(f"  seeded in {time.perf_counter() - started:.1f} s")
                mixed_too = workers == 1 and args.mixed
                gets, large, queries, mixed = run_app(server, seeded, args, mixed=mixed_too)
            finally:
                server.stop()
            tag = f"{backend}_w{workers}" if backend != "sqlite" else backend
            print(f"{backend}, {workers} worker process(es), {CLIENTS} concurrent clients:")
            show("GET /prospects", gets, "get", get_floor, "get")
            record(figures, f"http_{tag}_get_prospects", gets, "get", get_floor, "get")
            if large is not None:
                show(f"  of {seeded.large_total:,} prospects", large, "get", get_floor, "get")
                record(figures, f"http_{tag}_get_prospects_large", large, "get", get_floor, "get")
            show("POST /prospect-graph/query", queries, "query", post_floor, "post")
            record(figures, f"http_{tag}_graph_query", queries, "query", post_floor, "post")
            if mixed is not None:
                show("mixed: GET /prospects", mixed, "get", get_floor, "get")
                show("mixed: POST /qualify/inbound", mixed, "write", None, "")
                record(figures, f"http_{tag}_mixed_get", mixed, "get", get_floor, "get")
                figures.add(f"http_{tag}_mixed_write_p99", mixed.pct("write", 0.99), "ms", None)
                figures.add(f"http_{tag}_mixed_write_rps", mixed.rate("write"), "req/s", None)
    finally:
        if names:
            load.drop_databases(args.postgres, names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=None, help="admin URL: bench PostgreSQL instead")
    parser.add_argument("--workers", default="1,2", help="PostgreSQL worker counts, e.g. 1,2")
    parser.add_argument("--requests", type=int, default=600, help="requests per app run")
    parser.add_argument("--floor-requests", type=int, default=1500)
    parser.add_argument("--providers", type=int, default=4)
    parser.add_argument("--prospects", type=int, default=30, help="per provider")
    parser.add_argument("--contributed", type=int, default=6, help="outcomes per provider")
    parser.add_argument(
        "--history",
        type=int,
        default=3000,
        help="clients of one more provider's history import, paged like the others (0: none)",
    )
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--no-mixed",
        dest="mixed",
        action="store_false",
        help="skip the mixed read/write run (a quicker A/B of the two read routes)",
    )
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="server environment"
    )
    args = parser.parse_args()
    args.workers = [int(x) for x in args.workers.split(",")]
    load_avg = os.getloadavg()
    print(
        f"{CLIENTS} concurrent clients; cores: {os.cpu_count()}; load average "
        f"{load_avg[0]:.2f} {load_avg[1]:.2f} {load_avg[2]:.2f}. The load client runs on the "
        "same cores as the server: every figure includes its CPU."
    )
    figures = Figures()
    run_backend("postgresql" if args.postgres else "sqlite", args, figures)
    if args.json is not None:
        args.json.write_text(json.dumps(figures.rows, indent=2) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
