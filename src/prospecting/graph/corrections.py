"""The corrections lens: collisions down-weight and eventually split a key; mislabels supersede.

A collision report ("not the same person") from a provider counts once per (subject,
dimension). Each distinct reporter halves that dimension's agreement weight for the subject
(`linkage.collision_downweight`); at SPLIT_REPORTERS distinct reporters the reporters' prospects
move to a new key. Their live contributions are replayed into the new key (same noised values,
no new noise) and superseded under the old one, except those of revoked Persons, which stay
where they were and are never replayed.
"""

from __future__ import annotations

from sqlalchemy import select, update

from prospecting.errors import InvalidInput, NotFound
from prospecting.graph import consent, contribute
from prospecting.graph.context import GraphContext
from prospecting.graph.models import (
    Contribution,
    Correction,
    ProspectLink,
    SubjectBudget,
    SubjectDimension,
    Supersession,
)
from prospecting.graph.schemas import (
    CollisionIn,
    CollisionOut,
    ContributionIn,
    ContributionOut,
    MislabelIn,
)
from prospecting.graph.subjects import bind_digests, existing_link, new_subject, own_prospect
from prospecting.resolver.keys import EMAIL, NAME, NAME_EMAIL, NAME_PHONE, PHONE, Digest

SPLIT_REPORTERS = 3
DIMENSION_ORDER = (PHONE, EMAIL, NAME_PHONE, NAME_EMAIL, NAME)


def report_collision(ctx: GraphContext, data: CollisionIn) -> CollisionOut:
    prospect = own_prospect(ctx, data.prospect_id)
    link = existing_link(ctx.graph, ctx.actor.id, prospect.id)
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
        )
    )
    if seen is None:
        ctx.graph.add(
            Correction(
                kind="collision",
                provider_id=ctx.actor.id,
                prospect_id=prospect.id,
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
        new_key = split(ctx, subject_key, dimension, reporters)
    return CollisionOut(
        subject_key=subject_key,
        dimension=dimension,
        distinct_reporters=len(reporters),
        split=new_key is not None,
        new_subject_key=new_key,
    )


def _reporters(ctx: GraphContext, subject_key: str, dimension: str) -> dict[str, list[str]]:
    rows = ctx.graph.execute(
        select(Correction.provider_id, Correction.prospect_id).where(
            Correction.kind == "collision",
            Correction.subject_key == subject_key,
            Correction.dimension == dimension,
        )
    ).all()
    out: dict[str, list[str]] = {}
    for provider_id, prospect_id in rows:
        out.setdefault(provider_id, []).append(prospect_id)
    return out


def split(
    ctx: GraphContext, subject_key: str, dimension: str, reporters: dict[str, list[str]]
) -> str:
    """Move the reporters' links to a new key; returns the new key."""
    fresh = new_subject(ctx, split_from=subject_key)
    moved = [
        link
        for link in ctx.graph.scalars(
            select(ProspectLink).where(
                ProspectLink.subject_key == subject_key, ProspectLink.provider_id.in_(reporters)
            )
        )
        if link.prospect_id in reporters[link.provider_id]
    ]
    states = consent.effective_many(ctx.tenant, ctx.graph, {link.provider_id for link in moved})
    budget = ctx.graph.get(SubjectBudget, fresh.subject_key)
    for link in moved:
        link.subject_key = fresh.subject_key
        link.matched_on = []
        _bind(ctx, fresh.subject_key, link.chain)
        if states[link.provider_id].revoked:
            continue
        for row in _live_rows(ctx, subject_key, link.provider_id, link.prospect_id):
            copy = Contribution(
                provider_id=row.provider_id,
                prospect_id=row.prospect_id,
                outcome_version=row.outcome_version,
                generation=row.generation + 1,
                subject_key=fresh.subject_key,
                noised_outcome=row.noised_outcome,
                outcome_noise=row.outcome_noise,
                noised_days=row.noised_days,
                days_noise=row.days_noise,
                epsilon_units=row.epsilon_units,
                withheld=row.withheld,
                fingerprint=row.fingerprint,
            )
            ctx.graph.add(copy)
            ctx.graph.flush()
            ctx.graph.add(
                Supersession(
                    subject_key=subject_key,
                    superseded_id=row.id,
                    superseding_id=copy.id,
                    reason="split",
                )
            )
            if budget is not None:
                budget.spent_units += row.epsilon_units
    ctx.graph.flush()
    _rebuild_dimensions(ctx, subject_key)
    return fresh.subject_key


def _live_rows(
    ctx: GraphContext, subject_key: str, provider_id: str, prospect_id: str
) -> list[Contribution]:
    superseded = select(Supersession.superseded_id).where(Supersession.subject_key == subject_key)
    return list(
        ctx.graph.scalars(
            select(Contribution).where(
                Contribution.subject_key == subject_key,
                Contribution.provider_id == provider_id,
                Contribution.prospect_id == prospect_id,
                Contribution.id.not_in(superseded),
            )
        )
    )


def _bind(ctx: GraphContext, subject_key: str, chain: list[list[str]]) -> None:
    bind_digests(ctx.graph, subject_key, [Digest(d, "", k, v) for d, k, v in chain])
    ctx.graph.flush()


def _rebuild_dimensions(ctx: GraphContext, subject_key: str) -> None:
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


def correct_outcome(ctx: GraphContext, data: MislabelIn) -> ContributionOut:
    """Contribute the corrected outcome as the next version; velocity follows the live rows."""
    prospect = own_prospect(ctx, data.prospect_id)
    version = contribute.next_version(ctx, prospect.id)
    out = contribute.contribute(
        ctx,
        ContributionIn(
            prospect_id=prospect.id,
            outcome=data.outcome,
            outcome_version=version,
            days_to_outcome=data.days_to_outcome,
        ),
    )
    ctx.graph.add(
        Correction(
            kind="mislabel",
            provider_id=ctx.actor.id,
            prospect_id=prospect.id,
            subject_key=out.subject_key,
            dimension=None,
            detail={"outcome_version": version},
        )
    )
    ctx.graph.flush()
    return out
