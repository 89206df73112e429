"""The corrections lens: collisions down-weight and eventually split a key; mislabels supersede.

A collision report ("not the same person") from a provider counts once per (subject,
dimension) since that key's last split. Each distinct reporter trims that dimension's agreement
weight for the subject gently (`linkage.collision_downweight`: one or two reports do not stop a
phone-only link); at SPLIT_REPORTERS distinct reporters since the last split the key splits and
a `split` correction marks the point from which reports count again.

"Not that person" does not mean the reporters saw the same person: each reporter's prospect is
re-linked separately, to a fresh key of its own, unless its digests match another moved
prospect's under `linkage.decide` with the collided dimension weighing nothing. Live
contributions are replayed into the new key (same noised values, no new noise) and superseded
under the old one (`graph.lineage.replay`), except those of revoked Persons, which stay where
they were and are never replayed. The new key's budget is charged for the replayed spend,
capped at its limit.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select, update

from prospecting.errors import InvalidInput, NotFound
from prospecting.graph import contribute, lineage, linkage
from prospecting.graph.local import own_prospect
from prospecting.graph.models import (
    Correction,
    ProspectLink,
    SubjectDimension,
)
from prospecting.graph.schemas import (
    CollisionIn,
    CollisionOut,
    ContributionIn,
    ContributionOut,
    MislabelIn,
)
from prospecting.graph.subjects import bind_digests, existing_link, new_subject
from prospecting.resolver.keys import EMAIL, NAME, NAME_EMAIL, NAME_PHONE, PHONE, Digest
from prospecting.runtime import Context

SPLIT_REPORTERS = linkage.COLLISION_SPLIT_REPORTERS
DIMENSION_ORDER = (PHONE, EMAIL, NAME_PHONE, NAME_EMAIL, NAME)


def report_collision(ctx: Context, data: CollisionIn) -> CollisionOut:
    prospect_id = own_prospect(ctx, data.prospect_id)
    link = existing_link(ctx.graph, ctx.actor.id, prospect_id)
    if link is None:
        raise NotFound("graph link for this prospect")
    matched = [d for d in DIMENSION_ORDER if d in link.matched_on]
    dimension = data.dimension or (matched[0] if matched else None)
    if dimension is None:
        raise InvalidInput(
            "prospect_id", "this prospect founded its subject key; nothing to separate"
        )
    subject_key = link.subject_key
    seen = ctx.graph.scalar(
        select(Correction.id).where(
            Correction.kind == "collision",
            Correction.provider_id == ctx.actor.id,
            Correction.subject_key == subject_key,
            Correction.dimension == dimension,
            *_since_split(ctx, subject_key),
        )
    )
    if seen is None:
        ctx.graph.add(
            Correction(
                kind="collision",
                provider_id=ctx.actor.id,
                prospect_id=prospect_id,
                subject_key=subject_key,
                dimension=dimension,
            )
        )
        ctx.graph.flush()
    reporters = _reporters(ctx, subject_key, dimension)
    ctx.graph.execute(
        update(SubjectDimension)
        .where(SubjectDimension.subject_key == subject_key, SubjectDimension.dimension == dimension)
        .values(collision_reports=len(reporters))
    )
    new_key = None
    if len(reporters) >= SPLIT_REPORTERS:
        new_keys = split(ctx, subject_key, dimension, reporters)
        new_key = new_keys[(ctx.actor.id, prospect_id)]
        ctx.graph.add(
            Correction(
                kind="split",
                provider_id=ctx.actor.id,
                prospect_id=prospect_id,
                subject_key=subject_key,
                dimension=dimension,
                detail={"new_subject_keys": sorted(set(new_keys.values()))},
            )
        )
        ctx.graph.execute(
            update(SubjectDimension)
            .where(
                SubjectDimension.subject_key == subject_key,
                SubjectDimension.dimension == dimension,
            )
            .values(collision_reports=0)
        )
        ctx.graph.flush()
    return CollisionOut(
        subject_key=subject_key,
        dimension=dimension,
        distinct_reporters=len(reporters),
        split=new_key is not None,
        new_subject_key=new_key,
    )


def _since_split(ctx: Context, subject_key: str) -> list[ColumnElement[bool]]:
    """Conditions keeping only corrections made after the key's last split (if any)."""
    last = ctx.graph.scalar(
        select(func.max(Correction.created_at)).where(
            Correction.kind == "split", Correction.subject_key == subject_key
        )
    )
    return [] if last is None else [Correction.created_at > last]


def _reporters(ctx: Context, subject_key: str, dimension: str) -> dict[str, list[str]]:
    """Distinct collision reporters (with their prospects) since the key's last split."""
    rows = ctx.graph.execute(
        select(Correction.provider_id, Correction.prospect_id).where(
            Correction.kind == "collision",
            Correction.subject_key == subject_key,
            Correction.dimension == dimension,
            *_since_split(ctx, subject_key),
        )
    ).all()
    out: dict[str, list[str]] = {}
    for provider_id, prospect_id in rows:
        out.setdefault(provider_id, []).append(prospect_id)
    return out


def split(
    ctx: Context, subject_key: str, dimension: str, reporters: dict[str, list[str]]
) -> dict[tuple[str, str], str]:
    """Re-link each reporter's prospect to a new key; returns (provider, prospect) -> new key."""
    moved = [
        link
        for link in ctx.graph.scalars(
            select(ProspectLink).where(
                ProspectLink.subject_key == subject_key, ProspectLink.provider_id.in_(reporters)
            )
        )
        if link.prospect_id in reporters[link.provider_id]
    ]
    groups: list[tuple[str, list[list[list[str]]]]] = []  # (new key, chains placed on it)
    out: dict[tuple[str, str], str] = {}
    for link in sorted(moved, key=lambda m: (m.created_at, m.id)):
        target = next(
            (key for key, chains in groups if _same_person(link.chain, chains, dimension)), None
        )
        if target is None:
            target = new_subject(ctx, split_from=subject_key).subject_key
            ctx.graph.flush()
            groups.append((target, []))
        next(chains for key, chains in groups if key == target).append(link.chain)
        out[(link.provider_id, link.prospect_id)] = target
        link.subject_key = target
        link.matched_on = []
        _bind(ctx, target, link.chain)
        rows = lineage.live_rows(ctx, subject_key, pairs=[(link.provider_id, link.prospect_id)])
        lineage.replay(ctx, rows, target=target, reason="split")
        lineage.move_contacts(ctx, link.provider_id, link.prospect_id, target=target)
    ctx.graph.flush()
    _rebuild_dimensions(ctx, subject_key)
    return out


def _same_person(chain: list[list[str]], placed: list[list[list[str]]], dimension: str) -> bool:
    """Whether `chain` links to any chain already on a new key, ignoring the collided dimension."""
    mine = {(d, k): v for d, k, v in chain}
    for other in placed:
        theirs = {(d, k): v for d, k, v in other}
        shared = mine.keys() & theirs.keys()
        if not shared:
            continue
        compared = {d for d, _ in shared}
        agreeing = {d for d, k in shared if mine[(d, k)] == theirs[(d, k)]}
        result = linkage.link_score(agreeing, compared, downweights={dimension: 0.0})
        if linkage.decide(result):
            return True
    return False


def _bind(ctx: Context, subject_key: str, chain: list[list[str]]) -> None:
    bind_digests(ctx.graph, subject_key, [Digest(d, "", k, v) for d, k, v in chain])
    ctx.graph.flush()


def _rebuild_dimensions(ctx: Context, subject_key: str) -> None:
    """The old key keeps only digests some remaining link still carries."""
    keep = {
        (d, k, v)
        for chain in ctx.graph.scalars(
            select(ProspectLink.chain).where(ProspectLink.subject_key == subject_key)
        )
        for d, k, v in chain
    }
    for row in ctx.graph.scalars(
        select(SubjectDimension).where(SubjectDimension.subject_key == subject_key)
    ):
        if (row.dimension, row.key_id, row.digest) not in keep:
            ctx.graph.delete(row)
    ctx.graph.flush()


def correct_outcome(ctx: Context, data: MislabelIn) -> ContributionOut:
    """Contribute the corrected outcome as the next version; the live rows follow it."""
    prospect_id = own_prospect(ctx, data.prospect_id)
    version = contribute.next_version(ctx, prospect_id)
    out = contribute.contribute(
        ctx,
        ContributionIn(
            prospect_id=prospect_id,
            outcome=data.outcome,
            outcome_version=version,
        ),
    )
    ctx.graph.add(
        Correction(
            kind="mislabel",
            provider_id=ctx.actor.id,
            prospect_id=prospect_id,
            subject_key=out.subject_key,
            dimension=None,
            detail={"outcome_version": version},
        )
    )
    ctx.graph.flush()
    return out
