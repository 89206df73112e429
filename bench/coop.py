"""Coop value bench: what do warm intros and hand-offs recover, and at what cost in minutes?

Generates the simulated network (`prospecting.demo.simulation`), adds weekly new-client slots
and languages, and replays it twice through the real services on throwaway SQLite stores
(`prospecting.demo.coop_simulation`): without the coop a request the provider cannot take (full
this week, or wrong-fit) is lost; with it the provider offers a hand-off or a warm intro, the
person consents (or not), peers accept or decline. Prints bookings with and without, bookings
recovered from overflow and wrong-fit, the flows' counts, the consent rate, provider minutes
per booking, the check that nothing was shared without consent, the assumptions, and the wall
time.

    .venv/bin/python bench/coop.py                              # 60 providers, 1,000 people
    .venv/bin/python bench/coop.py --people 300 --report coop-report.json
    .venv/bin/python bench/coop.py --seed 7 --intro-min-peers 3

`--json PATH` writes the headline figures in `bench/run.py`'s form (name -> {value, unit});
`--report PATH` writes the whole report (every figure and assumption).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

# bench/http.py would shadow the standard library's http package for imports below
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from rich.console import Console  # noqa: E402

from prospecting.demo import coop_simulation  # noqa: E402


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--providers", type=int, default=60)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument(
        "--intro-min-peers",
        type=int,
        default=None,
        help="warm-intro density threshold (default: the product's, lowered to the network's "
        "reach when above it)",
    )
    parser.add_argument("--json", type=Path, default=None, help="headline figures (bench/run.py)")
    parser.add_argument("--report", type=Path, default=None, help="the whole report as JSON")
    return parser.parse_args()


def figures(report: dict[str, Any], total: float) -> dict[str, dict[str, Any]]:
    """The headline figures in `bench/run.py`'s form."""
    off, on = report["without_coop"], report["with_coop"]
    return {
        "coop_bookings_without": {"value": off["bookings"], "unit": "bookings"},
        "coop_bookings_with": {"value": on["bookings"], "unit": "bookings"},
        "coop_recovered_overflow": {"value": on["recovered_overflow"], "unit": "bookings"},
        "coop_recovered_wrong_fit": {"value": on["recovered_wrong_fit"], "unit": "bookings"},
        "coop_consent_rate": {"value": on["consent_rate"], "unit": "share"},
        "coop_minutes_per_booking_without": {
            "value": off["minutes_per_booking"],
            "unit": "min",
            "lower_is_better": True,
        },
        "coop_minutes_per_booking_with": {
            "value": on["minutes_per_booking"],
            "unit": "min",
            "lower_is_better": True,
        },
        "coop_consentless_shares": {"value": on["consentless_shares"], "unit": "shares"},
        "coop_wall_seconds": {"value": round(total, 1), "unit": "s", "lower_is_better": True},
    }


def main() -> None:
    args = parse()
    config = coop_simulation.CoopConfig()
    if args.intro_min_peers is not None:
        config = replace(config, intro_min_peers=args.intro_min_peers)
    started = time.perf_counter()
    report = coop_simulation.run(
        providers=args.providers, people=args.people, seed=args.seed, days=args.days, config=config
    )
    total = time.perf_counter() - started
    console = Console(width=140)
    for table in coop_simulation.render(report):
        console.print(table)
    console.print(f"total wall time (generate, two replays, checks): {total:.1f} s")
    report["total_wall_seconds"] = round(total, 2)
    for path, content in ((args.json, figures(report, total)), (args.report, report)):
        if path is not None:
            path.write_text(json.dumps(content, indent=2, default=str) + "\n", encoding="utf-8")
            console.print(f"figures written to {path}")


if __name__ == "__main__":
    main()
