"""`prospecting audit verify`: the CLI adapter over the audit log's hash-chain check.

Exit status 0 when both chains (query audit, consent history) recompute and no erasure grant
was left open; 1 naming the first rows that break (table, row id, expected vs found) otherwise.
"""

from __future__ import annotations

import typer

from prospecting.edges.cli.common import build_runtime, console, edge, err_console
from prospecting.graph import audit

audit_app = typer.Typer(help="The graph store's audit log: verify its hash chains.")
SHOWN_BREAKS = 20


@audit_app.command("verify")
def verify() -> None:
    """Recompute the query-audit and consent-history hash chains; name where they break."""
    with edge():
        runtime = build_runtime()
        try:
            with runtime.stores.graph() as graph:
                result = audit.verify(graph)
        finally:
            runtime.stores.dispose()
    for chain in result.chains:
        status = "OK" if chain.ok else "BROKEN"
        console.print(
            f"{chain.table}: {status} ({chain.rows} rows, head at seq {chain.head_seq})",
            highlight=False,
            soft_wrap=True,
        )
        for found in chain.breaks[:SHOWN_BREAKS]:
            seq = "" if found.seq is None else f" (seq {found.seq})"
            err_console.print(
                f"  {found.table} row {found.row_id}{seq}: {found.what}: "
                f"expected {found.expected}, found {found.found}",
                highlight=False,
                soft_wrap=True,
            )
        if len(chain.breaks) > SHOWN_BREAKS:
            err_console.print(
                f"  ... and {len(chain.breaks) - SHOWN_BREAKS} more",
                highlight=False,
                soft_wrap=True,
            )
    for grant_id in result.open_grants:
        err_console.print(
            f"graph_erasure_grants row {grant_id}: left open (not consumed by an erasure)",
            highlight=False,
            soft_wrap=True,
        )
    if not result.ok:
        raise typer.Exit(1)
    console.print("audit log verified: OK", highlight=False, soft_wrap=True)
