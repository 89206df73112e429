"""Shared data and helpers for the auto-qualify tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

PROFILE: dict[str, Any] = {
    "services": [
        {
            "name": "Initial consultation",
            "duration_minutes": 50,
            "price_min": 60,
            "price_max": 80,
            "currency": "GBP",
        },
        {"name": "Couples therapy", "duration_minutes": 80},
    ],
    "hours_text": "Mon-Thu 9:00-19:00",
    "booking_link": "https://book.example.com/test-provider",
    "tone": "warm",
    "sign_off": "Dr Test",
    "languages": ["en", "es"],
}
BOOKING = {
    "channel": "sms",
    "sender_phone": "07911 123456",
    "sender_name": "Jamie Clarke",
    "body": "Hi, could I book an initial consultation for Thursday evening?",
}


def count_rows(runtime, *models: Any) -> dict[str, int]:
    with runtime.stores.tenant() as session:
        return {
            m.__tablename__: session.scalar(select(func.count()).select_from(m)) or 0
            for m in models
        }


def all_tables() -> tuple[Any, ...]:
    from prospecting.prospects.models import Prospect, Touchpoint
    from prospecting.qualify.models import (
        Draft,
        DraftingProfile,
        OutboxItem,
        Qualification,
        ScoringModel,
    )

    return (Prospect, Touchpoint, Qualification, Draft, OutboxItem, DraftingProfile, ScoringModel)


def ingest_and_qualify(
    *,
    session: Any,
    actor: Any,
    resolver: Any,
    message: Any,
    graph: Any = None,
    refiner: Any = None,
) -> Any:
    """Ingest and qualify in one test transaction with a given graph signal (the inbound
    workflow does the same across its own transactions, reading the graph in between)."""
    from prospecting.prospects import service as prospects
    from prospecting.qualify import reads
    from prospecting.qualify.schemas import QualifiedInbound
    from prospecting.qualify.service import qualify_inbound

    ingested = prospects.ingest(session=session, actor=actor, resolver=resolver, message=message)
    qualification, draft = qualify_inbound(
        session=session,
        actor=actor,
        touchpoint_id=ingested.touchpoint.id,
        graph=graph,
        refiner=refiner,
    )
    return QualifiedInbound(
        ingest=ingested.as_result(),
        qualification=reads.qualification_out(qualification),
        draft=reads.draft_out(draft),
    )
