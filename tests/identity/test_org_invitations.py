"""Org membership is the Person's choice: an invitation they accept, decline or later leave.

An invitation answers alike for any person id, so it is no oracle of who exists.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from conftest import Provider
from prospecting.identity.models import OrgMembership

MISSING = "0" * 32
SENT = {"status": "invitation sent if the person exists"}


def _org(client: TestClient, admin: Provider, name: str = "Harbour Clinic") -> str:
    r = client.post("/orgs", json={"name": name}, headers=admin.headers)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _invite(client: TestClient, by: Provider, org_id: str, person_id: str, **kw: Any) -> Any:
    return client.post(
        f"/orgs/{org_id}/members", json={"person_id": person_id, **kw}, headers=by.headers
    )


def _rows(runtime: Any, org_id: str) -> dict[str, str]:
    with runtime.stores.tenant_read() as session:
        rows = session.execute(
            select(OrgMembership.person_id, OrgMembership.status).where(
                OrgMembership.org_id == org_id
            )
        )
        return {person_id: status for person_id, status in rows}


def test_an_invitation_answers_alike_whoever_the_id_names(client, make_provider, runtime):
    admin, bob = make_provider(), make_provider()
    org_id = _org(client, admin)
    answers = [
        _invite(client, admin, org_id, MISSING),  # nobody
        _invite(client, admin, org_id, bob.id),  # a Person
        _invite(client, admin, org_id, bob.id),  # invited already
        _invite(client, admin, org_id, admin.id),  # a member already
    ]
    assert [a.status_code for a in answers] == [202] * 4
    assert all(a.json() == SENT for a in answers)
    assert len({a.content for a in answers}) == 1
    assert _rows(runtime, org_id) == {admin.id: "active", bob.id: "invited"}
    with runtime.stores.tenant_read() as session:
        unknown = select(func.count()).where(OrgMembership.person_id == MISSING)
        assert session.scalar(unknown) == 0


def test_only_the_orgs_admin_or_a_platform_admin_invites(client, make_provider, runtime):
    admin, bob, carol = make_provider(), make_provider(), make_provider()
    platform = make_provider(roles=["platform_admin"])
    org_id = _org(client, admin)
    for person_id in (bob.id, MISSING):
        theirs = _invite(client, carol, org_id, person_id)
        missing = _invite(client, carol, MISSING, person_id)
        assert theirs.status_code == missing.status_code == 404
        assert theirs.json() == missing.json()
    assert _invite(client, platform, org_id, bob.id).status_code == 202
    assert _rows(runtime, org_id) == {admin.id: "active", bob.id: "invited"}


def test_only_the_invitee_accepts(client, make_provider, runtime):
    admin, bob, carol = make_provider(), make_provider(), make_provider()
    org_id = _org(client, admin)
    assert _invite(client, admin, org_id, bob.id).status_code == 202
    for who in (carol, admin):  # not invited / the inviter acting for bob
        theirs = client.post(f"/orgs/{org_id}/invitation/accept", headers=who.headers)
        missing = client.post(f"/orgs/{MISSING}/invitation/accept", headers=who.headers)
        assert theirs.status_code == 404 and theirs.json() == missing.json()
        assert theirs.json()["detail"] == "invitation not found"
    assert client.get("/me/org-invitations", headers=carol.headers).json() == []
    pending = client.get("/me/org-invitations", headers=bob.headers).json()
    assert [(i["org_id"], i["org_name"], i["role"]) for i in pending] == [
        (org_id, "Harbour Clinic", "member")
    ]
    accepted = client.post(f"/orgs/{org_id}/invitation/accept", headers=bob.headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "active" and accepted.json()["joined_at"]
    assert client.get("/me/org-invitations", headers=bob.headers).json() == []
    assert _rows(runtime, org_id) == {admin.id: "active", bob.id: "active"}
    again = client.post(f"/orgs/{org_id}/invitation/accept", headers=bob.headers)
    assert again.status_code == 404


def test_a_declined_invitation_leaves_nothing(client, make_provider, runtime):
    admin, bob = make_provider(), make_provider()
    org_id = _org(client, admin)
    _invite(client, admin, org_id, bob.id)
    decline = f"/orgs/{org_id}/invitation/decline"
    assert client.post(decline, headers=admin.headers).status_code == 404
    assert client.post(decline, headers=bob.headers).status_code == 204
    assert _rows(runtime, org_id) == {admin.id: "active"}
    assert client.post(f"/orgs/{org_id}/invitation/accept", headers=bob.headers).status_code == 404
    assert client.get("/me/org-invitations", headers=bob.headers).json() == []


def test_an_invited_admin_has_no_rights_until_they_accept(client, make_provider, runtime):
    admin, bob, carol = make_provider(), make_provider(), make_provider()
    org_id = _org(client, admin)
    _invite(client, admin, org_id, bob.id, role="org_admin")
    assert _invite(client, bob, org_id, carol.id).status_code == 404
    client.post(f"/orgs/{org_id}/invitation/accept", headers=bob.headers)
    assert _invite(client, bob, org_id, carol.id).status_code == 202


def test_members_leave_but_not_the_last_admin(client, make_provider, runtime):
    admin, bob, carol = make_provider(), make_provider(), make_provider()
    org_id = _org(client, admin)
    for who, role in ((bob, "member"), (carol, "org_admin")):
        _invite(client, admin, org_id, who.id, role=role)
    left = client.delete(f"/orgs/{org_id}/members/me", headers=bob.headers)
    assert left.status_code == 404  # an invitation is not a membership: decline it instead
    client.post(f"/orgs/{org_id}/invitation/accept", headers=bob.headers)
    assert client.delete(f"/orgs/{org_id}/members/me", headers=bob.headers).status_code == 204
    last = client.delete(f"/orgs/{org_id}/members/me", headers=admin.headers)
    assert last.status_code == 409 and "last org_admin" in last.json()["detail"]
    client.post(f"/orgs/{org_id}/invitation/accept", headers=carol.headers)
    assert client.delete(f"/orgs/{org_id}/members/me", headers=admin.headers).status_code == 204
    assert _rows(runtime, org_id) == {carol.id: "active"}
    assert client.delete(f"/orgs/{org_id}/members/me", headers=admin.headers).status_code == 404
