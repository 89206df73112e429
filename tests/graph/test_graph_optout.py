"""Subject opt-out: privacy officers only, DSR provenance, idempotent, purges and blocks."""

from __future__ import annotations

from sqlalchemy import func, select

from graph.conftest import EMAIL, PHONE, Net
from prospecting.graph.models import Contribution, SubjectDimension
from prospecting.identity.models import Role

PROVENANCE = {
    "request_id": "DSR-2026-0042",
    "received_at": "2026-11-20T10:00:00Z",
    "verification_method": "email_link",
    "verifier": "privacy desk",
    "legal_ground": "gdpr_art17",
}


def _subject(net: Net) -> tuple[str, list]:
    peers = []
    for _ in range(3):
        p = net.provider("contribute_all", "query_on")
        pid = net.inbound(p, phone=PHONE, email=EMAIL)
        net.contribute(p, pid, "booked", days_to_outcome=2)
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
