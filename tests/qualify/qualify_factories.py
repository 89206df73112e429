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
