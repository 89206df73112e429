"""HTTP routes for auto-qualify under /qualify: profile, inbound, drafts, report.

Approving routes only queue replies; a background task hands them to the channel after the
request's transaction has committed (the session dependency closes before the response).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Query, status

from prospecting.edges.http.deps import (
    Actor,
    CurrentPerson,
    PathId,
    ReadPerson,
    TenantReadSession,
    TenantSession,
    get_runtime,
)
from prospecting.edges.http.responses import errors
from prospecting.prospects.schemas import InboundMessage
from prospecting.qualify import approvals, reads, report
from prospecting.qualify import profile as profiles
from prospecting.qualify.models import Draft
from prospecting.qualify.schemas import (
    BatchApproveIn,
    BatchApproveOut,
    DraftDetail,
    DraftPage,
    DraftStatus,
    EditIn,
    ProfileIn,
    ProfileOut,
    QualificationReport,
    QualifiedInbound,
)
from prospecting.runtime import Runtime
from prospecting.workflows import inbound
from prospecting.workflows.delivery import dispatch_outbox

router = APIRouter(prefix="/qualify", tags=["qualify"])
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def _draft_in_path(draft_id: PathId, actor: CurrentPerson, session: TenantSession) -> Draft:
    return reads.get_draft(session=session, actor=actor, draft_id=draft_id)


OwnDraft = Annotated[Draft, Depends(_draft_in_path)]


def _readable_draft(draft_id: PathId, actor: ReadPerson, session: TenantReadSession) -> Draft:
    return reads.get_draft(session=session, actor=actor, draft_id=draft_id)


ReadableDraft = Annotated[Draft, Depends(_readable_draft)]
"""The path's draft for a route that only reads (read transaction)."""


@router.get("/profile", response_model=ProfileOut, responses=errors(401, 503))
def read_profile(actor: ReadPerson, session: TenantReadSession) -> ProfileOut:
    return profiles.get_profile(session=session, actor=actor)


@router.put("/profile", response_model=ProfileOut, responses=errors(400, 401, 413, 422, 503))
def replace_profile(data: ProfileIn, actor: CurrentPerson, session: TenantSession) -> ProfileOut:
    return profiles.update_profile(session=session, actor=actor, data=data)


@router.post(
    "/inbound",
    response_model=QualifiedInbound,
    status_code=status.HTTP_201_CREATED,
    responses=errors(400, 401, 413, 422, 503),
)
def qualify_inbound(message: InboundMessage, actor: Actor, runtime: RuntimeDep) -> QualifiedInbound:
    """Ingest an inbound message and return its intent, P(book) with reasons and a draft."""
    return inbound.receive(runtime, actor=actor, message=message, channel="http")


@router.get("/drafts", response_model=DraftPage, responses=errors(401, 422, 503))
def list_drafts(
    actor: ReadPerson,
    session: TenantReadSession,
    status_filter: Annotated[DraftStatus | None, Query(alias="status")] = DraftStatus.PENDING,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    needs_review: Annotated[
        bool | None,
        Query(description="true: only drafts held back for review; false: only one-tap ones"),
    ] = None,
) -> DraftPage:
    rows, total = reads.list_drafts(
        session=session,
        actor=actor,
        status=status_filter,
        limit=limit,
        offset=offset,
        needs_review=needs_review,
    )
    return DraftPage(items=reads.draft_details(session, rows), total=total)


@router.post(
    "/drafts/approve-batch",
    response_model=BatchApproveOut,
    responses=errors(400, 401, 404, 409, 413, 422, 503),
)
def batch_approve(
    data: BatchApproveIn,
    actor: CurrentPerson,
    session: TenantSession,
    runtime: RuntimeDep,
    background: BackgroundTasks,
) -> BatchApproveOut:
    """Approve every listed draft, or none if any is missing, foreign, already decided or
    needs review (409 naming the drafts to approve on their own)."""
    rows = approvals.batch_approve(session=session, actor=actor, draft_ids=data.draft_ids)
    background.add_task(dispatch_outbox, runtime, draft_ids=[d.id for d in rows])
    return BatchApproveOut(approved=[reads.draft_out(d) for d in rows])


@router.get("/drafts/{draft_id}", response_model=DraftDetail, responses=errors(401, 404, 422, 503))
def read_draft(draft: ReadableDraft, session: TenantReadSession) -> DraftDetail:
    return reads.draft_detail(session, draft)


@router.post(
    "/drafts/{draft_id}/approve",
    response_model=DraftDetail,
    responses=errors(401, 404, 409, 422, 503),
)
def approve_draft(
    draft: OwnDraft,
    actor: CurrentPerson,
    session: TenantSession,
    runtime: RuntimeDep,
    background: BackgroundTasks,
    confirm_review: Annotated[
        bool,
        Query(description="Required (true) to approve a draft that needs review, as it is."),
    ] = False,
) -> DraftDetail:
    """Send the draft as it is; a draft that needs review is a 409 unless confirm_review."""
    approved = approvals.approve_draft(
        session=session, actor=actor, draft_id=draft.id, confirm_review=confirm_review
    )
    background.add_task(dispatch_outbox, runtime, draft_ids=[approved.id])
    return reads.draft_detail(session, approved)


@router.post(
    "/drafts/{draft_id}/edit",
    response_model=DraftDetail,
    responses=errors(400, 401, 404, 409, 413, 422, 503),
)
def edit_and_approve(
    data: EditIn,
    draft: OwnDraft,
    actor: CurrentPerson,
    session: TenantSession,
    runtime: RuntimeDep,
    background: BackgroundTasks,
) -> DraftDetail:
    """Send the provider's edited text; the original and the edit are both kept."""
    approved = approvals.edit_and_approve(
        session=session, actor=actor, draft_id=draft.id, body=data.body
    )
    background.add_task(dispatch_outbox, runtime, draft_ids=[approved.id])
    return reads.draft_detail(session, approved)


@router.post(
    "/drafts/{draft_id}/discard",
    response_model=DraftDetail,
    responses=errors(401, 404, 409, 422, 503),
)
def discard_draft(draft: OwnDraft, actor: CurrentPerson, session: TenantSession) -> DraftDetail:
    discarded = approvals.discard_draft(session=session, actor=actor, draft_id=draft.id)
    return reads.draft_detail(session, discarded)


@router.get("/report", response_model=QualificationReport, responses=errors(401, 503))
def read_report(actor: ReadPerson, session: TenantReadSession) -> QualificationReport:
    return report.report(session=session, actor=actor)
