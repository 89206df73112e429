"""P(book): calibrated probabilities, reasons in words, graph signal as a feature state."""

from __future__ import annotations

import itertools
import json
from importlib import resources

import numpy as np

from prospecting.qualify.intent import Entities, Intent
from prospecting.qualify.scoring import (
    FEATURES,
    GRAPH_FEATURES,
    History,
    LogisticScorer,
    all_features,
    fit,
    graph_features,
)
from prospecting.qualify.signals import GraphFeatures
from prospecting.qualify.training import cold_start_scorer


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
    scorer = cold_start_scorer()
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


def test_missing_graph_signal_is_a_feature_state_and_a_network_signal_is_explained():
    absent = graph_features(None)
    assert set(absent) == set(GRAPH_FEATURES) and not any(absent.values())
    degraded = graph_features(GraphFeatures(degraded=True, outcome_shares={"booked": 1.0}))
    assert not any(degraded.values())
    scorer = cold_start_scorer()
    strong = GraphFeatures(
        network_state="sparse",
        outcome_shares={"booked": 0.9},
        contributors=3,
        reachability=2,
        days_to_outcome=2.0,
    )
    weak = GraphFeatures(
        network_state="sparse",
        outcome_shares={"booked": 0.05, "ghosted": 0.9},
        contributors=3,
        reachability=0,
        days_to_outcome=30.0,
    )
    with_good = scorer.score(_features(graph=strong))
    with_bad = scorer.score(_features(graph=weak))
    assert with_bad.p_book < with_good.p_book
    assert any(f["feature"].startswith("graph_") for f in with_good.factors + with_bad.factors)


def test_fit_is_calibrated_and_monotone_on_synthetic_outcomes():
    rng = np.random.default_rng(3)
    rows, labels = [], []
    for _ in range(600):
        u = rng.normal()
        row = dict.fromkeys(FEATURES, 0.0)
        row["specific_time"] = float(u + rng.normal() > 0)
        row["graph_present"] = 1.0
        row["graph_booked_share"] = float(1 / (1 + np.exp(-u)))
        rows.append(row)
        labels.append(int(rng.random() < 1 / (1 + np.exp(-(2 * u)))))
    result = fit(rows, labels, version="t")
    assert result.metrics["calibration"] == "isotonic"
    restored = LogisticScorer.from_params("t", json.loads(json.dumps(result.scorer.params())))
    grid = []
    for share in np.linspace(0.05, 0.95, 10):
        row = dict.fromkeys(FEATURES, 0.0) | {
            "graph_present": 1.0,
            "graph_booked_share": float(share),
        }
        grid.append(restored.score(row).p_book)
    assert all(0 < p < 1 for p in grid)
    assert all(b >= a - 1e-9 for a, b in itertools.pairwise(grid))
    assert grid[-1] - grid[0] > 0.3
    predicted = restored.predict_many(rows)
    assert abs(float(np.mean(predicted)) - float(np.mean(labels))) < 0.05


def _band(estimate: float):
    from prospecting.graph.schemas import Band

    return Band(estimate=estimate, lower=max(estimate - 0.1, 0.0), upper=estimate + 0.1)


def test_graph_signals_from_the_graph_map_onto_scoring_features():
    from prospecting.graph.schemas import Fingerprint, GraphSignals, Velocity

    signals = GraphSignals(
        state="ok",
        contributors=4,
        outcome_shares={"booked": 0.75, "no_show": 0.25},
        fingerprint=Fingerprint(
            booked_share=_band(0.7),
            no_show_share=_band(0.2),
            ghost_share=_band(0.1),
            profile="books",
        ),
        velocity=Velocity(mean_days=_band(3.0), n_reports=4),
        peers_with_positive_outcome=2,
        budget_exhausted=False,
    )
    features = GraphFeatures.from_signals(signals)
    assert features is not None and features.network_state is None  # never guessed
    assert not features.budget_exhausted and not features.degraded
    assert features.days_to_outcome == 3.0 and features.reachability == 2
    assert GraphFeatures.from_signals(GraphSignals(state="not_linked")) is None
    scored = cold_start_scorer().score(_features(graph=features))
    assert any(f["reason"] == "network: booked with 2 other providers" for f in scored.factors) or (
        any(f["feature"].startswith("graph_") for f in scored.factors)
    )


def test_graph_network_states_and_a_spent_budget_reach_the_qualification():
    from prospecting.graph.schemas import GraphScope, GraphSignals, NetworkState
    from prospecting.qualify.signals import NETWORK_STATES

    annotation = NetworkState.model_fields["state"].annotation
    assert set(NETWORK_STATES) == set(getattr(annotation, "__args__", ()))
    many = GraphSignals(
        state="ok", contributors=80, outcome_shares={"booked": 1.0}, budget_exhausted=True
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
    spent = GraphFeatures(outcome_shares={"booked": 0.5}, contributors=3, budget_exhausted=True)
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
