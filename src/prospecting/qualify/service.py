"""Auto-qualify core: every inbound message is read, scored and drafted before anyone looks.

One path for every adapter: `ingest_and_qualify` (HTTP, MCP, CLI, demo) = prospects' ingest +
`qualify_inbound` in the caller's transaction. Services never commit.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prospecting.db import new_id, utcnow
from prospecting.errors import NotFound
from prospecting.identity.models import Person
from prospecting.prospects import service as prospects
from prospecting.prospects.models import Prospect, Touchpoint
from prospecting.prospects.schemas import InboundMessage
from prospecting.qualify import intent as reader
from prospecting.qualify import training
from prospecting.qualify.drafts import build_draft, guard_refinement
from prospecting.qualify.models import Draft, DraftingProfile, Qualification
from prospecting.qualify.refine import Refiner, RefineRequest, refine
from prospecting.qualify.schemas import (
    DraftDetail,
    DraftOut,
    DraftStatus,
    EntitiesOut,
    Factor,
    ProfileIn,
    ProfileOut,
    QualificationOut,
    QualifiedInbound,
)
from prospecting.qualify.scoring import History, LogisticScorer, all_features
from prospecting.qualify.signals import GraphFeatures, GraphSignalSource, no_graph_signal
from prospecting.resolver.service import Resolver

FOLLOWUP_REPLY_WINDOW = timedelta(days=3)


# --- drafting profile -------------------------------------------------------------------------


def _stored_profile(session: Session, actor: Person) -> DraftingProfile | None:
    return session.scalar(select(DraftingProfile).where(DraftingProfile.person_id == actor.id))


def profile_for(*, session: Session, actor: Person) -> ProfileIn:
    """The Person's drafting profile; an empty warm English one until they set it."""
    row = _stored_profile(session, actor)
    if row is None:
        return ProfileIn()
    return ProfileIn.model_validate(
        {
            "services": row.services,
            "hours_text": row.hours_text,
            "booking_link": row.booking_link,
            "tone": row.tone,
            "sign_off": row.sign_off,
            "languages": row.languages or ["en"],
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
    row.updated_at = utcnow()
    session.flush()
    return _profile_out(data, row.updated_at)


def _profile_out(data: ProfileIn, updated_at: datetime | None) -> ProfileOut:
    return ProfileOut(
        services=data.services,
        hours_text=data.hours_text,
        booking_link=str(data.booking_link) if data.booking_link else None,
        tone=data.tone,
        sign_off=data.sign_off,
        languages=data.languages,
        updated_at=updated_at,
    )


# --- qualify ----------------------------------------------------------------------------------


def ingest_and_qualify(
    *,
    session: Session,
    actor: Person,
    resolver: Resolver,
    message: InboundMessage,
    graph_source: GraphSignalSource = no_graph_signal,
    refiner: Refiner | None = None,
) -> QualifiedInbound:
    """Ingest one inbound message and qualify it in the same transaction."""
    started = time.perf_counter()
    received_at = utcnow()
    ingested = prospects.ingest(session=session, actor=actor, resolver=resolver, message=message)
    qualification, draft = qualify_inbound(
        session=session,
        actor=actor,
        touchpoint_id=ingested.touchpoint.id,
        graph_source=graph_source,
        refiner=refiner,
        received_at=received_at,
        started=started,
    )
    return QualifiedInbound(
        ingest=ingested.as_result(),
        qualification=qualification_out(qualification),
        draft=draft_out(draft),
    )


def qualify_inbound(
    *,
    session: Session,
    actor: Person,
    touchpoint_id: str,
    graph_source: GraphSignalSource = no_graph_signal,
    refiner: Refiner | None = None,
    scorer: LogisticScorer | None = None,
    profile: ProfileIn | None = None,
    received_at: datetime | None = None,
    started: float | None = None,
) -> tuple[Qualification, Draft]:
    """Read, score and draft one of the Person's inbound messages (idempotent per message)."""
    started = started if started is not None else time.perf_counter()
    touchpoint = session.get(Touchpoint, touchpoint_id)
    if (
        touchpoint is None
        or touchpoint.person_id != actor.id
        or touchpoint.direction != "inbound"
        or touchpoint.kind != "message"
    ):
        raise NotFound("inbound message")
    existing = session.scalar(
        select(Qualification).where(Qualification.touchpoint_id == touchpoint.id)
    )
    if existing is not None:
        draft = session.scalar(select(Draft).where(Draft.qualification_id == existing.id))
        assert draft is not None
        return existing, draft
    received_at = received_at or touchpoint.created_at
    prospect = session.get(Prospect, touchpoint.prospect_id)
    assert prospect is not None
    profile = profile or profile_for(session=session, actor=actor)
    text = touchpoint.body or ""
    read = reader.classify(text, service_names=[s.name for s in profile.services])
    history = history_before(session, touchpoint)
    graph = graph_source(session=session, actor=actor, prospect_id=prospect.id)
    features = all_features(text, read, history, graph, languages=profile.languages)
    scorer = scorer or training.active_scorer(session=session, actor=actor)
    scored = scorer.score(features)
    qualification = Qualification(
        id=new_id(),
        person_id=actor.id,
        prospect_id=prospect.id,
        touchpoint_id=touchpoint.id,
        intent=read.label,
        intent_confidence=round(read.confidence, 4),
        language=read.language,
        entities={
            "requested_service": read.entities.requested_service,
            "day_time_wishes": list(read.entities.day_time_wishes),
            "urgency": read.entities.urgency,
        },
        p_book=scored.p_book,
        factors=scored.factors,
        features={k: round(v, 6) for k, v in features.items()} | _graph_facts(graph),
        graph_state=_graph_state(graph),
        model_version=scorer.version,
        message_at=touchpoint.occurred_at,
        received_at=received_at,
    )
    session.add(qualification)
    session.flush()
    offline = build_draft(intent=read, profile=profile, prospect_name=prospect.display_name)
    body, source = refine(
        refiner,
        RefineRequest(
            offline.body,
            text,
            offline.tone,
            offline.language,
            read.label,
            sender_name=prospect.display_name,
        ),
    )
    elapsed = time.perf_counter() - started
    draft = Draft(
        person_id=actor.id,
        prospect_id=prospect.id,
        qualification_id=qualification.id,
        channel=touchpoint.channel,
        language=offline.language,
        tone=offline.tone,
        body=body,
        offline_body=offline.body,
        source=source,
        suggested_action=offline.suggested_action,
        status=DraftStatus.PENDING.value,
        received_at=received_at,
        ready_at=received_at + timedelta(seconds=elapsed),
        latency_ms=round(elapsed * 1000, 3),
    )
    session.add(draft)
    session.flush()
    return qualification, draft


def _graph_state(graph: GraphFeatures | None) -> str:
    """empty (no signal), degraded (graph unreachable), the graph's network state, or present."""
    if graph is None:
        return "empty"
    if graph.degraded:
        return "degraded"
    return graph.network_state or "present"


GRAPH_NOTICES = {
    "graph_budget_exhausted": "network privacy budget for this person is spent: its figures "
    "will not refresh",
    "graph_degraded": "the network was unreachable: scored on local history only",
}


def _graph_facts(graph: GraphFeatures | None) -> dict[str, float]:
    """Recorded with the features (the scorer ignores them) so the notices survive re-reads."""
    if graph is None:
        return {}
    return {
        name: 1.0
        for name, on in (
            ("graph_budget_exhausted", graph.budget_exhausted),
            ("graph_degraded", graph.degraded),
        )
        if on
    }


def graph_notices(row: Qualification) -> list[str]:
    return [text for name, text in GRAPH_NOTICES.items() if (row.features or {}).get(name)]


def history_before(session: Session, touchpoint: Touchpoint) -> History:
    """What this provider already knows about the prospect, strictly before the message."""
    rows = list(
        session.scalars(
            select(Touchpoint)
            .where(
                Touchpoint.prospect_id == touchpoint.prospect_id,
                Touchpoint.occurred_at <= touchpoint.occurred_at,
                Touchpoint.id != touchpoint.id,
            )
            .order_by(Touchpoint.occurred_at, Touchpoint.created_at)
        )
    )
    if not rows:
        return History()
    inbound = [r for r in rows if r.direction == "inbound" and r.kind == "message"]
    outcomes = [r for r in rows if r.kind == "outcome" and r.outcome_version is not None]
    last = max(outcomes, key=lambda r: r.outcome_version or 0).outcome if outcomes else None
    unanswered = 0
    for out in (r for r in rows if r.direction == "outbound" and r.kind == "message"):
        replied = any(
            out.occurred_at < r.occurred_at <= out.occurred_at + FOLLOWUP_REPLY_WINDOW
            for r in [*inbound, touchpoint]
        )
        unanswered += not replied
    days = (touchpoint.occurred_at - rows[0].occurred_at).total_seconds() / 86400
    return History(
        prior_inbound=len(inbound),
        last_outcome=last,
        days_since_first_contact=days,
        unanswered_followups=unanswered,
    )


def refinement_request(*, session: Session, actor: Person, draft_id: str) -> RefineRequest | None:
    """What to ask a copilot's model to polish, or None when the draft should stay as it is
    (already refined, or no longer pending)."""
    draft = get_draft(session=session, actor=actor, draft_id=draft_id)
    if draft.source != "offline" or draft.status != DraftStatus.PENDING.value:
        return None
    qualification = session.get(Qualification, draft.qualification_id)
    assert qualification is not None
    touchpoint = session.get(Touchpoint, qualification.touchpoint_id)
    prospect = session.get(Prospect, draft.prospect_id)
    return RefineRequest(
        draft.body,
        (touchpoint.body if touchpoint else None) or "",
        draft.tone,
        draft.language,
        qualification.intent,
        sender_name=prospect.display_name if prospect else None,
    )


def apply_refinement(
    *, session: Session, actor: Person, draft_id: str, body: str, source: str
) -> Draft:
    """Swap in a guarded refinement (e.g. from MCP sampling) while the draft is pending."""
    draft = get_draft(session=session, actor=actor, draft_id=draft_id)
    safe = guard_refinement(draft.offline_body, body)
    if safe is not None and draft.status == DraftStatus.PENDING.value:
        draft.body, draft.source = safe, source
        session.flush()
    return draft


# --- reading drafts ---------------------------------------------------------------------------


def get_draft(*, session: Session, actor: Person, draft_id: str, lock: bool = False) -> Draft:
    """Another Person's draft is indistinguishable from a missing one.

    ``lock`` takes the row lock (SELECT ... FOR UPDATE; SQLite is serialised by BEGIN IMMEDIATE)
    and re-reads the row, so a decision sees what a concurrent one committed.
    """
    if lock:
        query = select(Draft).where(Draft.id == draft_id).with_for_update()
        draft = session.scalar(query.execution_options(populate_existing=True))
    else:
        draft = session.get(Draft, draft_id)
    if draft is None or draft.person_id != actor.id:
        raise NotFound("draft")
    return draft


def list_drafts(
    *,
    session: Session,
    actor: Person,
    status: DraftStatus | None = DraftStatus.PENDING,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Draft], int]:
    query = select(Draft).where(Draft.person_id == actor.id)
    if status is not None:
        query = query.where(Draft.status == status.value)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
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
