"""A prospect's stored hash chain: digests kept beside each prospect for local de-duplication
and for the graph to key on (the tenant store's only copy of the chain)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from prospecting.errors import InvalidInput
from prospecting.prospects.models import ProspectIdentifier, Touchpoint
from prospecting.resolver.chain import Identifiers
from prospecting.resolver.keys import (
    EMAIL,
    NAME_EMAIL,
    NAME_PHONE,
    PHONE,
    STRONG_DIMENSIONS,
    Digest,
)
from prospecting.resolver.normalize import normalize_email
from prospecting.resolver.service import Resolver

STRONG_PRIORITY = (PHONE, EMAIL, NAME_PHONE, NAME_EMAIL)


def store_chain(
    *, session: Session, person_id: str, prospect_id: str, digests: Iterable[Digest]
) -> None:
    """Add the digests a prospect does not have yet."""
    digests = list(digests)
    if not digests:
        return
    rows = session.execute(
        select(
            ProspectIdentifier.key_id, ProspectIdentifier.dimension, ProspectIdentifier.digest
        ).where(ProspectIdentifier.prospect_id == prospect_id)
    )
    have = {(key_id, dimension, digest) for key_id, dimension, digest in rows}
    for d in digests:
        if (d.key_id, d.dimension, d.value) in have:
            continue
        have.add((d.key_id, d.dimension, d.value))
        session.add(
            ProspectIdentifier(
                prospect_id=prospect_id,
                person_id=person_id,
                dimension=d.dimension,
                scheme=d.scheme,
                key_id=d.key_id,
                digest=d.value,
            )
        )


def strong_matches(
    *, session: Session, person_id: str, digests: Sequence[Digest], key_id: str
) -> list[tuple[str, str]]:
    """(prospect_id, dimension) pairs of this Person's prospects sharing a strong digest."""
    wanted = {
        (d.dimension, d.value)
        for d in digests
        if d.key_id == key_id and d.dimension in STRONG_DIMENSIONS
    }
    if not wanted:
        return []
    rows = session.execute(
        select(
            ProspectIdentifier.prospect_id,
            ProspectIdentifier.dimension,
            ProspectIdentifier.digest,
        ).where(
            ProspectIdentifier.person_id == person_id,
            ProspectIdentifier.digest.in_(sorted(value for _, value in wanted)),
            ProspectIdentifier.key_id == key_id,
        )
    )
    order = {dim: i for i, dim in enumerate(STRONG_PRIORITY)}
    found = {(pid, dim) for pid, dim, digest in rows if (dim, digest) in wanted}
    return sorted(found, key=lambda row: (order[row[1]], row[0]))


def prospect_chain(*, session: Session, prospect_id: str, key_id: str) -> list[Digest]:
    """The stored hash chain of one prospect under one key id (what the graph keys on)."""
    rows = session.scalars(
        select(ProspectIdentifier).where(
            ProspectIdentifier.prospect_id == prospect_id, ProspectIdentifier.key_id == key_id
        )
    )
    return [Digest(r.dimension, r.scheme, r.key_id, r.digest) for r in rows]


def rehash_all(*, session: Session, resolver: Resolver) -> int:
    """Store every prospect's chain under every key of the ring, from the senders it has seen.

    Rotation: add the new key to the key file, run this, then make the new key active; old
    digests stay until the old key is removed, so no link is lost at any point.
    """
    senders = session.execute(
        select(
            Touchpoint.prospect_id,
            Touchpoint.person_id,
            Touchpoint.sender_phone,
            Touchpoint.sender_email,
            Touchpoint.sender_name,
        ).where(Touchpoint.direction == "inbound")
    )
    seen: set[str] = set()
    for prospect_id, person_id, phone, email, name in senders:
        ids = Identifiers(phone=phone, email=_current_email(email), name=name)
        store_chain(
            session=session,
            person_id=person_id,
            prospect_id=prospect_id,
            digests=resolver.chains(ids),
        )
        seen.add(prospect_id)
    session.flush()
    return len(seen)


def _current_email(stored: str | None) -> str | None:
    """A stored (already normalised) email under the current scheme: v2 also drops `+tags`
    for more providers, so a rehash carries v1 prospects over."""
    if stored is None:
        return None
    try:
        return normalize_email(stored)
    except InvalidInput:
        return stored


def prospect_chains(
    *, session: Session, person_id: str, prospect_ids: Sequence[str], key_id: str
) -> dict[str, list[Digest]]:
    """The stored chains of many of one Person's prospects at once (batch paths); a prospect
    that is not the Person's, or has no chain, is absent from the answer."""
    chains: dict[str, list[Digest]] = {}
    ids = sorted(set(prospect_ids))
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(
                ProspectIdentifier.prospect_id,
                ProspectIdentifier.dimension,
                ProspectIdentifier.scheme,
                ProspectIdentifier.digest,
            ).where(
                ProspectIdentifier.person_id == person_id,
                ProspectIdentifier.key_id == key_id,
                ProspectIdentifier.prospect_id.in_(ids[start : start + 500]),
            )
        )
        for prospect_id, dimension, scheme, digest in rows:
            chains.setdefault(prospect_id, []).append(Digest(dimension, scheme, key_id, digest))
    return chains
