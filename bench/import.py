"""History import benchmark: rows/s of `prospecting prospects import` on a booking export.

Generates a CSV in a temp dir with the mess of a real export (several rows per client, phone,
email and name written differently from row to row, numeric and named dates, separate time
column, a few bad rows), then imports it with the real workflow into fresh SQLite stores
(migrated like the tests' and the demo's) and prints, from the same run:

- the floor: a bare sqlite3 executemany of the same number of rows into a table as wide as
  the touchpoints table (no ORM, no parsing, no index but the key);
- tenant only (`--no-contribute`): parse, validate, normalise, de-duplicate, store;
- the same file again: everything a duplicate, nothing stored;
- with graph contribution under contribute consent (`--graph-rows` rows, default all).

    .venv/bin/python bench/import.py                   # 100k rows
    .venv/bin/python bench/import.py --rows 20000 --graph-rows 5000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prospecting.config import Settings
from prospecting.db import Stores
from prospecting.graph import service as graph
from prospecting.graph.schemas import ConsentAction, ConsentChange
from prospecting.identity import service as identity
from prospecting.identity.models import Person
from prospecting.identity.schemas import PersonCreate
from prospecting.migrations import upgrade_all
from prospecting.prospects.schemas import ImportReport
from prospecting.resolver.keyring import KeyRing
from prospecting.resolver.service import Resolver
from prospecting.runtime import Context, Runtime
from prospecting.workflows.importing import import_history

KEY = "b1=" + "bench-network-secret-" + "z" * 40
FIRST = ["Amara", "Jamie", "Lucía", "Marcus", "Priya", "Tyler", "Zoë", "Olivier", "Noah", "Mia"]
LAST = ["Okafor", "Clarke", "Fernández", "Reid", "Nair", "Brooks", "Müller", "Dubois", "Kim"]
DOMAINS = ["gmail.com", "example.org", "outlook.com", "yahoo.co.uk"]
HEADER = "Client Name,Mobile Number,Email,Scheduled Date,Time,Status,Service,Staff,Price\n"
PAST_STATUS = (
    ["Completed"] * 11
    + ["No Show", "No-show", "Cancelled", "Canceled", "Paid"]
    + [
        "Rescheduled",
        "Arrived",
        "",
    ]
)
FUTURE_STATUS = ["Booked", "Confirmed", ""]
TOUCHPOINT_WIDTH = 14


def client(i: int, rng: random.Random) -> tuple[str, str, str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    local = f"{first.lower()}.{last.lower()}{i}".encode("ascii", "ignore").decode()
    return first, last, f"7400{i:06d}", f"{local}@{rng.choice(DOMAINS)}"


def messy_phone(national: str, rng: random.Random) -> str:
    a, b = national[:4], national[4:]
    return rng.choice(
        [f"0{a} {b}", f"+44 {a} {b}", f"+44{national}", f"(0{a}) {b[:3]} {b[3:]}", f"0044 {a}{b}"]
    )


def messy_email(email: str, rng: random.Random) -> str:
    local, domain = email.split("@")
    if domain == "gmail.com" and rng.random() < 0.3:
        local = local.replace(".", "") + "+booking"
    return rng.choice([f"{local}@{domain}", f"{local}@{domain}".upper(), f" {local}@{domain} "])


def messy_when(at: datetime, rng: random.Random) -> tuple[str, str]:
    style = rng.randrange(4)
    if style == 0:
        return at.strftime("%Y-%m-%d"), at.strftime("%H:%M")
    if style == 1:
        return at.strftime("%d/%m/%Y"), at.strftime("%I:%M %p").lstrip("0")
    if style == 2:
        return f"{at.day} {at.strftime('%b %Y')}", at.strftime("%H:%M")
    return at.strftime("%Y-%m-%dT%H:%M:00+00:00"), ""


def generate(path: Path, rows: int, seed: int = 11) -> int:
    """Write `rows` data rows (about 4 per client, ~1.5% bad); returns the number of clients."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    lines = [HEADER]
    i = 0
    while len(lines) - 1 < rows:
        first, last, national, email = client(i, rng)
        i += 1
        has_email, has_phone = rng.random() < 0.8, rng.random() < 0.9
        for _ in range(min(rng.randint(1, 7), rows - (len(lines) - 1))):
            future = rng.random() < 0.08
            offset = timedelta(days=rng.randint(1, 60) if future else -rng.randint(1, 730))
            at = (now + offset).replace(hour=rng.randint(8, 18), minute=rng.choice([0, 15, 30]))
            day, clock = messy_when(at, rng)
            name = rng.choice([f"{first} {last}", f"{first} {last}".upper(), f"{first}  {last}"])
            phone = messy_phone(national, rng) if has_phone or not has_email else ""
            mail = messy_email(email, rng) if has_email else ""
            status = rng.choice(FUTURE_STATUS if future else PAST_STATUS)
            bad = rng.random()
            if bad < 0.004:
                status = "Awaiting deposit"
            elif bad < 0.008:
                day, clock = "sometime soon", ""
            elif bad < 0.012:
                phone, mail = "", ""
            elif bad < 0.015:
                phone = "12345"
                mail = mail or messy_email(email, rng)
            lines.append(f'"{name}",{phone},{mail},{day},{clock},{status},Massage,Kim,45.00\n')
    path.write_text("".join(lines), encoding="utf-8")
    return i


def floor(workdir: Path, rows: int) -> float:
    """Rows/s of a bare executemany into a table as wide as prospect_touchpoints."""
    db = sqlite3.connect(workdir / "floor.sqlite3")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    columns = ", ".join(f"c{i} TEXT" for i in range(1, TOUCHPOINT_WIDTH))
    db.execute(f"CREATE TABLE wide (id TEXT PRIMARY KEY, {columns})")
    values = [
        (f"{i:032x}", *(f"value {i} {c}" for c in range(1, TOUCHPOINT_WIDTH))) for i in range(rows)
    ]
    marks = ", ".join("?" * TOUCHPOINT_WIDTH)
    start = time.perf_counter()
    with db:
        db.executemany(f"INSERT INTO wide VALUES ({marks})", values)  # noqa: S608
    rate = rows / (time.perf_counter() - start)
    db.close()
    return rate


def fresh_runtime(folder: Path) -> tuple[Runtime, Person]:
    folder.mkdir()
    tenant, graph_url = (
        f"sqlite:///{folder / 'tenant.sqlite3'}",
        f"sqlite:///{folder / 'g.sqlite3'}",
    )
    upgrade_all(tenant, graph_url)
    settings = Settings(
        mode="test",
        data_dir=folder,
        tenant_database_url=tenant,
        graph_database_url=graph_url,
        network_key=KEY,  # type: ignore[arg-type]
    )
    runtime = Runtime(settings, Stores.from_settings(settings), Resolver(KeyRing.parse(KEY)))
    with runtime.stores.tenant() as session:
        person = identity.create_person(
            session=session,
            data=PersonCreate(
                display_name="Bench salon",
                service_categories=["massage"],
                region="GB-LND",
                default_phone_region="GB",
                time_zone="Europe/London",
            ),
        )
    return runtime, person


def consent_all(runtime: Runtime, person: Person) -> None:
    with runtime.stores.tenant_read() as tenant, runtime.stores.graph() as graph_session:
        ctx = Context(tenant, graph_session, person, runtime.settings, runtime.resolver, "cli")
        graph.change_consent(ctx, ConsentChange(action=ConsentAction.CONTRIBUTE_ALL))


def timed(
    runtime: Runtime, person: Person, text: str, contribute: bool
) -> tuple[ImportReport, float]:
    marks: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if done == total:
            marks[stage] = time.perf_counter()

    start = time.perf_counter()
    report = import_history(
        runtime, actor=person, text=text, contribute=contribute, channel="cli", progress=progress
    )
    end = time.perf_counter()
    read = marks.get("reading", start) - start
    print(
        f"    {report.rows:,} rows in {end - start:.2f} s = {report.rows / (end - start):,.0f} "
        f"rows/s  (reading {read:.2f} s, storing{' + graph' if contribute else ''} "
        f"{end - start - read:.2f} s)"
    )
    return report, report.rows / (end - start)


def summary(report: ImportReport) -> str:
    network = report.network
    shared = (
        f"; graph: {network.linked:,} linked, {network.contributed:,} contributed, "
        f"{network.contacts:,} contact days"
        if network.requested
        else ""
    )
    return (
        f"    clients {report.clients_created:,} created / {report.clients_matched:,} matched, "
        f"appointments {report.appointments:,} ({report.future_appointments:,} future), "
        f"outcomes {report.outcomes:,}, duplicates {report.duplicates:,}, rejected "
        f"{report.rejected_total:,}, warnings {report.warnings_total:,}{shared}"
    )


def machine() -> str:
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{model}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="data rows in the CSV")
    parser.add_argument(
        "--graph-rows", type=int, default=None, help="rows for the run with the graph (all)"
    )
    parser.add_argument("--json", type=Path, help="write name -> {value, unit, floor, ratio}")
    args = parser.parse_args()
    graph_rows = args.graph_rows or args.rows
    print(f"machine: {machine()}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        path = workdir / "export.csv"
        clients = generate(path, args.rows)
        text = path.read_text(encoding="utf-8")
        print(
            f"csv: {args.rows:,} rows, {clients:,} clients, {path.stat().st_size / 2**20:.1f} MiB"
        )
        rate = floor(workdir, args.rows)
        print(f"floor (bare executemany, {TOUCHPOINT_WIDTH} columns): {rate:,.0f} rows/s")

        runtime, person = fresh_runtime(workdir / "local")
        print("tenant only (--no-contribute):")
        report, tenant_rate = timed(runtime, person, text, contribute=False)
        print(summary(report))
        print("same file again (idempotent):")
        report, again_rate = timed(runtime, person, text, contribute=False)
        print(summary(report))
        runtime.stores.dispose()

        runtime, person = fresh_runtime(workdir / "shared")
        consent_all(runtime, person)
        graph_text = text if graph_rows >= args.rows else _head(text, graph_rows)
        print(f"with graph contribution (contribute_all consent, {graph_rows:,} rows):")
        report, graph_rate = timed(runtime, person, graph_text, contribute=True)
        print(summary(report))
        runtime.stores.dispose()
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        rates = {
            "import_tenant_rows_per_s": tenant_rate,
            "import_rerun_rows_per_s": again_rate,
            "import_with_graph_rows_per_s": graph_rate,
        }
        figures = {
            name: {"value": round(v), "unit": "rows/s", "floor": round(rate), "ratio": rate / v}
            for name, v in rates.items()
        }
        args.json.write_text(json.dumps(figures, indent=2))


def _head(text: str, rows: int) -> str:
    return "".join(text.splitlines(keepends=True)[: rows + 1])


if __name__ == "__main__":
    main()
