"""`prospecting simulate`: replay a simulated provider network through the real services and
print what the cross-provider graph moved (linkage, signal, P(book), safety, minutes, speed).
With `--coop`, replay it without and with the provider coop instead (capacity, wrong-fit
requests, intros and hand-offs) and print what the coop recovered and at what cost in minutes.

It never touches the configured stores: the replay runs on throwaway SQLite stores unless
`--tenant-url/--graph-url` are given, with settings built from the options alone (not from
the PROSPECTING_* environment). The simulation modules load inside the command, so
`prospecting --help` does not pay for them.
"""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import Annotated

import typer

from prospecting.edges.cli.common import console, edge


class GraphMode(enum.StrEnum):
    ON = "on"
    OFF = "off"


class MessageSignal(enum.StrEnum):
    HIGH = "high"
    LOW = "low"


def simulate(
    providers: Annotated[int, typer.Option(min=1, help="Providers in the network")] = 60,
    people: Annotated[int, typer.Option(min=1, help="People behind the prospects")] = 1000,
    seed: Annotated[int, typer.Option(help="Generator seed (same seed, same network)")] = 1,
    days: Annotated[int, typer.Option(min=1, help="Simulated period in days")] = 120,
    message_signal: Annotated[
        MessageSignal,
        typer.Option(help="high: wording depends on the person's kind; low: one pool for all"),
    ] = MessageSignal.HIGH,
    graph: Annotated[
        GraphMode, typer.Option(help="on: providers contribute and query; off: no consent")
    ] = GraphMode.ON,
    compare: Annotated[
        bool, typer.Option("--compare", help="Also replay the same network with the graph off")
    ] = False,
    epsilon: Annotated[
        float | None,
        typer.Option(
            min=0.01, help="Per-report epsilon of a contributed outcome (default: the product's)"
        ),
    ] = None,
    tenant_url: Annotated[
        str | None, typer.Option(help="Tenant store URL (default: a throwaway SQLite file)")
    ] = None,
    graph_url: Annotated[
        str | None, typer.Option(help="Graph store URL (default: a throwaway SQLite file)")
    ] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Also write every figure to this JSON file")
    ] = None,
    coop: Annotated[
        bool,
        typer.Option(
            "--coop",
            help="Replay without and with the provider coop (intros, hand-offs) and print "
            "bookings recovered and provider minutes per booking; graph options do not apply",
        ),
    ] = False,
) -> None:
    """Replay a simulated network through the real workflows and print the graph's value."""
    if coop:
        _simulate_coop(
            providers=providers, people=people, seed=seed, days=days, json_path=json_path
        )
        return
    from prospecting.demo import simulation_metrics as metrics

    with edge():
        report = metrics.run(
            providers=providers,
            people=people,
            seed=seed,
            days=days,
            message_signal="high" if message_signal is MessageSignal.HIGH else "low",
            graph=graph is GraphMode.ON,
            compare=compare,
            epsilon=epsilon,
            tenant_url=tenant_url,
            graph_url=graph_url,
        )
    for table in metrics.render(report):
        console.print(table)
    if json_path is not None:
        json_path.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
        console.print(f"figures written to {json_path}")


def _simulate_coop(
    *, providers: int, people: int, seed: int, days: int, json_path: Path | None
) -> None:
    from prospecting.demo import coop_simulation

    with edge():
        report = coop_simulation.run(providers=providers, people=people, seed=seed, days=days)
    for table in coop_simulation.render(report):
        console.print(table)
    if json_path is not None:
        json_path.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
        console.print(f"figures written to {json_path}")
