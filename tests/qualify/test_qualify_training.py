"""Retraining from a Person's own outcomes, versioned models, held-out evaluation, the CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from prospecting.demo import qualify as demo_data
from prospecting.edges.cli.main import app
from prospecting.identity.service import get_person
from prospecting.qualify import evaluate as measure
from prospecting.qualify import training
from prospecting.qualify.models import ScoringModel
from qualify.qualify_factories import count_rows

runner = CliRunner()


@pytest.fixture
def seeded(runtime, make_provider):
    """Two providers with a synthetic history of messages, drafts and outcomes."""
    ids = [make_provider().id, make_provider(default_phone_region="ES").id]
    with runtime.stores.tenant() as session:
        people = [get_person(session=session, person_id=i) for i in ids]
        demo_data.seed_profiles(session=session, providers=people)
        demo_data.seed_history(
            session=session, resolver=runtime.resolver, providers=people, seed=11, per_provider=60
        )
    return ids


def test_train_stores_a_new_version_that_then_scores_new_inbound(
    runtime, seeded, client, make_provider, cold_start_model
):
    with runtime.stores.tenant() as session:
        me = get_person(session=session, person_id=seeded[0])
        assert training.active_scorer(session=session, actor=me) == cold_start_model
        first = training.train_for_person(session=session, actor=me)
        second = training.train_for_person(session=session, actor=me)
        assert (first.version, second.version) == (1, 2)
        assert second.metrics["n_samples"] >= 30
        assert "coef" in second.params and isinstance(second.params["coef"], list)
        assert training.active_scorer(session=session, actor=me).version == "person-v2"
        other = get_person(session=session, person_id=seeded[1])
        assert training.active_scorer(session=session, actor=other) == cold_start_model


def test_a_stored_model_is_decoded_once_and_the_loaded_ones_stay_bounded(
    runtime, seeded, monkeypatch
):
    """`active_scorer` reads the newest row's id on every call and its parameters only the
    first time; a retrained version is a new row, so it is picked up at once; at most
    `_LOADED_MAX` scorers stay loaded, the oldest going first."""
    monkeypatch.setattr(training, "_LOADED", {})
    monkeypatch.setattr(training, "_LOADED_MAX", 2)
    with runtime.stores.tenant() as session:
        people = [get_person(session=session, person_id=pid) for pid in seeded]
        mine = training.train_for_person(session=session, actor=people[0])
        first = training.active_scorer(session=session, actor=people[0])
        assert training.active_scorer(session=session, actor=people[0]) is first  # not decoded
        again = training.train_for_person(session=session, actor=people[0])
        newer = training.active_scorer(session=session, actor=people[0])
        assert (first.version, newer.version) == ("person-v1", "person-v2")
        assert list(training._LOADED) == [mine.id, again.id]
        theirs = training.train_for_person(session=session, actor=people[1])
        assert training.active_scorer(session=session, actor=people[1]).version == "person-v1"
        assert list(training._LOADED) == [again.id, theirs.id]  # v1 of the first went
        assert training.active_scorer(session=session, actor=people[0]) is newer


def test_train_refuses_without_enough_outcomes_and_keeps_cold_start(runtime, make_provider):
    provider = make_provider()
    with runtime.stores.tenant() as session:
        me = get_person(session=session, person_id=provider.id)
        from prospecting.errors import InvalidInput

        with pytest.raises(InvalidInput, match="cold-start model stays in use"):
            training.train_for_person(session=session, actor=me)
    assert count_rows(runtime, ScoringModel)["qualify_models"] == 0


def test_eval_reports_metrics_with_and_without_graph_and_writes_a_png(runtime, seeded, tmp_path):
    plot = tmp_path / "reliability.png"
    with runtime.stores.tenant() as session:
        result = measure.evaluate_store(session=session, person_ids=seeded, plot_path=plot)
    assert result["train"] > result["test"] > 10
    for name in ("with_graph", "without_graph", "as_scored"):
        variant = result["variants"][name]
        for metric in ("precision", "recall", "pr_auc"):
            assert 0.0 <= variant[metric] <= 1.0
        assert variant["calibration"]
        assert sum(row["count"] for row in variant["calibration"]) == result["test"]
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_train_eval_and_report(cli_env, runtime, seeded, tmp_path):
    env = cli_env
    trained = runner.invoke(app, ["qualify", "train", "--person", seeded[0]], env=env)
    assert trained.exit_code == 0, trained.output
    assert "v1 on" in trained.output
    plot = tmp_path / "plot.png"
    evaluated = runner.invoke(app, ["qualify", "eval", "--plot", str(plot), "--json"], env=env)
    assert evaluated.exit_code == 0, evaluated.output
    data = json.loads(evaluated.output)
    assert set(data["variants"]) == {"with_graph", "without_graph", "as_scored"}
    assert plot.exists()
    reported = runner.invoke(app, ["qualify", "report"], env=env)
    assert reported.exit_code == 0, reported.output
    assert "person-v1" in reported.output
    missing = runner.invoke(app, ["qualify", "train", "--person", "nobody"], env=env)
    assert missing.exit_code == 2 and "not found" in missing.output


def test_cli_eval_on_a_fresh_synthetic_history_without_touching_the_store(tmp_path):
    plot = tmp_path / "synthetic.png"
    env = {
        "PROSPECTING_MODE": "test",
        "PROSPECTING_DATA_DIR": str(tmp_path),
        "PROSPECTING_NETWORK_KEY": "s1=" + "x" * 40,
    }
    result = runner.invoke(
        app, ["qualify", "eval", "--synthetic", "30", "--plot", str(plot), "--json"], env=env
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["test"] > 20 and plot.exists()
    assert data["variants"]["with_graph"]["pr_auc"] > data["test_booked_rate"]


def test_too_few_outcomes_is_skipped_by_train_each_and_invalid_input_for_eval(
    runtime, make_provider
):
    from prospecting.errors import InvalidInput

    provider = make_provider()
    with runtime.stores.tenant() as session:
        me = get_person(session=session, person_id=provider.id)
        [run] = training.train_each(session=session, providers=[me])
        assert run.model is None and run.outcomes == 0
        with pytest.raises(InvalidInput, match="not enough labelled outcomes"):
            measure.evaluate_store(session=session, person_ids=[me.id])
    assert count_rows(runtime, ScoringModel)["qualify_models"] == 0
