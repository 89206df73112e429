"""What every CLI command shares: consoles, one error mapping, and a tenant transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from prospecting.config import load_settings
from prospecting.errors import DomainError
from prospecting.runtime import Runtime

console = Console()
err_console = Console(stderr=True)
T = TypeVar("T")


@contextmanager
def edge() -> Iterator[None]:
    """Map domain and validation errors to one readable line and exit status 2."""
    try:
        yield
    except DomainError as exc:
        err_console.print(f"[red]error:[/red] {escape(exc.detail)}")
        if exc.hint:
            err_console.print(f"next: {escape(exc.hint)}")
        raise typer.Exit(2) from None
    except ValidationError as exc:
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "input"
            err_console.print(f"[red]error:[/red] {escape(field)}: {escape(err['msg'])}")
        raise typer.Exit(2) from None


def build_runtime() -> Runtime:
    return Runtime.build(load_settings())


def in_tenant(work: Callable[[Runtime, Any], T]) -> T:
    with edge():
        runtime = build_runtime()
        try:
            with runtime.stores.tenant() as session:
                return work(runtime, session)
        finally:
            runtime.stores.dispose()
