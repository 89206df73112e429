"""Graph outage bench: how fast the service degrades when the graph store stops answering.

Three outages of a PostgreSQL graph store, each next to the configured timeouts:

* frozen link, pooled connection: a TCP proxy that keeps every socket open but forwards
  nothing; the first call's statement is cut by the client watchdog (statement timeout + 1 s);
* frozen link, new connection: the same, with an empty pool, so the first call pays the libpq
  connect timeout instead;
* refused: a port with nothing listening.

For each it prints the time to the degraded answer of POST /prospect-graph/query for the first
call and (p50) for calls while the breaker is open, the 503 of a graph write while it is open,
GET /prospects latency (p50) before the outage and while the first graph call is in flight,
and for the frozen link how long after thaw() the graph answers `ok` again. It prints figures;
it asserts nothing. The tenant store is SQLite; requests go through the in-process ASGI client.

    .venv/bin/python bench/graph_outage.py
    .venv/bin/python bench/graph_outage.py --statement-timeout 1 --retry-after 5 --calls 9
    .venv/bin/python bench/graph_outage.py --postgres postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from prospecting.app import create_app
from prospecting.config import Settings
from prospecting.db import Stores
from prospecting.identity import service as identity
from prospecting.identity.models import Role
from prospecting.identity.schemas import PersonCreate
from prospecting.migrations import upgrade_all
from prospecting.resolver.keyring import KeyRing
from prospecting.resolver.service import Resolver
from prospecting.runtime import Runtime

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from tcp_proxy import FreezableProxy

KEY = "o1=" + "bench-outage-secret-" + "q" * 40
PHONE = "07911 123456"
DEFAULT_PG = os.environ.get(
    "PROSPECTING_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@dataclass
class Asker:
    headers: dict[str, str]
    prospect_id: str


@dataclass
class Row:
    case: str
    first: float
    first_state: str
    open_p50: float
    open_states: set[str]
    write_p50: float
    write_statuses: set[int]
    get_during: float
    recovered_after: float | None


def p50(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = call()
    return time.perf_counter() - started, value


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return int(sock.getsockname()[1])


def provider_token(runtime: Runtime) -> dict[str, str]:
    with runtime.stores.tenant() as session:
        person = identity.create_person(
            session=session,
            data=PersonCreate(
                display_name="Bench Provider",
                service_categories=["therapy"],
                region="GB-LND",
                default_phone_region="GB",
                time_zone="Europe/London",
                roles=[Role.PROVIDER],
            ),
        )
        _, token = identity.issue_token(session=session, person=person, name="bench")
    return {"Authorization": f"Bearer {token}"}


def seed(client: TestClient, runtime: Runtime) -> Asker:
    """Two peers who contributed on PHONE and an asker with query consent and a prospect."""

    def provider(*consents: str) -> dict[str, str]:
        headers = provider_token(runtime)
        for action in consents:
            r = client.post("/prospect-graph/consent", json={"action": action}, headers=headers)
            r.raise_for_status()
        return headers

    def inbound(headers: dict[str, str]) -> str:
        message = {"channel": "sms", "body": "Hello, any slots?", "sender_phone": PHONE}
        r = client.post("/prospects/inbound", json=message, headers=headers)
        r.raise_for_status()
        return str(r.json()["prospect"]["id"])

    for _ in range(2):
        peer = provider("contribute_all", "query_on")
        contribution = {"prospect_id": inbound(peer), "outcome": "booked"}
        client.post(
            "/prospect-graph/contributions", json=contribution, headers=peer
        ).raise_for_status()
    headers = provider("query_on", "contribute_all")
    return Asker(headers, inbound(headers))


def query(client: TestClient, asker: Asker) -> str:
    r = client.post(
        "/prospect-graph/query", json={"prospect_id": asker.prospect_id}, headers=asker.headers
    )
    r.raise_for_status()
    return str(r.json()["state"])


def write(client: TestClient, asker: Asker) -> int:
    body = {"prospect_id": asker.prospect_id, "outcome": "booked"}
    r = client.post("/prospect-graph/contributions", json=body, headers=asker.headers)
    return r.status_code


def list_prospects(client: TestClient, asker: Asker) -> None:
    client.get("/prospects", headers=asker.headers).raise_for_status()


def outage(
    case: str,
    client: TestClient,
    asker: Asker,
    calls: int,
    *,
    start: Callable[[], None],
    breaker_open: Callable[[], bool],
    thaw: Callable[[], None] | None = None,
) -> Row:
    """`start()` begins the outage; the first graph call runs in a thread while GET /prospects
    is timed; then calls while the breaker is open; then (frozen link) thaw and recovery."""
    start()
    first: dict[str, Any] = {}

    def first_call() -> None:
        first["elapsed"], first["state"] = timed(lambda: query(client, asker))

    thread = threading.Thread(target=first_call, daemon=True)
    thread.start()
    during = [timed(lambda: list_prospects(client, asker))[0] for _ in range(calls)]
    thread.join()
    open_times, open_states, write_times, write_statuses = [], set(), [], set()
    for _ in range(calls):
        if not breaker_open():
            break  # only calls the breaker turns away
        elapsed, state = timed(lambda: query(client, asker))
        open_times.append(elapsed)
        open_states.add(state)
        elapsed, status = timed(lambda: write(client, asker))
        write_times.append(elapsed)
        write_statuses.add(status)
    recovered = None
    if thaw is not None:
        thaw()
        thawed = time.perf_counter()
        while query(client, asker) != "ok":
            time.sleep(0.1)
        recovered = time.perf_counter() - thawed
    return Row(
        case,
        first["elapsed"],
        first["state"],
        p50(open_times),
        open_states,
        p50(write_times),
        write_statuses,
        p50(during),
        recovered,
    )


def settings_for(args: argparse.Namespace, workdir: Path, tenant: str, graph: str) -> Settings:
    return Settings(
        mode="test",
        data_dir=workdir,
        tenant_database_url=tenant,
        graph_database_url=graph,
        network_key=KEY,  # type: ignore[arg-type]
        graph_connect_timeout_seconds=args.connect_timeout,
        graph_statement_timeout_seconds=args.statement_timeout,
        graph_retry_after_seconds=args.retry_after,
    )


def app_for(settings: Settings) -> tuple[TestClient, Runtime]:
    stores = Stores.from_settings(settings)
    runtime = Runtime(settings=settings, stores=stores, resolver=Resolver(KeyRing.parse(KEY)))
    return TestClient(create_app(runtime=runtime)), runtime


def run(args: argparse.Namespace, workdir: Path) -> tuple[float, list[Row]]:
    admin_url = make_url(args.postgres)
    name = f"bench_outage_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        admin_url.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    proxy = FreezableProxy((admin_url.host or "127.0.0.1", admin_url.port or 5432))
    try:
        tenant = f"sqlite:///{workdir / 'tenant.sqlite3'}"
        graph = admin_url.set(drivername="postgresql+psycopg", database=name)
        upgrade_all(tenant, graph.render_as_string(hide_password=False))
        via_proxy = graph.set(host="127.0.0.1", port=proxy.port)
        settings = settings_for(args, workdir, tenant, via_proxy.render_as_string(False))
        client, runtime = app_for(settings)
        rows = []
        with client:
            asker = seed(client, runtime)
            assert query(client, asker) == "ok", "the graph must answer before the outage"
            before = p50([timed(lambda: list_prospects(client, asker))[0] for _ in range(9)])
            breaker = runtime.stores.graph_availability
            assert breaker is not None
            rows.append(
                outage(
                    "frozen link, pooled connection",
                    client,
                    asker,
                    args.calls,
                    start=proxy.freeze,
                    breaker_open=lambda: breaker.is_open,
                    thaw=proxy.thaw,
                )
            )

            def freeze_with_empty_pool() -> None:
                runtime.stores.graph_engine.dispose()
                proxy.freeze()

            rows.append(
                outage(
                    "frozen link, new connection",
                    client,
                    asker,
                    args.calls,
                    start=freeze_with_empty_pool,
                    breaker_open=lambda: breaker.is_open,
                    thaw=proxy.thaw,
                )
            )
        refused_graph = graph.set(host="127.0.0.1", port=free_port())
        refused_settings = settings_for(
            args, workdir, tenant, refused_graph.render_as_string(False)
        )
        refused_client, refused_runtime = app_for(refused_settings)
        refused_breaker = refused_runtime.stores.graph_availability
        assert refused_breaker is not None
        with refused_client:
            rows.append(
                outage(
                    "refused (nothing listening)",
                    refused_client,
                    asker,
                    args.calls,
                    start=lambda: None,
                    breaker_open=lambda: refused_breaker.is_open,
                )
            )
        return before, rows
    finally:
        proxy.close()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", default=DEFAULT_PG, help="an admin URL of the server")
    parser.add_argument("--connect-timeout", type=int, default=2, help="seconds (libpq min 2)")
    parser.add_argument(
        "--statement-timeout", type=float, default=2.0, help="seconds (watchdog: this + 1 s)"
    )
    parser.add_argument("--retry-after", type=float, default=3.0, help="seconds")
    parser.add_argument("--calls", type=int, default=5, help="calls per p50")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the outage breadcrumbs and per-request logs
    with tempfile.TemporaryDirectory() as tmp:
        before, rows = run(args, Path(tmp))

    watchdog = args.statement_timeout + 1.0
    print(
        f"configured: connect_timeout {args.connect_timeout} s, statement_timeout "
        f"{args.statement_timeout:g} s (client watchdog {watchdog:g} s), "
        f"retry_after {args.retry_after:g} s"
    )
    print(f"GET /prospects p50 before the outage: {before * 1000:.1f} ms")
    header = (
        f"{'case':<32}{'first degraded':>16}{'breaker open p50':>18}{'write p50':>12}"
        f"{'GET /prospects p50':>20}{'ok after thaw':>15}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        recovered = "-" if row.recovered_after is None else f"{row.recovered_after:.2f} s"
        print(
            f"{row.case:<32}{row.first:>14.3f} s{row.open_p50 * 1000:>15.1f} ms"
            f"{row.write_p50 * 1000:>9.1f} ms{row.get_during * 1000:>17.1f} ms{recovered:>15}"
        )
    print()
    for row in rows:
        print(
            f"{row.case}: first answer {row.first_state!r}; while open: query "
            f"{sorted(row.open_states)}, write {sorted(row.write_statuses)}"
        )


if __name__ == "__main__":
    main()
