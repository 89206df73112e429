"""The process entry point `prospecting`: every CLI command, plus `serve` and `mcp`, which
compose the HTTP app and the MCP server. Heavy modules load inside the command that needs
them, so `prospecting --help` stays fast."""

from __future__ import annotations

import logging
import os
from typing import Annotated

import typer

from prospecting.config import load_settings
from prospecting.edges.cli.common import build_runtime, console, edge, err_console
from prospecting.edges.cli.main import app as cli
from prospecting.runtime import Runtime

app = cli


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 3060)")] = None,
) -> None:
    """Migrate, seed the demo network when empty (development), finish inbound messages a
    crash left unqualified, and serve platform.api."""
    import uvicorn

    from prospecting.app import create_app
    from prospecting.migrations import upgrade_all
    from prospecting.workflows.inbound import reconcile

    with edge():
        settings = load_settings()
        logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s %(message)s")
        upgrade_all(settings.resolved_tenant_url, settings.resolved_graph_url)
        runtime = Runtime.build(settings)
        if settings.mode == "development" and settings.seed_demo:
            _seed_if_empty(runtime)
        if finished := reconcile(runtime):
            console.print(f"qualified {finished} inbound message(s) a crash had left unqualified")
    uvicorn.run(create_app(runtime=runtime), host=host or settings.host, port=port or settings.port)


def _seed_if_empty(runtime: Runtime) -> None:
    from prospecting.demo import network as demo

    with runtime.stores.tenant() as session:
        if not demo.is_empty(session):
            return
    network = demo.seed_network(runtime)
    path = runtime.settings.data_dir / "demo-tokens.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as fh:
        fh.writelines(f"{token}  {name}\n" for name, token in network.tokens.items())
    console.print(f"seeded the demo network; demo tokens (shown once) are in {path}")


@cli.command("mcp")
def mcp_stdio(
    token: Annotated[
        str | None,
        typer.Option(envvar="PROSPECTING_TOKEN", help="API token of the acting Person"),
    ] = None,
) -> None:
    """Serve the MCP server platform-prospecting over stdio for one Person's copilot."""
    from prospecting.edges.mcp.server import build_server, verify_bound_token

    if not token:
        err_console.print("[red]error:[/red] PROSPECTING_TOKEN (or --token) is required")
        raise typer.Exit(2)
    with edge():
        runtime = build_runtime()
        verify_bound_token(runtime, token)
    build_server(runtime, bound_token=token).run("stdio")
