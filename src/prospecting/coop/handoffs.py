"""Hand-offs: an overflow or wrong-fit prospect offered to matching vetted peers with capacity.

States (coop/models.HandoffStatus): `awaiting_consent` → prospect yes → `offering` → a
candidate accepts → `accepted`. Prospect no (`declined_by_prospect`), revocation (`revoked`),
the sender withdrawing (`withdrawn`), no answer to the consent (`expired`) or every candidate
declining or timing out (`exhausted`) close it; the sender sees the status and the audit.

No offer and nothing about the prospect leaves before the prospect's consent. Candidates are
ranked when the consent arrives (capacity may have changed since) by `coop.ranking.rank`; an
offer goes to one candidate at a time (`fan_out` > 1, at most 3, keeps that many open at once),
and a decline or a timeout (`settings.coop_offer_timeout_hours`) cascades to the next.

What a candidate sees of an open offer (`OfferOut`) is the structured facts only: reason,
category, region, service, language, the vouch's fixed fields and the *names* of the consented
fields — not the sender, not the person. The consented fields themselves reach the winner
only, after acceptance, as a new prospect row in the winner's tenant
(`prospects.service.create_referred`, `origin="handoff"`). The winner is set by one
conditional UPDATE on the hand-off, so two acceptances give one winner and a `Conflict`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from prospecting.config import Settings
from prospecting.coop import audit, consent, listing, network, ranking, vetting
from prospecting.coop.models import (
    Handoff,
    HandoffOffer,
    HandoffStatus,
    Listing,
    OfferStatus,
    ShareConsent,
    ShareStatus,
)
from prospecting.coop.schemas import HandoffReason, Outcome, ReferredPerson, ShareField, Vouch
from prospecting.db import new_id, utcnow
from prospecting.errors import Conflict, FeatureUnavailable, InvalidInput, NotFound
from prospecting.identity.models import Person
from prospecting.prospects import service as prospects
from prospecting.resolver.service import Resolver

KIND = "handoff"
MAX_FAN_OUT = 3
FAIRNESS_WINDOW = timedelta(days=30)
OPEN = (HandoffStatus.AWAITING_CONSENT, HandoffStatus.OFFERING)
REASONS = ("overflow", "wrong_fit")
OUTCOMES = ("booked", "not_booked", "no_answer")


class HandoffOut(BaseModel):
    """A hand-off as its sender or its winner sees it. The sender sees their prospect id, the
    status, the winner (once accepted) and the structured outcome; the winner sees the sender,
    the vouch, the consented fields of the person and their own new prospect row."""

    model_config = ConfigDict(frozen=True)
    id: str
    role: Literal["sent", "won"]
    status: HandoffStatus
    reason: HandoffReason
    category: str
    region: str | None
    service: str | None
    language: str | None
    sender_id: str
    sender_name: str | None
    winner_id: str | None
    winner_name: str | None
    prospect_id: str | None  # sender only
    consent_id: str | None  # the share consent asked of the prospect (sender only)
    receiver_prospect_id: str | None  # winner only
    vouch: Vouch | None
    fields: list[ShareField]
    person: ReferredPerson | None  # winner only
    offers_made: int  # sender only (0 for the winner)
    outcome: Outcome | None
    expires_at: datetime
    created_at: datetime
    decided_at: datetime | None
    outcome_at: datetime | None


class OfferOut(BaseModel):
    """An open offer as its candidate sees it: structured facts, no sender, no person."""

    model_config = ConfigDict(frozen=True)
    id: str
    handoff_id: str
    status: OfferStatus
    reason: HandoffReason
    category: str
    region: str | None
    service: str | None
    language: str | None
    vouch: Vouch | None
    fields: list[ShareField]
    offered_at: datetime
    expires_at: datetime


def _hours(settings: Settings | None) -> int:
    if settings is not None:
        return settings.coop_offer_timeout_hours
    default = Settings.model_fields["coop_offer_timeout_hours"].default
    return int(default)


def _naive(value: datetime) -> datetime:
    return value.replace(tzinfo=None) if value.tzinfo is not None else value


def offer(
    *,
    session: Session,
    settings: Settings,
    actor: Person,
    prospect_id: str,
    reason: HandoffReason,
    category: str,
    region: str | None = None,
    service: str | None = None,
    language: str | None = None,
    vouch: Vouch | None = None,
    fields: list[ShareField],
) -> HandoffOut:
    """Ask the prospect's consent to hand them off; no offer goes out before it."""
    vetting.require_vetted(session=session, actor=actor)
    if reason not in REASONS:
        raise InvalidInput("reason", "overflow or wrong_fit")
    if reason == "overflow":
        own = session.get(Listing, actor.id)
        if own is None or listing.has_capacity(own):
            raise InvalidInput(
                "reason",
                "overflow needs your listing to say you are not accepting new clients",
                hint="update your coop listing (accepting: false), or use wrong_fit",
            )
    network.require_feature(
        session=session,
        settings=settings,
        actor=actor,
        feature="handoffs",
        category=category,
        region=region,
    )
    prospect = prospects.get_prospect(session=session, actor=actor, prospect_id=prospect_id)
    found = listing.candidates(
        session=session,
        category=category,
        region=region,
        service=service,
        language=language,
        exclude={actor.id},
    )
    if not found:
        raise FeatureUnavailable(
            "handoffs",
            "empty",
            "no vetted peer with capacity matches this category, region, service and language",
        )
    shared = sorted({*fields, *(["vouch"] if vouch is not None else [])})
    if not set(shared) & {"name", "phone", "email"}:
        raise InvalidInput("fields", "share at least one of name, phone or email")
    share, _token = consent.request_share(
        session=session,
        settings=settings,
        actor=actor,
        prospect_id=prospect.id,
        purpose="handoff",
        fields=shared,  # type: ignore[arg-type]
        scope={"category": category, "region": region},
    )
    now = utcnow()
    handoff = Handoff(
        id=new_id(),
        sender_id=actor.id,
        prospect_id=prospect.id,
        consent_id=share.id,
        reason=reason,
        category=category,
        region=region,
        service=service,
        language=language,
        vouch=vouch.model_dump(mode="json") if vouch is not None else None,
        status=HandoffStatus.AWAITING_CONSENT,
        expires_at=share.expires_at,
        created_at=now,
    )
    session.add(handoff)
    session.flush()
    audit.record(
        session,
        person_id=actor.id,
        actor="self",
        object_kind=KIND,
        object_id=handoff.id,
        action="handoff_proposed",
        detail={"consent_id": share.id, "fields": shared, "reason": reason},
        at=now,
    )
    return _out(session, handoff, actor)


def consent_decided(
    *,
    session: Session,
    consent: ShareConsent,
    now: datetime,
    settings: Settings | None = None,
    fan_out: int = 1,
) -> None:
    """The prospect answered (or revoked, or let expire) a hand-off's consent."""
    handoff = session.scalar(
        select(Handoff).where(Handoff.consent_id == consent.id).with_for_update()
    )
    if handoff is None:
        return
    if consent.status == ShareStatus.GRANTED and handoff.status == HandoffStatus.AWAITING_CONSENT:
        handoff.status = HandoffStatus.OFFERING
        audit.record(
            session,
            person_id=handoff.sender_id,
            actor="prospect",
            object_kind=KIND,
            object_id=handoff.id,
            action="handoff_consented",
            detail={"fields": list(consent.fields)},
            at=now,
        )
        _cascade(session, handoff, now, hours=_hours(settings), fan_out=fan_out)
    elif consent.status == ShareStatus.DECLINED and handoff.status in OPEN:
        _close(session, handoff, HandoffStatus.DECLINED_BY_PROSPECT, "prospect", now)
    elif consent.status == ShareStatus.REVOKED and handoff.status in OPEN:
        _close(session, handoff, HandoffStatus.REVOKED, "prospect", now)
    elif consent.status == ShareStatus.EXPIRED and handoff.status in OPEN:
        _close(session, handoff, HandoffStatus.EXPIRED, "system", now)


def _fairness(
    session: Session, person_ids: list[str], now: datetime
) -> dict[str, ranking.Fairness]:
    """Hand-offs won in the last 30 days and the last offer, per candidate."""
    if not person_ids:
        return {}
    since = now - FAIRNESS_WINDOW
    received = dict(
        session.execute(
            select(Handoff.winner_id, func.count())
            .where(Handoff.winner_id.in_(person_ids), Handoff.decided_at >= since)
            .group_by(Handoff.winner_id)
        ).all()
    )
    last = dict(
        session.execute(
            select(HandoffOffer.candidate_id, func.max(HandoffOffer.offered_at))
            .where(HandoffOffer.candidate_id.in_(person_ids))
            .group_by(HandoffOffer.candidate_id)
        ).all()
    )
    return {
        pid: ranking.Fairness(received_30d=int(received.get(pid, 0)), last_offered_at=last.get(pid))
        for pid in person_ids
    }


def _cascade(
    session: Session, handoff: Handoff, now: datetime, *, hours: int, fan_out: int
) -> None:
    """Keep `fan_out` offers open, to the best-ranked candidates not offered yet; exhausted
    (and the sender told) when none is open and none is left."""
    if handoff.status != HandoffStatus.OFFERING:
        return
    fan_out = max(1, min(fan_out, MAX_FAN_OUT))
    offers = list(
        session.scalars(select(HandoffOffer).where(HandoffOffer.handoff_id == handoff.id))
    )
    open_now = sum(1 for o in offers if o.status == OfferStatus.OFFERED)
    already = {o.candidate_id for o in offers}
    found = listing.candidates(
        session=session,
        category=handoff.category,
        region=handoff.region,
        service=handoff.service,
        language=handoff.language,
        exclude={handoff.sender_id, *already},
    )
    stats = _fairness(session, [c.person_id for c in found], now)
    ranked = ranking.rank(found, service=handoff.service, language=handoff.language, stats=stats)
    for index, candidate in enumerate(ranked[: max(0, fan_out - open_now)]):
        made = HandoffOffer(
            id=new_id(),
            handoff_id=handoff.id,
            candidate_id=candidate.person_id,
            rank=len(offers) + index,
            status=OfferStatus.OFFERED,
            offered_at=now,
            expires_at=now + timedelta(hours=hours),
        )
        session.add(made)
        open_now += 1
        for side, who, action in (
            (candidate.person_id, "peer", "handoff_offer_received"),
            (handoff.sender_id, "system", "handoff_offer_sent"),
        ):
            # Neither side is named to the other before an acceptance.
            audit.record(
                session,
                person_id=side,
                actor=who,  # type: ignore[arg-type]
                object_kind=KIND,
                object_id=handoff.id,
                action=action,
                detail={"offer_id": made.id},
                at=now,
            )
    session.flush()
    if open_now == 0:
        _close(session, handoff, HandoffStatus.EXHAUSTED, "system", now)


def _close(
    session: Session, handoff: Handoff, status: HandoffStatus, by: str, now: datetime
) -> None:
    """Close an open hand-off: its open offers close too; the sender is always told."""
    handoff.status = status
    handoff.decided_at = now
    _close_offers(session, handoff, now, keep=None)
    audit.record(
        session,
        person_id=handoff.sender_id,
        actor="self" if by == "sender" else by,  # type: ignore[arg-type]
        object_kind=KIND,
        object_id=handoff.id,
        action=f"handoff_{status.value}",
        at=now,
    )


def _close_offers(session: Session, handoff: Handoff, now: datetime, *, keep: str | None) -> None:
    for other in session.scalars(
        select(HandoffOffer).where(
            HandoffOffer.handoff_id == handoff.id, HandoffOffer.status == OfferStatus.OFFERED
        )
    ):
        if other.id == keep:
            continue
        other.status = OfferStatus.CLOSED
        other.decided_at = now
        audit.record(
            session,
            person_id=other.candidate_id,
            actor="system",
            object_kind=KIND,
            object_id=handoff.id,
            action="handoff_offer_closed",
            detail={"offer_id": other.id},
            at=now,
        )


def list_offers(*, session: Session, actor: Person, now: datetime | None = None) -> list[OfferOut]:
    """What is waiting for the actor: their own open, unexpired offers, newest first."""
    at = now or utcnow()
    rows = session.execute(
        select(HandoffOffer, Handoff)
        .join(Handoff, Handoff.id == HandoffOffer.handoff_id)
        .where(
            HandoffOffer.candidate_id == actor.id,
            HandoffOffer.status == OfferStatus.OFFERED,
            HandoffOffer.expires_at > at,
            Handoff.status == HandoffStatus.OFFERING,
        )
        .order_by(HandoffOffer.offered_at.desc(), HandoffOffer.id.desc())
    ).all()
    return [_offer_out(session, made, handoff) for made, handoff in rows]


def _offer_out(session: Session, made: HandoffOffer, handoff: Handoff) -> OfferOut:
    return OfferOut(
        id=made.id,
        handoff_id=handoff.id,
        status=made.status,
        reason=handoff.reason,  # type: ignore[arg-type]
        category=handoff.category,
        region=handoff.region,
        service=handoff.service,
        language=handoff.language,
        vouch=Vouch.model_validate(handoff.vouch) if handoff.vouch else None,
        fields=_fields(session, handoff),
        offered_at=made.offered_at,
        expires_at=made.expires_at,
    )


def _open_offer(
    session: Session,
    actor: Person,
    *,
    now: datetime,
    handoff_id: str | None = None,
    offer_id: str | None = None,
    lock: bool = True,
) -> HandoffOffer:
    query = select(HandoffOffer).where(
        HandoffOffer.candidate_id == actor.id,
        HandoffOffer.status == OfferStatus.OFFERED,
        HandoffOffer.expires_at > now,
    )
    if handoff_id is not None:
        query = query.where(HandoffOffer.handoff_id == handoff_id)
    if offer_id is not None:
        query = query.where(HandoffOffer.id == offer_id)
    made = session.scalar(query.with_for_update() if lock else query)
    if made is None:
        raise NotFound("offer" if offer_id is not None else "handoff")
    return made


def decline_offer(
    *,
    session: Session,
    actor: Person,
    offer_id: str,
    now: datetime,
    settings: Settings | None = None,
) -> OfferOut:
    """The candidate says no; the next candidate gets an offer, or the hand-off is exhausted."""
    made = _open_offer(session, actor, now=now, offer_id=offer_id)
    handoff = session.get(Handoff, made.handoff_id, with_for_update=True)
    if handoff is None or handoff.status != HandoffStatus.OFFERING:
        raise NotFound("offer")
    made.status = OfferStatus.DECLINED
    made.decided_at = now
    for side, who, action in (
        (actor.id, "self", "handoff_offer_declined"),
        (handoff.sender_id, "peer", "handoff_offer_declined"),
    ):
        audit.record(
            session,
            person_id=side,
            actor=who,  # type: ignore[arg-type]
            object_kind=KIND,
            object_id=handoff.id,
            action=action,
            detail={"offer_id": made.id},
            at=now,
        )
    session.flush()
    _cascade(session, handoff, now, hours=_hours(settings), fan_out=1)
    return _offer_out(session, made, handoff)


def accept(
    *, session: Session, actor: Person, handoff_id: str, now: datetime, resolver: Resolver
) -> HandoffOut:
    """The candidate takes the hand-off. Only a holder of an open offer may; the prospect's
    consent is re-checked; the first acceptance wins (one conditional UPDATE), the other gets
    `Conflict`; the winner gets a new row with the consented fields only."""
    try:
        made = _open_offer(session, actor, now=now, handoff_id=handoff_id, lock=False)
    except NotFound:
        if _lost_race(session, actor, handoff_id):
            raise Conflict(
                "hand-off already taken", hint="another peer accepted it first"
            ) from None
        raise
    vetting.require_vetted(session=session, actor=actor)
    handoff = session.get(Handoff, handoff_id)
    if handoff is None:
        raise NotFound("handoff")
    # The winner first (one conditional UPDATE: the race's only arbiter, and the first lock
    # taken, so racing acceptances queue here rather than deadlock on offers or the consent);
    # a failed consent re-check below rolls the whole transaction back.
    won = session.execute(
        update(Handoff)
        .where(
            Handoff.id == handoff_id,
            Handoff.status == HandoffStatus.OFFERING,
            Handoff.winner_id.is_(None),
        )
        .values(status=HandoffStatus.ACCEPTED, winner_id=actor.id, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("hand-off already taken", hint="another peer accepted it first")
    share = consent.require_granted(session=session, consent_id=handoff.consent_id, now=now)
    session.refresh(handoff)
    source = _source(session, handoff, share.fields)
    if source is None:
        raise Conflict("the prospect is no longer available")
    created = prospects.create_referred(
        session=session,
        actor=actor,
        resolver=resolver,
        name=source.name,
        phone=source.phone,
        email=source.email,
        origin="handoff",
        origin_ref=handoff.id,
    )
    handoff.receiver_prospect_id = created.prospect.id
    sender = session.get(Person, handoff.sender_id)
    assert sender is not None  # _source read the sender's prospect
    prospects.record_referral_sent(
        session=session, actor=sender, prospect_id=handoff.prospect_id, kind="handoff", at=now
    )
    made.status = OfferStatus.ACCEPTED
    made.decided_at = now
    _close_offers(session, handoff, now, keep=made.id)
    for side, other, who in (
        (actor.id, handoff.sender_id, "self"),
        (handoff.sender_id, actor.id, "peer"),
    ):
        audit.record(
            session,
            person_id=side,
            actor=who,  # type: ignore[arg-type]
            object_kind=KIND,
            object_id=handoff.id,
            action="handoff_accepted",
            counterpart_id=other,
            at=now,
        )
    session.flush()
    return _out(session, handoff, actor)


def _lost_race(session: Session, actor: Person, handoff_id: str) -> bool:
    """The actor held an offer that closed because another peer won: they knew of the
    hand-off, so they get the clear `Conflict` rather than NotFound (on SQLite the loser's
    transaction starts after the winner's commit, so it sees its offer already closed)."""
    hit = session.scalar(
        select(HandoffOffer.id)
        .join(Handoff, Handoff.id == HandoffOffer.handoff_id)
        .where(
            HandoffOffer.handoff_id == handoff_id,
            HandoffOffer.candidate_id == actor.id,
            HandoffOffer.status == OfferStatus.CLOSED,
            Handoff.status == HandoffStatus.ACCEPTED,
            Handoff.winner_id != actor.id,
        )
        .limit(1)
    )
    return hit is not None


def withdraw(*, session: Session, actor: Person, handoff_id: str, now: datetime) -> HandoffOut:
    """The sender takes the hand-off back before anyone accepted it."""
    handoff = _load(session, actor, handoff_id, lock=True)
    if handoff.sender_id != actor.id:
        raise NotFound("handoff")
    if handoff.status not in OPEN:
        raise Conflict(
            f"hand-off is {handoff.status.value}", hint="only an open hand-off can be withdrawn"
        )
    _close(session, handoff, HandoffStatus.WITHDRAWN, "sender", now)
    return _out(session, handoff, actor)


def advance_due(*, session: Session, now: datetime, settings: Settings | None = None) -> int:
    """The sweep: open offers past their time → `timed_out` and the next candidate; hand-offs
    whose consent was never answered → `expired`. Returns how many rows moved."""
    moved = 0
    due = list(
        session.scalars(
            select(HandoffOffer)
            .where(HandoffOffer.status == OfferStatus.OFFERED, HandoffOffer.expires_at <= now)
            .with_for_update()
        )
    )
    touched: dict[str, Handoff] = {}
    for made in due:
        made.status = OfferStatus.TIMED_OUT
        made.decided_at = now
        handoff = session.get(Handoff, made.handoff_id)
        if handoff is None:
            continue
        touched[handoff.id] = handoff
        for side, who in ((made.candidate_id, "system"), (handoff.sender_id, "system")):
            audit.record(
                session,
                person_id=side,
                actor=who,  # type: ignore[arg-type]
                object_kind=KIND,
                object_id=handoff.id,
                action="handoff_offer_timed_out",
                detail={"offer_id": made.id},
                at=now,
            )
        moved += 1
    session.flush()
    for handoff in touched.values():
        _cascade(session, handoff, now, hours=_hours(settings), fan_out=1)
    stale = list(
        session.scalars(
            select(Handoff)
            .where(Handoff.status == HandoffStatus.AWAITING_CONSENT, Handoff.expires_at <= now)
            .with_for_update()
        )
    )
    for handoff in stale:
        _close(session, handoff, HandoffStatus.EXPIRED, "system", now)
        moved += 1
    return moved


def record_outcome(
    *,
    session: Session,
    actor: Person,
    handoff_id: str,
    outcome: Outcome,
    now: datetime | None = None,
) -> HandoffOut:
    """The winner reports what came of it; the sender sees the structured outcome only."""
    handoff = _load(session, actor, handoff_id, lock=True)
    if handoff.winner_id != actor.id:
        raise NotFound("handoff")
    if outcome not in OUTCOMES:
        raise InvalidInput("outcome", "booked, not_booked or no_answer")
    at = now or utcnow()
    handoff.outcome = outcome
    handoff.outcome_at = at
    for side, other, who in (
        (actor.id, handoff.sender_id, "self"),
        (handoff.sender_id, actor.id, "peer"),
    ):
        audit.record(
            session,
            person_id=side,
            actor=who,  # type: ignore[arg-type]
            object_kind=KIND,
            object_id=handoff.id,
            action="handoff_outcome",
            counterpart_id=other,
            detail={"outcome": outcome},
            at=at,
        )
    return _out(session, handoff, actor)


def list_sent(*, session: Session, actor: Person) -> list[HandoffOut]:
    """The actor's own hand-offs, newest first."""
    query = (
        select(Handoff)
        .where(Handoff.sender_id == actor.id)
        .order_by(Handoff.created_at.desc(), Handoff.id.desc())
    )
    return [_out(session, handoff, actor) for handoff in session.scalars(query)]


def get(*, session: Session, actor: Person, handoff_id: str) -> HandoffOut:
    """A hand-off for its sender or its winner; anyone else (a candidate included) NotFound."""
    return _out(session, _load(session, actor, handoff_id), actor)


def _load(session: Session, actor: Person, handoff_id: str, *, lock: bool = False) -> Handoff:
    query = select(Handoff).where(Handoff.id == handoff_id)
    if lock:
        query = query.with_for_update()
    handoff = session.scalar(query)
    if handoff is None or actor.id not in (handoff.sender_id, handoff.winner_id):
        raise NotFound("handoff")
    return handoff


def _fields(session: Session, handoff: Handoff) -> list[ShareField]:
    share = session.get(ShareConsent, handoff.consent_id)
    return list(share.fields) if share is not None else []  # type: ignore[arg-type]


def _source(session: Session, handoff: Handoff, fields: list[str]) -> ReferredPerson | None:
    """The consented fields of the sender's prospect, read as the sender (None once erased)."""
    sender = session.get(Person, handoff.sender_id)
    if sender is None:
        return None
    try:
        row = prospects.get_prospect(session=session, actor=sender, prospect_id=handoff.prospect_id)
    except NotFound:
        return None
    shared = set(fields)
    return ReferredPerson(
        name=row.display_name if "name" in shared else None,
        phone=row.phone_e164 if "phone" in shared else None,
        email=row.email if "email" in shared else None,
    )


def _out(session: Session, handoff: Handoff, actor: Person) -> HandoffOut:
    is_sender = handoff.sender_id == actor.id
    sender = session.get(Person, handoff.sender_id)
    winner = session.get(Person, handoff.winner_id) if handoff.winner_id else None
    fields = _fields(session, handoff)
    person = None
    if not is_sender and handoff.status == HandoffStatus.ACCEPTED:
        person = _source(session, handoff, list(fields))
    offers_made = 0
    if is_sender:
        offers_made = int(
            session.scalar(
                select(func.count())
                .select_from(HandoffOffer)
                .where(HandoffOffer.handoff_id == handoff.id)
            )
            or 0
        )
    return HandoffOut(
        id=handoff.id,
        role="sent" if is_sender else "won",
        status=handoff.status,
        reason=handoff.reason,  # type: ignore[arg-type]
        category=handoff.category,
        region=handoff.region,
        service=handoff.service,
        language=handoff.language,
        sender_id=handoff.sender_id,
        sender_name=None if is_sender or sender is None else sender.display_name,
        winner_id=handoff.winner_id,
        winner_name=winner.display_name if winner else None,
        prospect_id=handoff.prospect_id if is_sender else None,
        consent_id=handoff.consent_id if is_sender else None,
        receiver_prospect_id=None if is_sender else handoff.receiver_prospect_id,
        vouch=Vouch.model_validate(handoff.vouch) if handoff.vouch else None,
        fields=fields,
        person=person,
        offers_made=offers_made,
        outcome=handoff.outcome,  # type: ignore[arg-type]
        expires_at=handoff.expires_at,
        created_at=handoff.created_at,
        decided_at=handoff.decided_at,
        outcome_at=handoff.outcome_at,
    )
