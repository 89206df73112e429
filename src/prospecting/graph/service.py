"""The graph's service surface in one place: adapters, workflows and peer capabilities import
from here. Writes raise `GraphUnavailable` when the graph store is down (503 at the edge); the
read paths `query`, `reachability`, `inbound_signals` and `positive_peers` (the coop's intro
asks only: docs/coop.md) answer degraded instead."""

from __future__ import annotations

from prospecting.graph.audit import entries as list_audit
from prospecting.graph.consent import change as change_consent
from prospecting.graph.consent import contribute_policy, set_org_policy
from prospecting.graph.consent import history as consent_history
from prospecting.graph.consent import state as consent_state
from prospecting.graph.contribute import contribute
from prospecting.graph.corrections import correct_outcome, report_collision
from prospecting.graph.history import contribute_history
from prospecting.graph.network import metrics
from prospecting.graph.optout import linked_prospects, subject_opt_out
from prospecting.graph.outputs import attest, inbound_signals, reachability
from prospecting.graph.peers import PositivePeers, positive_peers
from prospecting.graph.query import query
from prospecting.graph.schemas import LinkOut
from prospecting.graph.subjects import FromIngest, link_out, link_prospect
from prospecting.runtime import Context

__all__ = [
    "FromIngest",
    "PositivePeers",
    "attest",
    "change_consent",
    "consent_history",
    "consent_state",
    "contribute",
    "contribute_history",
    "contribute_policy",
    "correct_outcome",
    "inbound_signals",
    "link",
    "linked_prospects",
    "list_audit",
    "metrics",
    "positive_peers",
    "query",
    "reachability",
    "report_collision",
    "set_org_policy",
    "subject_opt_out",
]


def link(ctx: Context, prospect_id: str) -> LinkOut:
    """Link one of the caller's prospects to a subject key and return the link confidence."""
    return link_out(*link_prospect(ctx, prospect_id))
