"""A prospect's stored hash chain: digests kept beside each prospect for local de-duplication
and for the graph to key on (the tenant store's only copy of the chain)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from prospecting.db import list_params, one_of, ordered_id, utcnow
from prospecting.errors import InvalidInput
from prospecting.prospects import rows as rows_
from prospecting.prospects.models import ProspectIdentifier, Touchpoint
from prospecting.resolver.chain import HOUSEHOLD_PHONE_SCHEME, Identifiers
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

_IDS = rows_.table_of(ProspectIdentifier)
# Built once: constructing a statement costs more than SQLite takes to run it (ingest's hot path).


@lru_cache(maxsize=32)
def _known(size: int) -> Select[str, str, str, str]:
    """The Person's stored rows carrying one of `size` digests (one statement per list length)."""
    return select(_IDS.c.prospect_id, _IDS.c.key_id, _IDS.c.dimension, _IDS.c.digest).where(
        _IDS.c.person_id == bindparam("person_id"), one_of(_IDS.c.digest, "digest", size)
    )


# What leaves the tenant for the graph never includes a household line's phone digest alone.
_TO_GRAPH = _IDS.c.scheme != HOUSEHOLD_PHONE_SCHEME
_CHAIN = select(_IDS.c.dimension, _IDS.c.scheme, _IDS.c.digest).where(
    _IDS.c.prospect_id == bindparam("prospect_id"), _IDS.c.key_id == bindparam("key_id"), _TO_GRAPH
)


def store_chain(
    *,
    session: Session,
    person_id: str,
    prospect_id: str,
    digests: Iterable[Digest],
    have: set[tuple[str, str, str]] | None = None,
) -> None:
    """Add the digests a prospect does not have yet.

    `have`: the (key id, dimension, digest) rows the caller already read for this prospect
    (ingest's match lookup, strong digests only); the rest are written with INSERT … ON
    CONFLICT DO NOTHING, since a digest outside what was read (its name) may be stored already.
    Without `have` the stored chain is read first."""
    if have is None:
        rows = session.execute(
            select(
                ProspectIdentifier.key_id, ProspectIdentifier.dimension, ProspectIdentifier.digest
            ).where(ProspectIdentifier.prospect_id == prospect_id)
        )
        have = {(key_id, dimension, digest) for key_id, dimension, digest in rows}
        rows_.insert_values(
            session,
            rows_.table_of(ProspectIdentifier),
            _chain_rows(person_id, prospect_id, digests, have),
        )
        return
    rows_.insert_ignore(
        session,
        rows_.table_of(ProspectIdentifier),
        _chain_rows(person_id, prospect_id, digests, have),
    )


def new_chain(
    *, session: Session, person_id: str, prospect_id: str, digests: Iterable[Digest]
) -> None:
    """The chain of a prospect created in this transaction: nothing to read, one INSERT."""
    rows_.insert_values(
        session,
        rows_.table_of(ProspectIdentifier),
        _chain_rows(person_id, prospect_id, digests, set()),
    )


def _chain_rows(
    person_id: str, prospect_id: str, digests: Iterable[Digest], have: set[tuple[str, str, str]]
) -> list[dict[str, object]]:
    now = utcnow()
    return [
        {
            "id": ordered_id(),
            "prospect_id": prospect_id,
            "person_id": person_id,
            "dimension": d.dimension,
            "scheme": d.scheme,
            "key_id": d.key_id,
            "digest": d.value,
            "created_at": now,
        }
        for d in dict.fromkeys(digests)
        if (d.key_id, d.dimension, d.value) not in have
    ]


KnownDigests = dict[str, set[tuple[str, str, str]]]
"""prospect id -> the (key id, dimension, digest) rows read for it."""


def known_digests(*, session: Session, person_id: str, digests: Sequence[Digest]) -> KnownDigests:
    """The Person's stored rows carrying one of the chain's strong digests (every key id), by
    prospect: one indexed read gives both the strong matches and what the matched prospect
    already holds (so storing its chain needs no second read)."""
    values = sorted({d.value for d in digests if d.dimension in STRONG_DIMENSIONS})
    if not values:
        return {}
    rows = rows_.connection(session).execute(
        _known(len(values)), {"person_id": person_id, **list_params("digest", values)}
    )
    known: KnownDigests = {}
    for prospect_id, key_id, dimension, digest in rows:
        known.setdefault(prospect_id, set()).add((key_id, dimension, digest))
    return known


def strong_matches_in(
    known: KnownDigests, *, digests: Sequence[Digest], key_id: str
) -> list[tuple[str, str]]:
    """(prospect_id, dimension) pairs sharing a strong digest of the chain under `key_id`,
    phone first, then email, name+phone, name+email; ties by prospect id."""
    wanted = {
        (d.dimension, d.value)
        for d in digests
        if d.key_id == key_id and d.dimension in STRONG_DIMENSIONS
    }
    order = {dim: i for i, dim in enumerate(STRONG_PRIORITY)}
    found = {
        (pid, dim)
        for pid, held in known.items()
        for kid, dim, digest in held
        if kid == key_id and (dim, digest) in wanted
    }
    return sorted(found, key=lambda row: (order[row[1]], row[0]))


def strong_matches(
    *, session: Session, person_id: str, digests: Sequence[Digest], key_id: str
) -> list[tuple[str, str]]:
    """(prospect_id, dimension) pairs of this Person's prospects sharing a strong digest."""
    known = known_digests(
        session=session,
        person_id=person_id,
        digests=[d for d in digests if d.key_id == key_id],
    )
    return strong_matches_in(known, digests=digests, key_id=key_id)


def prospect_chain(*, session: Session, prospect_id: str, key_id: str) -> list[Digest]:
    """The stored hash chain of one prospect under one key id, as the graph may see it (what
    it keys on): a household line's phone digest stays in the tenant."""
    rows = rows_.connection(session).execute(_CHAIN, {"prospect_id": prospect_id, "key_id": key_id})
    return [Digest(dimension, scheme, key_id, digest) for dimension, scheme, digest in rows]


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
    """The stored chains of many of one Person's prospects at once (batch paths), as the graph
    may see them (no household line's phone digest); a prospect that is not the Person's, or
    has no such chain, is absent from the answer."""
    chains: dict[str, list[Digest]] = {}
    ids = sorted(set(prospect_ids))
    connection = rows_.connection(session)  # Core rows: no ORM result step for each digest
    for start in range(0, len(ids), 500):
        # by prospect id (the unique index), the owner checked on each row: with the owner in
        # the WHERE, SQLite walks all of the Person's digests through the lookup index instead
        rows = connection.execute(
            select(
                _IDS.c.person_id, _IDS.c.prospect_id, _IDS.c.dimension, _IDS.c.scheme, _IDS.c.digest
            ).where(
                _IDS.c.key_id == key_id,
                _IDS.c.prospect_id.in_(ids[start : start + 500]),
                _TO_GRAPH,
            )
        ).all()  # one fetch for the part, not a driver call for each row
        for owner, prospect_id, dimension, scheme, digest in rows:
            if owner == person_id:
                chains.setdefault(prospect_id, []).append(Digest(dimension, scheme, key_id, digest))
    return chains
