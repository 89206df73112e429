"""HTTP routes for prospects: ingest, import, list, read, update, outcomes, merge suggestions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from prospecting.edges.http.deps import (
    Actor,
    CallerDep,
    CurrentPerson,
    PathId,
    ReadPerson,
    TenantReadSession,
    TenantSession,
    get_runtime,
    problem,
)
from prospecting.edges.http.responses import answer, errors
from prospecting.prospects import service
from prospecting.prospects.importing import MAX_IMPORT_BYTES, decode_csv
from prospecting.prospects.models import Prospect
from prospecting.prospects.schemas import (
    DateOrder,
    ImportReport,
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
from prospecting.workflows import importing, inbound

router = APIRouter(prefix="/prospects", tags=["prospects"])


def _prospect_in_path(
    prospect_id: PathId, actor: CurrentPerson, session: TenantSession
) -> Prospect:
    return service.get_prospect(session=session, actor=actor, prospect_id=prospect_id)


OwnProspect = Annotated[Prospect, Depends(_prospect_in_path)]


def _readable_prospect(
    prospect_id: PathId, actor: ReadPerson, session: TenantReadSession
) -> Prospect:
    return service.get_prospect(session=session, actor=actor, prospect_id=prospect_id)


ReadableProspect = Annotated[Prospect, Depends(_readable_prospect)]
"""The path's prospect for a route that only reads (read transaction)."""


@router.post(
    "/inbound",
    response_model=IngestResult,
    status_code=status.HTTP_201_CREATED,
    responses=errors(400, 401, 413, 422, 503),
)
def ingest_inbound(
    message: InboundMessage, actor: Actor, runtime: Annotated[Runtime, Depends(get_runtime)]
) -> IngestResult:
    """Ingest, then auto-qualify (intent, P(book), reply draft) before anyone looks."""
    return inbound.receive(runtime, actor=actor, message=message, channel="http").ingest


CSV_TYPES = ("text/csv", "text/plain", "application/csv", "application/vnd.ms-excel")
IMPORT_BODY = {
    "required": True,
    "content": {media: {"schema": {"type": "string"}} for media in CSV_TYPES[:1]},
    "description": f"A booking tool's CSV export, header row first; at most "
    f"{MAX_IMPORT_BYTES // (1024 * 1024)} MiB (larger files: `prospecting prospects import`).",
}


@router.post(
    "/import",
    response_model=ImportReport,
    openapi_extra={"requestBody": IMPORT_BODY},
    responses=errors(401, 413, 415, 422, 503),
)
async def import_history(
    request: Request,
    actor: Actor,
    runtime: Annotated[Runtime, Depends(get_runtime)],
    contribute: Annotated[
        bool, Query(description="false keeps the import local: nothing reaches the network.")
    ] = True,
    date_order: Annotated[
        DateOrder | None,
        Query(description="How to read 03/05/2024 when the file does not tell (dmy or mdy)."),
    ] = None,
) -> ImportReport | JSONResponse:
    """Import existing clients and past appointments from a CSV export (`text/csv`): one
    prospect per client, matched to yours by phone or email, appointments and outcomes, and
    (with contribute consent) their history in the network. Re-importing stores nothing twice.
    The report lists rejected rows with reasons."""
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media not in CSV_TYPES:
        return problem(
            415,
            "unsupported_media_type",
            f"send the CSV as the request body with Content-Type: text/csv (got {media or 'none'})",
        )
    data = await _body_within(request, MAX_IMPORT_BYTES)
    if data is None:
        return problem(
            413,
            "payload_too_large",
            f"the CSV is larger than {MAX_IMPORT_BYTES} bytes",
            hint="split the file, or import it with `prospecting prospects import FILE`",
        )
    return await run_in_threadpool(
        importing.import_history,
        runtime,
        actor=actor,
        text=decode_csv(data),
        contribute=contribute,
        date_order=date_order,
        channel="http",
        field_name="body",
    )


async def _body_within(request: Request, limit: int) -> bytes | None:
    """The request body, or None as soon as it is longer than `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


@router.get("", response_model=ProspectPage, responses=errors(401, 422, 503))
async def list_prospects(
    caller: CallerDep,
    status_filter: Annotated[ProspectStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> Response:
    def page() -> Response:
        with caller.reading() as (session, actor):
            items, total = service.list_prospects(
                session=session, actor=actor, status=status_filter, limit=limit, offset=offset
            )
        return answer(ProspectPage(items=items, total=total, limit=limit, offset=offset))

    return await caller.read(page)


@router.get(
    "/merge-suggestions", response_model=list[MergeSuggestionOut], responses=errors(401, 503)
)
def list_merge_suggestions(
    actor: ReadPerson, session: TenantReadSession
) -> list[MergeSuggestionOut]:
    rows = service.list_merge_suggestions(session=session, actor=actor)
    return [MergeSuggestionOut.model_validate(s) for s in rows]


@router.post(
    "/merge-suggestions/{suggestion_id}/accept",
    response_model=ProspectOut,
    responses=errors(401, 404, 409, 422, 503),
)
def accept_merge(
    suggestion_id: PathId, actor: CurrentPerson, session: TenantSession
) -> ProspectOut:
    merged = service.accept_merge(session=session, actor=actor, suggestion_id=suggestion_id)
    return ProspectOut.model_validate(merged)


@router.post(
    "/merge-suggestions/{suggestion_id}/reject",
    response_model=MergeSuggestionOut,
    responses=errors(401, 404, 409, 422, 503),
)
def reject_merge(
    suggestion_id: PathId, actor: CurrentPerson, session: TenantSession
) -> MergeSuggestionOut:
    rejected = service.reject_merge(session=session, actor=actor, suggestion_id=suggestion_id)
    return MergeSuggestionOut.model_validate(rejected)


@router.get("/{prospect_id}", response_model=ProspectOut, responses=errors(401, 404, 422, 503))
def read_prospect(prospect: ReadableProspect) -> ProspectOut:
    return ProspectOut.model_validate(prospect)


@router.patch(
    "/{prospect_id}",
    response_model=ProspectOut,
    responses=errors(400, 401, 404, 409, 413, 422, 503),
)
def update_prospect(
    data: ProspectUpdate, prospect: OwnProspect, actor: CurrentPerson, session: TenantSession
) -> ProspectOut:
    updated = service.update_prospect(
        session=session, actor=actor, prospect_id=prospect.id, data=data
    )
    return ProspectOut.model_validate(updated)


@router.get(
    "/{prospect_id}/touchpoints",
    response_model=list[TouchpointOut],
    responses=errors(401, 404, 422, 503),
)
def list_touchpoints(
    prospect: ReadableProspect, actor: ReadPerson, session: TenantReadSession
) -> list[TouchpointOut]:
    rows = service.list_touchpoints(session=session, actor=actor, prospect_id=prospect.id)
    return [TouchpointOut.model_validate(t) for t in rows]


@router.post(
    "/{prospect_id}/outcomes",
    response_model=TouchpointOut,
    status_code=status.HTTP_201_CREATED,
    responses=errors(400, 401, 404, 409, 413, 422, 503),
)
def record_outcome(
    data: OutcomeIn, prospect: OwnProspect, actor: CurrentPerson, session: TenantSession
) -> TouchpointOut:
    touchpoint = service.record_outcome(
        session=session, actor=actor, prospect_id=prospect.id, data=data
    )
    return TouchpointOut.model_validate(touchpoint)
