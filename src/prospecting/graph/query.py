"""graph_query: what the consented network knows about one subject, with bands and an audit row.

Two phases. (1) A snapshot read in its own short transaction computes the answer. (2) In the
edge's graph transaction, opened only now, opt-out and consent are read again (fresh: a new
SQLite transaction under the write lock, a new READ COMMITTED statement with FOR SHARE locks on
PostgreSQL, so an erasure or revocation cannot commit between this check and the answer), the
audit row is written, and the answer returns. Anything erased or revoked in between turns the
answer into the `subject_opted_out` sentinel for that subject, with no aggregates.

If the graph store cannot be reached the answer is provider-local (the caller's own recorded
outcomes), marked `degraded`, with a breadcrumb on the `prospecting.graph` logger; never a
cached or stale aggregate.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from prospecting.errors import ConsentRequired, NotFound, SubjectOptedOut
from prospecting.graph import audit, consent, dp, network
from prospecting.graph.context import GraphContext, is_graph_unreachable
from prospecting.graph.models import (
    Contribution,
    PeerAttestation,
    ProviderConsent,
    SubjectAttribution,
    SubjectKey,
    SubjectOptOut,
    SubjectStatus,
    Supersession,
)
from prospecting.graph.schemas import (
    Attribution,
    Band,
    Fingerprint,
    GraphAnswer,
    GraphQueryIn,
    Histogram,
    LocalOutcome,
    SafetyFlag,
    Velocity,
)
from prospecting.graph.subjects import existing_link, link_prospect, own_prospect, own_subject
from prospecting.identity.models import Person
from prospecting.prospects.models import Touchpoint

log = logging.getLogger("prospecting.graph")

BUDGET_NOTICE = (
    "privacy budget exhausted for this subject: {n} outcome(s) were withheld and the band "
    "is widened to cover them; show the band, not just the estimate"
)
VELOCITY_NOTICE = (
    "privacy budget exhausted for this subject: the days of {n} outcome(s) were withheld and "
    "the velocity band is widened over the full 0-90 day range for them; show the band"
)
POSITIVE = ("booked", "rescheduled")

# Test seam: runs between the snapshot read and the fresh re-check (a no-op in production).
before_recheck: Callable[[], None] = lambda: None  # noqa: E731


@dataclass
class Snapshot:
    subject_key: str
    answer: GraphAnswer
    contributors: set[str] = field(default_factory=set)
    attributed: set[str] = field(default_factory=set)


def query(ctx: GraphContext, data: GraphQueryIn, *, kind: str = "query") -> GraphAnswer:
    """Answer for one subject named by key or by the caller's prospect; audited."""
    if (data.subject_key is None) == (data.prospect_id is None):
        raise NotFound("subject (give exactly one of subject_key or prospect_id)")
    try:
        return _query(ctx, data, kind)
    except (OperationalError, InterfaceError) as exc:
        if not is_graph_unreachable(exc, ctx):
            raise  # a tenant-store (or other) failure is not a graph outage
        return degraded(ctx, data.prospect_id, operation=kind, exc=exc)


def degraded(
    ctx: GraphContext, prospect_id: str | None, *, operation: str, exc: Exception
) -> GraphAnswer:
    """Provider-local answer; the breadcrumb names the operation and error class, no PII."""
    log.warning(
        "graph store unreachable; degraded to provider-local answer",
        extra={"graph_operation": operation, "error_class": type(exc).__name__},
    )
    local: list[LocalOutcome] = []
    if prospect_id is not None:
        prospect = own_prospect(ctx, prospect_id)
        rows = ctx.tenant.scalars(
            select(Touchpoint)
            .where(Touchpoint.prospect_id == prospect.id, Touchpoint.outcome.is_not(None))
            .order_by(Touchpoint.outcome_version)
        )
        local = [
            LocalOutcome(
                outcome=t.outcome or "",
                outcome_version=t.outcome_version or 0,
                occurred_at=t.occurred_at,
            )
            for t in rows
        ]
    return GraphAnswer(
        state="degraded",
        subject_key=None,
        min_contributors=ctx.settings.graph_min_contributors,
        degraded=True,
        local_outcomes=local,
        notices=["graph store unreachable: showing only your own records (degraded mode)"],
    )


def _query(ctx: GraphContext, data: GraphQueryIn, kind: str) -> GraphAnswer:
    scope = data.scope.model_dump()
    subject_key: str | None = data.subject_key
    if data.prospect_id is not None:
        prospect = own_prospect(ctx, data.prospect_id)
        with _snapshot(ctx) as snap:
            link = existing_link(snap.graph, ctx.actor.id, prospect.id)
            subject_key = link.subject_key if link else None
        if subject_key is None:
            if not consent.effective(ctx).query:
                raise ConsentRequired("graph query consent is off")
            try:
                subject_key = link_prospect(ctx, prospect.id)[0].subject_key
            except SubjectOptedOut:
                return _finish(ctx, None, kind, scope, _sentinel(ctx, None, "erased"))
    assert subject_key is not None
    with _snapshot(ctx) as snap:
        if not consent.effective(snap).query:
            raise ConsentRequired("graph query consent is off")
        subject = own_subject(snap, subject_key)
        if subject.status == SubjectStatus.TOMBSTONED.value:
            result = Snapshot(subject_key, _sentinel(ctx, subject_key, "erased"))
        else:
            result = _read(snap, subject_key, data)
    before_recheck()
    return _finish(ctx, result, kind, scope)


@contextmanager
def _snapshot(ctx: GraphContext) -> Iterator[GraphContext]:
    """A short separate read transaction, unless the edge session already holds a connection
    (then it must be reused: a second SQLite writer would wait on this very transaction)."""
    txn = ctx.graph.get_transaction()
    if txn is not None and txn._connections:
        yield ctx
        return
    with Session(bind=ctx.graph.get_bind()) as session, session.begin():
        yield replace(ctx, graph=session)


def _read(snap: GraphContext, subject_key: str, data: GraphQueryIn) -> Snapshot:
    settings = snap.settings
    superseded = select(Supersession.superseded_id).where(Supersession.subject_key == subject_key)
    rows = list(
        snap.graph.scalars(
            select(Contribution).where(
                Contribution.subject_key == subject_key,
                Contribution.provider_id != snap.actor.id,
                Contribution.id.not_in(superseded),
            )
        )
    )
    if data.scope.category or data.scope.region:
        in_scope = set(network.persons_in_scope(snap, data.scope))
        rows = [r for r in rows if r.provider_id in in_scope]
    contributors = {r.provider_id for r in rows}
    answer = GraphAnswer(
        state="ok",
        subject_key=subject_key,
        min_contributors=settings.graph_min_contributors,
        network=network.network_state(snap, data.scope),
    )
    if len(contributors) < settings.graph_min_contributors:
        answer.state = "insufficient_contributors"
        return Snapshot(subject_key, answer)
    answer.safety_flags = _safety_flags(snap, subject_key)
    reports = [
        (r.noised_outcome, dp.NoiseParams(**r.outcome_noise))
        for r in rows
        if not r.withheld and r.noised_outcome and r.outcome_noise
    ]
    withheld = sum(1 for r in rows if r.withheld)
    hist = dp.estimate_histogram(reports, withheld=withheld, confidence=settings.graph_confidence)
    days = [
        (r.noised_days, dp.LaplaceParams(**r.days_noise))
        for r in rows
        if r.noised_days is not None and r.days_noise
    ]
    mean = dp.estimate_mean_days(days, confidence=settings.graph_confidence)
    days_withheld = sum(
        1 for r in rows if r.noised_days is None and (r.days_noise or {}).get("withheld")
    )
    attributed = consent.attributable(snap, subject_key, contributors)
    names = (
        dict(
            snap.tenant.execute(
                select(Person.id, Person.display_name).where(Person.id.in_(attributed))
            ).all()
        )
        if attributed
        else {}
    )
    answer.contributors = len(contributors)
    answer.histogram = Histogram(
        counts=hist.counts,
        lower=hist.lower,
        upper=hist.upper,
        n_reports=hist.n_reports,
        withheld=hist.withheld,
        confidence=hist.confidence,
    )
    answer.fingerprint = fingerprint_of(hist)
    answer.velocity = _velocity(mean, days_withheld)
    answer.attribution = [
        Attribution(provider_id=pid, display_name=names.get(pid, "")) for pid in sorted(attributed)
    ]
    if hist.widened:
        answer.budget_exhausted = True
        answer.notices.append(BUDGET_NOTICE.format(n=withheld))
    if days_withheld:
        answer.budget_exhausted = True
        answer.notices.append(VELOCITY_NOTICE.format(n=days_withheld))
    return Snapshot(subject_key, answer, contributors, attributed)


def _velocity(mean: dp.MeanEstimate | None, days_withheld: int) -> Velocity | None:
    """The mean-days band; days withheld for budget could be anywhere in [0, 90], so the band
    is the mix of the reported band and that full range, weighted by the withheld share."""
    if mean is None and not days_withheld:
        return None
    lo_all, hi_all = dp.DAYS_LOWER, dp.DAYS_UPPER
    if mean is None:
        mid = (lo_all + hi_all) / 2.0
        band = Band(estimate=mid, lower=lo_all, upper=hi_all)
        return Velocity(
            mean_days=band, n_reports=0, days_withheld=days_withheld, budget_exhausted=True
        )
    w = days_withheld / (mean.n_reports + days_withheld)
    band = Band(
        estimate=mean.mean,
        lower=(1.0 - w) * mean.lower + w * lo_all,
        upper=(1.0 - w) * mean.upper + w * hi_all,
    )
    return Velocity(
        mean_days=band,
        n_reports=mean.n_reports,
        days_withheld=days_withheld,
        budget_exhausted=days_withheld > 0,
    )


def _band(hist: dp.HistogramEstimate, cats: tuple[str, ...]) -> Band:
    n_rep, n_tot = hist.n_reports, hist.n_total
    est = sum(hist.counts[c] for c in cats) / n_rep if n_rep else 0.0
    lo = sum(hist.lower[c] for c in cats) / n_tot if n_tot else 0.0
    hi = min(sum(hist.upper[c] for c in cats) / n_tot, 1.0) if n_tot else 1.0
    return Band(estimate=est, lower=lo, upper=hi)


def fingerprint_of(hist: dp.HistogramEstimate) -> Fingerprint:
    """Share estimates with bands and a coarse profile read off the bands' lower edges."""
    booked = _band(hist, POSITIVE)
    no_show = _band(hist, ("no_show",))
    ghost = _band(hist, ("ghosted",))
    blocked = _band(hist, ("blocked",))
    unreliable = _band(hist, ("no_show", "ghosted"))
    if hist.n_reports == 0:
        profile = "unknown"
    elif blocked.lower > 0.2:
        profile = "blocked_by_peers"
    elif booked.lower > 0.5:
        profile = "books"
    elif unreliable.lower > 0.5:
        profile = "unreliable"
    else:
        profile = "mixed"
    return Fingerprint(
        booked_share=booked,
        no_show_share=no_show,
        ghost_share=ghost,
        profile=profile,  # type: ignore[arg-type]
    )


def _safety_flags(snap: GraphContext, subject_key: str) -> list[SafetyFlag]:
    """Codes attested by at least `graph_min_contributors` distinct peers who currently
    contribute and have not revoked (the caller never counts)."""
    rows = snap.graph.execute(
        select(PeerAttestation.code, PeerAttestation.provider_id).where(
            PeerAttestation.subject_key == subject_key,
            PeerAttestation.provider_id != snap.actor.id,
        )
    ).all()
    consented = network.consented_ids(snap, sorted({pid for _, pid in rows}))
    peers: dict[str, set[str]] = {}
    for code, provider_id in rows:
        if provider_id in consented:
            peers.setdefault(code, set()).add(provider_id)
    floor = snap.settings.graph_min_contributors
    return [SafetyFlag(code=c, peers=len(p)) for c, p in sorted(peers.items()) if len(p) >= floor]


def _sentinel(ctx: GraphContext, subject_key: str | None, reason: str) -> GraphAnswer:
    return GraphAnswer(
        state="subject_opted_out",
        subject_key=subject_key,
        sentinel_reason=reason,  # type: ignore[arg-type]
        min_contributors=ctx.settings.graph_min_contributors,
    )


def _recheck(ctx: GraphContext, result: Snapshot) -> str | None:
    """Fresh read in the edge transaction: `erased`, `consent_revoked`, or None if unchanged."""
    graph, key = ctx.graph, result.subject_key
    subject = graph.scalar(
        select(SubjectKey).where(SubjectKey.subject_key == key).with_for_update(read=True)
    )
    opted_out = graph.scalar(select(SubjectOptOut.id).where(SubjectOptOut.subject_key == key))
    if subject is None or subject.status == SubjectStatus.TOMBSTONED.value or opted_out:
        return "erased"
    graph.scalar(
        select(ProviderConsent.provider_id)
        .where(ProviderConsent.provider_id == ctx.actor.id)
        .with_for_update(read=True)
    )
    if not consent.effective(ctx).query:
        return "consent_revoked"
    if result.attributed:
        list(
            graph.scalars(
                select(SubjectAttribution.id)
                .where(SubjectAttribution.subject_key == key)
                .with_for_update(read=True)
            )
        )
        if not result.attributed <= consent.attributable(ctx, key, result.attributed):
            return "consent_revoked"
    return None


def _finish(
    ctx: GraphContext,
    result: Snapshot | None,
    kind: str,
    scope: dict[str, object],
    answer: GraphAnswer | None = None,
) -> GraphAnswer:
    contributors: set[str] = set()
    if result is not None:
        answer = result.answer
        if answer.state != "subject_opted_out":
            reason = _recheck(ctx, result)
            if reason is not None:
                answer = _sentinel(ctx, result.subject_key, reason)
        if answer.state == "ok":
            contributors = result.contributors
    assert answer is not None
    row = audit.record(
        ctx.graph,
        consumer_id=ctx.actor.id,
        subject_key=answer.subject_key,
        kind=kind,
        scope=scope,
        result_state=answer.sentinel_reason or answer.state,
        contributor_ids=contributors,
    )
    answer.audit_id = row.id
    return answer
