"""Merges: one contact anchored on two keys (a phone known at one provider, an email at
another) shows they are one person; the keys merge, and an erasure of either erases both."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from conftest import Provider
from graph.conftest import EMAIL, PHONE, Net
from prospecting.graph import dp
from prospecting.graph.models import (
    BlockedDigest,
    Contribution,
    Correction,
    PeerAttestation,
    ProspectLink,
    SubjectAttribution,
    SubjectBudget,
    SubjectContact,
    SubjectDimension,
    SubjectKey,
    Supersession,
)
from prospecting.identity.models import Role
from prospecting.runtime import Runtime

PROVENANCE = {
    "request_id": "DSR-2026-0777",
    "received_at": "2026-11-20T10:00:00Z",
    "verification_method": "email_link",
    "verifier": "privacy desk",
    "legal_ground": "gdpr_art17",
}
PER_REPORT = dp.DEFAULT_CONTRIBUTION_EPSILON_UNITS


@dataclass
class Bridged:
    phone_key: str  # the key the phone was first seen on (absorbed: the email scores higher)
    email_key: str  # the survivor
    phone_side: list[tuple[Provider, str]]  # the last one revoked before the merge
    email_side: list[tuple[Provider, str]]
    bridge: tuple[Provider, str]
    spent_before: dict[str, int]


def _spent(runtime: Runtime, key: str) -> int:
    with runtime.stores.graph() as graph:
        budget = graph.get(SubjectBudget, key)
        assert budget is not None
        return budget.spent_units


def _bridged(net: Net, runtime: Runtime) -> Bridged:
    phone_side = []
    for outcome in ("booked", "no_show", "ghosted"):
        p = net.provider("contribute_all", "query_on")
        pid = net.inbound(p, phone=PHONE)
        assert net.contribute(p, pid, outcome).status_code == 200
        phone_side.append((p, pid))
    email_side = []
    for outcome in ("booked", "declined"):
        p = net.provider("contribute_all", "query_on")
        pid = net.inbound(p, email=EMAIL)
        assert net.contribute(p, pid, outcome).status_code == 200
        email_side.append((p, pid))
    attester = phone_side[0]
    r = net.client.post(
        "/prospect-graph/attestations",
        json={"prospect_id": attester[1], "code": "payment_dispute"},
        headers=attester[0].headers,
    )
    assert r.status_code == 200, r.text
    phone_key = net.link(*phone_side[0])["subject_key"]
    email_key = net.link(*email_side[0])["subject_key"]
    assert phone_key != email_key  # nothing linked them yet
    net.consent(phone_side[-1][0], "revoke_all")
    spent = {k: _spent(runtime, k) for k in (phone_key, email_key)}
    assert spent == {phone_key: 3 * PER_REPORT, email_key: 2 * PER_REPORT}
    bridge_provider = net.provider("contribute_all", "query_on")
    bridge = (bridge_provider, net.inbound(bridge_provider, phone=PHONE, email=EMAIL))
    return Bridged(phone_key, email_key, phone_side, email_side, bridge, spent)


def _count(runtime: Runtime, model: Any, key: str) -> int:
    with runtime.stores.graph() as graph:
        q = select(func.count()).select_from(model).where(model.subject_key == key)
        return int(graph.scalar(q) or 0)


def test_a_contact_carrying_both_anchors_merges_the_keys(net: Net, runtime: Runtime) -> None:
    m = _bridged(net, runtime)
    survivor, absorbed = m.email_key, m.phone_key
    assert net.link(*m.bridge)["subject_key"] == survivor
    with runtime.stores.graph() as graph:
        gone = graph.get(SubjectKey, absorbed)
        assert gone is not None and gone.status == "merged" and gone.merged_into == survivor
        kept = graph.get(SubjectKey, survivor)
        assert kept is not None and kept.status == "active" and kept.merged_into is None
        # every link and contact day moved; the survivor holds both anchors' digests
        links = graph.scalars(select(ProspectLink.subject_key)).all()
        assert set(links) == {survivor} and len(links) == 6
        assert set(graph.scalars(select(SubjectContact.subject_key))) == {survivor}
        dims = set(
            graph.scalars(
                select(SubjectDimension.dimension).where(SubjectDimension.subject_key == survivor)
            )
        )
        assert {"phone", "email"} <= dims
        attested = graph.scalars(select(PeerAttestation.subject_key)).all()
        assert attested == [survivor]
        merge = graph.scalars(select(Correction).where(Correction.kind == "merge")).all()
        assert [(c.subject_key, c.detail, c.provider_id) for c in merge] == [
            (survivor, {"merged": absorbed}, m.bridge[0].id)
        ]
        # live rows of the absorbed key were replayed (same noised value, generation + 1) ...
        superseded = select(Supersession.superseded_id)
        live = graph.scalars(
            select(Contribution).where(
                Contribution.subject_key == survivor, Contribution.id.not_in(superseded)
            )
        ).all()
        replays = graph.scalars(select(Supersession).where(Supersession.reason == "merge")).all()
        originals = {
            r.id: r
            for r in graph.scalars(select(Contribution).where(Contribution.subject_key == absorbed))
        }
    by_provider = {r.provider_id: r for r in live}
    kept_ids = {p.id for p, _ in [*m.phone_side[:-1], *m.email_side]}
    assert set(by_provider) == kept_ids  # ... except the revoked Person's row
    assert len(replays) == 2 and {s.superseded_id for s in replays} <= set(originals)
    for s in replays:
        old, new = originals[s.superseded_id], by_provider[originals[s.superseded_id].provider_id]
        assert s.superseding_id == new.id and s.subject_key == absorbed
        assert (new.noised_outcome, new.outcome_noise) == (old.noised_outcome, old.outcome_noise)
        assert new.generation == old.generation + 1 and new.epsilon_units == old.epsilon_units
    revoked = m.phone_side[-1][0].id
    assert [r.provider_id for r in originals.values() if r.provider_id == revoked] == [revoked]
    assert revoked not in {originals[s.superseded_id].provider_id for s in replays}
    # one person, one budget: the absorbed key's spend is added once (revoked rows included)
    assert _spent(runtime, survivor) == sum(m.spent_before.values())


def test_after_a_merge_every_side_sees_one_person(net: Net, runtime: Runtime) -> None:
    m = _bridged(net, runtime)
    bridge_provider, bridge_pid = m.bridge
    answer = net.query(bridge_provider, prospect_id=bridge_pid)
    assert answer["state"] == "ok" and answer["subject_key"] == m.email_key
    # the revoked Person's row stayed on the absorbed key: 2 phone-side + 2 email-side reports
    assert answer["contributors"] == 4 and answer["histogram"]["n_reports"] == 4
    assert answer["safety_flags"] == []  # one attester is below the floor
    windows = {w["days"]: w["providers"] for w in answer["velocity"]["windows"]}
    assert windows[30] == 4  # the revoked Person's contact no longer counts
    p, pid = m.phone_side[0]
    mine = net.query(p, prospect_id=pid)
    assert mine["subject_key"] == m.email_key and mine["contributors"] == 3
    stranger = net.provider("query_on")
    r = net.client.post(f"/prospect-graph/subjects/{m.phone_key}", headers=stranger.headers)
    assert r.status_code == 404  # the old key still cannot be probed


def test_querying_by_the_absorbed_key_answers_as_the_survivor(net: Net, runtime: Runtime) -> None:
    m = _bridged(net, runtime)
    p, pid = m.phone_side[0]
    by_prospect = net.query(p, prospect_id=pid)
    by_old_key = net.query(p, subject_key=m.phone_key)
    assert by_old_key["subject_key"] == m.email_key
    assert by_old_key["state"] == by_prospect["state"] == "ok"
    assert by_old_key["histogram"] == by_prospect["histogram"]


def _opt_out(net: Net, key: str) -> dict[str, Any]:
    officer = net.provider(roles=[Role.PRIVACY_OFFICER])
    r = net.client.post(
        "/prospect-graph/opt-outs",
        json={"subject_key": key, "provenance": PROVENANCE},
        headers=officer.headers,
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


PER_KEY = (
    Contribution,
    Supersession,
    SubjectDimension,
    SubjectContact,
    Correction,
    SubjectBudget,
    PeerAttestation,
    SubjectAttribution,
)


@pytest.mark.parametrize("named", ["absorbed", "survivor"])
def test_an_opt_out_naming_either_key_erases_the_person_under_both(
    net: Net, runtime: Runtime, named: str
) -> None:
    m = _bridged(net, runtime)
    net.link(*m.bridge)
    p = m.email_side[0][0]
    r = net.client.post(
        "/prospect-graph/consent",
        json={"action": "attribute_subject", "subject_key": m.email_key},
        headers=p.headers,
    )
    assert r.status_code == 200, r.text
    keys = (m.phone_key, m.email_key)
    assert all(sum(_count(runtime, model, k) for model in PER_KEY) > 0 for k in keys)
    out = _opt_out(net, m.phone_key if named == "absorbed" else m.email_key)
    assert out["subject_key"] == m.email_key
    assert out["contributions_removed"] == 7  # 5 originals (one revoked) and 2 replays
    for key in keys:
        for model in PER_KEY:
            assert _count(runtime, model, key) == 0, (key, model.__tablename__)
    with runtime.stores.graph() as graph:
        assert graph.scalar(select(func.count()).select_from(Contribution)) == 0
        statuses = {k.subject_key: k.status for k in graph.scalars(select(SubjectKey))}
        chains = graph.scalars(select(ProspectLink.chain)).all()
        blocked = set(graph.scalars(select(BlockedDigest.dimension)))
    assert statuses == {m.phone_key: "tombstoned", m.email_key: "tombstoned"}
    assert chains and all(c == [] for c in chains)
    assert {"phone", "email"} <= blocked
    # neither digest can link again, whichever key it was first seen on
    by_phone, by_email = (net.provider("contribute_all", "query_on") for _ in range(2))
    newcomers = [
        ("phone", by_phone, net.inbound(by_phone, phone=PHONE)),
        ("email", by_email, net.inbound(by_email, email=EMAIL)),
    ]
    for dimension, newcomer, npid in newcomers:
        r = net.client.post(f"/prospect-graph/prospects/{npid}/link", headers=newcomer.headers)
        assert r.status_code == 410, dimension
    again = _opt_out(net, m.email_key if named == "absorbed" else m.phone_key)
    assert again["replayed"] is True and again["id"] == out["id"]
