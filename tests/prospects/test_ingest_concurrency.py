"""Concurrent inbound messages from one new sender make exactly one prospect."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from prospecting.identity.service import get_person
from prospecting.prospects import service
from prospecting.prospects.models import Prospect, Touchpoint
from prospecting.prospects.schemas import Channel, InboundMessage


def test_concurrent_ingest_of_a_new_sender_makes_one_prospect(runtime, make_provider):
    alice = make_provider()
    message = InboundMessage(channel=Channel.SMS, sender_phone="07911 123456", body="hi")

    def ingest_once(_: int) -> str:
        with runtime.stores.tenant() as session:
            actor = get_person(session=session, person_id=alice.id)
            result = service.ingest(
                session=session, actor=actor, resolver=runtime.resolver, message=message
            )
            return result.prospect.id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(ingest_once, range(16)))
    assert len(ids) == 1
    with runtime.stores.tenant() as session:
        assert session.scalar(select(func.count()).select_from(Prospect)) == 1
        assert session.scalar(select(func.count()).select_from(Touchpoint)) == 16
