"""Outputs to peer capabilities: link confidence, auto-qualify signals, reachability, attestations.

Reachability is read off the debiased outcome histogram of an ordinary audited query (so the
minimum-contributor rule, the fresh opt-out/consent re-check and the audit row all apply): it is
reachable when the lower band edge of the booked + rescheduled estimate is above zero, and the
count is that estimate rounded and clipped to the contributors. Raw randomized reports are never
counted; identities are never returned.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from prospecting.config import Settings
from prospecting.errors import ConsentRequired, NotFound, PermissionDenied, SubjectOptedOut
from prospecting.graph import consent
from prospecting.graph.context import GraphContext
from prospecting.graph.models import (
    ContributePolicy,
    PeerAttestation,
)
from prospecting.graph.query import POSITIVE, query
from prospecting.graph.schemas import (
    AttestationIn,
    GraphQueryIn,
    GraphSignals,
    Reachability,
    SafetyFlag,
)
from prospecting.graph.subjects import existing_link, link_prospect, own_prospect
from prospecting.identity.models import Person
from prospecting.resolver.service import Resolver

log = logging.getLogger("prospecting.graph")
UNREACHABLE = (OperationalError, InterfaceError)


def link_on_creation(ctx: GraphContext, prospect_id: str) -> float | None:
    """For prospect ingest: link a new prospect if its Person consents; the confidence or None.

    Never fails the ingest: no consent, an opted-out subject or an unreachable graph give None.
    """
    try:
        with ctx.graph.begin_nested():
            link, _ = link_prospect(ctx, prospect_id)
    except (ConsentRequired, SubjectOptedOut, NotFound):
        return None
    except UNREACHABLE as exc:
        log.warning(
            "graph store unreachable; prospect left unlinked",
            extra={"graph_operation": "link", "error_class": type(exc).__name__},
        )
        return None
    return link.confidence


def signals_for_prospect(
    *,
    tenant: Session,
    graph: Session,
    actor: Person,
    prospect_id: str,
    settings: Settings | None = None,
    resolver: Resolver | None = None,
) -> GraphSignals | None:
    """Fingerprint + histogram for auto-qualify; None without consent, data or a graph store.

    Without a resolver only an existing link is used (nothing new is linked). The read is
    audited like any query (kind `auto_qualify`).
    """
    ctx = GraphContext(tenant, graph, actor, settings or Settings(), resolver)  # type: ignore[arg-type]
    try:
        if resolver is None:
            prospect = own_prospect(ctx, prospect_id)
            if existing_link(graph, actor.id, prospect.id) is None:
                return None
        answer = query(ctx, GraphQueryIn(prospect_id=prospect_id), kind="auto_qualify")
    except (ConsentRequired, NotFound, SubjectOptedOut):
        return None
    except UNREACHABLE:
        return None
    if answer.state != "ok" or answer.histogram is None or answer.fingerprint is None:
        return None
    hist = answer.histogram
    n = hist.n_reports
    return GraphSignals(
        subject_key=answer.subject_key or "",
        contributors=answer.contributors or 0,
        outcome_shares={c: (v / n if n else 0.0) for c, v in hist.counts.items()},
        histogram=hist,
        fingerprint=answer.fingerprint,
        velocity=answer.velocity,
        safety_flags=answer.safety_flags,
        budget_exhausted=answer.budget_exhausted,
    )


def reachability(ctx: GraphContext, prospect_id: str) -> Reachability:
    """Is there a consented peer with a positive outcome with this person? yes/no and how many."""
    try:
        return _reachability(ctx, prospect_id)
    except UNREACHABLE as exc:
        log.warning(
            "graph store unreachable; reachability unknown (degraded)",
            extra={"graph_operation": "reachability", "error_class": type(exc).__name__},
        )
        return Reachability(
            state="degraded", reachable=False, peers_with_positive_outcome=0, degraded=True
        )


def _reachability(ctx: GraphContext, prospect_id: str) -> Reachability:
    """Read off the debiased histogram of an ordinary (audited, re-checked) query."""
    answer = query(ctx, GraphQueryIn(prospect_id=prospect_id), kind="reachability")
    hist = answer.histogram
    if answer.state != "ok" or hist is None:
        return Reachability(
            state=answer.state,
            reachable=False,
            peers_with_positive_outcome=0,
            degraded=answer.degraded,
        )
    lower = sum(hist.lower.get(c, 0.0) for c in POSITIVE)
    estimate = sum(hist.counts.get(c, 0.0) for c in POSITIVE)
    peers = min(max(round(estimate), 0), answer.contributors or 0)
    return Reachability(state="ok", reachable=lower > 0, peers_with_positive_outcome=peers)


def attest(ctx: GraphContext, data: AttestationIn) -> list[SafetyFlag]:
    """A contributing peer flags a subject with a structured code; returns the caller's flags."""
    eff = consent.effective(ctx)
    if eff.contribute is ContributePolicy.NONE or eff.revoked:
        raise PermissionDenied("only contributing peers may attest")
    link, _ = link_prospect(ctx, data.prospect_id)
    exists = ctx.graph.scalar(
        select(PeerAttestation.id).where(
            PeerAttestation.provider_id == ctx.actor.id,
            PeerAttestation.subject_key == link.subject_key,
            PeerAttestation.code == data.code,
        )
    )
    if exists is None:
        ctx.graph.add(
            PeerAttestation(provider_id=ctx.actor.id, subject_key=link.subject_key, code=data.code)
        )
        ctx.graph.flush()
    codes = ctx.graph.scalars(
        select(PeerAttestation.code).where(
            PeerAttestation.provider_id == ctx.actor.id,
            PeerAttestation.subject_key == link.subject_key,
        )
    )
    return [SafetyFlag(code=c, peers=1) for c in sorted(codes)]
