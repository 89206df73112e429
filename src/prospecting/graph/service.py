"""The graph's service surface in one place: adapters and peer capabilities import from here."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import InterfaceError, OperationalError

from prospecting.errors import GraphUnavailable
from prospecting.graph.audit import entries as list_audit
from prospecting.graph.consent import change as change_consent
from prospecting.graph.consent import history as consent_history
from prospecting.graph.consent import set_org_policy
from prospecting.graph.consent import state as consent_state
from prospecting.graph.context import GraphContext, is_graph_unreachable
from prospecting.graph.contribute import contribute
from prospecting.graph.corrections import correct_outcome, report_collision
from prospecting.graph.network import metrics
from prospecting.graph.optout import subject_opt_out
from prospecting.graph.outputs import (
    attest,
    link_on_creation,
    reachability,
    signals_for_prospect,
)
from prospecting.graph.query import query
from prospecting.graph.schemas import LinkOut
from prospecting.graph.subjects import link_out, link_prospect

T = TypeVar("T")

__all__ = [
    "GraphContext",
    "attest",
    "change_consent",
    "consent_history",
    "consent_state",
    "contribute",
    "correct_outcome",
    "link",
    "link_on_creation",
    "list_audit",
    "metrics",
    "query",
    "reachability",
    "report_collision",
    "set_org_policy",
    "signals_for_prospect",
    "subject_opt_out",
    "writing",
]


def link(ctx: GraphContext, prospect_id: str) -> LinkOut:
    """Link one of the caller's prospects to a subject key and return the link confidence."""
    return link_out(*link_prospect(ctx, prospect_id))


def writing(call: Callable[[], T], ctx: GraphContext) -> T:
    """Run a graph write; an unreachable graph store becomes GraphUnavailable (503).

    Only a failure of the graph store itself is reported so (see `is_graph_unreachable`);
    a tenant-store error propagates as what it is.
    """
    try:
        return call()
    except (OperationalError, InterfaceError) as exc:
        if not is_graph_unreachable(exc, ctx):
            raise
        raise GraphUnavailable("the graph store is unreachable; try again later") from None
