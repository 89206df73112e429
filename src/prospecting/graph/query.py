"""graph_query: what the consented network knows about one subject, with bands and an audit row.

A subject already linked to the caller (a subject key, or a prospect with a link) is answered
in one transaction, the caller's graph transaction, locks first: the subject row (with its
opt-out, the caller's link and both chains' heads) and the caller's own consent row are read FOR
SHARE on PostgreSQL in one statement (SQLite: the transaction holds the write lock from BEGIN
IMMEDIATE), so no erasure or revocation can commit between those reads and the answer; then the
figures are read (one statement, after the locks: a fresh snapshot) and the audit row is
written (one statement on PostgreSQL). Nothing needs re-checking.

A prospect not linked yet is linked first (in the same transaction) and answered in two
public phases, which the race tests drive separately: (1) `snapshot` computes the answer;
(2) `finish` reads opt-out and consent again (fresh, under share locks), turns anything erased
or revoked in between into the `subject_opted_out` sentinel, with no aggregates, and writes the
audit row.

If the graph store cannot be reached the answer is provider-local (the caller's own recorded
outcomes), marked `degraded`, with a breadcrumb on the `prospecting.graph` logger; never a
cached or stale aggregate.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CompoundSelect,
    Date,
    Integer,
    String,
    Text,
    bindparam,
    cast,
    literal_column,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from prospecting.db import READ_ONLY, UTCDateTime, core, utcnow
from prospecting.errors import ConsentRequired, NotFound, SubjectOptedOut
from prospecting.graph import audit, consent, dp, ledger, network, summary, velocity
from prospecting.graph.availability import degrades
from prospecting.graph.local import own_prospect
from prospecting.graph.models import (
    ChainHead,
    PeerAttestation,
    ProspectLink,
    ProviderConsent,
    SubjectAttribution,
    SubjectKey,
    SubjectOptOut,
    SubjectStatus,
)
from prospecting.graph.schemas import (
    Attribution,
    Band,
    Fingerprint,
    GraphAnswer,
    GraphQueryIn,
    GraphScope,
    Histogram,
    LocalOutcome,
    SafetyFlag,
)
from prospecting.graph.subjects import existing_link, link_prospect, own_subject
from prospecting.identity import service as identity
from prospecting.prospects import service as prospects
from prospecting.runtime import Context

log = logging.getLogger("prospecting.graph")

BUDGET_NOTICE = (
    "privacy budget exhausted for this subject: {n} outcome(s) were withheld and the band "
    "is widened to cover them; show the band, not just the estimate"
)


# Built once (statement construction costs more than SQLite's execution here).
# The caller's own consent row, FOR SHARE (PostgreSQL) in its own CTE: PostgreSQL refuses a
# lock on the nullable side of an outer join, and a Person with no row still reads Org defaults.
_OWN = (
    select(ProviderConsent.provider_id, ProviderConsent.query_enabled)
    .where(ProviderConsent.provider_id == bindparam("asker"))
    .with_for_update(read=True)
    .cte("own")
)


def _head(chain: str, column: Any) -> Any:
    return select(column).where(ChainHead.chain == chain).scalar_subquery()


def _subject_lock(which: Any) -> Any:
    """The subject lock statement for the subject row `which` selects."""
    return (
        select(
            SubjectKey.status,
            SubjectKey.merged_into,
            select(SubjectOptOut.id)
            .where(SubjectOptOut.subject_key == SubjectKey.subject_key)
            .limit(1)
            .scalar_subquery(),
            select(ProspectLink.id)
            .where(
                ProspectLink.provider_id == bindparam("asker"),
                ProspectLink.subject_key == SubjectKey.subject_key,
            )
            .limit(1)
            .scalar_subquery(),
            _head(ledger.CONSENT, ChainHead.seq),
            _head(ledger.CONSENT, ChainHead.head_hash),
            _head(ledger.QUERY_AUDIT, ChainHead.seq),
            _head(ledger.QUERY_AUDIT, ChainHead.head_hash),
            _OWN.c.provider_id,
            _OWN.c.query_enabled,
            SubjectKey.subject_key,
        )
        .select_from(SubjectKey.__table__.outerjoin(_OWN, true()))
        .where(which)
        .with_for_update(read=True, of=SubjectKey)
    )


_SUBJECT = _subject_lock(SubjectKey.subject_key == bindparam("key"))
# a prospect's subject through the caller's link to it, in the same statement
_SUBJECT_OF_PROSPECT = _subject_lock(
    SubjectKey.subject_key
    == select(ProspectLink.subject_key)
    .where(
        ProspectLink.provider_id == bindparam("asker"),
        ProspectLink.prospect_id == bindparam("prospect"),
    )
    .scalar_subquery()
)


def _figures(*, lock: bool) -> CompoundSelect[Any]:
    """Everything `_read` needs about one subject, in one statement (one round trip): its
    contributions grouped (`summary.LINES`), contact days (`velocity.WINDOW`), peer
    attestations and attribution opt-ins (FOR SHARE with `lock`, PostgreSQL), as rows tagged
    0-3 in one column layout: (tag, provider, flag, text, noise, count, day, time)."""
    none_flag, none_text = cast(null(), Boolean), cast(null(), String)
    none_noise, none_count = cast(null(), Text), cast(null(), Integer)
    none_day, none_at = cast(null(), Date), cast(null(), UTCDateTime())
    lines = summary.LINES.subquery("lines")
    contacts = velocity.WINDOW.subquery("contacts")
    opted = select(SubjectAttribution.provider_id, SubjectAttribution.created_at).where(
        SubjectAttribution.subject_key == bindparam("key")
    )
    opted_rows = (opted.with_for_update(read=True) if lock else opted).cte("opted")
    return union_all(
        select(
            literal_column("0", Integer),
            lines.c.provider_id,
            lines.c.withheld,
            lines.c.noised_outcome,
            lines.c.noise,
            lines.c.n,
            none_day,
            none_at,
        ),
        select(
            literal_column("1", Integer),
            contacts.c.provider_id,
            none_flag,
            none_text,
            none_noise,
            none_count,
            contacts.c.contacted_on,
            none_at,
        ),
        select(
            literal_column("2", Integer),
            PeerAttestation.provider_id,
            none_flag,
            PeerAttestation.code,
            none_noise,
            none_count,
            none_day,
            none_at,
        ).where(
            PeerAttestation.subject_key == bindparam("key"),
            PeerAttestation.provider_id != bindparam("exclude"),
        ),
        select(
            literal_column("3", Integer),
            opted_rows.c.provider_id,
            none_flag,
            none_text,
            none_noise,
            none_count,
            none_day,
            opted_rows.c.created_at,
        ),
    )


_FIGURES = _figures(lock=False)
_FIGURES_LOCKED = _figures(lock=True)


@dataclass
class _Figures:
    """One subject's figures as `_FIGURES` returns them, sorted by kind."""

    lines: list[summary.Line] = field(default_factory=list)
    contacts: list[tuple[str, date]] = field(default_factory=list)
    attested: list[tuple[str, str]] = field(default_factory=list)  # (code, provider)
    opted: dict[str, datetime] = field(default_factory=dict)  # attribution opt-ins


def _read_figures(snap: Context, subject_key: str, as_of: datetime, *, lock: bool) -> _Figures:
    first, today = velocity.bounds(as_of)
    params = {"key": subject_key, "exclude": snap.actor.id, "since": first, "today": today}
    out = _Figures()
    rows = core(snap.graph).execute(_FIGURES_LOCKED if lock else _FIGURES, params)
    for tag, provider, flag, label, noise, count, day, at in rows:
        if tag == 0:
            out.lines.append(summary.Line(provider, bool(flag), label, noise, int(count)))
        elif tag == 1:
            out.contacts.append((provider, day))
        elif tag == 2:
            out.attested.append((label, provider))
        else:
            out.opted[provider] = at
    return out


@dataclass
class Snapshot:
    """Phase one's answer, with who stands behind it (for the re-check and the audit row)."""

    subject_key: str | None
    answer: GraphAnswer
    contributors: set[str] = field(default_factory=set)
    attributed: set[str] = field(default_factory=set)


def _degraded(
    ctx: Context,
    data: GraphQueryIn,
    *,
    kind: str = "query",
    network_scope: GraphScope | None = None,
    as_of: datetime | None = None,
) -> GraphAnswer:
    """Provider-local answer: the caller's own recorded outcomes, never a graph aggregate."""
    local: list[LocalOutcome] = []
    if data.prospect_id is not None:
        prospect_id = own_prospect(ctx, data.prospect_id)
        local = [
            LocalOutcome(
                outcome=t.outcome or "",
                outcome_version=t.outcome_version or 0,
                occurred_at=t.occurred_at,
            )
            for t in prospects.recorded_outcomes(session=ctx.tenant, prospect_id=prospect_id)
        ]
    return GraphAnswer(
        state="degraded",
        subject_key=None,
        min_contributors=ctx.settings.graph_min_contributors,
        degraded=True,
        local_outcomes=local,
        notices=["graph store unreachable: showing only your own records (degraded mode)"],
    )


@degrades(_degraded)
def query(
    ctx: Context,
    data: GraphQueryIn,
    *,
    kind: str = "query",
    network_scope: GraphScope | None = None,
    as_of: datetime | None = None,
) -> GraphAnswer:
    """Answer for one subject named by key or by the caller's prospect; audited. The network
    state is read for `network_scope` when given (else the query's own scope); velocity counts
    the days up to `as_of` (default now: an inbound passes its message's time)."""
    if (data.subject_key is None) == (data.prospect_id is None):
        raise NotFound("subject (give exactly one of subject_key or prospect_id)")
    if data.subject_key is not None:
        locked = _lock_subject(ctx, data.subject_key)
    else:  # the subject through the caller's link, if the prospect has one
        locked = _lock_subject(ctx, None, prospect_id=own_prospect(ctx, data.prospect_id or ""))
    if locked is None:  # not linked yet: link first, then the two phases
        snap = snapshot(ctx, data, network_scope=network_scope, as_of=as_of)
        return finish(ctx, snap, kind, data)
    return _locked(ctx, locked, data, kind, network_scope or data.scope, as_of)


def _locked(
    ctx: Context,
    locked: _Locked,
    data: GraphQueryIn,
    kind: str,
    network_scope: GraphScope,
    as_of: datetime | None,
) -> GraphAnswer:
    """One transaction, locks first (module docstring): the subject with the caller's link
    and consent (`locked`, one statement), then the figures (one statement, attribution
    opt-ins read FOR SHARE too), then the audit row (one statement on PostgreSQL when the
    chain's head has not moved since the first): three statements where each read used to be
    its own (ten, with the link's lookup)."""
    subject_key = locked.subject_key
    if locked.erased:
        result = Snapshot(subject_key, _sentinel(ctx, subject_key, "erased"))
    elif not (
        locked.query_consent
        if locked.query_consent is not None
        else consent.effective(ctx, lock=True).query
    ):
        raise ConsentRequired("graph query consent is off")
    else:
        result = _read(
            ctx,
            subject_key,
            data,
            network_scope,
            as_of,
            lock=True,
            consent_version=locked.consent_version,
        )
    return _audited(ctx, result, result.answer, kind, data, head=locked.audit_head)


@dataclass(frozen=True)
class _Locked:
    subject_key: str  # the key answered for (a merged key's survivor)
    erased: bool
    consent_version: tuple[int, str]  # the consent history's head, what `network.view` checks
    audit_head: tuple[int, str]  # the query audit chain's head, where the audit row should go
    query_consent: bool | None  # the caller's own choice, None when Org defaults decide


def _head_of(seq: Any, head: Any) -> tuple[int, str]:
    return (int(seq), str(head)) if seq is not None else (0, ledger.GENESIS)


def _lock_subject(
    ctx: Context, subject_key: str | None, *, prospect_id: str | None = None
) -> _Locked | None:
    """A subject the caller has a linked prospect for (named by key, or by the caller's
    prospect: None if that prospect has no link yet), read FOR SHARE with its opt-out, the
    caller's link, both chains' heads and the caller's own consent row (FOR SHARE too, so no
    revocation commits before this transaction ends) in one statement; a merged key answers
    as the key it was merged into; any other key is NotFound (no probing). The caller's query
    consent is decided here when their own row sets it (as `consent.effective` decides it:
    an own choice overrides every Org default), else left to `consent.effective`."""
    seen: set[str] = set()
    while True:
        if subject_key is None:
            params = {"prospect": prospect_id, "asker": ctx.actor.id}
            row = core(ctx.graph).execute(_SUBJECT_OF_PROSPECT, params).one_or_none()
            if row is None:
                return None
            subject_key = row.subject_key
        else:
            params = {"key": subject_key, "asker": ctx.actor.id}
            row = core(ctx.graph).execute(_SUBJECT, params).one_or_none()
            if row is None:
                raise NotFound("subject")
        status, merged_into, opted_out, linked, c_seq, c_head, a_seq, a_head, own, query = row[:10]
        if merged_into and merged_into not in seen:
            seen.add(subject_key)
            subject_key = merged_into
            continue
        if not linked:
            raise NotFound("subject")
        return _Locked(
            subject_key=subject_key,
            erased=status == SubjectStatus.TOMBSTONED or opted_out is not None,
            consent_version=_head_of(c_seq, c_head),
            audit_head=_head_of(a_seq, a_head),
            query_consent=bool(query) if own is not None and query is not None else None,
        )


def snapshot(
    ctx: Context,
    data: GraphQueryIn,
    *,
    network_scope: GraphScope | None = None,
    as_of: datetime | None = None,
) -> Snapshot:
    """Phase one: compute the answer from a short read of the graph (linking first if needed).

    Between this and `finish` an erasure or revocation may commit; `finish` catches it.
    """
    if (data.subject_key is None) == (data.prospect_id is None):
        raise NotFound("subject (give exactly one of subject_key or prospect_id)")
    subject_key: str | None = data.subject_key
    if data.prospect_id is not None:
        prospect_id = own_prospect(ctx, data.prospect_id)
        with _short_read(ctx) as snap:
            link = existing_link(snap.graph, ctx.actor.id, prospect_id)
            subject_key = link.subject_key if link else None
        if subject_key is None:
            if not consent.effective(ctx).query:
                raise ConsentRequired("graph query consent is off")
            try:
                subject_key = link_prospect(ctx, prospect_id)[0].subject_key
            except SubjectOptedOut:
                return Snapshot(None, _sentinel(ctx, None, "erased"))
    assert subject_key is not None
    with _short_read(ctx) as snap:
        if not consent.effective(snap).query:
            raise ConsentRequired("graph query consent is off")
        subject = own_subject(snap, subject_key)
        subject_key = subject.subject_key  # a merged key answers as its survivor
        if subject.status == SubjectStatus.TOMBSTONED:
            return Snapshot(subject_key, _sentinel(ctx, subject_key, "erased"))
        return _read(snap, subject_key, data, network_scope or data.scope, as_of)


@contextmanager
def _short_read(ctx: Context) -> Iterator[Context]:
    """A short separate read transaction, unless the caller's graph transaction has begun
    (then it must be reused: it may hold a link not committed yet, and on SQLite a second
    transaction would wait on this very one)."""
    if ctx.graph.in_transaction():
        yield ctx
        return
    bind = ctx.graph.get_bind().execution_options(**READ_ONLY)  # SQLite: no write lock
    with Session(bind=bind) as session, session.begin():
        yield ctx.with_graph(session)


def _read(
    snap: Context,
    subject_key: str,
    data: GraphQueryIn,
    network_scope: GraphScope,
    as_of: datetime | None,
    *,
    lock: bool = False,
    consent_version: tuple[int, str] | None = None,
) -> Snapshot:
    """Outcomes (shown from `graph_min_contributors` contributors), velocity and safety flags
    (each behind the same floor, `graph.masking`) for one subject.

    The contributions come grouped from SQL (`graph.summary`); who is in the network and who
    counts as a consented peer comes from one `network.view` (two cheap version reads while
    nothing changed), used for the network state, the scope, velocity and safety flags."""
    settings = snap.settings
    floor = settings.graph_min_contributors
    as_of = as_of or utcnow()
    figures = _read_figures(snap, subject_key, as_of, lock=lock)
    lines = figures.lines
    windows = velocity.by_window(figures.contacts, as_of=as_of)
    net = network.view(snap, consent_version=consent_version)
    in_scope: frozenset[str] | None = None
    if data.scope.category or data.scope.region:
        in_scope = net.in_scope(data.scope)[0]
        lines = [line for line in lines if line.provider_id in in_scope]
    contacted = set().union(*windows.values())
    allowed = net.consented & contacted
    if in_scope is not None:
        allowed &= in_scope
    answer = GraphAnswer(
        state="ok",
        subject_key=subject_key,
        min_contributors=floor,
        network=network.network_state(snap, network_scope, net),
    )
    answer.velocity, behind = velocity.velocity(windows, allowed, as_of=as_of, floor=floor)
    answer.safety_flags, attesters = _safety_flags(snap, figures.attested, net.consented)
    behind |= attesters
    contributors = {line.provider_id for line in lines}
    if len(contributors) < floor:
        answer.state = "insufficient_contributors"
        return Snapshot(subject_key, answer, behind)
    groups, withheld = summary.reports(lines)
    hist = summary.estimate(groups, withheld=withheld, confidence=settings.graph_confidence)
    attributed = consent.attributable_among(snap, figures.opted, contributors)
    names = identity.display_names(session=snap.tenant, person_ids=attributed)
    answer.contributors = len(contributors)
    answer.histogram = Histogram(
        counts=hist.counts,
        raw_counts=hist.raw,
        lower=hist.lower,
        upper=hist.upper,
        n_reports=hist.n_reports,
        withheld=hist.withheld,
        confidence=hist.confidence,
    )
    answer.fingerprint = fingerprint_of(hist)
    answer.attribution = [
        Attribution(provider_id=pid, display_name=names.get(pid, "")) for pid in sorted(attributed)
    ]
    if hist.widened:
        answer.budget_exhausted = True
        answer.notices.append(BUDGET_NOTICE.format(n=withheld))
    return Snapshot(subject_key, answer, contributors | behind, attributed)


def _band(hist: dp.HistogramEstimate, classes: tuple[str, ...]) -> Band:
    shown, lower, upper, raw = hist.share(classes)
    return Band(estimate=shown, lower=lower, upper=upper, raw=raw)


def fingerprint_of(hist: dp.HistogramEstimate) -> Fingerprint:
    """Share estimates with bands (all in [0, 1]) and a coarse profile read off the bands'
    lower edges."""
    booked = _band(hist, ("positive",))
    no_show = _band(hist, ("no_show",))
    not_booked = _band(hist, ("not_booked",))
    blocked = _band(hist, ("blocked",))
    unreliable = _band(hist, ("no_show", "not_booked"))
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
        not_booked_share=not_booked,
        blocked_share=blocked,
        profile=profile,  # type: ignore[arg-type]
    )


def _safety_flags(
    snap: Context, attested: list[tuple[str, str]], consented: frozenset[str]
) -> tuple[list[SafetyFlag], set[str]]:
    """Codes attested by at least `graph_min_contributors` distinct peers who currently
    contribute and have not revoked (`consented`; the caller never counts), and the peers
    behind them."""
    peers: dict[str, set[str]] = {}
    for code, provider_id in attested:
        if provider_id in consented:
            peers.setdefault(code, set()).add(provider_id)
    floor = snap.settings.graph_min_contributors
    shown = {c: p for c, p in sorted(peers.items()) if len(p) >= floor}
    flags = [SafetyFlag(code=c, peers=len(p)) for c, p in shown.items()]
    return flags, set().union(*shown.values()) if shown else set()


def _sentinel(ctx: Context, subject_key: str | None, reason: str) -> GraphAnswer:
    return GraphAnswer(
        state="subject_opted_out",
        subject_key=subject_key,
        sentinel_reason=reason,  # type: ignore[arg-type]
        min_contributors=ctx.settings.graph_min_contributors,
    )


def _recheck(ctx: Context, result: Snapshot) -> str | None:
    """Fresh read in the edge transaction: `erased`, `consent_revoked`, or None if unchanged.

    Each row read FOR SHARE (PostgreSQL; SQLite writers are serialised by BEGIN IMMEDIATE) is
    the very row the decision is made on: the subject with its opt-out (one statement), the
    asker's own consent row, the subject's attribution rows. Nothing here comes from a cache."""
    graph, key = ctx.graph, result.subject_key
    assert key is not None  # a sentinel without a key is never re-checked
    opted_out = (
        select(SubjectOptOut.id).where(SubjectOptOut.subject_key == key).limit(1).scalar_subquery()
    )
    subject = graph.execute(
        select(SubjectKey.status, opted_out)
        .where(SubjectKey.subject_key == key)
        .with_for_update(read=True, of=SubjectKey)
    ).one_or_none()
    if subject is None or subject[0] == SubjectStatus.TOMBSTONED or subject[1] is not None:
        return "erased"
    if not consent.effective(ctx, lock=True).query:
        return "consent_revoked"
    if result.attributed and not result.attributed <= consent.attributable(
        ctx, key, result.attributed, lock=True
    ):
        return "consent_revoked"
    return None


def finish(ctx: Context, result: Snapshot, kind: str, data: GraphQueryIn) -> GraphAnswer:
    """Phase two, in the caller's graph transaction: re-read erasure and consent (fresh, under
    share locks), turn anything erased or revoked since the snapshot into the sentinel, and
    write the audit row both sides can read."""
    answer = result.answer
    if answer.state != "subject_opted_out":
        reason = _recheck(ctx, result)
        if reason is not None:
            answer = _sentinel(ctx, result.subject_key, reason)
    return _audited(ctx, result, answer, kind, data)


def _audited(
    ctx: Context,
    result: Snapshot,
    answer: GraphAnswer,
    kind: str,
    data: GraphQueryIn,
    *,
    head: tuple[int, str] | None = None,
) -> GraphAnswer:
    """Write the audit row both sides can read (in the caller's graph transaction), after
    `head` if the audit chain's head is still there (else after the head read again)."""
    contributors: set[str] = set()
    if answer.state in ("ok", "insufficient_contributors"):
        contributors = result.contributors  # behind what was shown (velocity, flags)
    row = audit.record(
        ctx.graph,
        consumer_id=ctx.actor.id,
        subject_key=answer.subject_key,
        kind=kind,
        scope=data.scope.model_dump(),
        result_state=answer.sentinel_reason or answer.state,
        contributor_ids=contributors,
        head=head,
    )
    answer.audit_id = row.id
    return answer
