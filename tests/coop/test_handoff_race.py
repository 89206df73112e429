"""Two candidates holding open offers accept the same hand-off at the same moment (a barrier,
each on its own engine and session): exactly one wins, the other gets Conflict, and exactly
one receiver prospect row exists. Runs on SQLite and PostgreSQL (db_urls)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from coop.conftest import MakeVetted
from prospecting.coop import consent, handoffs
from prospecting.coop.models import Handoff, HandoffOffer, HandoffStatus, OfferStatus
from prospecting.db import Stores, utcnow
from prospecting.errors import Conflict
from prospecting.identity.models import Person
from prospecting.prospects import service as prospects
from prospecting.prospects.models import Prospect
from prospecting.prospects.schemas import Channel, InboundMessage
from prospecting.runtime import Runtime


def test_two_acceptances_one_winner(runtime: Runtime, vetted: MakeVetted) -> None:
    [sender] = vetted(1, accepting=False)
    peers = vetted(2, open_slots=3)
    with runtime.stores.tenant() as session:
        actor = session.get(Person, sender.id)
        assert actor is not None
        prospect_id = prospects.ingest(
            session=session,
            actor=actor,
            resolver=runtime.resolver,
            message=InboundMessage(
                channel=Channel.SMS,
                sender_name="Dana Client",
                sender_phone="+447700900123",
                sender_email="dana@example.org",
                body="Hello",
            ),
        ).prospect.id
        handoff_id = handoffs.offer(
            session=session,
            settings=runtime.settings,
            actor=actor,
            prospect_id=prospect_id,
            reason="overflow",
            category="therapy",
            region="london",
            fields=["name", "email"],
        ).id
    with runtime.stores.tenant() as session:
        decided = consent.decide_by_reply(
            session=session, person_id=sender.id, prospect_id=prospect_id, body="YES", now=utcnow()
        )
        assert decided is not None
        handoffs.consent_decided(
            session=session, consent=decided, now=utcnow(), settings=runtime.settings, fan_out=2
        )
    with runtime.stores.tenant() as session:
        open_offers = session.scalars(
            select(HandoffOffer.candidate_id).where(HandoffOffer.status == OfferStatus.OFFERED)
        ).all()
    assert sorted(open_offers) == sorted(p.id for p in peers)  # the race is real

    barrier = threading.Barrier(2)

    def take(person_id: str) -> str:
        stores = Stores.from_settings(runtime.settings)  # its own engine and connection
        try:
            barrier.wait()
            with stores.tenant() as session:
                me = session.get(Person, person_id)
                assert me is not None
                handoffs.accept(
                    session=session,
                    actor=me,
                    handoff_id=handoff_id,
                    now=utcnow(),
                    resolver=runtime.resolver,
                )
            return "won"
        except Conflict as exc:
            assert "already taken" in str(exc)
            return "conflict"
        finally:
            stores.dispose()

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(take, [p.id for p in peers]))
    assert sorted(results) == ["conflict", "won"]
    winner = peers[results.index("won")].id
    with runtime.stores.tenant() as session:
        row = session.get(Handoff, handoff_id)
        assert row is not None
        assert (row.status, row.winner_id) == (HandoffStatus.ACCEPTED, winner)
        created = session.scalars(select(Prospect).where(Prospect.origin == "handoff")).all()
        assert [(p.person_id, p.origin_ref) for p in created] == [(winner, handoff_id)]
        statuses = dict(
            session.execute(select(HandoffOffer.candidate_id, HandoffOffer.status)).all()
        )
        loser = next(p.id for p in peers if p.id != winner)
        assert statuses == {winner: OfferStatus.ACCEPTED, loser: OfferStatus.CLOSED}
