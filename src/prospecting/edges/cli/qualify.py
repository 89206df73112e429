"""`prospecting qualify train|eval|report`: the CLI adapter over the auto-qualify services.

The services load inside each command, so `prospecting --help` does not pay for them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy import select

from prospecting.edges.cli.common import console, err_console, in_tenant
from prospecting.identity import service as identity
from prospecting.identity.models import Person, Role
from prospecting.runtime import Runtime

qualify_app = typer.Typer(help="Auto-qualify + draft: retrain, evaluate, report.")


def _providers(session: Any, person_id: str | None) -> list[Person]:
    if person_id:
        return [identity.get_person(session=session, person_id=person_id)]
    people = session.scalars(select(Person).order_by(Person.created_at))
    return [p for p in people if p.has_role(Role.PROVIDER)]


@qualify_app.command("train")
def train(
    person: Annotated[str | None, typer.Option(help="Person id (default: every provider)")] = None,
) -> None:
    """Retrain "will book" models from each Person's own outcomes (stored as a new version)."""
    from prospecting.qualify import training

    def work(_runtime: Runtime, session: Any) -> list[tuple[str, str]]:
        providers = _providers(session, person)
        if person is not None:  # one named Person: too few outcomes is an error
            row = training.train_for_person(session=session, actor=providers[0])
            return [
                (providers[0].display_name, f"v{row.version} on {row.n_samples}: {row.metrics}")
            ]
        return [
            (
                run.person.display_name,
                f"v{run.model.version} on {run.model.n_samples}: {run.model.metrics}"
                if run.model
                else f"skipped: {run.outcomes} outcomes",
            )
            for run in training.train_each(session=session, providers=providers)
        ]

    results = in_tenant(work)
    if not results:
        err_console.print("no providers found")
    for name, line in results:
        console.print(f"{name}: {line}")


@qualify_app.command("eval")
def evaluate(
    person: Annotated[str | None, typer.Option(help="Person id (default: all providers)")] = None,
    plot: Annotated[Path, typer.Option(help="Where to write the reliability plot (PNG)")] = Path(
        "qualify-reliability.png"
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print the full result as JSON")] = False,
    synthetic: Annotated[
        int,
        typer.Option(
            help="Instead of the store, evaluate on a fresh synthetic history with this "
            "many prospects per demo provider (seed differs from demo and cold start)"
        ),
    ] = 0,
) -> None:
    """Precision, recall, PR-AUC and calibration on outcomes held out by time, ± graph."""
    from prospecting.qualify import evaluate as evaluation

    def work(_runtime: Runtime, session: Any) -> dict[str, Any]:
        if synthetic:
            from prospecting.demo.synthetic import EVAL_SEED, synthetic_examples

            examples = synthetic_examples(EVAL_SEED, per_provider=synthetic)
            return evaluation.evaluate(examples, plot_path=plot)
        ids = [p.id for p in _providers(session, person)]
        return evaluation.evaluate_store(session=session, person_ids=ids, plot_path=plot)

    result = in_tenant(work)
    if as_json:
        console.print_json(json.dumps(result))
        return
    console.print(
        f"held out by time: train {result['train']} / test {result['test']} "
        f"(split at {result['split_at']}, booked rate {result['test_booked_rate']})"
    )
    table = Table("variant", "precision", "recall", "PR-AUC", "Brier")
    for name, v in result["variants"].items():
        table.add_row(
            name, str(v["precision"]), str(v["recall"]), str(v["pr_auc"]), str(v["brier"])
        )
    console.print(table)
    cal = Table("bin", "n", "mean predicted", "observed booked", title="calibration (with_graph)")
    for row in result["variants"]["with_graph"]["calibration"]:
        cal.add_row(
            row["bin"], str(row["count"]), str(row["mean_predicted"]), str(row["observed_booked"])
        )
    console.print(cal)
    console.print(f"reliability plot: {result['plot']}")


@qualify_app.command("report")
def report(
    person: Annotated[str | None, typer.Option(help="Person id (default: every provider)")] = None,
) -> None:
    """Time to first response p50/p95 and estimated provider seconds saved, per Person."""
    from prospecting.qualify import report as reports

    def work(_runtime: Runtime, session: Any) -> list[tuple[str, Any]]:
        return [
            (p.display_name, reports.report(session=session, actor=p))
            for p in _providers(session, person)
        ]

    for name, r in in_tenant(work):
        console.print(
            f"[bold]{name}[/bold] (model {r.model_version}): {r.inbound_qualified} qualified, "
            f"{r.drafts_approved} approved ({r.drafts_edited} edited), "
            f"{r.drafts_discarded} discarded, {r.drafts_pending} pending\n"
            f"  inbound -> draft p50 {r.inbound_to_draft.p50_seconds} s, "
            f"p95 {r.inbound_to_draft.p95_seconds} s; inbound -> approved p50 "
            f"{r.inbound_to_approved.p50_seconds} s, p95 {r.inbound_to_approved.p95_seconds} s\n"
            f"  provider time saved ~{r.seconds_saved_estimate / 60:.0f} min "
            f"({r.seconds_saved_range[0] / 60:.0f}-{r.seconds_saved_range[1] / 60:.0f} min at "
            f"30-90 s per manual first reply); per booking: {r.seconds_saved_per_booking} s"
        )
