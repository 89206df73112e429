"""Consent: own choice over Org default, acting Person only, every change an appended event."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from conftest import Provider
from graph.conftest import PHONE, Net, clinic
from prospecting.graph.models import (
    Contribution,
    ProspectLink,
    ProviderConsent,
    SubjectAttribution,
)
from prospecting.prospects.models import Prospect


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


def _links(runtime, provider: Provider) -> int:
    with runtime.stores.graph() as graph:
        query = select(func.count()).where(ProspectLink.provider_id == provider.id)
        return int(graph.scalar(query) or 0)


def test_org_default_applies_until_the_person_chooses(net: Net, runtime) -> None:
    admin, member = net.provider(), net.provider()
    org_id = clinic(net, runtime, admin, member)
    accepted = net.client.post(f"/orgs/{org_id}/invitation/accept", headers=member.headers)
    assert accepted.status_code == 200
    state = net.client.get("/prospect-graph/consent", headers=member.headers).json()
    assert (state["contribute_policy"], state["contribute_source"]) == ("all", "org")
    assert state["query_enabled"] is True
    state = net.consent(member, "query_off")
    assert (state["query_enabled"], state["query_source"]) == (False, "own")
    assert state["contribute_source"] == "org"


def test_an_invitation_changes_no_consent_until_accepted(net: Net, runtime) -> None:
    admin, member = net.provider(), net.provider()
    org_id = clinic(net, runtime, admin, member)
    state = net.client.get("/prospect-graph/consent", headers=member.headers).json()
    assert (state["contribute_policy"], state["contribute_source"]) == ("none", "default")
    assert (state["query_enabled"], state["query_source"]) == (False, "default")
    net.inbound(member, phone=PHONE, name="Jamie Clarke")
    assert _links(runtime, member) == 0  # the ingest the Org's policy would have linked
    net.client.post(f"/orgs/{org_id}/invitation/accept", headers=member.headers)
    net.inbound(member, phone="07700 900123", name="Sam Patel")
    assert _links(runtime, member) == 1
    left = net.client.delete(f"/orgs/{org_id}/members/me", headers=member.headers)
    assert left.status_code == 204
    state = net.client.get("/prospect-graph/consent", headers=member.headers).json()
    assert (state["contribute_policy"], state["contribute_source"]) == ("none", "default")
    net.inbound(member, phone="07700 900456", name="Ali Khan")
    assert _links(runtime, member) == 1


def test_a_declined_invitation_changes_no_consent(net: Net, runtime) -> None:
    admin, member = net.provider(), net.provider()
    org_id = clinic(net, runtime, admin, member)
    declined = net.client.post(f"/orgs/{org_id}/invitation/decline", headers=member.headers)
    assert declined.status_code == 204
    state = net.client.get("/prospect-graph/consent", headers=member.headers).json()
    assert (state["contribute_source"], state["query_source"]) == ("default", "default")


def _peers(net: Net, n: int) -> list[tuple[Provider, str]]:
    peers = []
    for _ in range(n):
        p = net.provider("contribute_all", "query_on")
        pid = net.inbound(p, phone=PHONE, name="Jamie Clarke")
        assert net.contribute(p, pid, "booked").status_code == 200
        peers.append((p, pid))
    return peers


def test_revocation_lasts_past_re_consent(net: Net, runtime) -> None:
    (a, pa), (b, pb), _ = _peers(net, 3)
    key = net.link(b, pb)["subject_key"]
    net.consent(b, "attribute_subject", subject_key=key)
    assert [x["provider_id"] for x in net.query(a, prospect_id=pa)["attribution"]] == [b.id]
    state = net.consent(b, "contribute_none")
    assert state["attributed_subjects"] == []  # a revocation drops attribution opt-ins
    net.consent(b, "contribute_all")
    assert net.query(a, prospect_id=pa)["attribution"] == []
    # an opt-in that predates the latest revocation never counts, even after re-consent
    with runtime.stores.graph() as graph:
        revoked = graph.get(ProviderConsent, b.id)
        assert revoked is not None and revoked.revoked_at is None and revoked.last_revoked_at
        graph.add(
            SubjectAttribution(
                provider_id=b.id,
                subject_key=key,
                created_at=revoked.last_revoked_at - timedelta(seconds=1),
            )
        )
        graph.commit()
    assert net.query(a, prospect_id=pa)["attribution"] == []


def test_rows_from_before_a_revocation_are_not_replayed_by_a_split(net: Net, runtime) -> None:
    founder = net.provider("contribute_all", "query_on")
    key = net.link(founder, net.inbound(founder, phone=PHONE, name="Jamie Clarke"))["subject_key"]
    reporters = []
    for i in range(3):
        p = net.provider("contribute_all", "query_on")
        pid = net.inbound(p, phone=PHONE, name=f"Other Person{i}")
        assert net.link(p, pid)["subject_key"] == key
        assert net.contribute(p, pid, "ghosted").status_code == 200
        reporters.append((p, pid))
    flaky = reporters[0][0]
    net.consent(flaky, "contribute_none")
    net.consent(flaky, "contribute_all")  # re-consent does not revive the old rows
    outs = [
        net.client.post(
            "/prospect-graph/corrections/collisions", json={"prospect_id": pid}, headers=p.headers
        ).json()
        for p, pid in reporters
    ]
    assert outs[-1]["split"]
    with runtime.stores.graph() as graph:
        replayed = graph.scalars(
            select(Contribution.provider_id).where(
                Contribution.subject_key != key, Contribution.generation > 0
            )
        ).all()
        assert replayed and flaky.id not in replayed


def test_opt_in_follows_local_merges_so_contribute_agrees(net: Net, runtime) -> None:
    p = net.provider("contribute_per_prospect")
    old = net.inbound(p, phone=PHONE)
    kept = net.inbound(p, email="someone.else@example.org")
    with runtime.stores.tenant() as tenant:
        merged = tenant.get(Prospect, old)
        assert merged is not None
        merged.merged_into_id = kept
        tenant.commit()
    state = net.consent(p, "opt_in_prospect", prospect_id=old)
    assert state["opted_in_prospects"] == [kept]
    r = net.contribute(p, old, "booked")
    assert r.status_code == 200, r.text
