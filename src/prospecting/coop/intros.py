"""Warm intros, double opt-in: the prospect consents, then the named vetted peer accepts.

A (vetted) proposes one of their prospects to named vetted peer B with a structured `Vouch`.
States (coop/models.IntroStatus): `awaiting_consent` → prospect yes → `awaiting_peer` → B
accepts → `accepted` (B gets a *new* prospect row, only the consented fields). Prospect no,
B declines, A withdraws, a revocation or expiry close it; A sees the status and the audit.
B sees nothing of an intro (no row in lists, NotFound on get, no audit entry) until the
prospect said yes. Nothing here is free text: `IntroOut` carries ids, enums, names and the
vouch's fixed fields.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from prospecting.config import Settings
from prospecting.coop import audit, consent, network, vetting
from prospecting.coop.models import (
    CoopAuditEntry,
    Intro,
    IntroStatus,
    Listing,
    ShareConsent,
    ShareStatus,
)
from prospecting.coop.schemas import Outcome, ReferredPerson, ShareField, Vouch
from prospecting.db import new_id, utcnow
from prospecting.errors import Conflict, ConsentPending, InvalidInput, NotFound
from prospecting.identity.models import Person
from prospecting.prospects import service as prospects
from prospecting.resolver.service import Resolver

KIND = "intro"
Role = Literal["sent", "received", "all"]
Closer = Literal["sender", "peer", "prospect", "system"]

OPEN = (IntroStatus.AWAITING_CONSENT, IntroStatus.AWAITING_PEER)
"""States in which an intro can still move; every other state is final."""


class IntroOut(BaseModel):
    """One intro as the asking side sees it. The sender sees their prospect id, the receiver's
    display name, the status and the outcome; the receiver (only once the prospect consented)
    sees the sender's display name, the vouch and the consented fields of the person."""

    model_config = ConfigDict(frozen=True)
    id: str
    role: Literal["sent", "received"]
    status: IntroStatus
    sender_id: str
    sender_name: str | None
    receiver_id: str
    receiver_name: str | None
    prospect_id: str | None  # the sender's prospect (sender only)
    consent_id: str | None  # the share consent asked of the prospect (sender only)
    receiver_prospect_id: str | None  # the receiver's own new row (receiver only)
    vouch: Vouch | None  # receiver only (the sender wrote it)
    fields: list[ShareField]
    person: ReferredPerson | None  # receiver only, consented fields only
    outcome: Outcome | None
    expires_at: datetime
    created_at: datetime
    decided_at: datetime | None
    outcome_at: datetime | None


def _category_region(session: Session, actor: Person, receiver: Person) -> tuple[str, str | None]:
    """The scope the intro gate applies to: the receiver's listing (their first category), or
    the sender's when the receiver has none listed."""
    for person_id in (receiver.id, actor.id):
        listing = session.get(Listing, person_id)
        if listing is not None and listing.categories:
            return listing.categories[0], listing.region
    raise InvalidInput(
        "receiver_id",
        "neither you nor the peer has a coop listing with a category",
        hint="publish your coop listing first",
    )


def propose(
    *,
    session: Session,
    settings: Settings,
    actor: Person,
    prospect_id: str,
    receiver_id: str,
    vouch: Vouch,
    fields: list[ShareField],
) -> IntroOut:
    """Ask the prospect's consent to introduce them to `receiver_id`; see the module doc."""
    vetting.require_vetted(session=session, actor=actor)
    if receiver_id == actor.id:
        raise InvalidInput("receiver_id", "you cannot introduce a prospect to yourself")
    receiver = session.get(Person, receiver_id)
    if receiver is None or not vetting.is_vetted(session=session, person_id=receiver_id):
        raise NotFound("peer")
    prospect = prospects.get_prospect(session=session, actor=actor, prospect_id=prospect_id)
    category, region = _category_region(session, actor, receiver)
    network.require_feature(
        session=session,
        settings=settings,
        actor=actor,
        feature="intros",
        category=category,
        region=region,
    )
    shared = sorted({*fields, "vouch"})
    if not set(shared) & {"name", "phone", "email"}:
        raise InvalidInput("fields", "share at least one of name, phone or email")
    share, _token = consent.request_share(
        session=session,
        settings=settings,
        actor=actor,
        prospect_id=prospect.id,
        purpose="intro",
        fields=shared,  # type: ignore[arg-type]
        recipient_id=receiver_id,
    )
    now = utcnow()
    intro = Intro(
        id=new_id(),
        sender_id=actor.id,
        receiver_id=receiver_id,
        prospect_id=prospect.id,
        consent_id=share.id,
        vouch=vouch.model_dump(mode="json"),
        status=IntroStatus.AWAITING_CONSENT,
        expires_at=share.expires_at + timedelta(hours=settings.coop_offer_timeout_hours),
        created_at=now,
    )
    session.add(intro)
    session.flush()
    # The receiver learns nothing yet: the sender's entry only.
    audit.record(
        session,
        person_id=actor.id,
        actor="self",
        object_kind=KIND,
        object_id=intro.id,
        action="intro_proposed",
        counterpart_id=receiver_id,
        detail={"consent_id": share.id, "fields": shared},
        at=now,
    )
    return _out(session, intro, actor)


def consent_decided(*, session: Session, consent: ShareConsent, now: datetime) -> None:
    """The prospect answered (or revoked) the consent of an intro: move the intro on."""
    intro = session.scalar(select(Intro).where(Intro.consent_id == consent.id).with_for_update())
    if intro is None:
        return
    if consent.status == ShareStatus.GRANTED and intro.status == IntroStatus.AWAITING_CONSENT:
        intro.status = IntroStatus.AWAITING_PEER
        for side, other in (
            (intro.sender_id, intro.receiver_id),
            (intro.receiver_id, intro.sender_id),
        ):
            audit.record(
                session,
                person_id=side,
                actor="prospect",
                object_kind=KIND,
                object_id=intro.id,
                action="intro_consented" if side == intro.sender_id else "intro_received",
                counterpart_id=other,
                detail={"fields": list(consent.fields)},
                at=now,
            )
    elif consent.status == ShareStatus.DECLINED and intro.status in OPEN:
        _close(session, intro, IntroStatus.DECLINED_BY_PROSPECT, "prospect", now)
    elif consent.status in (ShareStatus.REVOKED, ShareStatus.EXPIRED) and intro.status in OPEN:
        final = (
            IntroStatus.REVOKED if consent.status == ShareStatus.REVOKED else IntroStatus.EXPIRED
        )
        _close(session, intro, final, "prospect" if final == IntroStatus.REVOKED else "system", now)


def _close(
    session: Session,
    intro: Intro,
    status: IntroStatus,
    by: Closer,
    now: datetime,
    *,
    told_receiver: bool | None = None,
) -> None:
    """Close an open intro; the sender is always told, the receiver only if they knew of it."""
    knew = intro.status == IntroStatus.AWAITING_PEER if told_receiver is None else told_receiver
    intro.status = status
    intro.decided_at = now
    action = f"intro_{status.value}"
    audit.record(
        session,
        person_id=intro.sender_id,
        actor="self" if by == "sender" else by,
        object_kind=KIND,
        object_id=intro.id,
        action=action,
        counterpart_id=intro.receiver_id,
        at=now,
    )
    if knew:
        audit.record(
            session,
            person_id=intro.receiver_id,
            actor="peer" if by == "sender" else by,
            object_kind=KIND,
            object_id=intro.id,
            action=action,
            counterpart_id=intro.sender_id,
            at=now,
        )


def _load(session: Session, actor: Person, intro_id: str, *, lock: bool = False) -> Intro:
    query = select(Intro).where(
        Intro.id == intro_id, or_(Intro.sender_id == actor.id, Intro.receiver_id == actor.id)
    )
    if lock:
        query = query.with_for_update()
    intro = session.scalar(query)
    if intro is None or not _may_see(session, intro, actor):
        raise NotFound("intro")
    return intro


def _may_see(session: Session, intro: Intro, actor: Person) -> bool:
    """The sender always; the receiver only once the prospect consented (the receiver's own
    audit has an entry for the intro exactly then)."""
    if intro.sender_id == actor.id:
        return True
    if intro.status == IntroStatus.AWAITING_CONSENT:
        return False
    if intro.status in (
        IntroStatus.AWAITING_PEER,
        IntroStatus.ACCEPTED,
        IntroStatus.DECLINED_BY_PEER,
    ):
        return True
    return _receiver_knew(session, intro)


def _receiver_knew(session: Session, intro: Intro) -> bool:
    """The receiver has an audit entry for the intro exactly when it reached them."""
    hit = session.scalar(
        select(CoopAuditEntry.id)
        .where(CoopAuditEntry.person_id == intro.receiver_id, CoopAuditEntry.object_id == intro.id)
        .limit(1)
    )
    return hit is not None


def _expire_one(session: Session, intro: Intro, now: datetime) -> None:
    if intro.status in OPEN and intro.expires_at <= now:
        _close(session, intro, IntroStatus.EXPIRED, "system", now)


def accept(
    *, session: Session, actor: Person, resolver: Resolver, intro_id: str, now: datetime
) -> IntroOut:
    """The receiver takes the intro: re-check the prospect's consent under lock, then a new
    prospect row in the receiver's tenant with only the consented fields."""
    intro = _load(session, actor, intro_id, lock=True)
    if intro.receiver_id != actor.id:
        raise NotFound("intro")
    _expire_one(session, intro, now)
    if intro.status != IntroStatus.AWAITING_PEER:
        raise Conflict(
            f"intro is {intro.status.value}", hint="only an intro awaiting you can be accepted"
        )
    vetting.require_vetted(session=session, actor=actor)
    share = consent.require_granted(session=session, consent_id=intro.consent_id, now=now)
    source = _source(session, intro, share.fields)
    if source is None:  # the sender erased the prospect: nothing left to share
        raise ConsentPending("the prospect is no longer available")
    created = prospects.create_referred(
        session=session,
        actor=actor,
        resolver=resolver,
        name=source.name,
        phone=source.phone,
        email=source.email,
        origin="warm_intro",
        origin_ref=intro.id,
    )
    won = session.execute(
        update(Intro)
        .where(Intro.id == intro.id, Intro.status == IntroStatus.AWAITING_PEER)
        .values(
            status=IntroStatus.ACCEPTED,
            receiver_prospect_id=created.prospect.id,
            decided_at=now,
        )
        .execution_options(synchronize_session="fetch")
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("intro was decided meanwhile")
    session.refresh(intro)
    sender = session.get(Person, intro.sender_id)
    assert sender is not None  # _source read the sender's prospect
    prospects.record_referral_sent(
        session=session, actor=sender, prospect_id=intro.prospect_id, kind="warm_intro", at=now
    )
    for side, other, who in (
        (intro.receiver_id, intro.sender_id, "self"),
        (intro.sender_id, intro.receiver_id, "peer"),
    ):
        audit.record(
            session,
            person_id=side,
            actor=who,  # type: ignore[arg-type]
            object_kind=KIND,
            object_id=intro.id,
            action="intro_accepted",
            counterpart_id=other,
            at=now,
        )
    return _out(session, intro, actor)


def decline(*, session: Session, actor: Person, intro_id: str, now: datetime) -> IntroOut:
    """The receiver says no; the sender is told (status + audit)."""
    intro = _load(session, actor, intro_id, lock=True)
    if intro.receiver_id != actor.id:
        raise NotFound("intro")
    _expire_one(session, intro, now)
    if intro.status != IntroStatus.AWAITING_PEER:
        raise Conflict(
            f"intro is {intro.status.value}", hint="only an intro awaiting you can be declined"
        )
    _close(session, intro, IntroStatus.DECLINED_BY_PEER, "peer", now, told_receiver=False)
    audit.record(
        session,
        person_id=intro.receiver_id,
        actor="self",
        object_kind=KIND,
        object_id=intro.id,
        action="intro_declined_by_peer",
        counterpart_id=intro.sender_id,
        at=now,
    )
    return _out(session, intro, actor)


def withdraw(*, session: Session, actor: Person, intro_id: str, now: datetime) -> IntroOut:
    """The sender takes the intro back before the receiver accepted it."""
    intro = _load(session, actor, intro_id, lock=True)
    if intro.sender_id != actor.id:
        raise NotFound("intro")
    _expire_one(session, intro, now)
    if intro.status not in OPEN:
        raise Conflict(f"intro is {intro.status.value}", hint="only an open intro can be withdrawn")
    _close(session, intro, IntroStatus.WITHDRAWN, "sender", now)
    return _out(session, intro, actor)


def record_outcome(
    *, session: Session, actor: Person, intro_id: str, outcome: Outcome, now: datetime | None = None
) -> IntroOut:
    """The receiver reports what came of it; the sender sees it as a structured field only."""
    intro = _load(session, actor, intro_id, lock=True)
    if intro.receiver_id != actor.id:
        raise NotFound("intro")
    if intro.status != IntroStatus.ACCEPTED:
        raise Conflict(f"intro is {intro.status.value}", hint="report an outcome once accepted")
    if outcome not in ("booked", "not_booked", "no_answer"):
        raise InvalidInput("outcome", "booked, not_booked or no_answer")
    at = now or utcnow()
    intro.outcome = outcome
    intro.outcome_at = at
    for side, other, who in (
        (intro.receiver_id, intro.sender_id, "self"),
        (intro.sender_id, intro.receiver_id, "peer"),
    ):
        audit.record(
            session,
            person_id=side,
            actor=who,  # type: ignore[arg-type]
            object_kind=KIND,
            object_id=intro.id,
            action="intro_outcome",
            counterpart_id=other,
            detail={"outcome": outcome},
            at=at,
        )
    return _out(session, intro, actor)


def list_for(
    *, session: Session, actor: Person, role: Role = "all", status: IntroStatus | None = None
) -> list[IntroOut]:
    """The actor's intros, newest first; received ones only once the prospect consented."""
    expire_due(session=session, now=utcnow(), person_id=actor.id)
    sides = []
    if role in ("sent", "all"):
        sides.append(Intro.sender_id == actor.id)
    if role in ("received", "all"):
        sides.append(Intro.receiver_id == actor.id)
    query = select(Intro).where(or_(*sides))
    if status is not None:
        query = query.where(Intro.status == status)
    query = query.order_by(Intro.created_at.desc(), Intro.id.desc())
    return [
        _out(session, intro, actor)
        for intro in session.scalars(query)
        if _may_see(session, intro, actor)
    ]


def get(*, session: Session, actor: Person, intro_id: str) -> IntroOut:
    """One intro for its sender, or for its receiver once the prospect consented."""
    intro = _load(session, actor, intro_id)
    return _out(session, intro, actor)


def expire_due(*, session: Session, now: datetime, person_id: str | None = None) -> int:
    """Close every open intro past its `expires_at` (the sweep); returns how many."""
    query = select(Intro).where(Intro.status.in_(OPEN), Intro.expires_at <= now)
    if person_id is not None:
        query = query.where(or_(Intro.sender_id == person_id, Intro.receiver_id == person_id))
    due = list(session.scalars(query.with_for_update()))
    for intro in due:
        _close(session, intro, IntroStatus.EXPIRED, "system", now)
    return len(due)


def _source(session: Session, intro: Intro, fields: Iterable[str]) -> ReferredPerson | None:
    """The consented fields of the sender's prospect, read as the sender (None once erased)."""
    sender = session.get(Person, intro.sender_id)
    if sender is None:
        return None
    try:
        row = prospects.get_prospect(session=session, actor=sender, prospect_id=intro.prospect_id)
    except NotFound:
        return None
    shared = set(fields)
    return ReferredPerson(
        name=row.display_name if "name" in shared else None,
        phone=row.phone_e164 if "phone" in shared else None,
        email=row.email if "email" in shared else None,
    )


def _out(session: Session, intro: Intro, actor: Person) -> IntroOut:
    sender = session.get(Person, intro.sender_id)
    receiver = session.get(Person, intro.receiver_id)
    share = session.get(ShareConsent, intro.consent_id)
    fields: list[ShareField] = list(share.fields) if share is not None else []  # type: ignore[arg-type]
    is_sender = intro.sender_id == actor.id
    person = None
    if not is_sender and share is not None and share.status == ShareStatus.GRANTED:
        person = _source(session, intro, fields)
    return IntroOut(
        id=intro.id,
        role="sent" if is_sender else "received",
        status=intro.status,
        sender_id=intro.sender_id,
        sender_name=sender.display_name if sender else None,
        receiver_id=intro.receiver_id,
        receiver_name=receiver.display_name if receiver else None,
        prospect_id=intro.prospect_id if is_sender else None,
        consent_id=intro.consent_id if is_sender else None,
        receiver_prospect_id=None if is_sender else intro.receiver_prospect_id,
        vouch=None if is_sender else Vouch.model_validate(intro.vouch),
        fields=fields,
        person=person,
        outcome=intro.outcome,  # type: ignore[arg-type]
        expires_at=intro.expires_at,
        created_at=intro.created_at,
        decided_at=intro.decided_at,
        outcome_at=intro.outcome_at,
    )
