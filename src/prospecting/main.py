"""The process entry point `prospecting`: every CLI command, plus `serve` and `mcp`, which
compose the HTTP app and the MCP server. Heavy modules load inside the command that needs
them, so `prospecting --help` stays fast."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from prospecting.config import Settings, load_settings
from prospecting.edges.cli.common import console, edge, err_console
from prospecting.edges.cli.main import app as cli
from prospecting.errors import Unauthenticated
from prospecting.runtime import Runtime

app = cli


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 3060)")] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes (PostgreSQL only; MCP runs stateless)")
    ] = 1,
) -> None:
    """Migrate, seed the demo network when empty (development), finish inbound messages a
    crash left unqualified, and serve platform.api."""
    import uvicorn

    from prospecting.app import create_app
    from prospecting.migrations import upgrade_all
    from prospecting.workflows.inbound import reconcile

    with edge():
        settings = load_settings(workers=workers)
        logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s %(message)s")
        upgrade_all(settings.resolved_tenant_url, settings.resolved_graph_url)
        runtime = Runtime.build(settings)
        if settings.mode == "development" and settings.seed_demo:
            _seed_if_empty(runtime)
        if finished := reconcile(runtime):
            console.print(f"qualified {finished} inbound message(s) a crash had left unqualified")
    bind = {"host": host or settings.host, "port": port or settings.port}
    if workers == 1:
        uvicorn.run(create_app(runtime=runtime), **bind)  # type: ignore[arg-type]
        return
    runtime.stores.dispose()  # each worker builds its own from the same environment
    os.environ["PROSPECTING_WORKERS"] = str(workers)
    uvicorn.run("prospecting.app:create_app", factory=True, workers=workers, **bind)  # type: ignore[arg-type]


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
    """Serve the MCP server platform-prospecting over stdio for one Person's copilot.

    Works from any directory: unless PROSPECTING_DATA_DIR or a database URL is set, the data
    lives in the per-user data dir (~/.local/share/prospecting, or $XDG_DATA_HOME/prospecting),
    and both stores are migrated on start. stdout carries the protocol only."""
    from prospecting.edges.mcp.server import build_server, verify_bound_token
    from prospecting.migrations import upgrade_all

    if not token:
        err_console.print("[red]error:[/red] PROSPECTING_TOKEN (or --token) is required")
        raise typer.Exit(2)
    with edge():
        settings = stdio_settings()
        upgrade_all(settings.resolved_tenant_url, settings.resolved_graph_url)
        runtime = Runtime.build(settings)
        try:
            verify_bound_token(runtime, token)
        except Unauthenticated:
            raise Unauthenticated(
                f"PROSPECTING_TOKEN is not a valid token for the data in {settings.data_dir} "
                "(create one with `prospecting tokens create PERSON_ID` using the same "
                "PROSPECTING_DATA_DIR or database URLs)"
            ) from None
    build_server(runtime, bound_token=token).run("stdio")


STORE_SETTINGS = frozenset({"data_dir", "tenant_database_url", "graph_database_url"})


def stdio_settings() -> Settings:
    """Settings for `prospecting mcp`: the per-user data dir unless the environment names
    where the data lives (PROSPECTING_DATA_DIR or either database URL). `serve` and the other
    commands keep the working directory's ./data."""
    settings = load_settings()
    if STORE_SETTINGS & settings.model_fields_set:
        return settings
    return load_settings(data_dir=user_data_dir())


def user_data_dir() -> Path:
    """The per-user data directory (XDG base directories; %LOCALAPPDATA% on Windows)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    else:
        xdg = os.environ.get("XDG_DATA_HOME", "")
        base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / "prospecting"
