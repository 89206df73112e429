"""A provider's drafting profile: the only facts a draft may state (services, prices, hours,
booking link, FAQ answers, policies, location, session modes, insurance), the crisis protocol,
tone and languages.

The facts beyond services and hours live in the JSON column `DraftingProfile.facts` and the
crisis protocol in `DraftingProfile.crisis`; both are written from a validated `ProfileIn` and
read back through it, so a draft only ever sees shapes that passed validation.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from prospecting.db import core, utcnow
from prospecting.identity.models import Person
from prospecting.qualify.models import DraftingProfile
from prospecting.qualify.schemas import ProfileIn, ProfileOut

FACT_FIELDS = (
    "faq",
    "cancellation_policy",
    "location",
    "parking",
    "online_sessions",
    "in_person",
    "insurance",
)
"""The `ProfileIn` fields stored in `DraftingProfile.facts`."""


def _stored_profile(session: Session, actor: Person) -> DraftingProfile | None:
    return session.scalar(select(DraftingProfile).where(DraftingProfile.person_id == actor.id))


_PROFILE = select(
    DraftingProfile.services,
    DraftingProfile.hours_text,
    DraftingProfile.booking_link,
    DraftingProfile.tone,
    DraftingProfile.sign_off,
    DraftingProfile.languages,
    DraftingProfile.facts,
    DraftingProfile.crisis,
).where(DraftingProfile.person_id == bindparam("person_id"))
"""What a draft reads of the profile, built once (every inbound reads it)."""


def profile_for(*, session: Session, actor: Person) -> ProfileIn:
    """The Person's drafting profile; an empty warm English one until they set it."""
    row = core(session).execute(_PROFILE, {"person_id": actor.id}).first()
    if row is None:
        return ProfileIn()
    facts = {k: v for k, v in (row.facts or {}).items() if k in FACT_FIELDS}
    return ProfileIn.model_validate(
        {
            "services": row.services,
            "hours_text": row.hours_text,
            "booking_link": row.booking_link,
            "tone": row.tone,
            "sign_off": row.sign_off,
            "languages": row.languages or ["en"],
            **facts,
            "crisis_protocol": row.crisis or None,
        }
    )


def get_profile(*, session: Session, actor: Person) -> ProfileOut:
    row = _stored_profile(session, actor)
    data = profile_for(session=session, actor=actor)
    return _profile_out(data, row.updated_at if row else None)


def update_profile(*, session: Session, actor: Person, data: ProfileIn) -> ProfileOut:
    """Replace the Person's drafting profile as a whole."""
    row = _stored_profile(session, actor)
    if row is None:
        row = DraftingProfile(person_id=actor.id)
        session.add(row)
    row.services = [s.model_dump(exclude_none=True) for s in data.services]
    row.hours_text = data.hours_text
    row.booking_link = str(data.booking_link) if data.booking_link else None
    row.tone = data.tone
    row.sign_off = data.sign_off
    row.languages = list(data.languages)
    row.facts = _facts(data)
    row.crisis = data.crisis_protocol.model_dump(mode="json") if data.crisis_protocol else {}
    row.updated_at = utcnow()
    session.flush()
    return _profile_out(data, row.updated_at)


def change_profile(*, session: Session, actor: Person, changes: Mapping[str, Any]) -> ProfileOut:
    """Change some fields of the profile (JSON-shaped values): the ones given replace the stored
    ones, the others stay. An empty booking link clears it, as an empty text or list does."""
    given = dict(changes)
    if given.get("booking_link") == "":
        given["booking_link"] = None
    current = profile_for(session=session, actor=actor).model_dump(mode="json")
    data = ProfileIn.model_validate(current | given)
    return update_profile(session=session, actor=actor, data=data)


def _facts(data: ProfileIn) -> dict[str, Any]:
    """The stored facts: only what is set, so an unset fact stays unknown (never false)."""
    dumped = data.model_dump(mode="json", include=set(FACT_FIELDS))
    return {k: v for k, v in dumped.items() if v is not None and v != []}


def _profile_out(data: ProfileIn, updated_at: datetime | None) -> ProfileOut:
    return ProfileOut(
        services=data.services,
        hours_text=data.hours_text,
        booking_link=str(data.booking_link) if data.booking_link else None,
        tone=data.tone,
        sign_off=data.sign_off,
        languages=data.languages,
        faq=data.faq,
        cancellation_policy=data.cancellation_policy,
        location=data.location,
        parking=data.parking,
        online_sessions=data.online_sessions,
        in_person=data.in_person,
        insurance=data.insurance,
        crisis_protocol=data.crisis_protocol,
        updated_at=updated_at,
    )
