"""Per-provider coop figures (coop/stats.py), read off intro, hand-off and offer rows: what the
fairness rule and the dashboard rely on. Rows are written directly so every status counts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from conftest import person
from prospecting.coop import stats
from prospecting.coop.models import (
    Handoff,
    HandoffOffer,
    HandoffStatus,
    Intro,
    IntroStatus,
    OfferStatus,
    ShareConsent,
)
from prospecting.db import utcnow
from prospecting.prospects import service as prospects
from prospecting.prospects.schemas import Channel, InboundMessage
from prospecting.runtime import Runtime


def test_provider_stats_count_each_side(runtime: Runtime, vetted: Any) -> None:
    a, b, c = vetted(3)
    now = utcnow()
    later = now + timedelta(days=3)
    with runtime.stores.tenant() as session:
        prospect = prospects.ingest(
            session=session,
            actor=person(session, a.id),
            resolver=runtime.resolver,
            message=InboundMessage(channel=Channel.SMS, sender_phone="+447700900123", body="Hello"),
        ).prospect
        share = ShareConsent(
            person_id=a.id, prospect_id=prospect.id, purpose="handoff", expires_at=later
        )
        session.add(share)
        session.flush()
        common = {"sender_id": a.id, "prospect_id": prospect.id, "consent_id": share.id}
        for status, outcome in (
            (IntroStatus.AWAITING_CONSENT, None),  # B has not been told of this one
            (IntroStatus.AWAITING_PEER, None),
            (IntroStatus.ACCEPTED, "booked"),
            (IntroStatus.DECLINED_BY_PEER, None),
        ):
            session.add(
                Intro(
                    **common,
                    receiver_id=b.id,
                    vouch={},
                    status=status,
                    outcome=outcome,
                    expires_at=later,
                )
            )
        won = Handoff(
            **common,
            reason="overflow",
            category="therapy",
            status=HandoffStatus.ACCEPTED,
            winner_id=c.id,
            outcome="booked",
            expires_at=later,
        )
        old = Handoff(
            **common,
            reason="overflow",
            category="therapy",
            status=HandoffStatus.ACCEPTED,
            winner_id=c.id,
            expires_at=later,
        )
        session.add_all([won, old])
        session.flush()
        session.add_all(
            [
                HandoffOffer(
                    handoff_id=won.id,
                    candidate_id=b.id,
                    rank=0,
                    status=OfferStatus.DECLINED,
                    offered_at=now - timedelta(hours=5),
                    expires_at=later,
                ),
                HandoffOffer(
                    handoff_id=won.id,
                    candidate_id=c.id,
                    rank=1,
                    status=OfferStatus.ACCEPTED,
                    offered_at=now - timedelta(hours=2),
                    decided_at=now - timedelta(hours=1),
                    expires_at=later,
                ),
                HandoffOffer(
                    handoff_id=old.id,
                    candidate_id=b.id,
                    rank=0,
                    status=OfferStatus.TIMED_OUT,
                    offered_at=now - timedelta(days=41),
                    expires_at=now - timedelta(days=40),
                ),
                HandoffOffer(
                    handoff_id=old.id,
                    candidate_id=c.id,
                    rank=1,
                    status=OfferStatus.ACCEPTED,
                    offered_at=now - timedelta(days=40),
                    decided_at=now - timedelta(days=40),
                    expires_at=now - timedelta(days=39),
                ),
            ]
        )
    with runtime.stores.tenant() as session:
        figures = stats.provider_stats(session=session, person_ids=[a.id, b.id, c.id], now=now)
        mine = stats.my_stats(session=session, actor=person(session, b.id), now=now)
    assert figures[b.id] == mine
    assert (figures[a.id].intros_sent, figures[a.id].handoffs_sent) == (4, 2)
    assert figures[a.id].intros_received == figures[a.id].handoffs_received == 0
    assert (
        mine.intros_received,
        mine.intros_accepted,
        mine.intros_booked,
        mine.offers_declined,
        mine.offers_timed_out,
        mine.handoffs_received,
    ) == (3, 1, 1, 1, 1, 0)
    assert mine.last_offered_at is not None
    assert mine.last_offered_at.replace(tzinfo=None) == (now - timedelta(hours=5)).replace(
        tzinfo=None
    )
    c_stats = figures[c.id]
    assert (c_stats.handoffs_received, c_stats.received_last_30_days, c_stats.handoffs_booked) == (
        2,
        1,
        1,
    )
    assert stats.provider_stats(session=session, person_ids=[]) == {}
