"""One benchmark run that prints every performance figure beside its floor or peer.

Runs each benchmark below in its own subprocess (so one's caches, pools and imports do not
help or hurt the next), each writing its figures as JSON (`--json PATH`: name -> {value, unit,
floor, ratio[, lower_is_better]}); then prints one table with the target each figure exists to
meet, the load average before and after, and whether the target held. The floor or peer of
every figure is measured in the same run by the benchmark that reports it, on this machine.

    .venv/bin/python bench/run.py                    # everything (SQLite; ~10 min on 2 cores)
    .venv/bin/python bench/run.py --only graph,ingest
    .venv/bin/python bench/run.py --postgres postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/run.py --markdown figures.md   # the table docs/performance.md keeps

Peers that need extra packages (Splink for linking) install into their own environment under
bench/.peers on first use, never into the runtime dependencies.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Bench:
    name: str
    script: str
    args: tuple[str, ...]
    postgres_flag: str | None = "--postgres"


BENCHES = (
    Bench("graph", "graph.py", ("--subjects", "10000", "100000")),
    # the same query in a network of 10,000 providers: its cost must not grow with them
    Bench(
        "graph_providers",
        "graph.py",
        ("--subjects", "10000", "--providers", "10000", "--http-queries", "0", "--contribute", "0"),
    ),
    Bench("ingest", "ingest.py", (), None),
    Bench("http", "http.py", ()),
    Bench("linking", "linking.py", ()),
    Bench("import", "import.py", ("--rows", "20000", "--graph-rows", "5000"), None),
    Bench("coop", "coop.py", (), None),
)


@dataclass(frozen=True)
class Target:
    """What the figure must reach: `value op bound`, on `field` (value or ratio)."""

    field: str
    op: str
    bound: float
    text: str

    def held(self, figure: dict[str, Any]) -> bool | None:
        got = figure.get(self.field)
        if not isinstance(got, int | float):
            return None
        return got <= self.bound if self.op == "<=" else got >= self.bound


def targets() -> list[tuple[str, Target]]:
    """Issue 11's targets, by the start of a figure's name (first match wins). Throughput
    ratios are floor / value and latency ratios value / floor: both "times the floor"."""
    within_3x = Target("ratio", "<=", 3.0, "<= 3x floor")
    third = Target("ratio", "<=", 3.0, ">= 1/3 floor")
    p99 = Target("value", "<=", 250.0, "<= 250 ms")
    return [
        ("graph_query p99 growth", Target("value", "<=", 1.3, "<= 1.3x")),
        ("graph_query p50", within_3x),
        ("graph_query p99", within_3x),
        ("graph_query busy", within_3x),
        ("ingest_link_per_s", Target("value", ">=", 1000, ">= 1,000 msg/s")),
        ("inbound_draft_p50", Target("value", "<=", 10.0, "<= 10 ms")),
        ("http_sqlite_get_prospects_rps", third),
        ("http_sqlite_get_prospects_p99", p99),
        ("http_sqlite_get_prospects_large_rps", third),
        ("http_sqlite_get_prospects_large_p99", p99),
        ("http_sqlite_graph_query_rps", third),
        ("http_sqlite_graph_query_p99", p99),
        ("linking_batch_per_s", Target("ratio", ">=", 1.0, ">= Splink")),
        ("linking_batch_precision", Target("value", ">=", 1.0, "= 1.000")),
        ("linking_batch_recall", Target("value", ">=", 0.91, ">= 0.91")),
        ("coop_consentless_shares", Target("value", "<=", 0.0, "= 0")),
    ]


Figures = dict[str, dict[str, Any]]


def run_one(bench: Bench, postgres: str | None, out: Path) -> tuple[Figures, float, str]:
    args = [sys.executable, str(HERE / bench.script), *bench.args, "--json", str(out)]
    if postgres and bench.postgres_flag:
        args += [bench.postgres_flag, postgres]
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, check=False)  # noqa: S603
    took = time.perf_counter() - started
    if done.returncode != 0 or not out.exists():
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        return {}, took, "failed: " + " | ".join(tail)
    figures: Figures = json.loads(out.read_text())
    return figures, took, "ok"


def fmt(value: object) -> str:
    if isinstance(value, float):
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"
    return "-" if value is None else str(value)


def table(rows: list[tuple[str, str, dict[str, Any], Target | None]]) -> list[str]:
    lines = [
        "| bench | figure | value | unit | floor / peer | ratio | target | held |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for bench, name, fig, target in rows:
        held = target.held(fig) if target else None
        mark = {True: "yes", False: "**no**", None: ""}[held]
        lines.append(
            f"| {bench} | {name} | {fmt(fig.get('value'))} | {fig.get('unit', '')} "
            f"| {fmt(fig.get('floor'))} | {fmt(fig.get('ratio'))} "
            f"| {target.text if target else ''} | {mark} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = ",".join(b.name for b in BENCHES)
    parser.add_argument("--only", default="", help=f"comma-separated, of: {names}")
    parser.add_argument("--postgres", default=None, help="admin URL (benches that take one)")
    parser.add_argument("--markdown", type=Path, default=None, help="also write the table here")
    args = parser.parse_args()
    chosen = [b for b in BENCHES if not args.only or b.name in args.only.split(",")]
    before = os.getloadavg()
    header = [
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        f"load average before: {' '.join(f'{x:.2f}' for x in before)}",
        f"backend: {'PostgreSQL' if args.postgres else 'SQLite'}",
    ]
    print("\n".join(header), flush=True)
    want = targets()
    rows: list[tuple[str, str, dict[str, Any], Target | None]] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp:
        for bench in chosen:
            print(f"… {bench.name} ({bench.script})", flush=True)
            figures, took, status = run_one(bench, args.postgres, Path(tmp) / f"{bench.name}.json")
            notes.append(f"{bench.name}: {status} in {took:.0f} s")
            for name, fig in figures.items():
                target = next((t for start, t in want if name.startswith(start)), None)
                rows.append((bench.name, name, fig, target))
    after = os.getloadavg()
    lines = table(rows)
    footer = [f"load average after: {' '.join(f'{x:.2f}' for x in after)}", *notes]
    print("\n" + "\n".join(lines) + "\n\n" + "\n".join(footer))
    if args.markdown:
        args.markdown.write_text("\n".join([*header, "", *lines, "", *footer]) + "\n")


if __name__ == "__main__":
    main()
