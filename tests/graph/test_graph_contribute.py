"""Contributions: consent gate, idempotency, supersession, concurrency, budget exhaustion."""

from __future__ import annotations

import hashlib
import json
import threading

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from graph.conftest import PHONE, Net
from prospecting.graph import dp
from prospecting.graph.contribute import PROVIDER_SPEND_CAP_FACTOR, contribute, fingerprint
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
    first = net.contribute(p, pid, "no_show").json()
    again = net.contribute(p, pid, "no_show").json()
    assert again["id"] == first["id"] and again["replayed"] and not first["replayed"]
    clash = net.contribute(p, pid, "booked")
    assert clash.status_code == 409
    newer = net.contribute(p, pid, "rescheduled", outcome_version=2).json()
    assert newer["supersedes"] == first["id"]
    assert net.contribute(p, pid, "booked", outcome_version=1).status_code == 409
    stale = net.contribute(p, pid, "ghosted", outcome_version=1)
    assert stale.status_code == 409


def test_only_noised_values_and_public_params_are_stored(net: Net, runtime) -> None:
    p = net.provider("contribute_all")
    pid = net.inbound(p, phone=PHONE)
    net.contribute(p, pid, "booked")
    with runtime.stores.graph() as graph:
        row = graph.scalar(select(Contribution))
        assert row is not None
        assert row.noised_outcome in dp.REPORT_CLASSES  # a class, never the outcome itself
        assert row.outcome_noise["mechanism"] == dp.RANDOMIZED_RESPONSE
        assert row.outcome_noise["k"] == len(dp.REPORT_CLASSES)
        assert row.noised_days is None and row.days_noise is None  # days are not shared
        stored = {c.key: getattr(row, c.key) for c in Contribution.__table__.columns}
        budget = graph.get(SubjectBudget, row.subject_key)
        assert budget is not None
        assert budget.spent_units == row.epsilon_units == dp.DEFAULT_CONTRIBUTION_EPSILON_UNITS
    assert (
        runtime.settings.graph_contribution_epsilon_units == dp.DEFAULT_CONTRIBUTION_EPSILON_UNITS
    )
    assert not {"outcome", "days_to_outcome"} & set(stored)
    # Nothing stored lets the true outcome be recovered by trying the six candidates.
    for candidate in dp.OUTCOMES:
        payload = {"prospect_id": pid, "outcome": candidate, "outcome_version": 1}
        guess = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        assert all(guess not in str(value) for value in stored.values()), candidate
    other_key = Resolver(KeyRing.parse("zz=" + "another-network-secret-" + "q" * 40))
    truth = ContributionIn(prospect_id=pid, outcome="booked", outcome_version=1)
    assert stored["fingerprint"] == fingerprint(runtime.resolver, pid, truth)
    assert stored["fingerprint"] != fingerprint(other_key, pid, truth)


def test_days_to_outcome_are_no_longer_accepted(net: Net) -> None:
    p = net.provider("contribute_all")
    pid = net.inbound(p, phone=PHONE)
    refused = net.contribute(p, pid, "booked", days_to_outcome=3)
    assert refused.status_code == 422 and "days_to_outcome" in refused.text
    with pytest.raises(ValidationError):
        ContributionIn.model_validate(
            {"prospect_id": pid, "outcome": "booked", "days_to_outcome": 1}
        )
    corrected = net.client.post(
        "/prospect-graph/corrections/outcomes",
        json={"prospect_id": pid, "outcome": "rescheduled", "days_to_outcome": 0},
        headers=p.headers,
    )
    assert corrected.status_code == 422 and "days_to_outcome" in corrected.text
    assert net.contribute(p, pid, "booked").status_code == 200  # nothing was stored before


def test_fifty_concurrent_identical_contributions_leave_one_row(net: Net, runtime) -> None:
    p = net.provider("contribute_all", "query_on")
    pid = net.inbound(p, phone=PHONE)
    net.link(p, pid)
    data = ContributionIn(prospect_id=pid, outcome="booked")
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
        assert budget is not None
        assert budget.spent_units == dp.DEFAULT_CONTRIBUTION_EPSILON_UNITS


def test_budget_exhaustion_withholds_and_widens_the_band_with_a_flag(net: Net, runtime) -> None:
    settings = runtime.settings
    stored = settings.graph_subject_budget_units // settings.graph_contribution_epsilon_units
    asker = net.provider("query_on")
    apid = net.inbound(asker, phone=PHONE)
    for _ in range(stored + 2):  # the budget holds `stored` reports: the last 2 are withheld
        p = net.provider("contribute_all")
        out = net.contribute(p, net.inbound(p, phone=PHONE), "booked")
        assert out.status_code == 200
    answer = net.query(asker, prospect_id=apid)
    assert answer["state"] == "ok"
    assert answer["budget_exhausted"] is True
    assert answer["histogram"]["withheld"] == 2 and answer["histogram"]["n_reports"] == stored
    assert any("budget exhausted" in n for n in answer["notices"])
    hist = answer["histogram"]
    assert set(hist["counts"]) == set(dp.REPORT_CLASSES)
    for c in dp.REPORT_CLASSES:
        assert 0 <= hist["counts"][c] <= stored  # shown counts stay within the reports
        assert hist["upper"][c] >= min(hist["raw_counts"][c] + 2, stored + 2)


def _budget(runtime, subject_key: str, *, remaining_units: int) -> None:
    """Leave `remaining_units` of the subject's budget (negative: overdrawn)."""
    with runtime.stores.graph() as graph:
        budget = graph.get(SubjectBudget, subject_key)
        budget.spent_units = budget.limit_units - remaining_units


def test_one_provider_bumping_versions_cannot_drain_the_shared_budget(net: Net, runtime) -> None:
    p = net.provider("contribute_all")
    pid = net.inbound(p, phone=PHONE)
    outs = [net.contribute(p, pid, "booked", outcome_version=v).json() for v in (1, 2, 3, 4)]
    assert [o["budget_exhausted"] for o in outs] == [False, False, True, True]
    assert outs[2]["supersedes"] == outs[1]["id"] and outs[2]["epsilon_units"] == 0
    with runtime.stores.graph() as graph:
        budget = graph.get(SubjectBudget, outs[0]["subject_key"])
        cap = PROVIDER_SPEND_CAP_FACTOR * dp.DEFAULT_CONTRIBUTION_EPSILON_UNITS
        assert budget.spent_units == cap  # the cap: 2 x default spend
    other = net.provider("contribute_all")
    fresh = net.contribute(other, net.inbound(other, phone=PHONE), "ghosted")
    assert fresh.status_code == 200 and fresh.json()["budget_exhausted"] is False


def test_an_overdrawn_budget_withholds_instead_of_failing(net: Net, runtime) -> None:
    p = net.provider("contribute_all")
    pid = net.inbound(p, phone=PHONE)
    key = net.link(p, pid)["subject_key"]
    _budget(runtime, key, remaining_units=-5)
    r = net.contribute(p, pid, "booked")
    assert r.status_code == 200, r.text
    assert r.json()["budget_exhausted"] is True
    with runtime.stores.graph() as graph:
        budget = graph.get(SubjectBudget, key)
        assert budget.spent_units == budget.limit_units + 5  # untouched, never more
