"""Subject opt-out (DSR erasure): tombstone the key, purge its contributions, block its hashes.

Erased from every surface: contributions (also the person's rows under parent keys a split
replayed into this key, and every row under keys merged into it), supersessions, dimensions,
contact days, attributions, attestations, corrections, the privacy-budget row and link chains.
A merged key names its survivor: the opt-out applies to the person, so to the survivor and
every key merged into it. The graph-derived features of tenant qualifications of
every prospect linked to the key are stripped by the erasure workflow, which calls this first.
The linking lock is held throughout, so a concurrent link cannot bind to the dying subject.

Guarded rows (contributions, supersessions, contact days, budgets, link chains) may be deleted
or emptied only while an open `ErasureGrant` covers them: this path opens one grant per erased
key (and one per lineage row), deletes, appends a chained `erasure` audit row (the opt-out id
and the counts removed, no PII) and consumes every grant before the transaction commits; the
triggers refuse a grant inserted consumed, reopened or deleted. Idempotent on request id.
"""

from __future__ import annotations

from sqlalchemy import delete, func, or_, select, tuple_, update
from sqlalchemy.orm import Session

from prospecting.db import utcnow
from prospecting.errors import Conflict, NotFound
from prospecting.graph import audit, lineage
from prospecting.graph.models import (
    BlockedDigest,
    Contribution,
    Correction,
    ErasureGrant,
    PeerAttestation,
    ProspectLink,
    SubjectAttribution,
    SubjectBudget,
    SubjectContact,
    SubjectDimension,
    SubjectKey,
    SubjectOptOut,
    SubjectStatus,
    Supersession,
)
from prospecting.graph.schemas import OptOutIn, OptOutOut
from prospecting.graph.subjects import lock_linking
from prospecting.identity.models import Role
from prospecting.identity.service import require_role
from prospecting.resolver.keys import STRONG_DIMENSIONS
from prospecting.runtime import Context


def subject_opt_out(ctx: Context, data: OptOutIn) -> OptOutOut:
    """Privacy officers only; a replayed request id returns the first result."""
    require_role(ctx.actor, Role.PRIVACY_OFFICER)
    prov = data.provenance
    first = ctx.graph.scalar(
        select(SubjectOptOut).where(SubjectOptOut.request_id == prov.request_id)
    )
    if first is not None:
        if first.subject_key not in (data.subject_key, lineage.root_of(ctx, data.subject_key)):
            raise Conflict("this DSR request id was already used for another subject")
        return _out(ctx, first, replayed=True)
    lock_linking(ctx.graph)  # no concurrent link may bind to a subject being tombstoned
    subject = ctx.graph.get(
        SubjectKey, lineage.root_of(ctx, data.subject_key), with_for_update=True
    )
    if subject is None:
        raise NotFound("subject")
    absorbed = lineage.merged_into(ctx, subject.subject_key)
    record = SubjectOptOut(
        request_id=prov.request_id,
        subject_key=subject.subject_key,
        received_at=prov.received_at,
        verification_method=prov.verification_method,
        verifier=prov.verifier,
        legal_ground=prov.legal_ground,
        officer_id=ctx.actor.id,
    )
    ctx.graph.add(record)
    ctx.graph.flush()
    key = subject.subject_key
    for each in (key, *absorbed):
        _block_digests(ctx, each, record.id)
    linked = [
        (provider_id, prospect_id)
        for provider_id, prospect_id in ctx.graph.execute(
            select(ProspectLink.provider_id, ProspectLink.prospect_id).where(
                ProspectLink.subject_key == key
            )
        )
    ]
    keys = [key, *absorbed]
    ctx.graph.add_all(ErasureGrant(opt_out_id=record.id, subject_key=each) for each in keys)
    ctx.graph.flush()
    _grant_lineage(ctx, subject, record.id, linked)
    _grant_merged(ctx, absorbed, record.id)
    removed: dict[str, int] = {}
    record.contributions_removed = erase_contributions(
        ctx, key, opt_out_id=record.id, removed=removed
    )
    for model in (
        Correction,
        SubjectBudget,
        SubjectDimension,
        SubjectContact,
        SubjectAttribution,
        PeerAttestation,
    ):
        gone = ctx.graph.execute(delete(model).where(model.subject_key.in_(keys)))
        removed[model.__tablename__] = _count(gone)
    chains = ctx.graph.execute(
        update(ProspectLink).where(ProspectLink.subject_key == key).values(chain=[])
    )
    removed["prospect_links.chain"] = _count(chains)
    ctx.graph.execute(
        update(SubjectKey)
        .where(SubjectKey.subject_key.in_(keys))
        .values(status=SubjectStatus.TOMBSTONED)
    )
    audit.record(
        ctx.graph,
        consumer_id=ctx.actor.id,
        subject_key=None,  # the opt-out row names the key; the audit row names the opt-out
        kind="erasure",
        scope={"opt_out_id": record.id, "keys": len(keys), "removed": removed},
        result_state="erased",
    )
    ctx.graph.execute(
        update(ErasureGrant)
        .where(ErasureGrant.opt_out_id == record.id, ErasureGrant.consumed_at.is_(None))
        .values(consumed_at=utcnow())
    )
    ctx.graph.flush()
    return _out(ctx, record, replayed=False)


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def erase_contributions(
    ctx: Context, subject_key: str, *, opt_out_id: str, removed: dict[str, int]
) -> int:
    """The one path that deletes append-only rows, under this opt-out's open grants: the
    subject's own and the rows the grants name; returns the contributions removed."""
    granted = select(ErasureGrant.row_id).where(
        ErasureGrant.opt_out_id == opt_out_id, ErasureGrant.row_id.is_not(None)
    )
    gone = ctx.graph.execute(
        delete(Supersession).where(
            or_(Supersession.subject_key == subject_key, Supersession.id.in_(granted))
        )
    )
    removed[Supersession.__tablename__] = _count(gone)
    gone = ctx.graph.execute(
        delete(Contribution).where(
            or_(Contribution.subject_key == subject_key, Contribution.id.in_(granted))
        )
    )
    removed[Contribution.__tablename__] = _count(gone)
    return _count(gone)


def _grant_lineage(
    ctx: Context, subject: SubjectKey, opt_out_id: str, linked: list[tuple[str, str]]
) -> None:
    """Grant erasure of the person's rows under every ancestor key (a split copied them here)
    and of the supersession rows pointing at them."""
    ancestors: list[str] = []
    parent = subject.split_from
    while parent is not None and parent not in ancestors and parent != subject.subject_key:
        ancestors.append(parent)
        row = ctx.graph.get(SubjectKey, parent)
        parent = row.split_from if row is not None else None
    own = {
        (provider_id, prospect_id)
        for provider_id, prospect_id in ctx.graph.execute(
            select(Contribution.provider_id, Contribution.prospect_id).where(
                Contribution.subject_key == subject.subject_key
            )
        )
    }
    pairs = sorted(set(linked) | own)
    if not ancestors or not pairs:
        return
    rows = set(
        ctx.graph.scalars(
            select(Contribution.id).where(
                Contribution.subject_key.in_(ancestors),
                tuple_(Contribution.provider_id, Contribution.prospect_id).in_(pairs),
            )
        )
    )
    if not rows:
        return
    rows |= set(
        ctx.graph.scalars(
            select(Supersession.id).where(
                or_(Supersession.superseded_id.in_(rows), Supersession.superseding_id.in_(rows))
            )
        )
    )
    ctx.graph.add_all(ErasureGrant(opt_out_id=opt_out_id, row_id=row_id) for row_id in rows)
    ctx.graph.flush()


def _grant_merged(ctx: Context, absorbed: list[str], opt_out_id: str) -> None:
    """Grant erasure of every row under the keys merged into the erased one (the same person)."""
    if not absorbed:
        return
    rows = set(
        ctx.graph.scalars(select(Contribution.id).where(Contribution.subject_key.in_(absorbed)))
    )
    rows |= set(
        ctx.graph.scalars(select(Supersession.id).where(Supersession.subject_key.in_(absorbed)))
    )
    ctx.graph.add_all(ErasureGrant(opt_out_id=opt_out_id, row_id=row_id) for row_id in rows)
    ctx.graph.flush()


def linked_prospects(graph: Session, subject_key: str) -> list[str]:
    """Every provider's prospect linked to the key (links outlive the tombstone, chains don't):
    the erasure workflow strips their graph-derived qualification features."""
    rows = graph.scalars(
        select(ProspectLink.prospect_id).where(ProspectLink.subject_key == subject_key)
    )
    return sorted(set(rows))


def _block_digests(ctx: Context, subject_key: str, opt_out_id: str) -> None:
    rows = ctx.graph.execute(
        select(SubjectDimension.dimension, SubjectDimension.key_id, SubjectDimension.digest).where(
            SubjectDimension.subject_key == subject_key,
            SubjectDimension.dimension.in_(STRONG_DIMENSIONS),
        )
    ).all()
    for dimension, key_id, digest in set(rows):
        exists = ctx.graph.scalar(
            select(BlockedDigest.id).where(
                BlockedDigest.dimension == dimension,
                BlockedDigest.key_id == key_id,
                BlockedDigest.digest == digest,
            )
        )
        if exists is None:
            ctx.graph.add(
                BlockedDigest(
                    dimension=dimension, key_id=key_id, digest=digest, opt_out_id=opt_out_id
                )
            )
    ctx.graph.flush()


def _out(ctx: Context, record: SubjectOptOut, *, replayed: bool) -> OptOutOut:
    blocked = ctx.graph.scalar(
        select(func.count()).select_from(BlockedDigest).where(BlockedDigest.opt_out_id == record.id)
    )
    return OptOutOut(
        id=record.id,
        subject_key=record.subject_key,
        request_id=record.request_id,
        contributions_removed=record.contributions_removed,
        blocked_digests=blocked or 0,
        replayed=replayed,
        created_at=record.created_at,
    )
