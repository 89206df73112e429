"""Consent: own choice over Org default, acting Person only, every change an appended event."""

from __future__ import annotations

from graph.conftest import PHONE, Net
from prospecting.identity import service as identity
from prospecting.identity.schemas import MembershipCreate, OrgCreate


def test_every_change_is_an_event_with_actor_channel_and_before_after(net: Net) -> None:
    p = net.provider()
    pid = net.inbound(p, phone=PHONE)
    net.consent(p, "contribute_per_prospect")
    net.consent(p, "opt_in_prospect", prospect_id=pid)
    net.consent(p, "query_on")
    state = net.consent(p, "revoke_all")  # revocation is one call
    assert state["contribute_policy"] == "none" and state["query_enabled"] is False
    assert state["revoked"] is True and state["opted_in_prospects"] == []
    events = net.client.get("/prospect-graph/consent/history", headers=p.headers).json()
    actions = [e["action"] for e in reversed(events)]
    assert actions == ["contribute_per_prospect", "opt_in_prospect", "query_on", "revoke_all"]
    last = events[0]
    assert last["actor_id"] == p.id and last["channel"] == "http"
    assert last["before"]["query_enabled"] is True and last["after"]["query_enabled"] is False
    assert events[2]["target"] == pid


def test_consent_acts_only_on_the_caller(net: Net) -> None:
    a, b = net.provider(), net.provider()
    r = net.client.post(
        "/prospect-graph/consent",
        json={"action": "contribute_all", "person_id": b.id},
        headers=a.headers,
    )
    assert r.status_code == 403
    assert net.consent(a, "contribute_all", person_id=a.id)["contribute_policy"] == "all"
    b_state = net.client.get("/prospect-graph/consent", headers=b.headers).json()
    assert b_state["contribute_policy"] == "none"
    r = net.client.post(
        "/prospect-graph/consent",
        json={"action": "opt_in_prospect", "prospect_id": net.inbound(b, phone=PHONE)},
        headers=a.headers,
    )
    assert r.status_code == 404


def test_org_default_applies_until_the_person_chooses(net: Net, runtime) -> None:
    admin, member = net.provider(), net.provider()
    with runtime.stores.tenant() as session:
        org = identity.create_org(
            session=session,
            data=OrgCreate(name="Clinic"),
            admin=identity.get_person(session=session, person_id=admin.id),
        )
        identity.add_member(
            session=session,
            actor=None,
            org_id=org.id,
            data=MembershipCreate(person_id=member.id),
        )
        org_id = org.id
    policy = {"contribute_policy": "all", "query_enabled": True}
    r = net.client.put(f"/prospect-graph/orgs/{org_id}/policy", json=policy, headers=member.headers)
    assert r.status_code == 404  # only the org's admin
    r = net.client.put(f"/prospect-graph/orgs/{org_id}/policy", json=policy, headers=admin.headers)
    assert r.status_code == 200
    state = net.client.get("/prospect-graph/consent", headers=member.headers).json()
    assert (state["contribute_policy"], state["contribute_source"]) == ("all", "org")
    assert state["query_enabled"] is True
    state = net.consent(member, "query_off")
    assert (state["query_enabled"], state["query_source"]) == (False, "own")
    assert state["contribute_source"] == "org"
