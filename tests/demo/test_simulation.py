"""The network simulator: a deterministic generator whose identifiers really vary, metrics that
are right on hand-made cases, and a tiny replay through the real workflows end to end."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from prospecting.demo import simulation as sim
from prospecting.demo import simulation_metrics as metrics
from prospecting.prospects.schemas import Channel, Outcome
from prospecting.resolver.normalize import normalize_email, normalize_phone

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def network() -> sim.Network:
    return sim.generate(providers=20, people=400, seed=5)


# ---------------------------------------------------------------------------- generator


def test_same_seed_same_network_other_seed_other_network() -> None:
    first = sim.generate(providers=8, people=60, seed=11)
    assert sim.generate(providers=8, people=60, seed=11) == first
    assert sim.generate(providers=8, people=60, seed=12) != first


def test_contacts_are_in_time_order_and_outcomes_follow(network: sim.Network) -> None:
    times = [c.at for c in network.contacts]
    assert times == sorted(times)
    assert [c.index for c in network.contacts] == list(range(len(network.contacts)))
    assert all(c.outcome_at > c.at for c in network.contacts)
    assert all(c.phone or c.email for c in network.contacts)


def test_every_kind_appears_and_follows_its_schedule(network: sim.Network) -> None:
    kinds = Counter(p.kind for p in network.people)
    assert set(kinds) == set(sim.KIND_SHARES)
    assert kinds["decider"] > kinds["abusive"]
    per_person = Counter(c.person for c in network.contacts)
    for contact in network.contacts:
        kind = network.people[contact.person].kind
        if kind in ("abusive", "spam"):
            assert contact.outcome is Outcome.BLOCKED
    shoppers = [p.index for p in network.people if p.kind == "shopper"]
    assert all(per_person[i] >= 3 for i in shoppers)


def test_phone_formats_vary_and_all_normalise_to_the_true_number(network: sim.Network) -> None:
    shapes = set()
    for contact in network.contacts:
        if contact.phone is None:
            continue
        region = network.providers[contact.provider].country
        person = network.people[contact.person]
        assert normalize_phone(contact.phone, default_region=region) == person.phone
        shapes.add(re.sub(r"\d", "9", contact.phone))
    assert len(shapes) >= 10
    assert any(s.startswith("+") for s in shapes)
    assert any("(" in s for s in shapes) and any("." in s for s in shapes)


def test_email_and_name_variants_appear(network: sim.Network) -> None:
    emails = [c.email for c in network.contacts if c.email]
    assert any("+" in e for e in emails)
    assert any(e != e.lower() for e in emails)
    names = [c.name for c in network.contacts if c.name]
    assert any(", " in n for n in names)
    assert any(n.isupper() for n in names)
    assert any(re.match(r"^[A-Z]\. ", n) for n in names)
    second = [c for c in network.contacts if c.email_index == 1]
    assert second, "some people use their second email somewhere"
    for contact in network.contacts:
        if contact.email is None or contact.email_index is None:
            continue
        person = network.people[contact.person]
        normalize_email(contact.email)  # every variant is a valid address
        if person.emails[contact.email_index].endswith("@gmail.com"):
            assert normalize_email(contact.email) == normalize_email(
                person.emails[contact.email_index]
            )


def test_message_signal_low_draws_from_one_pool() -> None:
    high = sim.generate(providers=10, people=200, seed=3, message_signal="high")
    low = sim.generate(providers=10, people=200, seed=3, message_signal="low")

    def by_kind(net: sim.Network) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for c in net.contacts:
            out.setdefault(net.people[c.person].kind, set()).add(c.body.lower()[:12])
        return out

    high_kinds, low_kinds = by_kind(high), by_kind(low)
    assert not high_kinds["spam"] & high_kinds["decider"]
    assert low_kinds["spam"] & low_kinds["decider"]


def test_a_few_people_share_a_household_phone(network: sim.Network) -> None:
    phones = Counter(p.phone for p in network.people)
    shared = sum(n for n in phones.values() if n > 1)
    assert 0 < shared < len(network.people) * 0.1
    assert all(len(p.emails) in (1, 2) for p in network.people)
    emails = [e for p in network.people for e in p.emails]
    assert len(emails) == len(set(emails))


def test_valid_phone_numbers_avoid_the_reserved_exchange() -> None:
    rng, used = random.Random(1), set[str]()
    for _ in range(200):
        _, e164 = sim._phone_number(rng, "US-NY", "US", used)
        assert e164[5:8] != "555"


# ---------------------------------------------------------------------------- metrics


def test_components_join_items_through_shared_keys_transitively() -> None:
    roots = metrics.components([["a"], ["b"], ["a", "c"], ["c"], ["d"]])
    assert roots[0] == roots[2] == roots[3]
    assert len({roots[0], roots[1], roots[4]}) == 3


def test_cross_provider_pairs_ignore_pairs_at_one_provider() -> None:
    assert metrics.cross_provider_pairs([1, 2, 3]) == 3
    assert metrics.cross_provider_pairs([1, 1, 2]) == 2
    assert metrics.cross_provider_pairs([1, 1]) == 0


def test_pairwise_linkage_on_a_hand_made_case() -> None:
    row = metrics.LinkRow
    rows = [
        row(provider=0, person=1, subject="s1", component=10),
        row(provider=1, person=1, subject="s1", component=10),
        row(provider=2, person=1, subject=None, component=11),  # second email: unlinkable
        row(provider=0, person=2, subject="s2", component=20),
        row(provider=1, person=3, subject="s2", component=30),  # a false merge
    ]
    got = metrics.pairwise_linkage(rows)
    assert got["true_pairs"] == 3
    assert got["predicted_pairs"] == 2
    assert got["correct_pairs"] == 1
    assert got["precision"] == pytest.approx(0.5)
    assert got["recall"] == pytest.approx(1 / 3)
    assert got["f1"] == pytest.approx(0.4)
    assert got["false_merge_pairs"] == 1
    assert got["false_merge_subjects"] == 1
    assert got["connectable_pairs"] == 1
    assert got["best_achievable_recall"] == pytest.approx(1 / 3)


def _contact(
    index: int, person: int, provider: int, day: float, outcome: Outcome, lag: float = 1.0
) -> sim.Contact:
    at = T0 + timedelta(days=day)
    return sim.Contact(
        index, person, provider, at, Channel.SMS, "+447911123456", None, None, None, "hi",
        outcome, at + timedelta(days=lag),
    )  # fmt: skip


def test_truth_history_counts_only_other_providers_before_the_message() -> None:
    contacts = [
        _contact(0, 1, 0, 0.0, Outcome.BLOCKED, lag=1.0),
        _contact(1, 1, 1, 0.5, Outcome.BLOCKED, lag=0.1),
        _contact(2, 1, 0, 5.0, Outcome.BLOCKED),  # own provider: its earlier block not counted
        _contact(3, 1, 2, 5.5, Outcome.BLOCKED),
        _contact(4, 2, 2, 5.6, Outcome.BOOKED),
    ]
    truth = metrics.truth_history(contacts, min_flaggers=2)
    assert truth[0]["true_elsewhere_blocked"] == 0
    assert truth[0]["true_providers_30d"] == 0
    assert truth[1]["true_elsewhere_blocked"] == 0  # provider 0's outcome came after
    assert truth[1]["true_providers_1d"] == pytest.approx(np.log1p(1))
    assert truth[2]["true_elsewhere_blocked"] == pytest.approx(np.log1p(1))
    assert truth[2]["true_flagged_by_peers"] == 0
    assert truth[3]["true_elsewhere_blocked"] == pytest.approx(np.log1p(2))
    assert truth[3]["true_flagged_by_peers"] == 1
    assert truth[3]["true_providers_7d"] == pytest.approx(np.log1p(2))
    assert truth[3]["true_providers_1d"] == pytest.approx(np.log1p(1))
    assert truth[4]["true_providers_30d"] == 0


def test_bound_history_shows_only_what_enough_other_providers_stand_behind() -> None:
    contacts = [
        _contact(0, 1, 0, 0.0, Outcome.BOOKED, lag=0.5),
        _contact(1, 1, 1, 1.0, Outcome.NO_SHOW, lag=0.5),
        _contact(2, 1, 2, 2.0, Outcome.BOOKED),  # two others: both their outcomes show
        _contact(3, 1, 0, 2.1, Outcome.BOOKED),  # provider 2's outcome is still to come
        _contact(4, 2, 3, 5.0, Outcome.BOOKED),
    ]
    bound = metrics.bound_history(contacts, min_contributors=2)
    truth = metrics.truth_history(contacts, min_flaggers=2)
    assert bound[1]["bound_present"] == 0
    assert bound[1]["bound_elsewhere_booked"] == 0  # truth knows it, the rule hides it
    assert truth[1]["true_elsewhere_booked"] == pytest.approx(np.log1p(1))
    assert bound[1]["bound_providers_30d"] == 0
    assert bound[1]["bound_few"] == 1
    assert bound[2]["bound_present"] == 1
    assert bound[2]["bound_elsewhere_booked"] == pytest.approx(np.log1p(1))
    assert bound[2]["bound_elsewhere_no_show"] == pytest.approx(np.log1p(1))
    assert bound[2]["bound_providers_30d"] == pytest.approx(np.log1p(2))
    assert bound[2]["bound_providers_1d"] == 0  # one other within a day: below the floor
    assert bound[2]["bound_few"] == 0
    assert bound[3]["bound_present"] == 0  # one other provider has reported so far
    assert bound[3]["bound_elsewhere_no_show"] == 0
    assert bound[3]["bound_providers_30d"] == pytest.approx(np.log1p(2))  # both were in touch
    assert bound[4]["bound_few"] == 1 and bound[4]["bound_present"] == 0


def test_auc_report_on_perfect_useless_and_inverted_scores() -> None:
    y = np.array([0, 0, 1, 1, 0, 1, 0, 1])
    scores = {
        "baseline": np.zeros(len(y)),
        "half": np.where(y == 1, 0.6, 0.5) * np.array([1, 1, 1, 0, 1, 1, 1, 1]),
        "ceiling": y.astype(float),
    }
    got = metrics.auc_report(y, scores, baseline="baseline", ceiling="ceiling", resamples=50)
    assert got["variants"]["ceiling"]["roc_auc"]["value"] == pytest.approx(1.0)
    assert got["variants"]["ceiling"]["pr_auc"]["value"] == pytest.approx(1.0)
    assert got["variants"]["baseline"]["roc_auc"]["value"] == pytest.approx(0.5)
    lift = got["lift_share_of_ceiling"]["half"]["roc_auc"]
    assert 0 < lift["value"] < 1
    assert lift["low"] <= lift["value"] <= lift["high"]
    missing = metrics.auc_report(y, {"a": None}, baseline="a", ceiling="a", resamples=5)
    assert missing["variants"]["a"]["pr_auc"]["value"] is None


def _served(features: dict[str, float], **kw: object) -> sim.Served:
    base: dict[str, object] = {
        "contact": 0,
        "provider_id": "p",
        "prospect_id": "q",
        "qualification_id": "x",
        "p_book": 0.5,
        "graph_state": "present",
        "intent": "booking_request",
        "triage_kinds": (),
        "graph_notices": (),
        "factors": (),
        "suggested_action": "approve",
        "needs_review": False,
        "review_reasons": (),
    }
    return sim.Served(**(base | kw), features=features)  # type: ignore[arg-type]


def test_flags_are_read_from_what_qualify_stored() -> None:
    assert not metrics.graph_flagged(_served({"graph_present": 1.0}))
    assert metrics.graph_flagged(_served({"graph_safety_flags": 1.0}))
    assert metrics.graph_flagged(_served({"graph_blocked_share": 0.7}))
    assert metrics.graph_flagged(
        _served({}, review_reasons=("flagged by 2 consenting peers: spam",))
    )
    assert metrics.message_flagged(_served({}, intent="not_a_prospect"))
    assert metrics.message_flagged(_served({}, triage_kinds=("harassment",)))
    assert not metrics.message_flagged(_served({}))
    assert not metrics.message_flagged(_served({}, suggested_action="discard"))
    assert metrics.warned_no_show(_served({"prior_no_show": 1.0}))
    assert metrics.warned_no_show(_served({"graph_present": 1.0, "graph_no_show_share": 0.6}))
    assert not metrics.warned_no_show(_served({"graph_no_show_share": 0.6}))
    counted = {"graph_present": 1.0, "graph_reports_log": float(np.log1p(4)), "graph_no_show": 3}
    assert metrics.graph_share(_served(counted), "no_show") == pytest.approx(0.75)
    assert metrics.warned_no_show(_served(counted))
    assert metrics.graph_any(_served({"graph_contacts_7d_log": 0.7}))
    assert not metrics.graph_any(_served({"graph_linked": 1.0, "graph_dense": 1.0}))


# ---------------------------------------------------------------------------- replay


def test_a_tiny_replay_runs_through_the_real_workflows() -> None:
    network = sim.generate(providers=6, people=24, seed=4)
    replay = sim.replay(network, sim.ReplayConfig(graph=True, epsilon=1.5))
    assert replay.epsilon == pytest.approx(1.5)
    counters = replay.counters
    assert counters.contacts == counters.outcomes == len(network.contacts)
    blocked = sum(c.outcome is Outcome.BLOCKED for c in network.contacts)
    assert counters.events == 2 * len(network.contacts) + blocked
    assert counters.contributions == len(network.contacts)
    assert len(replay.served) == len(network.contacts)
    assert all("intent_confidence" in s.features for s in replay.served)
    assert replay.links, "providers with consent link their prospects"
    assert set(replay.provider_ids) >= {s.provider_id for s in replay.served}
    report = metrics.evaluate(replay)
    linkage = report["linkage"]
    assert linkage["rows_linked"] == linkage["rows"]
    assert linkage["precision"] is None or 0.5 < linkage["precision"] <= 1.0
    assert report["speed"]["events"] == counters.events
    assert report["graph_signal"]["degraded_messages"] == 0
    assert len(metrics.render(report)) == 7


def test_graph_off_replay_shares_nothing() -> None:
    network = sim.generate(providers=4, people=10, seed=9)
    replay = sim.replay(network, sim.ReplayConfig(graph=False))
    assert replay.links == {}
    assert replay.counters.contributions == 0
    assert replay.counters.contributions_refused == len(network.contacts)
    assert not any(metrics.graph_present(s) for s in replay.served)


def test_p_book_report_puts_graph_on_and_off_side_by_side() -> None:
    network = sim.generate(providers=4, people=30, seed=9)
    off = sim.replay(network, sim.ReplayConfig(graph=False))
    on = sim.replay(network, sim.ReplayConfig(graph=True))
    report = metrics.p_book_report(on, other=off)
    assert {"served", "served_graph_off", "bound_min_contributors"} <= report["variants"].keys()
    assert "served_graph_off" in report["lift_share_of_bound"]
    assert "served_graph_on" in metrics.p_book_report(off, other=on)["variants"]
