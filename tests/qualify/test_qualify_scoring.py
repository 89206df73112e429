"""P(book): calibrated probabilities, reasons in words, graph signal as a feature state."""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import replace
from datetime import date
from importlib import resources

import numpy as np
import pytest

from prospecting.qualify.intent import Entities, Intent
from prospecting.qualify.scoring import (
    FEATURES,
    GRAPH_FEATURES,
    LOCAL_FEATURES,
    History,
    LogisticScorer,
    all_features,
    describe,
    extend,
    fit,
    graph_features,
)
from prospecting.qualify.signals import GraphFeatures
from prospecting.qualify.training import PRIOR_BOOK_RATE, cold_start_scorer
from qualify.qualify_factories import scorer_under_test


def _intent(label="booking_request", wishes=("thursday",), service="Massage"):
    return Intent(label, 0.9, "en", Entities(service, list(wishes), "normal"))


def _features(intent=None, history=History(), graph=None, text="Can I book Thursday?"):
    return all_features(text, intent or _intent(), history, graph)


def test_packaged_cold_start_model_matches_the_feature_set_and_is_calibrated_data():
    params = json.loads(
        resources.files("prospecting.qualify").joinpath("data/cold_start_model.json").read_text()
    )
    assert tuple(params["features"]) == FEATURES
    scorer = cold_start_scorer()
    assert scorer.version.startswith("cold-start")
    assert scorer.calibration["method"] in ("isotonic", "sigmoid")


def test_probabilities_are_in_range_and_move_the_right_way():
    scorer = scorer_under_test()
    keen = scorer.score(_features())
    spam = scorer.score(_features(_intent("not_a_prospect", wishes=(), service=None)))
    ghost = scorer.score(
        _features(
            history=History(
                prior_inbound=2,
                last_outcome="no_show",
                days_since_first_contact=40,
                unanswered_followups=2,
            )
        )
    )
    booked_before = scorer.score(
        _features(
            history=History(prior_inbound=1, last_outcome="booked", days_since_first_contact=30)
        )
    )
    for scored in (keen, spam, ghost, booked_before):
        assert 0.0 < scored.p_book < 1.0
    assert spam.p_book < keen.p_book
    assert ghost.p_book <= keen.p_book <= booked_before.p_book
    reasons = {f["reason"] for f in ghost.factors}
    assert "no reply to last 2 follow-ups" in reasons or "did not show up last time" in reasons
    assert all(f["direction"] in ("raises", "lowers") for f in keen.factors)


def test_the_cold_start_falls_back_to_the_prior_while_the_packaged_model_is_stale():
    scorer = cold_start_scorer()
    assert scorer.features == FEATURES  # never a model over another feature set
    if scorer.version == "prior":  # stale packaged model: one base rate for every message
        keen = scorer.score(_features()).p_book
        spam = scorer.score(_features(_intent("not_a_prospect", wishes=(), service=None))).p_book
        assert keen == spam == pytest.approx(PRIOR_BOOK_RATE, abs=1e-4)
    else:
        assert scorer.version.startswith("cold-start")


STRONG = GraphFeatures(
    network_state="sparse",
    linked=True,
    contributors=4,
    n_reports=4,
    outcome_counts={"positive": 3.6, "no_show": 0.2, "not_booked": 0.4, "blocked": -0.2},
    outcome_shares={"positive": 0.9, "no_show": 0.05, "not_booked": 0.1, "blocked": 0.0},
    contacts={"1d": None, "7d": None, "30d": None},
    reachability=3,
)
WEAK = GraphFeatures(
    network_state="sparse",
    linked=True,
    contributors=4,
    n_reports=4,
    outcome_counts={"positive": 0.1, "no_show": 2.1, "not_booked": 1.9, "blocked": -0.1},
    outcome_shares={"positive": 0.02, "no_show": 0.5, "not_booked": 0.45, "blocked": 0.0},
    contacts={"1d": 2, "7d": 5, "30d": 9},
    safety_flags={"harassment": 2},
    reachability=0,
)


def test_missing_graph_signal_is_a_feature_state_and_a_network_signal_is_explained():
    absent = graph_features(None)
    assert set(absent) == set(GRAPH_FEATURES) and not any(absent.values())
    assert graph_features(GraphFeatures()) == absent  # not linked: the same empty state
    degraded = graph_features(replace(STRONG, degraded=True))
    assert degraded == absent
    scorer = scorer_under_test()
    with_good = scorer.score(_features(graph=STRONG))
    with_bad = scorer.score(_features(graph=WEAK))
    assert with_bad.p_book < with_good.p_book
    assert any(f["feature"].startswith("graph_") for f in with_good.factors + with_bad.factors)
    for f in with_good.factors + with_bad.factors:
        if f["feature"].startswith("graph_"):
            assert "network" in f["reason"], f


def test_graph_features_read_counts_contacts_and_flags():
    features = graph_features(WEAK)
    assert features["graph_linked"] == features["graph_present"] == 1.0
    assert features["graph_reports_log"] == pytest.approx(math.log1p(4))
    assert features["graph_positive"] == pytest.approx(0.1)
    assert features["graph_no_show"] == pytest.approx(2.1)
    assert features["graph_blocked"] == pytest.approx(-0.1)  # unbiased counts, not clipped
    assert features["graph_booked_share"] == pytest.approx(0.02)
    assert features["graph_contacts_1d_log"] == pytest.approx(math.log1p(2))
    assert features["graph_contacts_30d_log"] == pytest.approx(math.log1p(9))
    assert features["graph_contacts_few"] == 0.0
    assert features["graph_flagged_log"] == pytest.approx(math.log1p(2))
    assert graph_features(STRONG)["graph_contacts_few"] == 1.0  # 30 days below the floor
    wild = replace(STRONG, outcome_counts={"positive": 9.0, "no_show": -4.0}, n_reports=4)
    bounded = graph_features(wild)
    assert bounded["graph_positive"] == 5.0 and bounded["graph_no_show"] == -1.0
    assert bounded["graph_booked_share"] == 0.9
    # linked, but too few outcome contributors: contacts and flags still count
    early = graph_features(
        GraphFeatures(linked=True, contacts=WEAK.contacts, safety_flags={"spam": 3})
    )
    assert early["graph_linked"] == 1.0 and early["graph_present"] == 0.0
    assert early["graph_positive"] == early["graph_reports_log"] == 0.0
    assert early["graph_contacts_7d_log"] == pytest.approx(math.log1p(5))
    assert early["graph_flagged_log"] == pytest.approx(math.log1p(3))


def test_fit_calibrates_with_platt_so_distinct_inputs_get_distinct_probabilities():
    rng = np.random.default_rng(3)
    rows, labels = [], []
    for _ in range(600):  # past the 400 outcomes from which isotonic maps used to take over
        u = rng.normal()
        row = dict.fromkeys(FEATURES, 0.0)
        row["specific_time"] = float(u + rng.normal() > 0)
        row["graph_linked"] = row["graph_present"] = 1.0
        row["graph_booked_share"] = float(1 / (1 + np.exp(-u)))
        rows.append(row)
        labels.append(int(rng.random() < 1 / (1 + np.exp(-(2 * u)))))
    result = fit(rows, labels, version="t")
    assert result.metrics["calibration"] == "sigmoid"
    assert result.scorer.calibration["method"] == "sigmoid"
    restored = LogisticScorer.from_params("t", json.loads(json.dumps(result.scorer.params())))
    grid = [
        dict.fromkeys(FEATURES, 0.0)
        | {"graph_linked": 1.0, "graph_present": 1.0, "graph_booked_share": float(share)}
        for share in np.linspace(0.05, 0.95, 40)
    ]
    p = restored.predict_many(grid)
    assert all(0 < v < 1 for v in p)
    assert all(b > a for a, b in itertools.pairwise(p))  # strictly: no plateau anywhere
    assert p[-1] - p[0] > 0.3
    predicted = restored.predict_many(rows)
    assert len(set(np.round(predicted, 12))) == len({tuple(r.values()) for r in rows})
    assert abs(float(np.mean(predicted)) - float(np.mean(labels))) < 0.05


def test_extend_adds_features_with_the_base_as_a_fixed_offset():
    rng = np.random.default_rng(11)
    base_rows, base_labels = [], []
    for _ in range(400):
        row = dict.fromkeys(LOCAL_FEATURES, 0.0) | {"specific_time": float(rng.random() < 0.5)}
        base_rows.append(row)
        base_labels.append(int(rng.random() < (0.6 if row["specific_time"] else 0.25)))
    base = fit(base_rows, base_labels, version="base").scorer
    extra = ("graph_linked", "graph_booked_share")
    rows, labels = [], []
    for _ in range(800):
        share = float(rng.random())
        row = dict.fromkeys(LOCAL_FEATURES, 0.0) | {
            "specific_time": float(rng.random() < 0.5),
            "graph_linked": 1.0,
            "graph_booked_share": share,
        }
        base_logit = float(np.log(base.predict_many([row])[0] / (1 - base.predict_many([row])[0])))
        rows.append(row)
        labels.append(int(rng.random() < 1 / (1 + np.exp(-(base_logit + 3.0 * (share - 0.5))))))
    result = extend(base, rows, labels, extra=extra, version="extended")
    scorer = result.scorer
    assert scorer.features == (*base.features, *extra)
    assert scorer.calibration == {"method": "sigmoid", "a": 1.0, "b": 0.0}
    a = float(base.calibration["a"])
    i = base.features.index("specific_time")
    assert scorer.coef[i] == pytest.approx(a * base.coef[i])  # the base is kept whole
    assert result.metrics["extra_weights"]["graph_booked_share"] > 0.5
    assert result.metrics["extra_weights"]["graph_linked"] == 0.0  # constant: learns nothing
    low, high = (scorer.predict_many([rows[0] | {"graph_booked_share": s}])[0] for s in (0.1, 0.9))
    assert high > low
    # with the extra feature at its mean, the extended scorer is the base up to the shift
    mean_share = float(np.mean([r["graph_booked_share"] for r in rows]))
    on_base = base.predict_many([rows[0]])[0]
    on_ext = scorer.predict_many([rows[0] | {"graph_booked_share": mean_share}])[0]
    assert on_ext == pytest.approx(on_base, abs=0.05)
    with pytest.raises(ValueError, match="at least"):
        extend(base, rows[:10], labels[:10], extra=extra, version="x")
    isotonic = replace(base, calibration={"method": "isotonic", "x": [0.0, 1.0], "y": [0.2, 0.8]})
    with pytest.raises(ValueError, match="sigmoid"):
        extend(isotonic, rows, labels, extra=extra, version="x")


def _band(estimate: float):
    from prospecting.graph.schemas import Band

    return Band(estimate=estimate, lower=max(estimate - 0.1, 0.0), upper=min(estimate + 0.1, 1.0))


def test_graph_signals_from_the_graph_map_onto_scoring_features():
    from prospecting.graph.schemas import (
        Fingerprint,
        GraphSignals,
        Histogram,
        SafetyFlag,
        Velocity,
        VelocityWindow,
    )

    raw = {"positive": 3.4, "no_show": 1.1, "not_booked": -0.2, "blocked": -0.3}
    velocity = Velocity(
        as_of=date(2026, 11, 30),
        windows=[
            VelocityWindow(days=1, providers=None, shown="<2"),
            VelocityWindow(days=7, providers=2, shown="2"),
            VelocityWindow(days=30, providers=3, shown="3"),
        ],
    )
    flags = [SafetyFlag(code="harassment", peers=2), SafetyFlag(code="spam", peers=3)]
    signals = GraphSignals(
        state="ok",
        contributors=4,
        outcome_shares={"positive": 0.75, "no_show": 0.25, "not_booked": 0.0, "blocked": 0.0},
        histogram=Histogram(
            counts={c: min(max(v, 0.0), 4.0) for c, v in raw.items()},
            raw_counts=raw,
            lower=dict.fromkeys(raw, 0.0),
            upper=dict.fromkeys(raw, 4.0),
            n_reports=4,
            withheld=0,
            confidence=0.95,
        ),
        fingerprint=Fingerprint(
            booked_share=_band(0.75),
            no_show_share=_band(0.25),
            not_booked_share=_band(0.0),
            blocked_share=_band(0.0),
            profile="books",
        ),
        velocity=velocity,
        safety_flags=flags,
        peers_with_positive_outcome=2,
        budget_exhausted=False,
    )
    features = GraphFeatures.from_signals(signals)
    assert features is not None and features.network_state is None  # never guessed
    assert features.linked and not features.budget_exhausted and not features.degraded
    assert features.contributors == 4 and features.n_reports == 4
    assert features.outcome_counts == raw  # the unbiased counts, not the clipped ones
    assert features.outcome_shares["positive"] == 0.75
    assert features.contacts == {"1d": None, "7d": 2, "30d": 3}
    assert features.safety_flags == {"harassment": 2, "spam": 3} and features.flagged == 3
    assert features.reachability == 2
    assert GraphFeatures.from_json(json.loads(json.dumps(features.as_json()))) == features
    assert graph_features(features)["graph_not_booked"] == pytest.approx(-0.2)
    # too few outcome contributors: linked, contacts and flags, no outcomes
    early = GraphFeatures.from_signals(
        GraphSignals(state="insufficient_contributors", velocity=velocity, safety_flags=flags)
    )
    assert early is not None and early.linked and early.contributors is None
    assert early.outcome_counts == {} and early.reachability is None
    assert early.contacts["30d"] == 3 and early.flagged == 3
    assert graph_features(early)["graph_present"] == 0.0
    assert graph_features(early)["graph_contacts_30d_log"] == pytest.approx(math.log1p(3))
    for state in ("not_linked", "no_query_consent", "subject_opted_out"):
        assert GraphFeatures.from_signals(GraphSignals(state=state)) is None  # type: ignore[arg-type]
    down = GraphFeatures.from_signals(GraphSignals(state="degraded", degraded=True))
    assert down is not None and down.degraded and not any(graph_features(down).values())
    scored = scorer_under_test().score(_features(graph=features))
    assert any(f["feature"].startswith("graph_") for f in scored.factors)


def test_graph_factors_are_explained_in_words():
    features = graph_features(WEAK) | {"graph_contacts_few": 1.0}
    said = {name: describe(name, features, 1.0) for name in GRAPH_FEATURES}
    assert said["graph_linked"] == "known to the network"
    assert said["graph_reports_log"] == "network: 4 outcome reports from other providers"
    assert said["graph_no_show"] == "network: about 2 no-shows elsewhere"
    assert said["graph_booked_share"] == "network: booked in about 2% of outcomes elsewhere"
    assert said["graph_contacts_1d_log"] == "network: contacted 2 other providers in the last day"
    assert said["graph_contacts_30d_log"] == (
        "network: contacted 9 other providers in the last 30 days"
    )
    assert said["graph_flagged_log"] == "network: flagged by 2 consenting peers"
    assert said["graph_contacts_few"] == "network: has not contacted other providers lately"
    assert describe("graph_linked", graph_features(None), -1.0) == (
        "empty network: no graph signal yet"
    )


def test_graph_network_states_and_a_spent_budget_reach_the_qualification():
    from prospecting.graph.schemas import GraphScope, GraphSignals, NetworkState
    from prospecting.qualify.signals import NETWORK_STATES

    annotation = NetworkState.model_fields["state"].annotation
    assert set(NETWORK_STATES) == set(getattr(annotation, "__args__", ()))
    many = GraphSignals(
        state="ok", contributors=80, outcome_shares={"positive": 1.0}, budget_exhausted=True
    )
    features = GraphFeatures.from_signals(many)
    assert features is not None and features.network_state is None
    assert features.budget_exhausted and not features.degraded
    assert graph_features(features)["graph_present"] == 1.0
    growing = NetworkState(state="growing", consented_peers=20, scope=GraphScope())
    given = GraphFeatures.from_signals(many.model_copy(update={"network": growing}))
    assert given is not None and given.network_state == "growing"


def test_budget_exhausted_and_unreachable_graph_are_surfaced_on_the_qualification(
    runtime, make_provider
):
    from prospecting.identity.service import get_person
    from prospecting.prospects.schemas import InboundMessage
    from prospecting.qualify import reads as service
    from qualify.qualify_factories import BOOKING, ingest_and_qualify

    provider = make_provider()
    spent = GraphFeatures(
        linked=True, outcome_shares={"positive": 0.5}, contributors=3, budget_exhausted=True
    )
    with runtime.stores.tenant() as session:
        me = get_person(session=session, person_id=provider.id)
        out = {}
        for name, graph, phone in (
            ("spent", spent, "07911 100001"),
            ("down", GraphFeatures(degraded=True), "07911 100002"),
        ):
            out[name] = ingest_and_qualify(
                session=session,
                actor=me,
                resolver=runtime.resolver,
                message=InboundMessage.model_validate(BOOKING | {"sender_phone": phone}),
                graph=graph,
            ).qualification
        rows, _ = service.list_drafts(session=session, actor=me)
        reread = {d.qualification.id: d.qualification for d in service.draft_details(session, rows)}
    assert out["spent"].graph_state == "present"
    assert any("budget" in n for n in out["spent"].graph_notices)
    assert reread[out["spent"].id].graph_notices == out["spent"].graph_notices
    assert out["down"].graph_state == "degraded"
    assert any("unreachable" in n for n in out["down"].graph_notices)
