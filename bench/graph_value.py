# ruff: noqa: E402  (the import path is fixed before the imports, see below)
"""Graph value bench: does the cross-provider graph move provider decisions?

Generates a simulated network (`prospecting.demo.simulation`: providers in categories and
regions, people of latent kinds, contacts with messy identifiers and true outcomes), replays it
in simulated time order through the real workflows (inbound, outcomes, attestations) on
throwaway SQLite stores, and prints the figures of `prospecting.demo.simulation_metrics`:
linkage precision/recall against the truth, graph signal coverage, P(book) PR-AUC/ROC-AUC with
bootstrap intervals against a ceiling that knows the truth, safety flags ahead of outcomes,
provider minutes per booking, and replay speed. `--profile` adds where the replay's time goes
per event (cProfile, cumulative time of the service functions).

    .venv/bin/python bench/graph_value.py                          # 60 providers, 1,000 people
    .venv/bin/python bench/graph_value.py --people 4000 --json graph-value.json
    .venv/bin/python bench/graph_value.py --compare --message-signal low --epsilon 0.5
    .venv/bin/python bench/graph_value.py --people 300 --profile
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
import pstats
import time
from typing import Any

from rich.console import Console
from rich.table import Table

from prospecting.demo import simulation_metrics as metrics

# (label, path fragment of the module, function name); cumulative, so nested rows overlap
PROFILE_BUCKETS = (
    ("inbound: whole workflow", "workflows/inbound.py", "receive"),
    ("  ingest (prospects)", "prospects/service.py", "ingest"),
    ("  graph link + audited query", "graph/outputs.py", "inbound_signals"),
    ("    link_prospect", "graph/subjects.py", "link_prospect"),
    ("    query", "graph/query.py", "query"),
    ("  qualify_inbound", "qualify/service.py", "qualify_inbound"),
    ("    intent classify", "qualify/intent.py", "classify"),
    ("    triage", "qualify/triage.py", "triage"),
    ("    build_draft", "qualify/drafts.py", "build_draft"),
    ("outcome: whole workflow", "workflows/outcomes.py", "record"),
    ("  record_outcome (tenant)", "prospects/service.py", "record_outcome"),
    ("  contribute (graph)", "graph/contribute.py", "contribute"),
    ("attest (graph)", "graph/outputs.py", "attest"),
    ("session commits (both stores)", "sqlalchemy/orm/session.py", "commit"),
    ("BEGIN IMMEDIATE (write lock)", "prospecting/db.py", "_sqlite_begin"),
    ("sqlite3 execute", "~", "<method 'execute' of 'sqlite3.Cursor' objects>"),
)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--providers", type=int, default=60)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--message-signal", choices=("high", "low"), default="high")
    parser.add_argument("--graph", choices=("on", "off"), default="on")
    parser.add_argument("--compare", action="store_true", help="also replay with the graph off")
    parser.add_argument(
        "--epsilon", type=float, default=None, help="per-report epsilon (default: the product's)"
    )
    parser.add_argument(
        "--household-share",
        type=float,
        default=0.03,
        help="share of people using an earlier person's phone (0: no shared phones)",
    )
    parser.add_argument("--tenant-url", default=None)
    parser.add_argument("--graph-url", default=None)
    parser.add_argument("--json", type=Path, default=None, help="write every figure here")
    parser.add_argument("--profile", action="store_true", help="cProfile the run per event")
    return parser.parse_args()


def profile_table(stats: pstats.Stats, events: int) -> Table:
    """Cumulative seconds of the service functions, per event of the replay."""
    table = Table(title=f"Where the time goes ({events} events, cumulative)", title_justify="left")
    for column in ("function", "calls", "seconds", "ms per event", "ms per call"):
        table.add_column(column, justify="left" if column == "function" else "right")
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    for label, fragment, name in PROFILE_BUCKETS:
        calls, seconds = 0, 0.0
        for (filename, _, func), (_, ncalls, _, cumulative, _) in raw.items():
            if func == name and fragment in filename:
                calls, seconds = calls + ncalls, seconds + cumulative
        per_call = f"{1000 * seconds / calls:.2f}" if calls else "-"
        table.add_row(
            label, str(calls), f"{seconds:.2f}", f"{1000 * seconds / events:.2f}", per_call
        )
    return table


def main() -> None:
    args = parse()
    options: dict[str, Any] = {
        "providers": args.providers,
        "people": args.people,
        "seed": args.seed,
        "days": args.days,
        "message_signal": args.message_signal,
        "graph": args.graph == "on",
        "compare": args.compare,
        "epsilon": args.epsilon,
        "household_share": args.household_share,
        "tenant_url": args.tenant_url,
        "graph_url": args.graph_url,
    }
    profiler = cProfile.Profile() if args.profile else None
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    report = metrics.run(**options)
    if profiler is not None:
        profiler.disable()
    total = time.perf_counter() - started
    console = Console(width=140)
    for table in metrics.render(report):
        console.print(table)
    console.print(f"total wall time (generate, replay, evaluate): {total:.1f} s")
    if profiler is not None:
        events = report["speed"]["events"] + report.get("compare", {}).get("speed", {}).get(
            "events", 0
        )
        console.print(profile_table(pstats.Stats(profiler), events))
    if args.json is not None:
        report["total_wall_seconds"] = round(total, 2)
        args.json.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
        console.print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
