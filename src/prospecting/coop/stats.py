"""Per-provider coop figures, read off the intro and hand-off rows: they feed the hand-off
ranking's fairness rule (fewest received in the last 30 days, then least recently offered)
and the provider's dashboard. Counts only; no prospect and no other provider is named."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from prospecting.coop.models import (
    Handoff,
    HandoffOffer,
    HandoffStatus,
    Intro,
    IntroStatus,
    OfferStatus,
)
from prospecting.db import utcnow
from prospecting.identity.models import Person

FAIRNESS_WINDOW = timedelta(days=30)

# What the receiver of an intro has been told of: the prospect said yes, so the intro reached
# them (closes before that are the sender's alone).
_SEEN_BY_RECEIVER = (IntroStatus.AWAITING_PEER, IntroStatus.ACCEPTED, IntroStatus.DECLINED_BY_PEER)


class ProviderStats(BaseModel):
    intros_sent: int = 0
    intros_received: int = 0
    intros_accepted: int = 0
    intros_booked: int = 0
    handoffs_sent: int = 0
    handoffs_received: int = 0
    handoffs_booked: int = 0
    offers_declined: int = 0
    offers_timed_out: int = 0
    received_last_30_days: int = 0
    last_offered_at: datetime | None = None


def _counts(
    session: Session,
    who: InstrumentedAttribute[str] | InstrumentedAttribute[str | None],
    ids: list[str],
    *where: ColumnElement[bool],
) -> dict[str, int]:
    rows = session.execute(select(who, func.count()).where(who.in_(ids), *where).group_by(who))
    return {person_id: count for person_id, count in rows if person_id is not None}


def provider_stats(
    *, session: Session, person_ids: Iterable[str], now: datetime | None = None
) -> dict[str, ProviderStats]:
    """Every requested provider's figures (zeros for one with no coop activity)."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    since = (now or utcnow()) - FAIRNESS_WINDOW
    accepted = HandoffOffer.status == OfferStatus.ACCEPTED
    figures: dict[str, dict[str, int]] = {
        "intros_sent": _counts(session, Intro.sender_id, ids),
        "intros_received": _counts(
            session, Intro.receiver_id, ids, Intro.status.in_(_SEEN_BY_RECEIVER)
        ),
        "intros_accepted": _counts(
            session, Intro.receiver_id, ids, Intro.status == IntroStatus.ACCEPTED
        ),
        "intros_booked": _counts(
            session,
            Intro.receiver_id,
            ids,
            Intro.status == IntroStatus.ACCEPTED,
            Intro.outcome == "booked",
        ),
        "handoffs_sent": _counts(session, Handoff.sender_id, ids),
        "handoffs_received": _counts(session, HandoffOffer.candidate_id, ids, accepted),
        "handoffs_booked": _counts(
            session,
            Handoff.winner_id,
            ids,
            Handoff.status == HandoffStatus.ACCEPTED,
            Handoff.outcome == "booked",
        ),
        "offers_declined": _counts(
            session, HandoffOffer.candidate_id, ids, HandoffOffer.status == OfferStatus.DECLINED
        ),
        "offers_timed_out": _counts(
            session, HandoffOffer.candidate_id, ids, HandoffOffer.status == OfferStatus.TIMED_OUT
        ),
        "received_last_30_days": _counts(
            session, HandoffOffer.candidate_id, ids, accepted, HandoffOffer.decided_at >= since
        ),
    }
    last_offered: dict[str, datetime] = {
        person_id: at
        for person_id, at in session.execute(
            select(HandoffOffer.candidate_id, func.max(HandoffOffer.offered_at))
            .where(HandoffOffer.candidate_id.in_(ids))
            .group_by(HandoffOffer.candidate_id)
        )
    }
    return {
        person_id: ProviderStats(
            **{name: counts.get(person_id, 0) for name, counts in figures.items()},
            last_offered_at=last_offered.get(person_id),
        )
        for person_id in ids
    }


def my_stats(*, session: Session, actor: Person, now: datetime | None = None) -> ProviderStats:
    return provider_stats(session=session, person_ids=[actor.id], now=now)[actor.id]
