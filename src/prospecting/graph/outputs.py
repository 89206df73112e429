"""Outputs to peer capabilities: link confidence, auto-qualify signals, reachability, attestations.

Reachability counts consented (non-revoked) peers whose live noised report is positive (booked
or rescheduled). Reports are randomized, so a "yes" is evidence, not certainty; identities are
never returned.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from prospecting.config import Settings
from prospecting.errors import ConsentRequired, NotFound, PermissionDenied, SubjectOptedOut
from prospecting.graph import audit, consent, network
from prospecting.graph.context import GraphContext
from prospecting.graph.models import (
    ContributePolicy,
    Contribution,
    PeerAttestation,
    SubjectKey,
    SubjectStatus,
    Supersession,
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
    prospect_id = own_prospect(ctx, prospect_id).id
    if not consent.effective(ctx).query:
        raise ConsentRequired("graph query consent is off")
    try:
        link, _ = link_prospect(ctx, prospect_id)
    except SubjectOptedOut:
        return Reachability(
            state="subject_opted_out", reachable=False, peers_with_positive_outcome=0
        )
    subject = ctx.graph.get(SubjectKey, link.subject_key)
    if subject is None or subject.status == SubjectStatus.TOMBSTONED.value:
        return Reachability(
            state="subject_opted_out", reachable=False, peers_with_positive_outcome=0
        )
    superseded = select(Supersession.superseded_id).where(
        Supersession.subject_key == link.subject_key
    )
    positive = set(
        ctx.graph.scalars(
            select(Contribution.provider_id).where(
                Contribution.subject_key == link.subject_key,
                Contribution.provider_id != ctx.actor.id,
                Contribution.noised_outcome.in_(POSITIVE),
                Contribution.id.not_in(superseded),
            )
        )
    )
    peers = network.consented_ids(ctx, sorted(positive))
    audit.record(
        ctx.graph,
        consumer_id=ctx.actor.id,
        subject_key=link.subject_key,
        kind="reachability",
        scope={},
        result_state="ok",
        contributor_ids=peers,
    )
    return Reachability(state="ok", reachable=bool(peers), peers_with_positive_outcome=len(peers))


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
