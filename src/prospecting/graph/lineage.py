"""Moving a person's graph history between subject keys: the replay a split or a merge needs.

Contribution rows are append-only, so history never moves in place: a live row is *replayed*
(copied with the same noised values, no new noise, `generation + 1`) under the target key and
superseded under its old key. Rows of a Person whose consent is revoked are never replayed
(they stay where they were). The target key's budget is charged for the replayed spend,
capped at its limit.

A *merge* happens when one contact carries strong digests anchored on two keys (a phone seen at
one provider, an email at another): the two keys were one person all along. The absorbed key
is marked `merged` with `merged_into`; its links, digests, contacts, attestations and
attributions move to the survivor, its live contributions are replayed there, and its spent
budget is added to the survivor's (capped), so the person has one budget again. Erasing the
survivor erases the absorbed key's rows too (`graph.optout`).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select, update

from prospecting.graph import consent
from prospecting.graph.models import (
    Contribution,
    Correction,
    PeerAttestation,
    ProspectLink,
    SubjectAttribution,
    SubjectBudget,
    SubjectContact,
    SubjectDimension,
    SubjectKey,
    SubjectStatus,
    Supersession,
)
from prospecting.runtime import Context


def live_rows(
    ctx: Context, subject_key: str, *, pairs: Iterable[tuple[str, str]] | None = None
) -> list[Contribution]:
    """The key's contributions not superseded, optionally only these (provider, prospect)."""
    superseded = select(Supersession.superseded_id).where(Supersession.subject_key == subject_key)
    rows = ctx.graph.scalars(
        select(Contribution).where(
            Contribution.subject_key == subject_key, Contribution.id.not_in(superseded)
        )
    )
    if pairs is None:
        return list(rows)
    wanted = set(pairs)
    return [r for r in rows if (r.provider_id, r.prospect_id) in wanted]


def replay(ctx: Context, rows: Iterable[Contribution], *, target: str, reason: str) -> int:
    """Copy each row under `target` and supersede the original (see the module doc); rows of
    revoked Persons, or made before their latest revocation, stay. Returns how many moved."""
    todo = list(rows)
    states = consent.effective_many(ctx.tenant, ctx.graph, {r.provider_id for r in todo})
    budget = ctx.graph.get(SubjectBudget, target)
    moved = 0
    for row in todo:
        state = states[row.provider_id]
        if state.revoked or consent.before_revocation(row.created_at, state):
            continue  # revoked once: never replayed, even after re-consent
        copy = Contribution(
            provider_id=row.provider_id,
            prospect_id=row.prospect_id,
            outcome_version=row.outcome_version,
            generation=row.generation + 1,
            subject_key=target,
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
                subject_key=row.subject_key,
                superseded_id=row.id,
                superseding_id=copy.id,
                reason=reason,
            )
        )
        if budget is not None and reason != "merge":  # a merge adds the whole budget instead
            budget.spent_units = min(budget.limit_units, budget.spent_units + row.epsilon_units)
        moved += 1
    ctx.graph.flush()
    return moved


def move_contacts(ctx: Context, provider_id: str, prospect_id: str, *, target: str) -> None:
    """A re-linked prospect's contact days go with it."""
    ctx.graph.execute(
        update(SubjectContact)
        .where(SubjectContact.provider_id == provider_id, SubjectContact.prospect_id == prospect_id)
        .values(subject_key=target)
    )


def root_of(ctx: Context, subject_key: str) -> str:
    """The key a merged key lives on in (itself when never merged)."""
    seen = {subject_key}
    current = ctx.graph.get(SubjectKey, subject_key)
    while current is not None and current.merged_into and current.merged_into not in seen:
        seen.add(current.merged_into)
        current = ctx.graph.get(SubjectKey, current.merged_into)
    return current.subject_key if current is not None else subject_key


def merged_into(ctx: Context, subject_key: str) -> list[str]:
    """Every key merged (directly or not) into this one."""
    found: list[str] = []
    frontier = [subject_key]
    while frontier:
        children = list(
            ctx.graph.scalars(
                select(SubjectKey.subject_key).where(SubjectKey.merged_into.in_(frontier))
            )
        )
        children = [c for c in children if c not in found and c != subject_key]
        found.extend(children)
        frontier = children
    return found


def merge(ctx: Context, *, survivor: str, absorbed: str, bridge: tuple[str, str]) -> None:
    """Fold `absorbed` into `survivor` (module doc); `bridge` is the (provider, prospect) whose
    contact showed they are one person, recorded as a `merge` correction."""
    graph = ctx.graph
    key = graph.get(SubjectKey, absorbed, with_for_update=True)
    if key is None or key.status != SubjectStatus.ACTIVE or absorbed == survivor:
        return
    replay(ctx, live_rows(ctx, absorbed), target=survivor, reason="merge")
    _fold_budget(ctx, survivor=survivor, absorbed=absorbed)
    _move_dimensions(ctx, survivor=survivor, absorbed=absorbed)
    for model in (ProspectLink, SubjectContact):
        graph.execute(
            update(model).where(model.subject_key == absorbed).values(subject_key=survivor)
        )
    _move_unique(ctx, PeerAttestation, survivor, absorbed, ("provider_id", "code"))
    _move_unique(ctx, SubjectAttribution, survivor, absorbed, ("provider_id",))
    key.status, key.merged_into = SubjectStatus.MERGED, survivor
    provider_id, prospect_id = bridge
    graph.add(
        Correction(
            kind="merge",
            provider_id=provider_id,
            prospect_id=prospect_id,
            subject_key=survivor,
            dimension=None,
            detail={"merged": absorbed},
        )
    )
    graph.flush()


def _fold_budget(ctx: Context, *, survivor: str, absorbed: str) -> None:
    kept = ctx.graph.get(SubjectBudget, survivor, with_for_update=True)
    gone = ctx.graph.get(SubjectBudget, absorbed, with_for_update=True)
    if kept is None or gone is None:
        return
    kept.spent_units = min(kept.limit_units, kept.spent_units + gone.spent_units)
    kept.withheld += gone.withheld


def _move_dimensions(ctx: Context, *, survivor: str, absorbed: str) -> None:
    have = {
        (row.dimension, row.key_id, row.digest): row
        for row in ctx.graph.scalars(
            select(SubjectDimension).where(SubjectDimension.subject_key == survivor)
        )
    }
    for row in ctx.graph.scalars(
        select(SubjectDimension).where(SubjectDimension.subject_key == absorbed)
    ):
        ident = (row.dimension, row.key_id, row.digest)
        if ident in have:
            have[ident].collision_reports = max(
                have[ident].collision_reports, row.collision_reports
            )
            continue
        ctx.graph.add(
            SubjectDimension(
                subject_key=survivor,
                dimension=row.dimension,
                key_id=row.key_id,
                digest=row.digest,
                collision_reports=row.collision_reports,
            )
        )
    ctx.graph.flush()


def _move_unique(
    ctx: Context,
    model: type[PeerAttestation | SubjectAttribution],
    survivor: str,
    absorbed: str,
    identity: tuple[str, ...],
) -> None:
    """Re-point rows to the survivor; a row the survivor already has is dropped."""
    have = {
        tuple(getattr(row, name) for name in identity)
        for row in ctx.graph.scalars(select(model).where(model.subject_key == survivor))
    }
    rows: list[PeerAttestation | SubjectAttribution] = list(
        ctx.graph.scalars(select(model).where(model.subject_key == absorbed))
    )
    for row in rows:
        if tuple(getattr(row, name) for name in identity) in have:
            ctx.graph.execute(delete(model).where(model.id == row.id))
        else:
            row.subject_key = survivor
    ctx.graph.flush()
