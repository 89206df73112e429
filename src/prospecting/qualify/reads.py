"""Reading back what auto-qualify produced: drafts and their qualifications, for the edges."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from prospecting.db import owned
from prospecting.identity.models import Person
from prospecting.qualify.models import Draft, Qualification
from prospecting.qualify.schemas import (
    DraftDetail,
    DraftOut,
    DraftStatus,
    EntitiesOut,
    Factor,
    QualificationOut,
    TriageOut,
)
from prospecting.qualify.service import graph_notices


def qualified(*, session: Session, touchpoint_ids: Sequence[str]) -> set[str]:
    """Which of these inbound messages already have their qualification."""
    if not touchpoint_ids:
        return set()
    rows = session.scalars(
        select(Qualification.touchpoint_id).where(
            Qualification.touchpoint_id.in_(list(touchpoint_ids))
        )
    )
    return set(rows)


def get_draft(*, session: Session, actor: Person, draft_id: str, lock: bool = False) -> Draft:
    """Another Person's draft is indistinguishable from a missing one.

    ``lock`` takes the row lock (SELECT ... FOR UPDATE; SQLite is serialised by BEGIN IMMEDIATE)
    and re-reads the row, so a decision sees what a concurrent one committed.
    """
    return owned(session, Draft, draft_id, person_id=actor.id, kind="draft", lock=lock)


def list_drafts(
    *,
    session: Session,
    actor: Person,
    status: DraftStatus | None = DraftStatus.PENDING,
    limit: int = 50,
    offset: int = 0,
    intent: str | None = None,
    min_score: float | None = None,
    max_score: float | None = None,
    after: tuple[datetime, str] | None = None,
    needs_review: bool | None = None,
) -> tuple[list[Draft], int]:
    """Newest first; `intent` and the P(book) bounds filter on the qualification. `after` is a
    keyset position (created_at, id) of the last draft already seen: paging by it skips none
    when drafts leave the filter (approved) or arrive meanwhile. `total` ignores `after`.
    `needs_review` keeps only the held-back drafts (True) or only the one-tap ones (False)."""
    query = select(Draft).where(Draft.person_id == actor.id)
    if status is not None:
        query = query.where(Draft.status == status.value)
    if needs_review is not None:
        query = query.where(Draft.needs_review.is_(needs_review))
    if intent is not None or min_score is not None or max_score is not None:
        query = query.join(Qualification, Qualification.id == Draft.qualification_id)
        if intent is not None:
            query = query.where(Qualification.intent == intent)
        if min_score is not None:
            query = query.where(Qualification.p_book >= min_score)
        if max_score is not None:
            query = query.where(Qualification.p_book <= max_score)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if after is not None:
        at, last_id = after
        query = query.where(
            or_(Draft.created_at < at, and_(Draft.created_at == at, Draft.id > last_id))
        )
    rows = session.scalars(
        query.order_by(Draft.created_at.desc(), Draft.id).limit(limit).offset(offset)
    )
    return list(rows), total


def qualification_out(row: Qualification) -> QualificationOut:
    return QualificationOut(
        id=row.id,
        prospect_id=row.prospect_id,
        touchpoint_id=row.touchpoint_id,
        intent=row.intent,
        intent_confidence=row.intent_confidence,
        language=row.language,
        entities=EntitiesOut.model_validate(row.entities),
        p_book=row.p_book,
        factors=[Factor.model_validate(f) for f in row.factors],
        graph_state=row.graph_state,
        graph_notices=graph_notices(row),
        model_version=row.model_version,
        triage=TriageOut.model_validate(row.triage or {}),
    )


def draft_out(row: Draft) -> DraftOut:
    return DraftOut.model_validate(row)


def draft_detail(session: Session, row: Draft) -> DraftDetail:
    qualification = session.get(Qualification, row.qualification_id)
    assert qualification is not None
    data: dict[str, Any] = draft_out(row).model_dump()
    return DraftDetail(**data, qualification=qualification_out(qualification))


def draft_details(session: Session, rows: Sequence[Draft]) -> list[DraftDetail]:
    return [draft_detail(session, row) for row in rows]
