"""Intro asks: the graph's reachability turned into a question for the peers behind it.

B's copilot sees that a consented peer had a positive outcome with B's prospect (the graph's
reachability). `ask` turns that cue into one `IntroAsk` per vetted peer A behind it (the
graph's `positive_peers`, read by the coop only), each asking A whether they will introduce
their own prospect to B. B learns a count and a state, never who A is nor A's prospect: not in
the answer, not in B's audit, not in B's status view. A sees their open asks (their own
prospect id, B's display name and category) and either `fulfil`s one, which proposes the
ordinary warm intro A → B (`coop/intros.py`: the prospect's consent first, then B decides;
B learns A only once the prospect said yes), or `decline`s it. Open asks expire after
`coop_offer_timeout_hours` (`expire_due`, from the sweep) and are closed when the person
leaves the graph (`close_for_prospects`, from the erasure workflow). Another provider's ask
answers NotFound, exactly like a missing one.

States of B's answer (`AskOut.state`): `asked` (new asks went out), `already_asked` (every
peer found was asked before), `no_peers` (reachable, but no vetted peer with an effective
consent stands behind it), `not_reachable`, `insufficient_contributors`, `subject_opted_out`,
`degraded` (the graph store cannot be reached: nothing was asked).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from prospecting.config import Settings
from prospecting.coop import audit, intros, network, vetting
from prospecting.coop.models import IntroAsk, IntroAskStatus, Listing
from prospecting.coop.schemas import ShareField, Vouch
from prospecting.db import new_id, utcnow
from prospecting.errors import Conflict, NotFound
from prospecting.graph import service as graph
from prospecting.identity import service as identity
from prospecting.identity.models import Person
from prospecting.prospects import service as prospects
from prospecting.runtime import Context

KIND = "intro_ask"
AskState = Literal[
    "asked",
    "already_asked",
    "no_peers",
    "not_reachable",
    "insufficient_contributors",
    "subject_opted_out",
    "degraded",
]
STANDING = (IntroAskStatus.OPEN, IntroAskStatus.FULFILLED, IntroAskStatus.DECLINED)
"""An ask in one of these states is not repeated to the same peer for the same prospect."""

_REASONS: dict[str, str] = {
    "asked": "peers with a positive outcome with this person were asked for an intro; you "
    "learn who they are only if one of them proposes it and the person agrees",
    "already_asked": "every peer found was already asked for this prospect",
    "no_peers": "no vetted peer with graph consent stands behind the positive outcome",
    "not_reachable": "no consented peer is known to have a positive outcome with this person",
    "insufficient_contributors": "too few peers know this person to say anything",
    "subject_opted_out": "this person left the network",
    "degraded": "the network is unreachable: nothing was asked, try again later",
}


class AskOut(BaseModel):
    """B's answer: a count and a state, never a peer's identity or prospect."""

    model_config = ConfigDict(frozen=True)
    prospect_id: str  # B's own prospect
    state: AskState
    asked: int  # asks created by this call
    open: int  # B's open asks for this prospect, this call's included
    reason: str


class AskStatusOut(BaseModel):
    """B's view of their asks: counts by status only."""

    model_config = ConfigDict(frozen=True)
    prospect_id: str | None
    open: int
    fulfilled: int
    declined: int
    expired: int
    closed: int


class HolderAskOut(BaseModel):
    """One ask as its holder (A) sees it: A's own prospect and who asks (name, category)."""

    model_config = ConfigDict(frozen=True)
    id: str
    status: IntroAskStatus
    prospect_id: str  # the holder's own prospect
    asker_id: str
    asker_name: str | None
    asker_category: str | None
    intro_id: str | None
    expires_at: datetime
    created_at: datetime
    decided_at: datetime | None


class FulfilledAsk(BaseModel):
    """A agreed: the ask, now fulfilled, and the intro it proposed (A's sender view)."""

    model_config = ConfigDict(frozen=True)
    ask: HolderAskOut
    intro: intros.IntroOut


def ask(*, session: Session, ctx: Context, prospect_id: str, now: datetime | None = None) -> AskOut:
    """B (`ctx.actor`, vetted) asks the peers behind the reachability of B's prospect for an
    intro. `session` is B's tenant write transaction; `ctx` carries the graph transaction
    (the workflow builds both; see the module doc)."""
    actor = ctx.actor
    now = now or utcnow()
    vetting.require_vetted(session=session, actor=actor)
    prospect = prospects.owned_prospect(session=session, actor=actor, prospect_id=prospect_id)
    _require_intros(session, ctx.settings, actor)
    cue = graph.positive_peers(ctx, prospect.id)
    holders = _holders(session, actor, cue.pairs)
    prospects.lock_tenant(session, actor.id)  # one ask at a time per asker: no duplicates
    expire_due(session=session, now=now, person_id=actor.id)
    standing = set(
        session.scalars(
            select(IntroAsk.holder_id).where(
                IntroAsk.asker_id == actor.id,
                IntroAsk.asker_prospect_id == prospect.id,
                IntroAsk.status.in_(STANDING),
            )
        )
    )
    expires_at = now + timedelta(hours=ctx.settings.coop_offer_timeout_hours)
    created: list[IntroAsk] = []
    for holder_id, holder_prospect in sorted(holders.items()):
        if holder_id in standing:
            continue
        row = IntroAsk(
            id=new_id(),
            asker_id=actor.id,
            asker_prospect_id=prospect.id,
            holder_id=holder_id,
            holder_prospect_id=holder_prospect,
            status=IntroAskStatus.OPEN,
            expires_at=expires_at,
            created_at=now,
        )
        session.add(row)
        created.append(row)
    session.flush()
    state = _state(cue, holders, created)
    for row in created:
        audit.record(
            session,
            person_id=row.holder_id,
            actor="peer",
            object_kind=KIND,
            object_id=row.id,
            action="intro_ask_received",
            counterpart_id=actor.id,
            detail={"prospect_id": row.holder_prospect_id},
            at=now,
        )
    # B's entry: a count and a state; never a peer's id (no counterpart, no ask ids)
    audit.record(
        session,
        person_id=actor.id,
        actor="self",
        object_kind=KIND,
        object_id=prospect.id,
        action="intro_asked",
        detail={"asked": len(created), "state": state},
        at=now,
    )
    open_now = _counts(session, actor.id, prospect.id)[IntroAskStatus.OPEN]
    return AskOut(
        prospect_id=prospect.id,
        state=state,
        asked=len(created),
        open=open_now,
        reason=_REASONS[state],
    )


def _require_intros(session: Session, settings: Settings, actor: Person) -> None:
    """The warm-intro gate of the asker's listing (FeatureUnavailable): an ask that could
    never become an intro is not sent. Without a listing the intro itself gates later."""
    listing = session.get(Listing, actor.id)
    if listing is None or not listing.categories:
        return
    network.require_feature(
        session=session,
        settings=settings,
        actor=actor,
        feature="intros",
        category=listing.categories[0],
        region=listing.region,
    )


def _holders(session: Session, actor: Person, pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """One prospect per vetted peer (not the asker): {holder id: holder's prospect id},
    following the holder's local merges; a prospect the holder no longer has is skipped."""
    vetted = vetting.vetted_ids(session=session)
    found: dict[str, str] = {}
    for provider_id, their_prospect in sorted(pairs):
        if provider_id == actor.id or provider_id in found or provider_id not in vetted:
            continue
        holder = session.get(Person, provider_id)
        if holder is None:
            continue
        try:
            found[provider_id] = prospects.owned_prospect_id(
                session=session, actor=holder, prospect_id=their_prospect
            )
        except NotFound:
            continue
    return found


def _state(cue: graph.PositivePeers, holders: dict[str, str], created: list[IntroAsk]) -> AskState:
    if cue.degraded:
        return "degraded"
    if cue.state in ("insufficient_contributors", "subject_opted_out", "not_reachable"):
        return cue.state  # type: ignore[return-value]
    if created:
        return "asked"
    return "already_asked" if holders else "no_peers"


def _counts(session: Session, asker_id: str, prospect_id: str | None) -> Counter[IntroAskStatus]:
    query = select(IntroAsk.status).where(IntroAsk.asker_id == asker_id)
    if prospect_id is not None:
        query = query.where(IntroAsk.asker_prospect_id == prospect_id)
    return Counter(IntroAskStatus(s) for s in session.scalars(query))


def status_for_asker(
    *, session: Session, actor: Person, prospect_id: str | None = None
) -> AskStatusOut:
    """B's asks (for one of B's prospects, or all), as counts by status only."""
    expire_due(session=session, now=utcnow(), person_id=actor.id)
    pid = None
    if prospect_id is not None:
        pid = prospects.owned_prospect_id(session=session, actor=actor, prospect_id=prospect_id)
    counts = _counts(session, actor.id, pid)
    return AskStatusOut(
        prospect_id=pid,
        open=counts[IntroAskStatus.OPEN],
        fulfilled=counts[IntroAskStatus.FULFILLED],
        declined=counts[IntroAskStatus.DECLINED],
        expired=counts[IntroAskStatus.EXPIRED],
        closed=counts[IntroAskStatus.CLOSED],
    )


def list_for_holder(
    *, session: Session, actor: Person, status: IntroAskStatus | None = IntroAskStatus.OPEN
) -> list[HolderAskOut]:
    """The asks addressed to A (default: the open ones), newest first."""
    expire_due(session=session, now=utcnow(), person_id=actor.id)
    query = select(IntroAsk).where(IntroAsk.holder_id == actor.id)
    if status is not None:
        query = query.where(IntroAsk.status == status)
    rows = list(session.scalars(query.order_by(IntroAsk.created_at.desc(), IntroAsk.id.desc())))
    return _outs(session, rows)


def get_for_holder(*, session: Session, actor: Person, ask_id: str) -> HolderAskOut:
    """One ask addressed to A; anyone else's (the asker's included) answers NotFound."""
    row = _load(session, actor, ask_id)
    return _outs(session, [row])[0]


def fulfil(
    *,
    session: Session,
    settings: Settings,
    actor: Person,
    ask_id: str,
    vouch: Vouch,
    fields: list[ShareField],
    now: datetime | None = None,
) -> FulfilledAsk:
    """A agrees: propose the warm intro A → B for A's prospect (the prospect's consent is
    asked as for any intro) and mark the ask fulfilled with the intro's id."""
    now = now or utcnow()
    row = _load(session, actor, ask_id, lock=True)
    _expire_one(session, row, now)
    if row.status != IntroAskStatus.OPEN:
        raise Conflict(f"intro ask is {row.status.value}", hint="only an open ask can be answered")
    intro = intros.propose(
        session=session,
        settings=settings,
        actor=actor,
        prospect_id=row.holder_prospect_id,
        receiver_id=row.asker_id,
        vouch=vouch,
        fields=fields,
    )
    row.status = IntroAskStatus.FULFILLED
    row.intro_id = intro.id
    row.decided_at = now
    session.flush()
    _audit_both(session, row, "intro_ask_fulfilled", by="holder", now=now, intro_id=intro.id)
    return FulfilledAsk(ask=_outs(session, [row])[0], intro=intro)


def decline(
    *, session: Session, actor: Person, ask_id: str, now: datetime | None = None
) -> HolderAskOut:
    """A says no; B's status view counts it as declined (and still does not learn A)."""
    now = now or utcnow()
    row = _load(session, actor, ask_id, lock=True)
    _expire_one(session, row, now)
    if row.status != IntroAskStatus.OPEN:
        raise Conflict(f"intro ask is {row.status.value}", hint="only an open ask can be answered")
    row.status = IntroAskStatus.DECLINED
    row.decided_at = now
    session.flush()
    _audit_both(session, row, "intro_ask_declined", by="holder", now=now)
    return _outs(session, [row])[0]


def expire_due(*, session: Session, now: datetime, person_id: str | None = None) -> int:
    """Expire every open ask past its `expires_at` (the sweep; lazily by every read of a
    side's asks); returns how many."""
    query = select(IntroAsk).where(
        IntroAsk.status == IntroAskStatus.OPEN, IntroAsk.expires_at <= now
    )
    if person_id is not None:
        query = query.where(or_(IntroAsk.asker_id == person_id, IntroAsk.holder_id == person_id))
    due = list(session.scalars(query.with_for_update()))
    for row in due:
        _expire_one(session, row, now)
    return len(due)


def close_for_prospects(
    *, session: Session, prospect_ids: Iterable[str], now: datetime | None = None
) -> int:
    """Close the open asks on these prospects (either side's): the erasure workflow calls it
    with every prospect linked to an erased subject. Returns how many."""
    ids = sorted(set(prospect_ids))
    if not ids:
        return 0
    now = now or utcnow()
    rows = list(
        session.scalars(
            select(IntroAsk)
            .where(
                IntroAsk.status == IntroAskStatus.OPEN,
                or_(IntroAsk.asker_prospect_id.in_(ids), IntroAsk.holder_prospect_id.in_(ids)),
            )
            .with_for_update()
        )
    )
    for row in rows:
        row.status = IntroAskStatus.CLOSED
        row.decided_at = now
        _audit_both(session, row, "intro_ask_closed", by="system", now=now)
    session.flush()
    return len(rows)


def _expire_one(session: Session, row: IntroAsk, now: datetime) -> None:
    if row.status == IntroAskStatus.OPEN and row.expires_at <= now:
        row.status = IntroAskStatus.EXPIRED
        row.decided_at = now
        _audit_both(session, row, "intro_ask_expired", by="system", now=now)


def _audit_both(
    session: Session,
    row: IntroAsk,
    action: str,
    *,
    by: Literal["holder", "system"],
    now: datetime,
    intro_id: str | None = None,
) -> None:
    """The holder's entry names the asker and the ask; the asker's names neither the holder
    nor the ask (its object is the asker's own prospect)."""
    audit.record(
        session,
        person_id=row.holder_id,
        actor="self" if by == "holder" else "system",
        object_kind=KIND,
        object_id=row.id,
        action=action,
        counterpart_id=row.asker_id,
        detail={"intro_id": intro_id} if intro_id else None,
        at=now,
    )
    audit.record(
        session,
        person_id=row.asker_id,
        actor="peer" if by == "holder" else "system",
        object_kind=KIND,
        object_id=row.asker_prospect_id,
        action=action,
        at=now,
    )


def _load(session: Session, actor: Person, ask_id: str, *, lock: bool = False) -> IntroAsk:
    query = select(IntroAsk).where(IntroAsk.id == ask_id, IntroAsk.holder_id == actor.id)
    if lock:
        query = query.with_for_update()
    row = session.scalar(query)
    if row is None:
        raise NotFound("intro ask")
    return row


def _outs(session: Session, rows: list[IntroAsk]) -> list[HolderAskOut]:
    askers = {row.asker_id for row in rows}
    names = identity.display_names(session=session, person_ids=askers)
    categories: dict[str, str | None] = {}
    for asker_id in askers:
        listing = session.get(Listing, asker_id)
        if listing is not None and listing.categories:
            categories[asker_id] = listing.categories[0]
        else:
            person = session.get(Person, asker_id)
            own = (person.service_categories or []) if person is not None else []
            categories[asker_id] = own[0] if own else None
    return [
        HolderAskOut(
            id=row.id,
            status=row.status,
            prospect_id=row.holder_prospect_id,
            asker_id=row.asker_id,
            asker_name=names.get(row.asker_id),
            asker_category=categories.get(row.asker_id),
            intro_id=row.intro_id,
            expires_at=row.expires_at,
            created_at=row.created_at,
            decided_at=row.decided_at,
        )
        for row in rows
    ]
