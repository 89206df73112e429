"""`prospecting prospects import FILE`: the CLI adapter over the history import workflow, with
a progress bar (on stderr, so `--json` output stays clean).

It acts for one Person: the owner of an API token (`--as-token`, or PROSPECTING_TOKEN so the
token stays out of the shell history), or a Person id given by the operator of this machine
(`--person`, as `qualify train --person` does). The workflow loads inside the command, so
`prospecting --help` does not pay for it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from prospecting.edges.cli.common import build_runtime, console, edge, err_console
from prospecting.identity import service as identity
from prospecting.identity.models import Person
from prospecting.prospects.schemas import DateOrder, ImportIssue, ImportReport
from prospecting.runtime import Runtime

prospects_app = typer.Typer(help="Prospects: import existing clients and past appointments.")
SHOWN_ISSUES = 20


@prospects_app.command("import")
def import_file(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, readable=True, help="A booking tool's CSV export."
        ),
    ],
    as_token: Annotated[
        str | None,
        typer.Option(
            "--as-token",
            envvar="PROSPECTING_TOKEN",
            help="Act as the Person this API token belongs to.",
            show_envvar=True,
        ),
    ] = None,
    person: Annotated[
        str | None, typer.Option("--person", help="Act as this Person id (operator).")
    ] = None,
    contribute: Annotated[
        bool,
        typer.Option(
            "--contribute/--no-contribute",
            help="Give the history to the network graph where contribute consent allows it; "
            "--no-contribute keeps the import local.",
        ),
    ] = True,
    date_order: Annotated[
        DateOrder | None,
        typer.Option(
            "--date-order",
            help="How to read 03/05/2024 when the file does not tell (default: from the "
            "Person's phone region).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Import existing clients, appointments and outcomes from a CSV export; re-running it
    stores nothing twice. Rejected rows are listed with their reasons."""
    if (as_token is None) == (person is None):
        err_console.print("[red]error:[/red] give exactly one of --as-token or --person")
        raise typer.Exit(2)
    from prospecting.prospects.importing import decode_csv
    from prospecting.workflows import importing

    text = decode_csv(file.read_bytes())
    with edge():
        runtime = build_runtime()
        try:
            actor = _acting_person(runtime, as_token, person)
            with _ProgressBar() as bar:
                report = importing.import_history(
                    runtime,
                    actor=actor,
                    text=text,
                    contribute=contribute,
                    date_order=date_order,
                    channel="cli",
                    field_name=file.name,
                    progress=bar,
                )
        finally:
            runtime.stores.dispose()
    if as_json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    else:
        _print(report)


def _acting_person(runtime: Runtime, token: str | None, person_id: str | None) -> Person:
    with runtime.stores.tenant_read() as session:
        if token is not None:
            return identity.authenticate(session=session, token=token)
        assert person_id is not None
        return identity.get_person(session=session, person_id=person_id)


class _ProgressBar:
    """A Rich progress bar with a task per stage (reading, importing), fed by the workflow."""

    def __enter__(self) -> _ProgressBar:
        self.bar = Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=False,
        )
        self.tasks: dict[str, TaskID] = {}
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.bar.add_task(stage, total=total)
        self.bar.update(self.tasks[stage], completed=done, total=total)


def _print(report: ImportReport) -> None:
    table = Table("", "count", show_header=False)
    network = report.network
    rows = [
        ("rows read", report.rows),
        ("imported", report.imported),
        ("rejected", report.rejected_total),
        ("clients created", report.clients_created),
        ("matched to your prospects", report.clients_matched),
        ("appointments", report.appointments),
        ("  of which in the future", report.future_appointments),
        ("outcomes", report.outcomes),
        ("duplicates skipped", report.duplicates),
        ("merge suggestions", report.merge_suggestions),
    ]
    if network.requested:
        rows += [
            ("network: linked", network.linked),
            ("network: outcomes contributed", network.contributed),
            ("network: outside consent", network.not_consented),
        ]
    for label, count in rows:
        table.add_row(label, str(count))
    console.print(table)
    columns = ", ".join(f"{name}={header!r}" for name, header in report.columns.items())
    console.print(
        f"columns: {columns}; dates read {report.date_order.value} "
        f"(from {report.date_order_from.replace('_', ' ')})"
    )
    if report.ignored_columns:
        console.print(f"ignored columns: {', '.join(report.ignored_columns)}")
    if not network.requested:
        console.print("kept local: nothing was given to the network")
    elif network.not_consented:
        console.print(
            f"{network.not_consented} clients stayed out of the network: contribute consent "
            "is off for them (graph_consent, or POST /prospect-graph/consent); importing the "
            "same file again after consenting shares their history"
        )
    elif network.error:
        console.print(
            f"network: {network.rows_not_shared} rows not shared "
            f"({network.error}); import the same file again to share them",
            markup=False,
        )
    _issues("rejected", report.rejected, report.rejected_total)
    _issues("warnings", report.warnings, report.warnings_total)


def _issues(title: str, issues: list[ImportIssue], total: int) -> None:
    if not total:
        return
    console.print(f"{title} ({total}):")
    for issue in issues[:SHOWN_ISSUES]:
        console.print(f"  row {issue.row}: {issue.field}: {issue.reason}", markup=False)
    if total > SHOWN_ISSUES:
        console.print(f"  … and {total - SHOWN_ISSUES} more (--json lists the first {len(issues)})")
