"""Prospect logic: ingest with local de-duplication, listing, updates, outcomes and merges."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any, Literal, NamedTuple

from pydantic import TypeAdapter
from sqlalchemy import ColumnElement, Select, Update, and_, bindparam, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.orm.util import identity_key

from prospecting.db import core, list_params, new_id, one_of, owned, utcnow
from prospecting.errors import Conflict, NotFound
from prospecting.identity.models import Person
from prospecting.prospects import rows
from prospecting.prospects.identifiers import (
    known_digests,
    new_chain,
    prospect_chain,
    store_chain,
    strong_matches_in,
)
from prospecting.prospects.models import MergeSuggestion, Prospect, ProspectIdentifier, Touchpoint
from prospecting.prospects.schemas import (
    OUTCOME_STATUS,
    InboundMessage,
    IngestResult,
    MergeSuggestionOut,
    OutcomeIn,
    ProspectOut,
    ProspectStatus,
    ProspectUpdate,
    SuggestionStatus,
    TouchpointOut,
)
from prospecting.resolver.chain import HOUSEHOLD_PHONE_SCHEME, Identifiers, normalize_identifiers
from prospecting.resolver.keys import Digest
from prospecting.resolver.service import Resolver

FUZZY_NAME_THRESHOLD = 0.8
GIVEN_NAME_THRESHOLD = 0.75
MAX_FUZZY_CANDIDATES = 50
MAX_SUGGESTIONS = 3
NAME_BLOCK_CHARS = 4


_PROSPECTS = rows.table_of(Prospect)
# Built once (ingest's hot path): constructing a statement costs more than running it.
_BLOCK = (
    select(_PROSPECTS.c.id, _PROSPECTS.c.normalized_name)
    .where(
        _PROSPECTS.c.person_id == bindparam("person_id"),
        _PROSPECTS.c.name_block == bindparam("block"),
        _PROSPECTS.c.merged_into_id.is_(None),
    )
    .order_by(_PROSPECTS.c.created_at.desc())
    .limit(MAX_FUZZY_CANDIDATES)
)
_OWNER = select(_PROSPECTS.c.person_id, _PROSPECTS.c.merged_into_id).where(
    _PROSPECTS.c.id == bindparam("prospect_id")
)
_CHAINS = rows.table_of(ProspectIdentifier)
_OWNED_CHAIN = (
    select(
        _PROSPECTS.c.person_id,
        _PROSPECTS.c.merged_into_id,
        _CHAINS.c.dimension,
        _CHAINS.c.scheme,
        _CHAINS.c.digest,
    )
    .select_from(
        _PROSPECTS.outerjoin(
            _CHAINS,
            and_(
                _CHAINS.c.prospect_id == _PROSPECTS.c.id,
                _CHAINS.c.key_id == bindparam("key_id"),
                _CHAINS.c.scheme != HOUSEHOLD_PHONE_SCHEME,  # stays in the tenant
            ),
        )
    )
    .where(_PROSPECTS.c.id == bindparam("prospect_id"))
)


@lru_cache(maxsize=16)
def _matched(size: int) -> Select[Any]:
    """`size` prospects by id, every column (one statement per count)."""
    return select(_PROSPECTS).where(one_of(_PROSPECTS.c.id, "id", size))


_UPDATES: dict[tuple[str, ...], Update] = {}


def _update_prospect(columns: tuple[str, ...]) -> Update:
    """UPDATE prospects SET <columns> WHERE id = :prospect_id, built once per column set."""
    statement = _UPDATES.get(columns)
    if statement is None:
        statement = _UPDATES[columns] = (
            update(_PROSPECTS)
            .where(_PROSPECTS.c.id == bindparam("prospect_id"))
            .values({name: bindparam(name) for name in columns})
        )
    return statement


def name_block(normalized_name: str) -> str:
    """Blocking key for fuzzy name search: the surname's first letters (typos later on match)."""
    return normalized_name.split()[-1][:NAME_BLOCK_CHARS]


@dataclass
class Ingested:
    prospect: Prospect
    touchpoint: Touchpoint
    created: bool
    matched_on: str | None
    suggestions: list[MergeSuggestion] = field(default_factory=list)
    graph_chain: list[Digest] | None = None
    """A new prospect's hash chain as the graph may see it (active key, no household line's
    phone), known without a read, so linking it right after the commit reads nothing of the
    tenant store; None when the message was attached (the stored chain may hold more)."""

    def as_result(self) -> IngestResult:
        return IngestResult(
            prospect=ProspectOut.model_validate(self.prospect),
            touchpoint=TouchpointOut.model_validate(self.touchpoint),
            created=self.created,
            matched_on=self.matched_on,
            merge_suggestions=[MergeSuggestionOut.model_validate(s) for s in self.suggestions],
            phone_unverified=self.touchpoint.sender_phone_raw is not None,
        )


def remember(*, session: Session, ingested: Ingested) -> None:
    """Make the prospect and message an earlier transaction ingested known to this session
    (its identity map), so reading them again by id costs no SELECT. Rows still attached to an
    open session are left where they are."""
    rows_: tuple[Prospect | Touchpoint, ...] = (ingested.prospect, ingested.touchpoint)
    for row in rows_:
        if instance_state(row).detached:
            session.add(row)


def lock_tenant(session: Session, person_id: str) -> None:
    """Serialise one Person's ingests so two concurrent messages from a new sender make one
    prospect. PostgreSQL: a transaction advisory lock; SQLite: BEGIN IMMEDIATE already does."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(func.hashtext(person_id))))


def get_prospect(*, session: Session, actor: Person, prospect_id: str) -> Prospect:
    """The row itself (a merged one stays merged); another Person's answers like a missing one."""
    return owned(session, Prospect, prospect_id, person_id=actor.id, kind="prospect")


def owned_prospect(*, session: Session, actor: Person, prospect_id: str) -> Prospect:
    """The caller's prospect, following local merges to the surviving one; else NotFound."""
    prospect = get_prospect(session=session, actor=actor, prospect_id=prospect_id)
    while prospect.merged_into_id is not None:
        target = session.get(Prospect, prospect.merged_into_id)
        if target is None:
            break
        prospect = target
    return prospect


def owned_chain(
    *, session: Session, actor: Person, prospect_id: str, key_id: str
) -> tuple[str, list[Digest]]:
    """What linking reads of the tenant: `owned_prospect(...).id` (merges followed; another
    Person's row or a missing one is NotFound) and that prospect's stored hash chain under
    `key_id`, in one Core read of the columns needed (one more per merge followed)."""
    connection = rows.connection(session)
    found = connection.execute(_OWNED_CHAIN, {"prospect_id": prospect_id, "key_id": key_id}).all()
    if not found or found[0][0] != actor.id:
        raise NotFound("prospect")
    if found[0][1] is None:
        chain = [Digest(dim, scheme, key_id, value) for _, _, dim, scheme, value in found if dim]
        return prospect_id, chain
    prospect_id = _survivor(connection, prospect_id, found[0][1])
    return prospect_id, prospect_chain(session=session, prospect_id=prospect_id, key_id=key_id)


def owned_prospect_id(*, session: Session, actor: Person, prospect_id: str) -> str:
    """`owned_prospect(...).id` from one Core read of two columns (one more per merge
    followed): no Prospect is loaded to learn whose it is."""
    connection = rows.connection(session)
    found = connection.execute(_OWNER, {"prospect_id": prospect_id}).first()
    if found is None or found[0] != actor.id:
        raise NotFound("prospect")
    return _survivor(connection, prospect_id, found[1])


def _survivor(connection: Connection, prospect_id: str, merged_into: str | None) -> str:
    """Follow local merges from `prospect_id` (merged into `merged_into`) to the survivor."""
    seen = {prospect_id}
    while merged_into is not None and merged_into not in seen:
        target = connection.execute(_OWNER, {"prospect_id": merged_into}).first()
        if target is None:
            break
        prospect_id, merged_into = merged_into, target[1]
        seen.add(prospect_id)
    return prospect_id


def with_merged(*, session: Session, prospect_ids: Iterable[str]) -> set[str]:
    """The given prospects and every local prospect merged into them, transitively."""
    ids = set(prospect_ids)
    frontier = set(ids)
    while frontier:
        merged = set(
            session.scalars(select(Prospect.id).where(Prospect.merged_into_id.in_(frontier)))
        )
        frontier = merged - ids
        ids |= frontier
    return ids


def set_link_confidence(*, session: Session, prospect_id: str, confidence: float) -> None:
    """Record the graph's link confidence on the prospect (the resolver's enriched score): one
    Core UPDATE, mirrored on the row if the session has it loaded (nothing is written twice)."""
    values = {"link_confidence": confidence, "updated_at": utcnow()}
    rows.connection(session).execute(
        _update_prospect(("link_confidence", "updated_at")), {"prospect_id": prospect_id, **values}
    )
    loaded = session.identity_map.get(identity_key(Prospect, prospect_id))
    if loaded is not None:
        rows.set_committed(loaded, values)


def clear_link_confidence(*, session: Session, prospect_ids: Iterable[str]) -> None:
    """Erasure: the graph's link confidence no longer applies to these prospects."""
    ids = sorted(set(prospect_ids))
    if ids:
        session.execute(update(Prospect).where(Prospect.id.in_(ids)).values(link_confidence=None))


def recent_inbound(*, session: Session, since: datetime) -> list[tuple[str, str, str]]:
    """(touchpoint id, person id, prospect id) of every Person's inbound messages received
    since a moment, oldest first (for reconciliation; ids only)."""
    rows = session.execute(
        select(Touchpoint.id, Touchpoint.person_id, Touchpoint.prospect_id)
        .where(
            Touchpoint.direction == "inbound",
            Touchpoint.kind == "message",
            Touchpoint.created_at >= since,
        )
        .order_by(Touchpoint.created_at)
    )
    return [(tid, pid, prospect_id) for tid, pid, prospect_id in rows]


def inbound_message(*, session: Session, actor: Person, touchpoint_id: str) -> Touchpoint:
    """One of the caller's inbound messages; anything else is NotFound."""
    touchpoint = owned(
        session, Touchpoint, touchpoint_id, person_id=actor.id, kind="inbound message"
    )
    if touchpoint.direction != "inbound" or touchpoint.kind != "message":
        raise NotFound("inbound message")
    return touchpoint


class PastTouch(NamedTuple):
    """What qualifying a message reads of each earlier touchpoint (no bodies, no senders)."""

    kind: str
    direction: str
    outcome: str | None
    outcome_version: int | None
    occurred_at: datetime


_BEFORE = (
    select(
        Touchpoint.kind,
        Touchpoint.direction,
        Touchpoint.outcome,
        Touchpoint.outcome_version,
        Touchpoint.occurred_at,
    )
    .where(
        Touchpoint.prospect_id == bindparam("prospect_id"),
        Touchpoint.occurred_at <= bindparam("occurred_at"),
        Touchpoint.id != bindparam("touchpoint_id"),
    )
    .order_by(Touchpoint.occurred_at, Touchpoint.created_at)
)


def touchpoints_before(*, session: Session, touchpoint: Touchpoint) -> list[PastTouch]:
    """The prospect's touchpoints up to a message (excluding it), oldest first: the columns a
    qualification reads, one prebuilt Core statement."""
    rows = core(session).execute(
        _BEFORE,
        {
            "prospect_id": touchpoint.prospect_id,
            "occurred_at": touchpoint.occurred_at,
            "touchpoint_id": touchpoint.id,
        },
    )
    return [PastTouch(*row) for row in rows]


def recorded_outcomes(
    *, session: Session, person_ids: Sequence[str] | None = None, prospect_id: str | None = None
) -> list[Touchpoint]:
    """Outcome touchpoints (oldest version first), of some Persons or of one prospect."""
    query = select(Touchpoint).where(Touchpoint.kind == "outcome")
    if person_ids is not None:
        query = query.where(Touchpoint.person_id.in_(list(person_ids)))
    if prospect_id is not None:
        query = query.where(Touchpoint.prospect_id == prospect_id)
    return list(session.scalars(query.order_by(Touchpoint.outcome_version, Touchpoint.occurred_at)))


def record_reply(
    *,
    session: Session,
    actor: Person,
    prospect_id: str,
    channel: str | None,
    body: str,
    at: datetime,
) -> tuple[Touchpoint, str | None]:
    """An approved reply as an outbound touchpoint (a new prospect becomes contacted); returns
    it with the address to send it to on that channel."""
    prospect = get_prospect(session=session, actor=actor, prospect_id=prospect_id)
    touchpoint = Touchpoint(
        prospect_id=prospect.id,
        person_id=actor.id,
        kind="message",
        direction="outbound",
        channel=channel,
        body=body,
        occurred_at=at,
    )
    session.add(touchpoint)
    if prospect.status == ProspectStatus.NEW:
        prospect.status = ProspectStatus.CONTACTED
    session.flush()
    recipient = prospect.email if channel == "email" else prospect.phone_e164
    return touchpoint, recipient or prospect.email or prospect.phone_e164


def count_booked(*, session: Session, actor: Person) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Prospect)
            .where(Prospect.person_id == actor.id, Prospect.status == ProspectStatus.BOOKED)
        )
        or 0
    )


def ingest(
    *, session: Session, actor: Person, resolver: Resolver, message: InboundMessage
) -> Ingested:
    """Attach an inbound to the Person's existing prospect on a strong match, else create one.

    No unit of work: ids and timestamps are made here, new rows go out as Core INSERTs and are
    then attached to the session as persistent objects (`rows.insert`), a changed prospect is
    one Core UPDATE. A new sender costs five statements (strong match, name block, prospect,
    chain, touchpoint) and no flush; a repeat sender at most five (strong match, prospect, its
    update, the chain's missing digests with ON CONFLICT DO NOTHING, touchpoint).
    """
    lock_tenant(session, actor.id)
    ids = normalize_identifiers(
        phone=message.sender_phone,
        email=message.sender_email,
        name=message.sender_name,
        default_region=actor.default_phone_region,
        lenient_phone=True,
    )
    digests = resolver.chains(ids)
    known = known_digests(session=session, person_id=actor.id, digests=digests)
    matches = strong_matches_in(known, digests=digests, key_id=resolver.active_key_id)
    live = _live_targets(session, matches)
    now = utcnow()
    received_at = message.received_at or now
    suggestions: list[MergeSuggestion] = []
    graph_chain: list[Digest] | None = None
    if live:
        (prospect, matched_on), others = live[0], live[1:]
        changes = _missing(prospect, ids, message.sender_name)
        if prospect.last_inbound_at is None or prospect.last_inbound_at < received_at:
            changes["last_inbound_at"] = received_at
        if changes:
            changes["updated_at"] = now
            session.connection().execute(
                _update_prospect(tuple(sorted(changes))), {"prospect_id": prospect.id, **changes}
            )
            rows.set_committed(prospect, changes)
        created = False
        if others:
            suggestions.extend(
                _suggest_all(
                    session,
                    actor.id,
                    [(other.id, prospect.id, f"shared_{dim}", 1.0) for other, dim in others],
                    now=now,
                )
            )
        store_chain(
            session=session,
            person_id=actor.id,
            prospect_id=prospect.id,
            digests=digests,
            have=known.get(prospect.id, set()),
        )
    else:
        prospect, similar = _new_prospect(
            session, actor.id, ids, digests, message.sender_name, now=now, received_at=received_at
        )
        created, matched_on = True, None
        suggestions.extend(similar)
        graph_chain = [
            d
            for d in digests
            if d.key_id == resolver.active_key_id and d.scheme != HOUSEHOLD_PHONE_SCHEME
        ]
    touchpoint = rows.insert(
        session,
        Touchpoint,
        [
            {
                "id": new_id(),
                "prospect_id": prospect.id,
                "person_id": actor.id,
                "kind": "message",
                "direction": "inbound",
                "channel": message.channel.value,
                "body": message.body,
                "sender_phone": ids.phone,
                "sender_phone_raw": message.sender_phone if ids.phone_unverified else None,
                "sender_email": ids.email,
                "sender_name": ids.name,
                "outcome": None,
                "outcome_version": None,
                "occurred_at": received_at,
                "created_at": now,
            }
        ],
    )[0]
    return Ingested(prospect, touchpoint, created, matched_on, suggestions, graph_chain)


def _new_prospect(
    session: Session,
    person_id: str,
    ids: Identifiers,
    digests: Sequence[Digest],
    raw_name: str | None,
    *,
    now: datetime,
    received_at: datetime | None,
    origin: str | None = None,
    origin_ref: str | None = None,
) -> tuple[Prospect, list[MergeSuggestion]]:
    """A new prospect row with its identifier chain, and name suggestions against the rest."""
    values: dict[str, object] = {
        "id": new_id(),
        "person_id": person_id,
        "display_name": None,
        "phone_e164": None,
        "phone_unverified": False,
        "email": None,
        "normalized_name": None,
        "name_block": None,
        "status": ProspectStatus.NEW,
        "notes": None,
        "merged_into_id": None,
        "link_confidence": None,
        "created_at": now,
        "updated_at": now,
        "last_inbound_at": received_at,
        "origin": origin,
        "origin_ref": origin_ref,
    }
    values.update(_missing_values(values, ids, raw_name))
    similar = _similar_names(session, person_id, values["normalized_name"], values["name_block"])
    prospect = rows.insert(session, Prospect, [values])[0]
    new_chain(session=session, person_id=person_id, prospect_id=prospect.id, digests=digests)
    suggestions = []
    if similar:
        suggestions = _suggest_all(
            session,
            person_id,
            [(prospect.id, cid, "similar_name", round(score, 3)) for score, cid in similar],
            now=now,
            fresh=True,
        )
    return prospect, suggestions


def create_referred(
    *,
    session: Session,
    actor: Person,
    resolver: Resolver,
    name: str | None,
    phone: str | None,
    email: str | None,
    origin: Literal["warm_intro", "handoff"],
    origin_ref: str,
) -> Ingested:
    """A new prospect in `actor`'s tenant for a person another provider referred (a warm intro
    or a hand-off), with provenance, and a touchpoint of that kind. Always a new row, never
    merged into an existing one: a strong match with one of the actor's own prospects becomes
    a merge suggestion the provider decides on, as with any other duplicate."""
    lock_tenant(session, actor.id)
    ids = normalize_identifiers(
        phone=phone,
        email=email,
        name=name,
        default_region=actor.default_phone_region,
        lenient_phone=True,
    )
    digests = resolver.chains(ids)
    known = known_digests(session=session, person_id=actor.id, digests=digests)
    matches = strong_matches_in(known, digests=digests, key_id=resolver.active_key_id)
    now = utcnow()
    prospect, suggestions = _new_prospect(
        session,
        actor.id,
        ids,
        digests,
        name,
        now=now,
        received_at=None,
        origin=origin,
        origin_ref=origin_ref,
    )
    if matches:
        strongest: dict[str, str] = {}
        for pid, dim in matches:  # strongest first: one suggestion per known prospect
            strongest.setdefault(pid, dim)
        by_name = {s.candidate_id: s for s in suggestions}
        for pid, dim in strongest.items():
            if pid in by_name:  # suggested for the name already: the identifier is the reason
                by_name[pid].reason, by_name[pid].score = f"shared_{dim}", 1.0
        suggestions.extend(
            _suggest_all(
                session,
                actor.id,
                [
                    (prospect.id, pid, f"shared_{dim}", 1.0)
                    for pid, dim in strongest.items()
                    if pid not in by_name
                ],
                now=now,
                fresh=True,
            )
        )
    touchpoint = rows.insert(
        session,
        Touchpoint,
        [
            {
                "id": new_id(),
                "prospect_id": prospect.id,
                "person_id": actor.id,
                "kind": origin,
                "direction": "inbound",
                "channel": None,
                "body": None,
                "sender_phone": ids.phone,
                "sender_phone_raw": None,
                "sender_email": ids.email,
                "sender_name": ids.name,
                "outcome": None,
                "outcome_version": None,
                "occurred_at": now,
                "created_at": now,
            }
        ],
    )[0]
    return Ingested(prospect, touchpoint, True, None, suggestions)


def record_referral_sent(
    *,
    session: Session,
    actor: Person,
    prospect_id: str,
    kind: Literal["warm_intro", "handoff"],
    at: datetime,
) -> Touchpoint:
    """`actor`'s prospect records that a peer took it (an accepted warm intro or hand-off): an
    outbound touchpoint of that kind, with no body and no peer (who took it stays in the coop's
    own tables and audit). The row stays the actor's; nothing is merged or moved."""
    prospect = owned_prospect(session=session, actor=actor, prospect_id=prospect_id)
    return rows.insert(
        session,
        Touchpoint,
        [
            {
                "id": new_id(),
                "prospect_id": prospect.id,
                "person_id": actor.id,
                "kind": kind,
                "direction": "outbound",
                "channel": None,
                "body": None,
                "sender_phone": None,
                "sender_phone_raw": None,
                "sender_email": None,
                "sender_name": None,
                "outcome": None,
                "outcome_version": None,
                "occurred_at": at,
                "created_at": at,
            }
        ],
    )[0]


def _live_targets(session: Session, matches: list[tuple[str, str]]) -> list[tuple[Prospect, str]]:
    """Follow merges so a strong match lands on the surviving prospect, keeping match order.
    The matched rows are read in one statement (already loaded ones come from the session)."""
    if not matches:
        return []
    wanted = {pid for pid, _ in matches}
    loaded = {
        row.id: rows.loaded(session, Prospect, row._asdict())
        for row in session.connection().execute(
            _matched(len(wanted)), list_params("id", sorted(wanted))
        )
    }
    targets: list[tuple[Prospect, str]] = []
    seen: set[str] = set()
    for pid, dimension in matches:
        prospect = loaded.get(pid)
        while prospect is not None and prospect.merged_into_id is not None:
            prospect = session.get(Prospect, prospect.merged_into_id)
        if prospect is not None and prospect.id not in seen:
            seen.add(prospect.id)
            targets.append((prospect, dimension))
    return targets


def _missing(prospect: Prospect, ids: Identifiers, raw_name: str | None) -> dict[str, object]:
    """The columns an inbound fills on an existing prospect (what it lacked)."""
    current = {
        "phone_e164": prospect.phone_e164,
        "phone_unverified": prospect.phone_unverified,
        "email": prospect.email,
        "normalized_name": prospect.normalized_name,
        "display_name": prospect.display_name,
    }
    return {
        key: value
        for key, value in _missing_values(current, ids, raw_name).items()
        if value != current.get(key)
    }


def _missing_values(
    current: Mapping[str, object], ids: Identifiers, raw_name: str | None
) -> dict[str, object]:
    """What `current` (a prospect's columns) becomes with this inbound's identifiers: a missing
    phone, email or name is filled; an unverified phone flags a prospect without a valid one."""
    out: dict[str, object] = {}
    phone = current["phone_e164"]
    if phone is None and ids.phone:
        phone = out["phone_e164"] = ids.phone
    if phone is None and ids.phone_unverified:
        out["phone_unverified"] = True
    elif phone is not None:
        out["phone_unverified"] = False
    if current["email"] is None and ids.email:
        out["email"] = ids.email
    if current["normalized_name"] is None and ids.name:
        out["normalized_name"] = ids.name
        out["name_block"] = name_block(ids.name)
        out["display_name"] = current["display_name"] or raw_name
    return out


def _similar_names(
    session: Session, person_id: str, normalized: object, block: object
) -> list[tuple[float, str]]:
    """Similar names in the same block, best first, at most MAX_SUGGESTIONS (score, prospect
    id): suggestions, never merges. Candidates come off the (person, block, created) index,
    newest first, reading their id and name only."""
    if not isinstance(normalized, str) or not isinstance(block, str):
        return []
    candidates = session.connection().execute(_BLOCK, {"person_id": person_id, "block": block})
    scored = []
    for candidate_id, other in candidates:
        other = other or ""
        if not _given_names_compatible(normalized, other):
            continue
        score = _ratio_at_least(normalized, other, FUZZY_NAME_THRESHOLD)
        if score is not None:
            scored.append((score, candidate_id))
    scored.sort(key=lambda pair: -pair[0])
    return scored[:MAX_SUGGESTIONS]


def _given_names_compatible(a: str, b: str) -> bool:
    """Same family name is not enough: the given names must match closely, or as an initial."""
    return _given_compatible(a.split()[0], b.split()[0])


@lru_cache(maxsize=4096)
def _given_compatible(first_a: str, first_b: str) -> bool:
    """`_given_names_compatible` on the given names alone (few distinct pairs: cached)."""
    if len(first_a) == 1 or len(first_b) == 1:
        return first_a[0] == first_b[0]
    return _ratio_at_least(first_a, first_b, GIVEN_NAME_THRESHOLD) is not None


def _ratio_at_least(a: str, b: str, threshold: float) -> float | None:
    """`SequenceMatcher(None, a, b).ratio()` when it reaches `threshold`, else None. The two
    cheap upper bounds (lengths, then shared characters) turn most candidates away before the
    matching blocks are computed; the answer is the same as comparing the ratio itself."""
    matcher = SequenceMatcher(None, a, b)
    if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
        return None
    score = matcher.ratio()
    return score if score >= threshold else None


def _suggest_all(
    session: Session,
    person_id: str,
    wanted: Sequence[tuple[str, str, str, float]],
    *,
    now: datetime,
    fresh: bool = False,
) -> list[MergeSuggestion]:
    """Merge suggestions (prospect id, candidate id, reason, score); one that exists is kept as
    it is. `fresh`: the prospects were just created, so none can exist yet (nothing to read)."""
    existing: dict[tuple[str, str], MergeSuggestion] = {}
    if not fresh:
        for row in session.scalars(
            select(MergeSuggestion).where(
                MergeSuggestion.prospect_id.in_(sorted({pid for pid, _, _, _ in wanted})),
                MergeSuggestion.candidate_id.in_(sorted({cid for _, cid, _, _ in wanted})),
            )
        ):
            existing[(row.prospect_id, row.candidate_id)] = row
    new = [
        {
            "id": new_id(),
            "person_id": person_id,
            "prospect_id": pid,
            "candidate_id": cid,
            "reason": reason,
            "score": score,
            "status": SuggestionStatus.PENDING,
            "created_at": now,
            "decided_at": None,
        }
        for pid, cid, reason, score in wanted
        if (pid, cid) not in existing
    ]
    made = {(s.prospect_id, s.candidate_id): s for s in rows.insert(session, MergeSuggestion, new)}
    return [existing.get((pid, cid)) or made[(pid, cid)] for pid, cid, _, _ in wanted]


def list_prospects(
    *, session: Session, actor: Person, status: ProspectStatus | None, limit: int, offset: int
) -> tuple[list[ProspectOut], int]:
    """One page of the Person's prospects, newest first; merged ones only when asked for.

    One statement, built once: the page walked along an index in the page's own order
    (`ix_prospects_person_created`, or `ix_prospects_person_status` for one status), so the
    walk stops after `offset + limit` rows however many the Person has; the total is an
    uncorrelated count over the status index's entries, computed once for the statement (a
    second count only when the page is past the end)."""
    query = _PAGE_ALL if status is None else _PAGE_IN_STATUS
    params = {"person": actor.id, "status": status, "limit": limit, "offset": offset}
    found = core(session).execute(query, params).all()
    if found:  # rows as dicts keyed once per statement, validated in one call (not per row)
        page_rows = [dict(zip(_PAGE_KEYS, row, strict=True)) for row in found]
        pages = _PAGE_ROWS.validate_python(page_rows)
        return pages, int(found[0].total)
    count = _COUNT_ALL if status is None else _COUNT_IN_STATUS
    return [], int(core(session).execute(count, params).scalar_one())


def _page(*where: ColumnElement[bool]) -> tuple[Select[Any], Select[Any]]:
    table = Prospect.__table__.c
    mine = and_(table.person_id == bindparam("person"), *where)
    count = select(func.count()).select_from(Prospect.__table__).where(mine)
    page = (
        select(
            *(table[name] for name in ProspectOut.model_fields),
            # never correlated with the page's own FROM: computed once per statement
            count.correlate(None).scalar_subquery().label("total"),
        )
        .where(mine)
        .order_by(table.created_at.desc(), table.id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    return page, count


_PAGE_ALL, _COUNT_ALL = _page(Prospect.__table__.c.status != ProspectStatus.MERGED)
_PAGE_KEYS = (*ProspectOut.model_fields, "total")
_PAGE_ROWS = TypeAdapter(list[ProspectOut])
_PAGE_IN_STATUS, _COUNT_IN_STATUS = _page(Prospect.__table__.c.status == bindparam("status"))


def update_prospect(
    *, session: Session, actor: Person, prospect_id: str, data: ProspectUpdate
) -> Prospect:
    prospect = get_prospect(session=session, actor=actor, prospect_id=prospect_id)
    if prospect.status == ProspectStatus.MERGED:
        raise Conflict("a merged prospect cannot be changed; update the one it was merged into")
    for name, value in data.model_dump(exclude_unset=True).items():
        if name == "status" and value is None:
            continue
        setattr(prospect, name, value.value if isinstance(value, ProspectStatus) else value)
    session.flush()
    return prospect


def list_touchpoints(*, session: Session, actor: Person, prospect_id: str) -> list[Touchpoint]:
    get_prospect(session=session, actor=actor, prospect_id=prospect_id)
    rows = session.scalars(
        select(Touchpoint)
        .where(Touchpoint.prospect_id == prospect_id)
        .order_by(Touchpoint.occurred_at, Touchpoint.created_at)
    )
    return list(rows)


def record_outcome(
    *, session: Session, actor: Person, prospect_id: str, data: OutcomeIn
) -> Touchpoint:
    """Append an outcome touchpoint with the next outcome version; a later one supersedes."""
    prospect = get_prospect(session=session, actor=actor, prospect_id=prospect_id)
    if prospect.status == ProspectStatus.MERGED:
        raise Conflict("record the outcome on the prospect this one was merged into")
    latest = session.scalar(
        select(func.max(Touchpoint.outcome_version)).where(Touchpoint.prospect_id == prospect.id)
    )
    touchpoint = Touchpoint(
        prospect_id=prospect.id,
        person_id=actor.id,
        kind="outcome",
        direction="internal",
        outcome=data.outcome.value,
        outcome_version=(latest or 0) + 1,
        occurred_at=data.occurred_at or utcnow(),
    )
    session.add(touchpoint)
    prospect.status = OUTCOME_STATUS[data.outcome]
    session.flush()
    return touchpoint


def list_merge_suggestions(
    *, session: Session, actor: Person, status: SuggestionStatus = SuggestionStatus.PENDING
) -> list[MergeSuggestion]:
    rows = session.scalars(
        select(MergeSuggestion)
        .where(MergeSuggestion.person_id == actor.id, MergeSuggestion.status == status)
        .order_by(MergeSuggestion.created_at)
    )
    return list(rows)


def _get_suggestion(session: Session, actor: Person, suggestion_id: str) -> MergeSuggestion:
    suggestion = owned(
        session, MergeSuggestion, suggestion_id, person_id=actor.id, kind="merge suggestion"
    )
    if suggestion.status != SuggestionStatus.PENDING:
        raise Conflict(f"merge suggestion is already {suggestion.status}")
    return suggestion


def reject_merge(*, session: Session, actor: Person, suggestion_id: str) -> MergeSuggestion:
    suggestion = _get_suggestion(session, actor, suggestion_id)
    suggestion.status, suggestion.decided_at = SuggestionStatus.REJECTED, utcnow()
    session.flush()
    return suggestion


def accept_merge(*, session: Session, actor: Person, suggestion_id: str) -> Prospect:
    """Fold the suggested prospect into the candidate, within this one Person's tenant."""
    suggestion = _get_suggestion(session, actor, suggestion_id)
    source = get_prospect(session=session, actor=actor, prospect_id=suggestion.prospect_id)
    target = get_prospect(session=session, actor=actor, prospect_id=suggestion.candidate_id)
    if ProspectStatus.MERGED in (source.status, target.status):
        raise Conflict("one of these prospects was already merged")
    next_version = (
        session.scalar(
            select(func.max(Touchpoint.outcome_version)).where(Touchpoint.prospect_id == target.id)
        )
        or 0
    )
    moved = session.scalars(
        select(Touchpoint)
        .where(Touchpoint.prospect_id == source.id)
        .order_by(Touchpoint.outcome_version.is_(None), Touchpoint.outcome_version)
    )
    for touchpoint in moved:
        if touchpoint.outcome_version is not None:
            next_version += 1
            touchpoint.outcome_version = next_version
        touchpoint.prospect_id = target.id
    session.flush()
    have = {
        (i.key_id, i.dimension, i.digest)
        for i in session.scalars(
            select(ProspectIdentifier).where(ProspectIdentifier.prospect_id == target.id)
        )
    }
    for identifier in session.scalars(
        select(ProspectIdentifier).where(ProspectIdentifier.prospect_id == source.id)
    ):
        if (identifier.key_id, identifier.dimension, identifier.digest) in have:
            session.delete(identifier)
        else:
            identifier.prospect_id = target.id
    target.phone_e164 = target.phone_e164 or source.phone_e164
    target.email = target.email or source.email
    if target.normalized_name is None:
        target.normalized_name, target.name_block = source.normalized_name, source.name_block
        target.display_name = target.display_name or source.display_name
    source.status, source.merged_into_id = ProspectStatus.MERGED, target.id
    suggestion.status, suggestion.decided_at = SuggestionStatus.ACCEPTED, utcnow()
    session.flush()
    return target
