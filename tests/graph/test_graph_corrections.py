"""Corrections: collision down-weights, three reporters split the key; mislabels supersede."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from graph.conftest import PHONE, Net
from prospecting.graph import dp
from prospecting.graph.models import (
    Contribution,
    Correction,
    SubjectBudget,
    SubjectDimension,
    Supersession,
)


def test_collisions_downweight_then_split_at_three_reporters(net: Net, runtime) -> None:
    founder = net.provider("contribute_all", "query_on")
    fpid = net.inbound(founder, phone=PHONE, name="Jamie Clarke")
    key = net.link(founder, fpid)["subject_key"]
    reporters = []
    for i in range(4):
        p = net.provider("contribute_all", "query_on")
        pid = net.inbound(p, phone=PHONE, name=f"Other Person{i}")
        assert net.link(p, pid)["subject_key"] == key
        net.contribute(p, pid, "ghosted")
        reporters.append((p, pid))
    net.consent(reporters[2][0], "revoke_all")  # revoked: its rows are not replayed
    outs = []
    for p, pid in reporters[:3]:
        r = net.client.post(
            "/prospect-graph/corrections/collisions", json={"prospect_id": pid}, headers=p.headers
        )
        assert r.status_code == 200, r.text
        outs.append(r.json())
        if not outs[-1]["split"]:  # a provider's repeated report counts once
            again = net.client.post(
                "/prospect-graph/corrections/collisions",
                json={"prospect_id": pid},
                headers=p.headers,
            ).json()
            assert again["distinct_reporters"] == outs[-1]["distinct_reporters"]
            # below the split threshold a shared phone from a new provider still links
            newcomer = net.provider("contribute_all", "query_on")
            npid = net.inbound(newcomer, phone=PHONE)  # a phone-only match
            assert net.link(newcomer, npid)["subject_key"] == key
    assert [o["distinct_reporters"] for o in outs] == [1, 2, 3]
    assert outs[0]["dimension"] == "phone" and not outs[1]["split"] and outs[2]["split"]
    new_key = outs[2]["new_subject_key"]
    assert new_key and new_key != key
    with runtime.stores.graph() as graph:
        reports = graph.scalars(
            select(SubjectDimension.collision_reports).where(
                SubjectDimension.subject_key == key, SubjectDimension.dimension == "phone"
            )
        ).all()
        assert reports and set(reports) == {0}  # the split separated; counting restarts
    # each reporter saw someone else, not necessarily the same someone: one key each
    new_keys = [net.link(p, pid)["subject_key"] for p, pid in reporters[:3]]
    assert new_keys[2] == new_key and len(set(new_keys)) == 3 and key not in new_keys
    assert net.link(*reporters[3])["subject_key"] == key
    # new keys: the two non-revoked reporters' rows were replayed; old key lost them
    with runtime.stores.graph() as graph:
        for (p, _), k in zip(reporters[:3], new_keys, strict=True):
            replayed = graph.scalars(
                select(Contribution.provider_id).where(Contribution.subject_key == k)
            ).all()
            assert replayed == ([] if p is reporters[2][0] else [p.id])
            budget = graph.get(SubjectBudget, k)
            assert budget is not None and budget.spent_units <= budget.limit_units
    on_new = net.query(reporters[0][0], prospect_id=reporters[0][1])
    assert on_new["state"] == "insufficient_contributors"  # alone on its new key
    on_old = net.query(founder, prospect_id=fpid)
    assert on_old["contributors"] == 2  # the revoked reporter's rows stay, plus reporter 4


def test_reports_count_again_only_after_the_last_split(net: Net) -> None:
    founder = net.provider("contribute_all", "query_on")
    key = net.link(founder, net.inbound(founder, phone=PHONE, name="Jamie Clarke"))["subject_key"]
    others = []
    for i in range(4):
        p = net.provider("contribute_all", "query_on")
        pid = net.inbound(p, phone=PHONE, name=f"Other Person{i}")
        assert net.link(p, pid)["subject_key"] == key
        others.append((p, pid))
    outs = [
        net.client.post(
            "/prospect-graph/corrections/collisions", json={"prospect_id": pid}, headers=p.headers
        ).json()
        for p, pid in others
    ]
    assert [o["split"] for o in outs] == [False, False, True, False]
    assert outs[3]["distinct_reporters"] == 1  # the pre-split reports no longer count
    assert net.link(*others[3])["subject_key"] == key


def _live_estimate(runtime, subject_key: str) -> dict[str, float]:
    """The estimate over the subject's live (not superseded) reports, read from the store."""
    with runtime.stores.graph() as graph:
        superseded = select(Supersession.superseded_id)
        rows = graph.scalars(
            select(Contribution).where(
                Contribution.subject_key == subject_key, Contribution.id.not_in(superseded)
            )
        ).all()
        reports = [(r.noised_outcome, dp.NoiseParams(**r.outcome_noise)) for r in rows]
    return dp.estimate_histogram(reports).raw


def test_mislabel_supersedes_and_the_answer_reads_only_the_live_version(net: Net, runtime) -> None:
    asker = net.provider("query_on")
    apid = net.inbound(asker, phone=PHONE)
    key = net.link(asker, apid)["subject_key"]
    peers = []
    for _ in range(2):
        p = net.provider("contribute_all")
        pid = net.inbound(p, phone=PHONE)
        net.contribute(p, pid, "no_show")
        peers.append((p, pid))
    before = net.query(asker, prospect_id=apid)
    assert before["histogram"]["n_reports"] == 2
    assert before["histogram"]["raw_counts"] == pytest.approx(_live_estimate(runtime, key))
    p, pid = peers[0]
    r = net.client.post(
        "/prospect-graph/corrections/outcomes",
        json={"prospect_id": pid, "outcome": "rescheduled"},
        headers=p.headers,
    )
    assert r.status_code == 200, r.text
    corrected = r.json()
    assert corrected["outcome_version"] == 2 and corrected["supersedes"]
    after = net.query(asker, prospect_id=apid)
    assert after["histogram"]["n_reports"] == 2  # superseded row no longer counts
    assert after["histogram"]["raw_counts"] == pytest.approx(_live_estimate(runtime, key))
    with runtime.stores.graph() as graph:
        kinds = graph.scalars(select(Correction.kind).where(Correction.subject_key == key)).all()
        gone = graph.scalar(
            select(Supersession.reason).where(Supersession.superseded_id == corrected["supersedes"])
        )
    assert kinds == ["mislabel"] and gone == "new_version"
