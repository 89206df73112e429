"""Contributions: consent gate, idempotency, supersession, concurrency, budget exhaustion."""

from __future__ import annotations

import hashlib
import json
import threading

from sqlalchemy import func, select

from graph.conftest import PHONE, Net
from prospecting.graph import dp
from prospecting.graph.contribute import contribute, fingerprint
from prospecting.graph.models import Contribution, SubjectBudget
from prospecting.graph.schemas import ContributionIn
from prospecting.identity.service import get_person
from prospecting.resolver.keyring import KeyRing
from prospecting.resolver.service import Resolver
from prospecting.runtime import Context


def test_contribution_is_consent_gated_per_policy(net: Net) -> None:
    p = net.provider()
    pid, other = net.inbound(p, phone=PHONE), net.inbound(p, email="x@example.org")
    assert net.contribute(p, pid, "booked").status_code == 403
    net.consent(p, "contribute_per_prospect")
    assert net.contribute(p, pid, "booked").status_code == 403
    net.consent(p, "opt_in_prospect", prospect_id=pid)
    assert net.contribute(p, pid, "booked").status_code == 200
    assert net.contribute(p, other, "booked").status_code == 403
    net.consent(p, "contribute_all")
    assert net.contribute(p, other, "booked").status_code == 200


def test_replay_returns_the_first_result_and_a_different_payload_conflicts(net: Net) -> None:
    p = net.provider("contribute_all")
    pid = net.inbound(p, phone=PHONE)
    first = net.contribute(p, pid, "no_show", days_to_outcome=2).json()
    again = net.contribute(p, pid, "no_show", days_to_outcome=2).json()
    assert again["id"] == first["id"] and again["replayed"] and not first["replayed"]
    clash = net.contribute(p, pid, "booked", days_to_outcome=2)
    assert clash.status_code == 409
    newer = net.contribute(p, pid, "rescheduled", outcome_version=2, days_to_outcome=2).json()
    assert newer["supersedes"] == first["id"]
    assert net.contribute(p, pid, "booked", outcome_version=1).status_code == 409
    stale = net.contribute(p, pid, "ghosted", outcome_version=1, days_to_outcome=2)
    assert stale.status_code == 409


def test_only_noised_values_and_public_params_are_stored(net: Net, runtime) -> None:
    p = net.provider("contribute_all")
    pid = net.inbound(p, phone=PHONE)
    net.contribute(p, pid, "booked", days_to_outcome=7)
    with runtime.stores.graph() as graph:
        row = graph.scalar(select(Contribution))
        assert row.noised_outcome in dp.OUTCOMES
        assert row.outcome_noise["mechanism"] == dp.RANDOMIZED_RESPONSE
        assert row.days_noise["mechanism"] == dp.LAPLACE and row.noised_days != 7.0
        stored = {c.key: getattr(row, c.key) for c in Contribution.__table__.columns}
        budget = graph.get(SubjectBudget, row.subject_key)
        assert budget.spent_units == row.epsilon_units == 2 * dp.EPSILON_UNITS_PER_EPS
    assert not {"outcome", "days_to_outcome"} & set(stored)
    # Nothing stored lets the true outcome be recovered by trying the six candidates.
    for candidate in dp.OUTCOMES:
        for days in (7, 7.0, None):
            payload = {
                "prospect_id": pid,
                "outcome": candidate,
                "outcome_version": 1,
                "days_to_outcome": days,
            }
            guess = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
            assert all(guess not in str(value) for value in stored.values()), candidate
    other_key = Resolver(KeyRing.parse("zz=" + "another-network-secret-" + "q" * 40))
    truth = ContributionIn(prospect_id=pid, outcome="booked", outcome_version=1, days_to_outcome=7)
    assert stored["fingerprint"] == fingerprint(runtime.resolver, pid, truth, 7.0)
    assert stored["fingerprint"] != fingerprint(other_key, pid, truth, 7.0)


def test_fifty_concurrent_identical_contributions_leave_one_row(net: Net, runtime) -> None:
    p = net.provider("contribute_all", "query_on")
    pid = net.inbound(p, phone=PHONE)
    net.link(p, pid)
    data = ContributionIn(prospect_id=pid, outcome="booked", days_to_outcome=1.5)
    results, errors = [], []
    barrier = threading.Barrier(50)

    def worker() -> None:
        try:
            barrier.wait()
            with runtime.stores.tenant() as tenant, runtime.stores.graph() as graph:
                actor = get_person(session=tenant, person_id=p.id)
                ctx = Context(tenant, graph, actor, runtime.settings, runtime.resolver)
                results.append(contribute(ctx, data).id)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert len(results) == 50 and len(set(results)) == 1
    with runtime.stores.graph() as graph:
        assert graph.scalar(select(func.count()).select_from(Contribution)) == 1
        budget = graph.scalar(select(SubjectBudget))
        assert budget.spent_units == 2 * dp.EPSILON_UNITS_PER_EPS


def test_budget_exhaustion_withholds_and_widens_the_band_with_a_flag(net: Net) -> None:
    asker = net.provider("query_on")
    apid = net.inbound(asker, phone=PHONE)
    for _ in range(7):  # 10 units of budget at 2 per contribution: 5 stored, 2 withheld
        p = net.provider("contribute_all")
        out = net.contribute(p, net.inbound(p, phone=PHONE), "booked", days_to_outcome=1)
        assert out.status_code == 200
    answer = net.query(asker, prospect_id=apid)
    assert answer["state"] == "ok"
    assert answer["budget_exhausted"] is True
    assert answer["histogram"]["withheld"] == 2 and answer["histogram"]["n_reports"] == 5
    assert any("budget exhausted" in n for n in answer["notices"])
    hist = answer["histogram"]
    for outcome in dp.OUTCOMES:
        assert hist["upper"][outcome] >= min(hist["counts"][outcome] + 2, 7)


def _budget(runtime, subject_key: str, *, remaining_units: int) -> None:
    """Leave `remaining_units` of the subject's budget (negative: overdrawn)."""
    with runtime.stores.graph() as graph:
        budget = graph.get(SubjectBudget, subject_key)
        budget.spent_units = budget.limit_units - remaining_units


def test_one_provider_bumping_versions_cannot_drain_the_shared_budget(net: Net, runtime) -> None:
    p = net.provider("contribute_all")
    pid = net.inbound(p, phone=PHONE)
    outs = [
        net.contribute(p, pid, "booked", outcome_version=v, days_to_outcome=1).json()
        for v in (1, 2, 3, 4)
    ]
    assert [o["budget_exhausted"] for o in outs] == [False, False, True, True]
    assert outs[2]["supersedes"] == outs[1]["id"] and outs[2]["epsilon_units"] == 0
    with runtime.stores.graph() as graph:
        budget = graph.get(SubjectBudget, outs[0]["subject_key"])
        assert budget.spent_units == 4 * dp.EPSILON_UNITS_PER_EPS  # the cap: 2 x default spend
    other = net.provider("contribute_all")
    fresh = net.contribute(other, net.inbound(other, phone=PHONE), "ghosted", days_to_outcome=2)
    assert fresh.status_code == 200 and fresh.json()["budget_exhausted"] is False


def test_an_overdrawn_budget_withholds_instead_of_failing(net: Net, runtime) -> None:
    p = net.provider("contribute_all")
    pid = net.inbound(p, phone=PHONE)
    key = net.link(p, pid)["subject_key"]
    _budget(runtime, key, remaining_units=-5)
    r = net.contribute(p, pid, "booked", days_to_outcome=1)
    assert r.status_code == 200, r.text
    assert r.json()["budget_exhausted"] is True
    with runtime.stores.graph() as graph:
        budget = graph.get(SubjectBudget, key)
        assert budget.spent_units == budget.limit_units + 5  # untouched, never more


def test_withheld_days_widen_the_velocity_band_with_a_notice(net: Net, runtime) -> None:
    asker = net.provider("query_on")
    apid = net.inbound(asker, phone=PHONE)
    key = net.link(asker, apid)["subject_key"]
    for _ in range(2):
        p = net.provider("contribute_all")
        net.contribute(p, net.inbound(p, phone=PHONE), "booked", days_to_outcome=1)
    _budget(runtime, key, remaining_units=dp.EPSILON_UNITS_PER_EPS)  # the outcome, not the days
    p = net.provider("contribute_all")
    out = net.contribute(p, net.inbound(p, phone=PHONE), "booked", days_to_outcome=1).json()
    assert out["budget_exhausted"] is False and out["epsilon_units"] == dp.EPSILON_UNITS_PER_EPS
    answer = net.query(asker, prospect_id=apid)
    velocity = answer["velocity"]
    assert velocity["n_reports"] == 2 and velocity["days_withheld"] == 1
    assert velocity["budget_exhausted"] is True and answer["budget_exhausted"] is True
    band = velocity["mean_days"]
    assert band["upper"] >= dp.DAYS_UPPER / 3  # a third of the days could be anywhere in 0-90
    assert any("velocity band is widened" in n for n in answer["notices"])
