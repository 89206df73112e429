"""Reconcile finishes an inbound a crash left between the ingest and qualification commits."""

from __future__ import annotations

from sqlalchemy import func, select

from graph.conftest import PHONE, Net
from prospecting.identity.service import get_person
from prospecting.prospects import service as prospects
from prospecting.prospects.schemas import InboundMessage
from prospecting.qualify.models import Draft, Qualification
from prospecting.workflows import inbound


def test_reconcile_qualifies_what_a_crash_left_and_only_that(client, make_provider, runtime):
    net = Net(client, make_provider)
    for _ in range(2):
        peer = net.provider("contribute_all", "query_on")
        net.contribute(peer, net.inbound(peer, phone=PHONE), "booked")
    asker = net.provider("query_on")
    done = net.inbound(asker, phone="07400 111222")  # fully qualified by the workflow
    with runtime.stores.tenant() as tenant:  # step 1 committed, then the process died
        me = get_person(session=tenant, person_id=asker.id)
        message = InboundMessage(channel="sms", sender_phone=PHONE, body="Free on Friday?")
        left = prospects.ingest(
            session=tenant, actor=me, resolver=runtime.resolver, message=message
        )
        touchpoint_id, prospect_id = left.touchpoint.id, left.prospect.id

    assert inbound.reconcile(runtime) == 1
    assert inbound.reconcile(runtime) == 0  # idempotent
    with runtime.stores.tenant() as tenant:
        row = tenant.scalar(
            select(Qualification).where(Qualification.touchpoint_id == touchpoint_id)
        )
        assert row is not None and row.graph_state != "empty"  # the graph was read again
        assert (
            tenant.scalar(
                select(func.count()).select_from(Draft).where(Draft.qualification_id == row.id)
            )
            == 1
        )
        assert prospects.get_prospect(
            session=tenant, actor=me, prospect_id=prospect_id
        ).link_confidence
        per_message = tenant.execute(
            select(Qualification.touchpoint_id, func.count()).group_by(Qualification.touchpoint_id)
        ).all()
    assert all(n == 1 for _, n in per_message)
    assert done
