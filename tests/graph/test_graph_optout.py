"""Subject opt-out: privacy officers only, DSR provenance, idempotent, purges and blocks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select

from graph.conftest import EMAIL, PHONE, Net
from prospecting.graph import optout
from prospecting.graph.models import (
    Contribution,
    Correction,
    SubjectBudget,
    SubjectDimension,
    Supersession,
)
from prospecting.identity.models import Role
from prospecting.qualify.models import Draft, Qualification

PROVENANCE = {
    "request_id": "DSR-2026-0042",
    "received_at": "2026-11-20T10:00:00Z",
    "verification_method": "email_link",
    "verifier": "privacy desk",
    "legal_ground": "gdpr_art17",
}


def _subject(net: Net) -> tuple[str, list[Any]]:
    peers = []
    for _ in range(3):
        p = net.provider("contribute_all", "query_on")
        pid = net.inbound(p, phone=PHONE, email=EMAIL)
        net.contribute(p, pid, "booked")
        peers.append((p, pid))
    return net.link(*peers[0])["subject_key"], peers


def test_opt_out_needs_the_privacy_officer_role_and_provenance(net: Net) -> None:
    key, peers = _subject(net)
    body = {"subject_key": key, "provenance": PROVENANCE}
    r = net.client.post("/prospect-graph/opt-outs", json=body, headers=peers[0][0].headers)
    assert r.status_code == 403
    officer = net.provider(roles=[Role.PRIVACY_OFFICER])
    r = net.client.post(
        "/prospect-graph/opt-outs", json={"subject_key": key}, headers=officer.headers
    )
    assert r.status_code == 422
    partial = {k: v for k, v in PROVENANCE.items() if k != "legal_ground"}
    r = net.client.post(
        "/prospect-graph/opt-outs",
        json={"subject_key": key, "provenance": partial},
        headers=officer.headers,
    )
    assert r.status_code == 422


def test_opt_out_purges_tombstones_is_idempotent_and_blocks_relinking(net: Net, runtime) -> None:
    key, peers = _subject(net)
    officer = net.provider(roles=[Role.PRIVACY_OFFICER])
    body = {"subject_key": key, "provenance": PROVENANCE}
    first = net.client.post("/prospect-graph/opt-outs", json=body, headers=officer.headers).json()
    assert first["contributions_removed"] == 3 and first["blocked_digests"] >= 2
    again = net.client.post("/prospect-graph/opt-outs", json=body, headers=officer.headers).json()
    assert again["id"] == first["id"] and again["replayed"] is True
    with runtime.stores.graph() as graph:
        assert graph.scalar(select(func.count()).select_from(Contribution)) == 0
        assert graph.scalar(select(func.count()).select_from(SubjectDimension)) == 0
    p, pid = peers[1]
    answer = net.query(p, prospect_id=pid)
    assert answer["state"] == "subject_opted_out" and answer["histogram"] is None
    assert net.contribute(p, pid, "ghosted", outcome_version=2).status_code == 410
    newcomer = net.provider("contribute_all", "query_on")
    npid = net.inbound(newcomer, email=EMAIL)
    r = net.client.post(f"/prospect-graph/prospects/{npid}/link", headers=newcomer.headers)
    assert r.status_code == 410  # the same hashes can never link again
    assert net.query(newcomer, prospect_id=npid)["state"] == "subject_opted_out"
    other = {**PROVENANCE, "request_id": "DSR-2026-0043"}
    r = net.client.post(
        "/prospect-graph/opt-outs",
        json={"subject_key": "0" * 32, "provenance": other},
        headers=officer.headers,
    )
    assert r.status_code == 404


def test_opt_out_erases_corrections_budget_and_graph_features_of_qualifications(
    net: Net, runtime
) -> None:
    key, peers = _subject(net)
    p, pid = peers[0]
    r = net.client.post(
        "/prospect-graph/corrections/outcomes",
        json={"prospect_id": pid, "outcome": "rescheduled"},
        headers=p.headers,
    )
    assert r.status_code == 200, r.text
    with runtime.stores.tenant() as tenant:
        rows = tenant.scalars(select(Qualification).where(Qualification.prospect_id == pid)).all()
        assert rows, "inbound qualifies the message"
        for q in rows:
            q.features = {**q.features, "graph_booked_share": 0.9, "graph_present": 1.0}
            q.factors = [
                *q.factors,
                {"feature": "graph_booked_share", "reason": "r", "contribution": 1.0},
            ]
            q.graph_state = "sparse"
        tenant.commit()
    with runtime.stores.graph() as graph:
        assert graph.scalar(select(func.count()).where(Correction.subject_key == key))
        assert graph.get(SubjectBudget, key) is not None
    officer = net.provider(roles=[Role.PRIVACY_OFFICER])
    body = {"subject_key": key, "provenance": PROVENANCE}
    r = net.client.post("/prospect-graph/opt-outs", json=body, headers=officer.headers)
    assert r.status_code == 200, r.text
    with runtime.stores.graph() as graph:
        assert graph.scalar(select(func.count()).where(Correction.subject_key == key)) == 0
        assert graph.get(SubjectBudget, key) is None
    with runtime.stores.tenant() as tenant:
        for q in tenant.scalars(select(Qualification).where(Qualification.prospect_id == pid)):
            assert q.graph_state == "erased"
            assert not [k for k in q.features if k.startswith("graph_")]
            assert not [f for f in q.factors if f["feature"].startswith("graph")]


def test_opt_out_erases_the_persons_rows_under_the_parent_key_of_a_split(net: Net, runtime) -> None:
    founder = net.provider("contribute_all", "query_on")
    fpid = net.inbound(founder, phone=PHONE, name="Jamie Clarke")
    key = net.link(founder, fpid)["subject_key"]
    net.contribute(founder, fpid, "booked")
    reporters = []
    for i in range(3):
        p = net.provider("contribute_all", "query_on")
        pid = net.inbound(p, phone=PHONE, name=f"Other Person{i}")
        assert net.link(p, pid)["subject_key"] == key
        net.contribute(p, pid, "ghosted")
        reporters.append((p, pid))
    outs = [
        net.client.post(
            "/prospect-graph/corrections/collisions", json={"prospect_id": pid}, headers=p.headers
        ).json()
        for p, pid in reporters
    ]
    new_key = outs[-1]["new_subject_key"]
    assert outs[-1]["split"] and new_key
    with runtime.stores.graph() as graph:
        pairs = set(
            graph.execute(
                select(Contribution.provider_id, Contribution.prospect_id).where(
                    Contribution.subject_key == new_key
                )
            ).all()
        )
        assert pairs  # replayed from the parent key
        parent_rows = {
            c.id
            for c in graph.scalars(select(Contribution).where(Contribution.subject_key == key))
            if (c.provider_id, c.prospect_id) in pairs
        }
        assert parent_rows
    officer = net.provider(roles=[Role.PRIVACY_OFFICER])
    body = {"subject_key": new_key, "provenance": PROVENANCE}
    r = net.client.post("/prospect-graph/opt-outs", json=body, headers=officer.headers)
    assert r.status_code == 200, r.text
    with runtime.stores.graph() as graph:
        left = graph.execute(select(Contribution.provider_id, Contribution.prospect_id)).all()
        assert not pairs & set(left)  # gone under the parent key too
        assert (founder.id, fpid) in set(left)  # the parent key keeps everyone else
        dangling = graph.scalars(
            select(Supersession.id).where(
                or_(
                    Supersession.superseded_id.in_(parent_rows),
                    Supersession.superseding_id.in_(parent_rows),
                )
            )
        ).all()
        assert dangling == []


def test_opt_out_holds_the_linking_lock(net: Net, monkeypatch) -> None:
    key, _ = _subject(net)
    calls: list[object] = []
    monkeypatch.setattr(optout, "lock_linking", calls.append)
    officer = net.provider(roles=[Role.PRIVACY_OFFICER])
    body = {"subject_key": key, "provenance": PROVENANCE}
    r = net.client.post("/prospect-graph/opt-outs", json=body, headers=officer.headers)
    assert r.status_code == 200, r.text
    assert len(calls) == 1


def test_opt_out_strips_the_peers_flags_from_the_drafts_they_held(net: Net, runtime) -> None:
    key, peers = _subject(net)
    for p, pid in peers[:2]:
        r = net.client.post(
            "/prospect-graph/attestations",
            json={"prospect_id": pid, "code": "harassment"},
            headers=p.headers,
        )
        assert r.status_code == 200, r.text
    asker = net.provider("query_on")
    net.inbound(asker, phone=PHONE, body="Can I book Friday at 10am?")
    with runtime.stores.tenant() as tenant:
        reasons = tenant.scalars(select(Draft.review_reasons).where(Draft.person_id == asker.id))
        assert any("flagged by" in r for rs in reasons for r in rs)
    officer = net.provider(roles=[Role.PRIVACY_OFFICER])
    body = {"subject_key": key, "provenance": PROVENANCE}
    r = net.client.post("/prospect-graph/opt-outs", json=body, headers=officer.headers)
    assert r.status_code == 200, r.text
    with runtime.stores.tenant() as tenant:
        reasons = tenant.scalars(select(Draft.review_reasons).where(Draft.person_id == asker.id))
        assert not any("flagged by" in r for rs in reasons for r in rs)
