"""HTTP routes under /prospect-graph/: thin adapters over prospecting.graph.service.

There is deliberately no listing or export route for subjects or aggregates: every read names
one subject the caller is linked to (the graph is a query interface, not a dataset).
Every route that writes (audit rows, links) is a POST, including the per-subject and
per-prospect reads, which are audited.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from prospecting.edges.http.deps import (
    Actor,
    Caller,
    CallerDep,
    GraphContext,
    GraphReadContext,
    PathId,
    get_runtime,
    query_line,
)
from prospecting.edges.http.responses import answer, errors
from prospecting.graph import service
from prospecting.graph.local import own_prospect
from prospecting.graph.schemas import (
    AttestationIn,
    AuditEntry,
    CollisionIn,
    CollisionOut,
    ConsentChange,
    ConsentEventOut,
    ConsentState,
    ContributionIn,
    ContributionOut,
    GraphAnswer,
    GraphMetrics,
    GraphQueryIn,
    GraphScope,
    GraphSignals,
    LinkOut,
    MislabelIn,
    OptOutIn,
    OptOutOut,
    OrgPolicyIn,
    Reachability,
    SafetyFlag,
)
from prospecting.identity.service import require_org_admin
from prospecting.runtime import Runtime
from prospecting.workflows import erasure, linking

router = APIRouter(prefix="/prospect-graph", tags=["prospect-graph"])


Ctx = GraphContext
ReadCtx = GraphReadContext
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def _own_prospect(prospect_id: PathId, ctx: Ctx) -> str:
    """Resolved before body or consent checks, so another tenant's id is a plain 404."""
    return own_prospect(ctx, prospect_id)


def _admin_org(org_id: PathId, ctx: Ctx) -> str:
    require_org_admin(session=ctx.tenant, actor=ctx.actor, org_id=org_id)
    return org_id


OwnProspectId = Annotated[str, Depends(_own_prospect)]
AdminOrgId = Annotated[str, Depends(_admin_org)]


@router.get("/consent", response_model=ConsentState, responses=errors(401, 503))
def read_consent(ctx: ReadCtx) -> ConsentState:
    return service.consent_state(ctx)


@router.post(
    "/consent", response_model=ConsentState, responses=errors(400, 401, 403, 404, 413, 422, 503)
)
def change_consent(data: ConsentChange, ctx: Ctx) -> ConsentState:
    return service.change_consent(ctx, data)


@router.get("/consent/history", response_model=list[ConsentEventOut], responses=errors(401, 503))
def consent_history(ctx: ReadCtx) -> list[ConsentEventOut]:
    rows = service.consent_history(ctx)
    return [ConsentEventOut.model_validate(r) for r in rows]


@router.put(
    "/orgs/{org_id}/policy",
    response_model=OrgPolicyIn,
    responses=errors(400, 401, 404, 413, 422, 503),
)
def set_org_policy(org_id: AdminOrgId, data: OrgPolicyIn, ctx: Ctx) -> OrgPolicyIn:
    return service.set_org_policy(ctx, org_id, data)


@router.post(
    "/prospects/{prospect_id}/link",
    response_model=LinkOut,
    responses=errors(401, 403, 404, 410, 422, 503),
)
def link_prospect(prospect_id: OwnProspectId, actor: Actor, runtime: RuntimeDep) -> LinkOut:
    return linking.link(runtime, actor=actor, prospect_id=prospect_id, channel="http")


@router.post(
    "/contributions",
    response_model=ContributionOut,
    responses=errors(400, 401, 403, 404, 409, 410, 413, 422, 503),
)
def contribute(data: ContributionIn, ctx: Ctx) -> ContributionOut:
    return service.contribute(ctx, data)


@router.post(
    "/query", response_model=GraphAnswer, responses=errors(400, 401, 403, 404, 413, 422, 503)
)
async def graph_query(data: GraphQueryIn, caller: CallerDep) -> Response:
    return await _audited_query(caller, data)


async def _audited_query(caller: Caller, data: GraphQueryIn) -> Response:
    """One audited query, on the event loop when SQLite's write lock is free (`Caller.write`)."""

    def run(at_once: bool) -> Response:
        with caller.graph(at_once=at_once) as ctx:
            answered = service.query(ctx, data)
        return answer(answered)

    return await caller.write(run)


@router.post(
    "/subjects/{subject_key}", response_model=GraphAnswer, responses=errors(401, 403, 404, 422, 503)
)
async def query_subject(
    subject_key: PathId,
    caller: CallerDep,
    category: Annotated[str | None, query_line()] = None,
    region: Annotated[str | None, query_line()] = None,
) -> Response:
    scope = GraphScope(category=category, region=region)
    return await _audited_query(caller, GraphQueryIn(subject_key=subject_key, scope=scope))


@router.post(
    "/prospects/{prospect_id}/reachability",
    response_model=Reachability,
    responses=errors(401, 403, 404, 422, 503),
)
def reachability(prospect_id: OwnProspectId, ctx: Ctx) -> Reachability:
    return service.reachability(ctx, prospect_id)


@router.post(
    "/prospects/{prospect_id}/signals",
    response_model=GraphSignals,
    responses=errors(401, 404, 422, 503),
)
def signals(prospect_id: OwnProspectId, ctx: Ctx) -> GraphSignals:
    return service.inbound_signals(ctx, prospect_id)


@router.post(
    "/opt-outs", response_model=OptOutOut, responses=errors(400, 401, 403, 404, 409, 413, 422, 503)
)
def subject_opt_out(data: OptOutIn, actor: Actor, runtime: RuntimeDep) -> OptOutOut:
    return erasure.subject_opt_out(runtime, actor=actor, data=data, channel="http")


@router.post(
    "/corrections/collisions",
    response_model=CollisionOut,
    responses=errors(400, 401, 404, 413, 422, 503),
)
def report_collision(data: CollisionIn, ctx: Ctx) -> CollisionOut:
    return service.report_collision(ctx, data)


@router.post(
    "/corrections/outcomes",
    response_model=ContributionOut,
    responses=errors(400, 401, 403, 404, 409, 410, 413, 422, 503),
)
def correct_outcome(data: MislabelIn, ctx: Ctx) -> ContributionOut:
    return service.correct_outcome(ctx, data)


@router.post(
    "/attestations",
    response_model=list[SafetyFlag],
    responses=errors(400, 401, 403, 404, 410, 413, 422, 503),
)
def attest(data: AttestationIn, ctx: Ctx) -> list[SafetyFlag]:
    return service.attest(ctx, data)


@router.get("/audit", response_model=list[AuditEntry], responses=errors(401, 422, 503))
def list_audit(ctx: ReadCtx, limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[AuditEntry]:
    return service.list_audit(ctx, limit=limit)


@router.get("/metrics", response_model=GraphMetrics, responses=errors(401, 422, 503))
def metrics(ctx: ReadCtx, weeks: Annotated[int, Query(ge=1, le=26)] = 4) -> GraphMetrics:
    return service.metrics(ctx, weeks=weeks)
