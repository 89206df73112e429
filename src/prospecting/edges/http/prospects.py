"""HTTP routes for prospects: ingest, list, read, update, outcomes, merge suggestions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from prospecting.edges.http.deps import Actor, CurrentPerson, TenantSession, get_runtime
from prospecting.prospects import service
from prospecting.prospects.models import Prospect
from prospecting.prospects.schemas import (
    InboundMessage,
    IngestResult,
    MergeSuggestionOut,
    OutcomeIn,
    ProspectOut,
    ProspectPage,
    ProspectStatus,
    ProspectUpdate,
    TouchpointOut,
)
from prospecting.runtime import Runtime
from prospecting.workflows import inbound

router = APIRouter(prefix="/prospects", tags=["prospects"])


def _prospect_in_path(prospect_id: str, actor: CurrentPerson, session: TenantSession) -> Prospect:
    return service.get_prospect(session=session, actor=actor, prospect_id=prospect_id)


OwnProspect = Annotated[Prospect, Depends(_prospect_in_path)]


@router.post("/inbound", response_model=IngestResult, status_code=status.HTTP_201_CREATED)
def ingest_inbound(
    message: InboundMessage, actor: Actor, runtime: Annotated[Runtime, Depends(get_runtime)]
) -> IngestResult:
    """Ingest, then auto-qualify (intent, P(book), reply draft) before anyone looks."""
    return inbound.receive(runtime, actor=actor, message=message, channel="http").ingest


@router.get("", response_model=ProspectPage)
def list_prospects(
    actor: CurrentPerson,
    session: TenantSession,
    status_filter: Annotated[ProspectStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ProspectPage:
    rows, total = service.list_prospects(
        session=session, actor=actor, status=status_filter, limit=limit, offset=offset
    )
    items = [ProspectOut.model_validate(p) for p in rows]
    return ProspectPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/merge-suggestions", response_model=list[MergeSuggestionOut])
def list_merge_suggestions(
    actor: CurrentPerson, session: TenantSession
) -> list[MergeSuggestionOut]:
    rows = service.list_merge_suggestions(session=session, actor=actor)
    return [MergeSuggestionOut.model_validate(s) for s in rows]


@router.post("/merge-suggestions/{suggestion_id}/accept", response_model=ProspectOut)
def accept_merge(suggestion_id: str, actor: CurrentPerson, session: TenantSession) -> ProspectOut:
    merged = service.accept_merge(session=session, actor=actor, suggestion_id=suggestion_id)
    return ProspectOut.model_validate(merged)


@router.post("/merge-suggestions/{suggestion_id}/reject", response_model=MergeSuggestionOut)
def reject_merge(
    suggestion_id: str, actor: CurrentPerson, session: TenantSession
) -> MergeSuggestionOut:
    rejected = service.reject_merge(session=session, actor=actor, suggestion_id=suggestion_id)
    return MergeSuggestionOut.model_validate(rejected)


@router.get("/{prospect_id}", response_model=ProspectOut)
def read_prospect(prospect: OwnProspect) -> ProspectOut:
    return ProspectOut.model_validate(prospect)


@router.patch("/{prospect_id}", response_model=ProspectOut)
def update_prospect(
    data: ProspectUpdate, prospect: OwnProspect, actor: CurrentPerson, session: TenantSession
) -> ProspectOut:
    updated = service.update_prospect(
        session=session, actor=actor, prospect_id=prospect.id, data=data
    )
    return ProspectOut.model_validate(updated)


@router.get("/{prospect_id}/touchpoints", response_model=list[TouchpointOut])
def list_touchpoints(
    prospect: OwnProspect, actor: CurrentPerson, session: TenantSession
) -> list[TouchpointOut]:
    rows = service.list_touchpoints(session=session, actor=actor, prospect_id=prospect.id)
    return [TouchpointOut.model_validate(t) for t in rows]


@router.post(
    "/{prospect_id}/outcomes", response_model=TouchpointOut, status_code=status.HTTP_201_CREATED
)
def record_outcome(
    data: OutcomeIn, prospect: OwnProspect, actor: CurrentPerson, session: TenantSession
) -> TouchpointOut:
    touchpoint = service.record_outcome(
        session=session, actor=actor, prospect_id=prospect.id, data=data
    )
    return TouchpointOut.model_validate(touchpoint)
