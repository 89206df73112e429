"""The graph's degraded answers: one decorator for the read paths.

The graph engine's error listener (`prospecting.db.GraphAvailability`) is the one place a
graph-store failure becomes `GraphUnavailable`. Writes let it through (503); the three read
paths (query, reachability, the inbound signal for auto-qualify) are wrapped here and answer
provider-locally, flagged degraded, with a breadcrumb that names the operation and never a
value. A tenant-store failure is never converted: it is not the graph's.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from prospecting.errors import GraphUnavailable
from prospecting.runtime import Context

log = logging.getLogger("prospecting.graph")
P = ParamSpec("P")
T = TypeVar("T")


def degrades(
    fallback: Callable[Concatenate[Context, P], T],
) -> Callable[[Callable[Concatenate[Context, P], T]], Callable[Concatenate[Context, P], T]]:
    """On `GraphUnavailable`, roll the graph transaction back and answer `fallback(ctx, ...)`."""

    def wrap(read: Callable[Concatenate[Context, P], T]) -> Callable[Concatenate[Context, P], T]:
        def guarded(ctx: Context, /, *args: P.args, **kwargs: P.kwargs) -> T:
            try:
                return read(ctx, *args, **kwargs)
            except GraphUnavailable:
                ctx.graph.rollback()
                log.warning(
                    "graph store unreachable; degraded to provider-local answer",
                    extra={"graph_operation": read.__name__},
                )
                return fallback(ctx, *args, **kwargs)

        functools.update_wrapper(guarded, read)
        return guarded

    return wrap
