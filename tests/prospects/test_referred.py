"""A referred person (warm intro, hand-off) always gets a new row; a known person becomes one
merge suggestion per known prospect, however many strong identifiers match."""

from __future__ import annotations

from sqlalchemy import select

from conftest import Provider, person
from prospecting.prospects import service as prospects
from prospecting.prospects.models import MergeSuggestion
from prospecting.prospects.schemas import Channel, InboundMessage
from prospecting.runtime import Runtime


def test_a_known_person_referred_again_is_a_new_row_and_one_suggestion(
    runtime: Runtime, make_provider
) -> None:
    bea: Provider = make_provider(default_phone_region="GB")
    with runtime.stores.tenant() as session:
        actor = person(session, bea.id)
        known = prospects.ingest(
            session=session,
            actor=actor,
            resolver=runtime.resolver,
            message=InboundMessage(
                channel=Channel.SMS,
                sender_name="Dana Client",
                sender_phone="07911 123456",
                sender_email="dana@example.org",
                body="Hello",
            ),
        ).prospect
        referred = prospects.create_referred(
            session=session,
            actor=actor,
            resolver=runtime.resolver,
            name="Dana Client",
            phone="+447911123456",
            email="dana@example.org",
            origin="handoff",
            origin_ref="h1",
        )
        assert referred.created and referred.prospect.id != known.id
        assert referred.prospect.origin == "handoff" and referred.prospect.origin_ref == "h1"
        assert [(s.candidate_id, s.reason) for s in referred.suggestions] == [
            (known.id, "shared_phone")
        ]
    with runtime.stores.tenant_read() as session:
        stored = session.scalars(
            select(MergeSuggestion).where(MergeSuggestion.prospect_id == referred.prospect.id)
        ).all()
        assert [(s.candidate_id, s.reason, s.score) for s in stored] == [
            (known.id, "shared_phone", 1.0)
        ]
