"""HTTP routes for identity: the acting Person, profile, tokens, orgs and their invitations."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from prospecting.edges.http.deps import (
    CurrentPerson,
    PathId,
    ReadPerson,
    TenantReadSession,
    TenantSession,
)
from prospecting.edges.http.responses import errors
from prospecting.identity import service
from prospecting.identity.models import Role
from prospecting.identity.schemas import (
    InvitationOut,
    InvitationSent,
    MembershipCreate,
    MembershipOut,
    OrgCreate,
    OrgOut,
    PersonCreate,
    PersonOut,
    ProfileUpdate,
    TokenCreate,
    TokenCreated,
    TokenOut,
)

router = APIRouter(tags=["identity"])


@router.get("/me", response_model=PersonOut, responses=errors(401, 503))
def read_me(actor: ReadPerson) -> PersonOut:
    return service.person_out(actor)


@router.patch("/me", response_model=PersonOut, responses=errors(400, 401, 413, 422, 503))
def update_me(data: ProfileUpdate, actor: CurrentPerson, session: TenantSession) -> PersonOut:
    return service.person_out(service.update_profile(session=session, actor=actor, data=data))


@router.post(
    "/persons",
    response_model=PersonOut,
    status_code=status.HTTP_201_CREATED,
    responses=errors(400, 401, 403, 413, 422, 503),
)
def create_person(data: PersonCreate, actor: CurrentPerson, session: TenantSession) -> PersonOut:
    service.require_role(actor, Role.PLATFORM_ADMIN)
    return service.person_out(service.create_person(session=session, data=data))


@router.get("/tokens", response_model=list[TokenOut], responses=errors(401, 503))
def list_tokens(actor: ReadPerson, session: TenantReadSession) -> list[TokenOut]:
    tokens = service.list_tokens(session=session, actor=actor)
    return [TokenOut.model_validate(t) for t in tokens]


@router.post(
    "/tokens",
    response_model=TokenCreated,
    status_code=status.HTTP_201_CREATED,
    responses=errors(400, 401, 413, 422, 503),
)
def create_token(data: TokenCreate, actor: CurrentPerson, session: TenantSession) -> TokenCreated:
    token, plaintext = service.issue_token(session=session, person=actor, name=data.name)
    return TokenCreated.model_validate(
        {**TokenOut.model_validate(token).model_dump(), "token": plaintext}
    )


@router.delete("/tokens/{token_id}", response_model=TokenOut, responses=errors(401, 404, 422, 503))
def revoke_token(token_id: PathId, actor: CurrentPerson, session: TenantSession) -> TokenOut:
    return TokenOut.model_validate(
        service.revoke_token(session=session, actor=actor, token_id=token_id)
    )


@router.post(
    "/orgs",
    response_model=OrgOut,
    status_code=status.HTTP_201_CREATED,
    responses=errors(400, 401, 413, 422, 503),
)
def create_org(data: OrgCreate, actor: CurrentPerson, session: TenantSession) -> OrgOut:
    """Any provider may found an Org; the founder becomes its org_admin."""
    return OrgOut.model_validate(service.create_org(session=session, data=data, admin=actor))


@router.post(
    "/orgs/{org_id}/members",
    response_model=InvitationSent,
    status_code=status.HTTP_202_ACCEPTED,
    responses=errors(400, 401, 404, 413, 422, 503),
)
def invite_member(
    org_id: PathId, data: MembershipCreate, actor: CurrentPerson, session: TenantSession
) -> InvitationSent:
    """Invite a Person into the Org (its org_admin or a platform admin). The Person joins only
    by accepting; the answer is the same whether or not they exist or are already in."""
    service.invite_member(session=session, actor=actor, org_id=org_id, data=data)
    return InvitationSent()


@router.get("/me/org-invitations", response_model=list[InvitationOut], responses=errors(401, 503))
def list_invitations(actor: ReadPerson, session: TenantReadSession) -> list[InvitationOut]:
    return [
        InvitationOut(
            org_id=org.id, org_name=org.name, role=membership.role, invited_at=membership.created_at
        )
        for membership, org in service.list_invitations(session=session, actor=actor)
    ]


@router.post(
    "/orgs/{org_id}/invitation/accept",
    response_model=MembershipOut,
    responses=errors(401, 404, 422, 503),
)
def accept_invitation(
    org_id: PathId, actor: CurrentPerson, session: TenantSession
) -> MembershipOut:
    """Join the Org: from now on its default graph policy applies where you have not chosen."""
    membership = service.accept_invitation(session=session, actor=actor, org_id=org_id)
    return MembershipOut.model_validate(membership)


@router.post(
    "/orgs/{org_id}/invitation/decline",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(401, 404, 422, 503),
)
def decline_invitation(org_id: PathId, actor: CurrentPerson, session: TenantSession) -> Response:
    service.decline_invitation(session=session, actor=actor, org_id=org_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/orgs/{org_id}/members/me",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(401, 404, 409, 422, 503),
)
def leave_org(org_id: PathId, actor: CurrentPerson, session: TenantSession) -> Response:
    """Leave an Org you joined; its policy stops applying to you."""
    service.leave_org(session=session, actor=actor, org_id=org_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
