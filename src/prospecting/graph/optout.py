"""Subject opt-out (DSR erasure): tombstone the key, purge its contributions, block its hashes.

Contribution rows are append-only; the database triggers allow DELETE only for a subject with
an opt-out row on file (and, on PostgreSQL, only inside a transaction that set
`prospecting.erasure = 'on'`, which happens here and nowhere else). Idempotent on request id.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select, text, update

from prospecting.errors import Conflict, NotFound
from prospecting.graph.context import GraphContext
from prospecting.graph.models import (
    BlockedDigest,
    Contribution,
    PeerAttestation,
    ProspectLink,
    SubjectAttribution,
    SubjectDimension,
    SubjectKey,
    SubjectOptOut,
    SubjectStatus,
    Supersession,
)
from prospecting.graph.schemas import OptOutIn, OptOutOut
from prospecting.identity.models import Role
from prospecting.identity.service import require_role
from prospecting.resolver.keys import STRONG_DIMENSIONS


def subject_opt_out(ctx: GraphContext, data: OptOutIn) -> OptOutOut:
    """Privacy officers only; a replayed request id returns the first result."""
    require_role(ctx.actor, Role.PRIVACY_OFFICER)
    prov = data.provenance
    first = ctx.graph.scalar(
        select(SubjectOptOut).where(SubjectOptOut.request_id == prov.request_id)
    )
    if first is not None:
        if first.subject_key != data.subject_key:
            raise Conflict("this DSR request id was already used for another subject")
        return _out(ctx, first, replayed=True)
    subject = ctx.graph.get(SubjectKey, data.subject_key, with_for_update=True)
    if subject is None:
        raise NotFound("subject")
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
    _block_digests(ctx, subject.subject_key, record.id)
    record.contributions_removed = erase_contributions(ctx, subject.subject_key)
    key = subject.subject_key
    ctx.graph.execute(delete(SubjectDimension).where(SubjectDimension.subject_key == key))
    ctx.graph.execute(delete(SubjectAttribution).where(SubjectAttribution.subject_key == key))
    ctx.graph.execute(delete(PeerAttestation).where(PeerAttestation.subject_key == key))
    ctx.graph.execute(update(ProspectLink).where(ProspectLink.subject_key == key).values(chain=[]))
    subject.status = SubjectStatus.TOMBSTONED.value
    ctx.graph.flush()
    return _out(ctx, record, replayed=False)


def erase_contributions(ctx: GraphContext, subject_key: str) -> int:
    """The one guarded path that deletes append-only rows (the subject must be opted out)."""
    postgres = ctx.graph.get_bind().dialect.name == "postgresql"
    if postgres:
        ctx.graph.execute(text("SELECT set_config('prospecting.erasure', 'on', true)"))
    ctx.graph.execute(delete(Supersession).where(Supersession.subject_key == subject_key))
    removed = ctx.graph.execute(delete(Contribution).where(Contribution.subject_key == subject_key))
    if postgres:
        ctx.graph.execute(text("SELECT set_config('prospecting.erasure', 'off', true)"))
    return int(getattr(removed, "rowcount", 0) or 0)


def _block_digests(ctx: GraphContext, subject_key: str, opt_out_id: str) -> None:
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


def _out(ctx: GraphContext, record: SubjectOptOut, *, replayed: bool) -> OptOutOut:
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
