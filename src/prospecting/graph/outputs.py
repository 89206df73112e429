"""Outputs to peer capabilities: the inbound signal for auto-qualify, reachability, attestations.

Reachability is read off the debiased outcome histogram of an ordinary audited query (so the
minimum-contributor rule, the fresh opt-out/consent re-check and the audit row all apply): it is
reachable when the lower band edge of the positive-outcome estimate is above zero, and the
count is that estimate rounded and clipped to the contributors. Raw randomized reports are never
counted; identities are never returned.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from prospecting.db import utcnow
from prospecting.errors import ConsentRequired, NotFound, PermissionDenied, SubjectOptedOut
from prospecting.graph import consent
from prospecting.graph.availability import degrades
from prospecting.graph.models import ContributePolicy, PeerAttestation
from prospecting.graph.query import query
from prospecting.graph.schemas import (
    AttestationIn,
    GraphAnswer,
    GraphQueryIn,
    GraphScope,
    GraphSignals,
    Reachability,
    SafetyFlag,
)
from prospecting.graph.subjects import FromIngest, link_prospect
from prospecting.graph.velocity import record_contacts
from prospecting.runtime import Context


def _degraded_signals(
    ctx: Context,
    prospect_id: str,
    *,
    received_at: datetime | None = None,
    ingested: FromIngest | None = None,
) -> GraphSignals:
    return GraphSignals(state="degraded", degraded=True)


@degrades(_degraded_signals)
def inbound_signals(
    ctx: Context,
    prospect_id: str,
    *,
    received_at: datetime | None = None,
    ingested: FromIngest | None = None,
) -> GraphSignals:
    """On every inbound: link the new prospect (only with the Person's consent; the link
    confidence is the resolver's enriched score), record the contact (velocity, only under
    contribute consent), then one audited query (kind `auto_qualify`) gives the histogram,
    fingerprint, velocity as of the message, reachability and safety flags, with the network
    state of the asker's own category and region. `ingested`: what the caller's ingest of the
    prospect, just committed, hands to linking (`link_prospect`)."""
    received_at = received_at or utcnow()
    try:
        with ctx.graph.begin_nested():
            eff = consent.effective(ctx)  # read once: the link, contribution, query below
            link, _ = link_prospect(ctx, prospect_id, ingested=ingested, eff=eff)
            if consent.may_contribute(ctx, link.prospect_id, eff=eff):
                record_contacts(
                    ctx.graph,
                    [(link.subject_key, ctx.actor.id, link.prospect_id, received_at.date())],
                )
    except ConsentRequired:
        return GraphSignals(state="not_linked")
    except SubjectOptedOut:
        return GraphSignals(state="subject_opted_out")
    except NotFound:
        return GraphSignals(state="not_linked")
    signals = GraphSignals(
        state="no_query_consent", subject_key=link.subject_key, link_confidence=link.confidence
    )
    if not eff.query:
        return signals
    categories = ctx.actor.service_categories or []
    scope = GraphScope(category=categories[0] if categories else None, region=ctx.actor.region)
    answer = query(  # by the key just linked: the prospect and its link are not read again
        ctx,
        GraphQueryIn(subject_key=link.subject_key),
        kind="auto_qualify",
        network_scope=scope,
        as_of=received_at,
    )
    signals.state = answer.state
    signals.network = answer.network
    signals.degraded = answer.degraded
    signals.velocity = answer.velocity
    signals.safety_flags = answer.safety_flags
    if answer.state != "ok" or answer.histogram is None:
        return signals
    hist = answer.histogram
    reach = _reachability_of(answer)
    signals.contributors = answer.contributors
    signals.outcome_shares = {
        c: (v / hist.n_reports if hist.n_reports else 0.0) for c, v in hist.counts.items()
    }
    signals.histogram = hist
    signals.fingerprint = answer.fingerprint
    signals.reachable = reach.reachable
    signals.peers_with_positive_outcome = reach.peers_with_positive_outcome
    signals.budget_exhausted = answer.budget_exhausted
    return signals


def _degraded_reachability(ctx: Context, prospect_id: str) -> Reachability:
    return Reachability(
        state="degraded", reachable=False, peers_with_positive_outcome=0, degraded=True
    )


@degrades(_degraded_reachability)
def reachability(ctx: Context, prospect_id: str) -> Reachability:
    """Is there a consented peer with a positive outcome with this person? yes/no and how many."""
    return _reachability_of(query(ctx, GraphQueryIn(prospect_id=prospect_id), kind="reachability"))


def _reachability_of(answer: GraphAnswer) -> Reachability:
    hist = answer.histogram
    if answer.state != "ok" or hist is None:
        return Reachability(
            state=answer.state,
            reachable=False,
            peers_with_positive_outcome=0,
            degraded=answer.degraded,
        )
    lower = hist.lower.get("positive", 0.0)
    estimate = hist.counts.get("positive", 0.0)
    peers = min(max(round(estimate), 0), answer.contributors or 0)
    return Reachability(state="ok", reachable=lower > 0, peers_with_positive_outcome=peers)


def attest(ctx: Context, data: AttestationIn) -> list[SafetyFlag]:
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
