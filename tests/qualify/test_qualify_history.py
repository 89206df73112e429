"""What qualifying a message reads of the prospect's earlier touchpoints (`history_before`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conftest import person
from prospecting.prospects import service as prospects
from prospecting.prospects.models import Touchpoint
from prospecting.prospects.schemas import Channel, InboundMessage
from prospecting.qualify.scoring import History
from prospecting.qualify.service import history_before
from prospecting.runtime import Runtime

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_history_counts_only_what_came_before_the_message(runtime: Runtime, make_provider) -> None:
    """Earlier inbound messages, the newest outcome version (a correction wins), follow-ups
    left unanswered for three days, days since first contact; the message itself and anything
    after it are left out, and so is another prospect's history."""
    alice = make_provider(default_phone_region="GB")
    with runtime.stores.tenant() as session:
        actor = person(session, alice.id)

        def inbound(at: datetime, phone: str = "07911 123456") -> Touchpoint:
            message = InboundMessage(
                channel=Channel.SMS, body="Hello", sender_phone=phone, received_at=at
            )
            return prospects.ingest(
                session=session, actor=actor, resolver=runtime.resolver, message=message
            ).touchpoint

        first = inbound(T0)
        pid = first.prospect_id

        def touch(at: datetime, **values: object) -> None:
            session.add(Touchpoint(prospect_id=pid, person_id=actor.id, occurred_at=at, **values))

        touch(T0 + timedelta(hours=1), kind="message", direction="outbound")  # answered:
        inbound(T0 + timedelta(days=1))  # replied within three days
        touch(T0 + timedelta(days=2), kind="message", direction="outbound")  # never answered
        touch(
            T0 + timedelta(days=3),
            kind="outcome",
            direction="internal",
            outcome="booked",
            outcome_version=1,
        )
        touch(
            T0 + timedelta(days=3, hours=1),
            kind="outcome",
            direction="internal",
            outcome="no_show",
            outcome_version=2,
        )
        now = inbound(T0 + timedelta(days=10))
        inbound(T0 + timedelta(days=11))  # after the message: not its history
        inbound(T0 + timedelta(days=4), phone="07911 654321")  # another prospect
        session.flush()
        assert history_before(session, now) == History(
            prior_inbound=2,
            last_outcome="no_show",
            days_since_first_contact=10.0,
            unanswered_followups=1,
        )
        assert history_before(session, first) == History()
