"""Factories for auto-qualify tests: a provider with a drafting profile, qualified inbound."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from prospecting.qualify import intent, training
from prospecting.qualify.scoring import LogisticScorer
from qualify.qualify_factories import PROFILE, scorer_under_test


@pytest.fixture(scope="session", autouse=True)
def _warm_intent_model() -> None:
    """Load the packaged intent model once, so per-message timings measure the pipeline."""
    intent.classify("warm up")


@pytest.fixture
def provider_with_profile(client, make_provider) -> Callable[..., Any]:
    def make(**profile: Any) -> Any:
        provider = make_provider()
        response = client.put("/qualify/profile", json=PROFILE | profile, headers=provider.headers)
        assert response.status_code == 200, response.text
        return provider

    return make


@pytest.fixture
def cold_start_model(monkeypatch: pytest.MonkeyPatch) -> LogisticScorer:
    """What a Person without a trained model is scored by in these tests: the packaged model
    once it matches the feature set again, a fitted stand-in until then (see
    `qualify_factories.scorer_under_test`)."""
    scorer = scorer_under_test()
    monkeypatch.setattr(training, "cold_start_scorer", lambda: scorer)
    return scorer
