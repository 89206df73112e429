"""Subject keys: bind a prospect's hash chain to an opaque key by Fellegi-Sunter linkage.

Only keyed digests from the tenant's stored hash chain reach this module; raw identifiers never
do. A digest on the blocked list (from a DSR opt-out) refuses the link outright. Linking is
serialized by a transaction-scoped advisory lock on PostgreSQL (SQLite already serializes
writers with BEGIN IMMEDIATE), so concurrent first contributions cannot mint two keys.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from prospecting.errors import ConsentRequired, NotFound, SubjectOptedOut
from prospecting.graph import consent, lineage, linkage
from prospecting.graph.local import chain_of, own_prospect
from prospecting.graph.models import (
    BlockedDigest,
    ProspectLink,
    SubjectBudget,
    SubjectDimension,
    SubjectKey,
    SubjectStatus,
)
from prospecting.graph.schemas import LinkOut
from prospecting.resolver.keys import STRONG_DIMENSIONS, Digest
from prospecting.runtime import Context

LINK_LOCK_ID = 0x70726F73  # "pros": one advisory lock for all linking


@dataclass(frozen=True)
class Candidate:
    subject_key: str
    result: linkage.LinkResult
    agreeing: frozenset[str]


def existing_link(graph: Session, provider_id: str, prospect_id: str) -> ProspectLink | None:
    return graph.scalar(
        select(ProspectLink).where(
            ProspectLink.provider_id == provider_id, ProspectLink.prospect_id == prospect_id
        )
    )


def is_blocked(graph: Session, chain: list[Digest]) -> bool:
    strong = [(d.dimension, d.key_id, d.value) for d in chain if d.dimension in STRONG_DIMENSIONS]
    if not strong:
        return False
    wanted = set(strong)
    rows = graph.execute(
        select(BlockedDigest.dimension, BlockedDigest.key_id, BlockedDigest.digest).where(
            BlockedDigest.digest.in_(sorted({value for _, _, value in wanted}))
        )
    )
    return any((dim, key_id, digest) in wanted for dim, key_id, digest in rows)


def candidates(graph: Session, chain: list[Digest]) -> list[Candidate]:
    """Active subjects sharing a strong digest with the chain, scored best first (a subject
    sharing only a name is no candidate: a name alone must not move anything returned)."""
    wanted = {(d.dimension, d.key_id, d.value) for d in chain}
    if not wanted:
        return []
    hits = graph.execute(
        select(
            SubjectDimension.subject_key,
            SubjectDimension.dimension,
            SubjectDimension.key_id,
            SubjectDimension.digest,
        )
        .join(SubjectKey, SubjectKey.subject_key == SubjectDimension.subject_key)
        .where(
            SubjectDimension.digest.in_(sorted({value for _, _, value in wanted})),
            SubjectKey.status == SubjectStatus.ACTIVE,
        )
    ).all()
    agreeing: dict[str, set[str]] = defaultdict(set)
    for subject_key, dimension, key_id, digest in hits:
        if (dimension, key_id, digest) in wanted:
            agreeing[subject_key].add(dimension)
    agreeing = defaultdict(set, {k: v for k, v in agreeing.items() if v & STRONG_DIMENSIONS})
    if not agreeing:
        return []
    key_id = chain[0].key_id
    present: dict[str, set[str]] = defaultdict(set)
    reports: dict[tuple[str, str], int] = {}
    for subject_key, dimension, count in graph.execute(
        select(
            SubjectDimension.subject_key,
            SubjectDimension.dimension,
            SubjectDimension.collision_reports,
        ).where(SubjectDimension.subject_key.in_(agreeing), SubjectDimension.key_id == key_id)
    ):
        present[subject_key].add(dimension)
        reports[(subject_key, dimension)] = max(reports.get((subject_key, dimension), 0), count)
    mine = {d.dimension for d in chain}
    found = []
    for subject_key, agree in agreeing.items():
        result = score(subject_key, agree, mine, present[subject_key], reports)
        found.append(Candidate(subject_key, result, frozenset(agree)))
    found.sort(key=lambda c: (-c.result.confidence, c.subject_key))
    return found


def score(
    subject_key: str,
    agree: set[str],
    mine: set[str],
    present: set[str],
    reports: dict[tuple[str, str], int],
) -> linkage.LinkResult:
    """Score one candidate: the dimensions both sides carry, the agreeing ones, and the
    subject's collision reports (`reports` keyed by (subject, dimension)) as down-weights."""
    weights = {
        dim: linkage.collision_downweight(n)
        for (key, dim), n in reports.items()
        if key == subject_key and n
    }
    return linkage.link_score(agree, (present & mine) | agree, downweights=weights)


def new_subject(ctx: Context, *, split_from: str | None = None) -> SubjectKey:
    subject = SubjectKey(split_from=split_from)
    ctx.graph.add(subject)
    ctx.graph.flush()
    ctx.graph.add(
        SubjectBudget(
            subject_key=subject.subject_key,
            limit_units=ctx.settings.graph_subject_budget_units,
            spent_units=0,
        )
    )
    return subject


def bind_digests(graph: Session, subject_key: str, chain: list[Digest]) -> None:
    """Add the chain's digests the subject does not hold yet."""
    have: set[tuple[str, str, str]] = set(
        graph.execute(
            select(
                SubjectDimension.dimension, SubjectDimension.key_id, SubjectDimension.digest
            ).where(SubjectDimension.subject_key == subject_key)
        ).all()
    )
    for d in chain:
        if (d.dimension, d.key_id, d.value) not in have:
            have.add((d.dimension, d.key_id, d.value))
            graph.add(
                SubjectDimension(
                    subject_key=subject_key, dimension=d.dimension, key_id=d.key_id, digest=d.value
                )
            )


def lock_linking(graph: Session) -> None:
    if graph.get_bind().dialect.name == "postgresql":
        graph.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": LINK_LOCK_ID})


def link_prospect(ctx: Context, prospect_id: str) -> tuple[ProspectLink, bool]:
    """Link one of the caller's prospects (idempotent); returns the link and whether it is new.

    Raises SubjectOptedOut when the chain carries a blocked digest or the subject is tombstoned.
    """
    prospect_id = own_prospect(ctx, prospect_id)
    link = existing_link(ctx.graph, ctx.actor.id, prospect_id)
    if link is None:
        if not consent.may_link(ctx, prospect_id):
            raise ConsentRequired("turn on graph query or contribution consent to link prospects")
        lock_linking(ctx.graph)
        link = existing_link(ctx.graph, ctx.actor.id, prospect_id)
    if link is not None:
        subject = ctx.graph.get(SubjectKey, link.subject_key)
        if subject is None or subject.status == SubjectStatus.TOMBSTONED:
            raise SubjectOptedOut("this subject opted out of the graph")
        return link, False
    chain = chain_of(ctx, prospect_id)
    if not chain:  # e.g. only a phone that failed validation, which is kept but never hashed
        raise NotFound(
            "hash chain for this prospect",
            hint="the graph links on a valid phone or an email; this prospect has neither "
            "(a phone that failed validation is kept unhashed, flagged phone_unverified), so "
            "it stays local",
        )
    if is_blocked(ctx.graph, chain):
        raise SubjectOptedOut("this subject opted out of the graph")
    found = candidates(ctx.graph, chain)
    best = found[0] if found else None
    linked = [c for c in found if linkage.decide(c.result)]
    if linked:
        best = linked[0]
        subject_key, confidence = best.subject_key, best.result.confidence
        matched = sorted(best.agreeing & best.result.scored) or sorted(best.agreeing)
        created = False
        for other in linked[1:]:  # anchored on both: this contact shows they are one person
            if best.result.anchored and other.result.anchored:
                lineage.merge(
                    ctx,
                    survivor=subject_key,
                    absorbed=other.subject_key,
                    bridge=(ctx.actor.id, prospect_id),
                )
    else:
        subject_key = new_subject(ctx).subject_key
        confidence = 1.0 - (best.result.confidence if best else 0.0)
        matched, created = [], True
    bind_digests(ctx.graph, subject_key, chain)
    link = ProspectLink(
        provider_id=ctx.actor.id,
        prospect_id=prospect_id,
        subject_key=subject_key,
        confidence=round(confidence, 6),
        matched_on=matched,
        chain=[[d.dimension, d.key_id, d.value] for d in chain],
    )
    ctx.graph.add(link)
    ctx.graph.flush()
    return link, created


def link_out(link: ProspectLink, created: bool) -> LinkOut:
    return LinkOut(
        prospect_id=link.prospect_id,
        subject_key=link.subject_key,
        confidence=link.confidence,
        created_subject=created,
        matched_on=list(link.matched_on),
    )


def own_subject(ctx: Context, subject_key: str) -> SubjectKey:
    """A subject the caller has a linked prospect for (a merged key answers as the key it was
    merged into); any other key is NotFound (no probing)."""
    subject_key = lineage.root_of(ctx, subject_key)
    linked = ctx.graph.scalar(
        select(ProspectLink.id).where(
            ProspectLink.provider_id == ctx.actor.id, ProspectLink.subject_key == subject_key
        )
    )
    subject = ctx.graph.get(SubjectKey, subject_key) if linked else None
    if subject is None:
        raise NotFound("subject")
    return subject
