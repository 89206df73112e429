"""Subject keys: bind a prospect's hash chain to an opaque key by Fellegi-Sunter linkage.

Only keyed digests from the tenant's stored hash chain reach this module; raw identifiers never
do. A digest on the blocked list (from a DSR opt-out) refuses the link outright. Linking is
serialized by a transaction-scoped advisory lock on PostgreSQL (SQLite already serializes
writers with BEGIN IMMEDIATE), so concurrent first contributions cannot mint two keys.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (
    CompoundSelect,
    Select,
    String,
    Table,
    and_,
    bindparam,
    insert,
    null,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from prospecting.db import core, list_params, loaded, new_id, one_of, ordered_id, utcnow
from prospecting.errors import ConsentRequired, NotFound, SubjectOptedOut
from prospecting.graph import consent, lineage, linkage
from prospecting.graph.models import (
    BlockedDigest,
    ProspectLink,
    ProviderConsent,
    SubjectBudget,
    SubjectDimension,
    SubjectKey,
    SubjectStatus,
)
from prospecting.graph.schemas import LinkOut
from prospecting.prospects import service as prospects
from prospecting.resolver.keys import STRONG_DIMENSIONS, Digest
from prospecting.runtime import Context

LINK_LOCK_ID = 0x70726F73  # "pros": one advisory lock for all linking

_KEYS = cast(Table, SubjectKey.__table__)
_DIMS = cast(Table, SubjectDimension.__table__)
_LINKS = cast(Table, ProspectLink.__table__)
_BUDGETS = cast(Table, SubjectBudget.__table__)
_BLOCKED = cast(Table, BlockedDigest.__table__)
# Built once: on the link path, constructing a statement costs more than SQLite takes to run it.
_LINK = select(_LINKS).where(
    _LINKS.c.provider_id == bindparam("provider_id"),
    _LINKS.c.prospect_id == bindparam("prospect_id"),
)
_CONSENTS = cast(Table, ProviderConsent.__table__)
_ME = select(bindparam("provider_id", type_=String).label("provider_id")).subquery("me")
_OWN_CONSENT = [column.label(f"own_{column.key}") for column in consent.OWN_COLUMNS]
# One row whatever exists: the caller's link of the prospect (NULLs if none) with its
# subject's status, and the caller's own consent row (NULLs if none).
_LINK_STATUS_CONSENT = select(
    *_LINKS.c, _KEYS.c.status.label("subject_status"), *_OWN_CONSENT
).select_from(
    _ME.outerjoin(_CONSENTS, _CONSENTS.c.provider_id == _ME.c.provider_id)
    .outerjoin(
        _LINKS,
        and_(
            _LINKS.c.provider_id == _ME.c.provider_id,
            _LINKS.c.prospect_id == bindparam("prospect_id"),
        ),
    )
    .outerjoin(_KEYS, _KEYS.c.subject_key == _LINKS.c.subject_key)
)
_OWN_KEYS = [label.key for label in _OWN_CONSENT]


@lru_cache(maxsize=64)
def _blocked_or_hits(strong: int, digests: int) -> CompoundSelect[Any, str, str, str]:
    """The blocked digests among `strong` values and the active subjects' rows holding one of
    `digests` values, in one statement (built once per pair of list lengths)."""
    hits = (
        select(_DIMS.c.subject_key, _DIMS.c.dimension, _DIMS.c.key_id, _DIMS.c.digest)
        .join(_KEYS, _KEYS.c.subject_key == _DIMS.c.subject_key)
        .where(
            one_of(_DIMS.c.digest, "digest", digests),
            _KEYS.c.status == SubjectStatus.ACTIVE,
        )
    )
    blocked = select(
        null().label("subject_key"), _BLOCKED.c.dimension, _BLOCKED.c.key_id, _BLOCKED.c.digest
    ).where(one_of(_BLOCKED.c.digest, "strong", strong))
    return union_all(blocked, hits)


@lru_cache(maxsize=16)
def _present(subjects: int) -> Select[str, str, int]:
    """Which dimensions `subjects` subject keys hold under a key id, with collision reports."""
    return select(_DIMS.c.subject_key, _DIMS.c.dimension, _DIMS.c.collision_reports).where(
        one_of(_DIMS.c.subject_key, "subject_key", subjects),
        _DIMS.c.key_id == bindparam("key_id"),
    )


_HELD = select(_DIMS.c.dimension, _DIMS.c.key_id, _DIMS.c.digest).where(
    _DIMS.c.subject_key == bindparam("subject_key")
)
_INSERT_KEY = insert(_KEYS)
_INSERT_BUDGET = insert(_BUDGETS)
_INSERT_DIMS = insert(_DIMS)
_INSERT_LINK = insert(_LINKS)


@dataclass(frozen=True)
class Candidate:
    subject_key: str
    result: linkage.LinkResult
    agreeing: frozenset[str]


def existing_link(graph: Session, provider_id: str, prospect_id: str) -> ProspectLink | None:
    """The caller's link of one prospect, if any: one Core read, the row handed back as the
    session's persistent object (the one already loaded, if it is)."""
    row = (
        graph.connection()
        .execute(_LINK, {"provider_id": provider_id, "prospect_id": prospect_id})
        .first()
    )
    return None if row is None else loaded(graph, ProspectLink, row._asdict())


@dataclass(frozen=True)
class _Found:
    link: ProspectLink | None
    subject_status: str | None  # None: no such subject
    own_consent: consent.Own | None  # the caller's own consent row, None if they have none


def _link_status_consent(graph: Session, provider_id: str, prospect_id: str) -> _Found:
    """`existing_link` with its subject's status and the caller's own consent, in one read."""
    row = (
        core(graph)
        .execute(_LINK_STATUS_CONSENT, {"provider_id": provider_id, "prospect_id": prospect_id})
        .one()
    )
    values = row._asdict()
    status = values.pop("subject_status")
    own = [values.pop(key) for key in _OWN_KEYS]  # provider_id first: None when no row
    return _Found(
        link=None if values["id"] is None else loaded(graph, ProspectLink, values),
        subject_status=status,
        own_consent=None if own[0] is None else consent.own_of(own[1:]),
    )


def blocked_or_candidates(graph: Session, chain: list[Digest]) -> list[Candidate] | None:
    """One statement for both: None when the chain carries a blocked digest (an opted-out
    subject's), else the active subjects sharing a strong digest with the chain, scored best
    first (a subject sharing only a name is no candidate: a name alone must not move anything
    returned)."""
    strong = {(d.dimension, d.key_id, d.value) for d in chain if d.dimension in STRONG_DIMENSIONS}
    strong_values = sorted({value for _, _, value in strong})
    values = sorted({d.value for d in chain})
    rows = graph.connection().execute(
        _blocked_or_hits(len(strong_values), len(values)),
        {
            **list_params("strong", strong_values),
            **list_params("digest", values),
        },
    )
    hits = []
    for subject_key, dimension, key_id, digest in rows:
        if subject_key is None:  # a blocked digest
            if (dimension, key_id, digest) in strong:
                return None
        else:
            hits.append((subject_key, dimension, key_id, digest))
    return _scored(graph, chain, hits)


def _scored(graph: Session, chain: list[Digest], hits: Iterable[Sequence[Any]]) -> list[Candidate]:
    """The candidates among the subjects holding one of the chain's digests (`hits`: subject
    key, dimension, key id, digest), with their scores."""
    wanted = {(d.dimension, d.key_id, d.value) for d in chain}
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
    for subject_key, dimension, count in graph.connection().execute(
        _present(len(agreeing)),
        {"key_id": key_id, **list_params("subject_key", sorted(agreeing))},
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
    """A new active subject key with its privacy budget (Core INSERTs, no flush)."""
    values = _insert_subject(ctx, split_from=split_from)
    return loaded(ctx.graph, SubjectKey, values)


def _insert_subject(ctx: Context, *, split_from: str | None = None) -> dict[str, Any]:
    now = utcnow()
    values: dict[str, Any] = {
        "subject_key": new_id(),
        "status": SubjectStatus.ACTIVE,
        "split_from": split_from,
        "merged_into": None,
        "created_at": now,
        "updated_at": now,
    }
    ctx.graph.flush()  # anything pending goes first, as the unit of work would have ordered it
    connection = ctx.graph.connection()
    connection.execute(_INSERT_KEY, values)
    connection.execute(
        _INSERT_BUDGET,
        {
            "subject_key": values["subject_key"],
            "limit_units": ctx.settings.graph_subject_budget_units,
            "spent_units": 0,
            "withheld": 0,
        },
    )
    return values


def bind_digests(
    graph: Session, subject_key: str, chain: list[Digest], *, fresh: bool = False
) -> None:
    """Add the chain's digests the subject does not hold yet, in one INSERT. `fresh`: the
    subject was made in this transaction and holds nothing yet (nothing to read)."""
    graph.flush()
    connection = graph.connection()
    have: set[tuple[str, str, str]] = set()
    if not fresh:
        have = {
            (dimension, key_id, digest)
            for dimension, key_id, digest in connection.execute(_HELD, {"subject_key": subject_key})
        }
    now = utcnow()
    rows = []
    for d in chain:
        if (d.dimension, d.key_id, d.value) not in have:
            have.add((d.dimension, d.key_id, d.value))
            rows.append(
                {
                    "id": ordered_id(),
                    "subject_key": subject_key,
                    "dimension": d.dimension,
                    "key_id": d.key_id,
                    "digest": d.value,
                    "collision_reports": 0,
                    "created_at": now,
                }
            )
    if rows:
        connection.execute(_INSERT_DIMS, rows)


def lock_linking(graph: Session) -> None:
    if graph.get_bind().dialect.name == "postgresql":
        graph.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": LINK_LOCK_ID})


@dataclass(frozen=True)
class FromIngest:
    """What the caller's own ingest, just committed, tells linking about the prospect it
    names: the prospect is the caller's and live (attached to or created, merges followed),
    so an existing link answers without reading the tenant store; `chain` is a new
    prospect's chain as the ingest stored it (`Ingested.graph_chain`; None when the message
    was attached to a prospect the ingest did not read the chain of)."""

    chain: list[Digest] | None


def link_prospect(
    ctx: Context,
    prospect_id: str,
    *,
    ingested: FromIngest | None = None,
    eff: consent.Effective | None = None,
) -> tuple[ProspectLink, bool]:
    """Link one of the caller's prospects (idempotent); returns the link and whether it is new.

    Raises SubjectOptedOut when the chain carries a blocked digest or the subject is tombstoned.
    Reads and writes go through prebuilt Core statements with client-side ids and no flush:
    the tenant's prospect with its chain (one read), the link with its subject's status and
    the caller's own consent (one read; their Orgs' defaults only if that row leaves consent
    undecided), the blocked digests with the candidates (one read), then the new subject, its
    budget, its digests and the link (one INSERT each).

    `ingested`: only from the caller's own ingest of `prospect_id`, just committed: the link
    is looked up first and the tenant store is read only if there is none and the ingest
    did not hand the chain over. `eff`: the caller's effective consent as already read in
    this transaction.
    """
    chain = ingested.chain if ingested is not None else None
    if ingested is None:
        prospect_id, chain = _owned_chain(ctx, prospect_id)
    held = _link_status_consent(ctx.graph, ctx.actor.id, prospect_id)
    if held.link is None:
        if chain is None:  # the ingest's live prospect (no merge to follow), not linked yet
            chain = _owned_chain(ctx, prospect_id)[1]
        eff = eff if eff is not None else consent.effective_given(ctx, held.own_consent)
        if not consent.may_link(ctx, prospect_id, eff=eff):
            raise ConsentRequired("turn on graph query or contribution consent to link prospects")
        if ctx.graph.get_bind().dialect.name == "postgresql":
            # SQLite: the transaction holds the write lock since its first read (BEGIN IMMEDIATE)
            lock_linking(ctx.graph)
            held = _link_status_consent(ctx.graph, ctx.actor.id, prospect_id)
    link, status = held.link, held.subject_status
    if link is not None:
        if status is None or status == SubjectStatus.TOMBSTONED:
            raise SubjectOptedOut("this subject opted out of the graph")
        return link, False
    if not chain:  # only a phone that failed validation, or only a household landline
        raise NotFound(
            "hash chain for this prospect",
            hint="the graph links on a mobile phone, an email, or a name with any phone; this "
            "prospect has none of them (a phone that failed validation is kept unhashed, "
            "flagged phone_unverified; a landline is shared by a household, so without a "
            "name it is not sent), so it stays local",
        )
    found = blocked_or_candidates(ctx.graph, chain)
    if found is None:
        raise SubjectOptedOut("this subject opted out of the graph")
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
        subject_key = _insert_subject(ctx)["subject_key"]
        confidence = 1.0 - (best.result.confidence if best else 0.0)
        matched, created = [], True
    bind_digests(ctx.graph, subject_key, chain, fresh=created)
    now = utcnow()
    values: dict[str, Any] = {
        "id": ordered_id(),
        "provider_id": ctx.actor.id,
        "prospect_id": prospect_id,
        "subject_key": subject_key,
        "confidence": round(confidence, 6),
        "matched_on": matched,
        "chain": [[d.dimension, d.key_id, d.value] for d in chain],
        "created_at": now,
        "updated_at": now,
    }
    ctx.graph.connection().execute(_INSERT_LINK, values)
    return loaded(ctx.graph, ProspectLink, values), created


def _owned_chain(ctx: Context, prospect_id: str) -> tuple[str, list[Digest]]:
    return prospects.owned_chain(
        session=ctx.tenant,
        actor=ctx.actor,
        prospect_id=prospect_id,
        key_id=ctx.resolver.active_key_id,
    )


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
