"""The coop's two-sided audit: every step is written once for each Person it concerns.

A side's entry names the other provider (`counterpart_id`) only once they may know each other
(e.g. the receiver of an intro learns the sender once the prospect consented); before that the
entry says "a peer". Entries carry codes, never text or PII.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from prospecting.coop.models import CoopAuditEntry
from prospecting.db import new_id, utcnow
from prospecting.identity.models import Person

Actor = Literal["self", "peer", "prospect", "system"]


class AuditEntryOut(BaseModel):
    """One entry of the acting provider's own coop audit: codes only, no text, no PII."""

    model_config = ConfigDict(from_attributes=True)
    id: str
    actor: str = Field(description="Who took the step: self, peer, prospect or system.")
    counterpart_id: str | None = Field(description="The other provider, once you may know them.")
    object_kind: str
    object_id: str
    action: str
    detail: dict[str, Any] | None
    at: datetime


def record(
    session: Session,
    *,
    person_id: str,
    actor: Actor,
    object_kind: str,
    object_id: str,
    action: str,
    counterpart_id: str | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """One entry in `person_id`'s coop audit (no flush needed: nothing reads it back)."""
    session.add(
        CoopAuditEntry(
            id=new_id(),
            person_id=person_id,
            actor=actor,
            counterpart_id=counterpart_id,
            object_kind=object_kind,
            object_id=object_id,
            action=action,
            detail=detail,
            at=at or utcnow(),
        )
    )


def entries(
    *, session: Session, actor: Person, limit: int = 100, object_id: str | None = None
) -> list[CoopAuditEntry]:
    """The acting Person's own entries, newest first (never another Person's)."""
    query = select(CoopAuditEntry).where(CoopAuditEntry.person_id == actor.id)
    if object_id is not None:
        query = query.where(CoopAuditEntry.object_id == object_id)
    query = query.order_by(CoopAuditEntry.at.desc(), CoopAuditEntry.id.desc()).limit(limit)
    return list(session.scalars(query))
