"""The learned crisis net behind triage's lexicon (`qualify.crisis`): the shipped artifact is what
the build tool fits on the training data, scored without scikit-learn exactly as scikit-learn
would, refused when stale, and it holds crisis phrasings the lexicon lacks without holding
idioms. The eval-set targets with the model on are asserted in test_triage.py."""

from __future__ import annotations

import copy
import functools
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from prospecting.qualify.crisis import (
    CRISIS,
    REASON,
    CrisisModel,
    crisis_model,
    examples_from,
    fit,
    packaged_artifact,
    sha256,
)
from prospecting.qualify.intent import StaleArtifact, fit_pipeline
from prospecting.qualify.triage import triage

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "tools" / "triage_dev.jsonl"
INTENT = ROOT / "src" / "prospecting" / "qualify" / "data" / "intent_train.jsonl"
REBUILD = "the packaged crisis model is stale: run .venv/bin/python tools/build_crisis_model.py"
PROBES = [
    "can we talk tonight, i don't feel safe in my own head",
    "dying to try your yoga class!",
    "ya no tengo ganas de nada, ni de levantarme",
    "je suis épuisée, on décale à lundi ?",
    "ich weiß nicht mehr weiter mit meinem leben",
    "",
    "😊",
]


@functools.cache
def _examples() -> list[Any]:
    return examples_from(DEV.read_bytes(), INTENT.read_bytes())


def test_packaged_model_was_built_from_the_training_data() -> None:
    manifest, _ = packaged_artifact()
    files = {f["file"]: f["sha256"] for f in manifest["training_data"]["files"]}
    assert files == {
        "tools/triage_dev.jsonl": sha256(DEV.read_bytes()),
        "src/prospecting/qualify/data/intent_train.jsonl": sha256(INTENT.read_bytes()),
    }, REBUILD
    assert manifest["training_data"]["examples"] == len(_examples()), REBUILD


def test_packaged_model_equals_a_fresh_fit_and_scores_like_scikit_learn() -> None:
    shipped = crisis_model()
    pipeline = fit_pipeline(_examples())
    fresh = CrisisModel.from_pipeline(pipeline, shipped.threshold)
    texts = [t for t in PROBES if t.strip()]
    expected = pipeline.predict_proba(texts)[:, list(pipeline.classes_).index(CRISIS)]
    for text, sk in zip(texts, expected, strict=True):
        assert shipped.probability(text) == pytest.approx(fresh.probability(text), abs=1e-9)
        assert shipped.probability(text) == pytest.approx(float(sk), abs=1e-9), REBUILD
    assert shipped.probability("") == 0.0
    manifest, blob = packaged_artifact()
    _assert_same_arrays(fresh.to_artifact({})[1], blob)
    assert 0.0 < shipped.threshold < 1.0
    assert manifest["threshold_selection"]["out_of_fold"]["ordinary_dev_flagged"] <= 0.03


def _assert_same_arrays(built: bytes, shipped: bytes) -> None:
    """Same terms exactly, same weights to 1e-12: a refit on another CPU or BLAS may differ in
    the last bits of a float (about 1e-14), which is no stale artifact."""
    with np.load(io.BytesIO(built)) as a, np.load(io.BytesIO(shipped)) as b:
        assert sorted(a.files) == sorted(b.files), REBUILD
        for name in a.files:
            x, y = a[name], b[name]
            assert x.shape == y.shape and x.dtype == y.dtype, f"{name}: {REBUILD}"
            if x.dtype.kind == "f":
                assert np.allclose(x, y, rtol=0.0, atol=1e-12), f"{name}: {REBUILD}"
            else:
                assert bool((x == y).all()), f"{name}: {REBUILD}"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda m: m.update(format="prospecting.intent-model"),
        lambda m: m.update(format_version=99),
        lambda m: m.update(threshold=1.5),
        lambda m: m["model"]["arrays"].update(sha256="0" * 64),
        lambda m: m["model"].update(classes=["ordinary", "crisis"]),
        lambda m: m["model"]["features"][0].update(ngram_range=[1, 3]),
    ],
)
def test_a_stale_or_foreign_artifact_is_refused(tamper: Any) -> None:
    manifest, blob = packaged_artifact()
    CrisisModel.from_artifact(manifest, blob)  # the shipped one loads
    changed = copy.deepcopy(manifest)
    tamper(changed)
    with pytest.raises(StaleArtifact):
        CrisisModel.from_artifact(changed, blob)


def test_fitting_is_reproducible_on_a_small_set() -> None:
    examples = _examples()[:40] + _examples()[-40:]
    one, two = fit(examples, 0.5), fit(examples, 0.5)
    assert one.to_artifact({})[1] == two.to_artifact({})[1]
    assert np.isclose(one.probability(PROBES[0]), two.probability(PROBES[0]), atol=1e-12)


@pytest.mark.parametrize(
    "text",
    [
        "i just want everything to stop",
        "hab heute tabletten gesammelt",
        "ik zie het niet meer zitten",
        "ik wil er gewoon niet meer zijn",
        "meu marido disse que vai me matar se eu contar pra alguem",
        "ya no quiero seguir aquí, todo me pesa demasiado",
    ],
)
def test_crisis_phrasings_are_held_as_crisis(text: str) -> None:
    found = triage(text, language="und")
    assert found.crisis and found.urgency == "crisis", found


def test_the_model_adds_crisis_only_where_the_lexicon_named_none() -> None:
    text = "i want to kill myself"
    found = triage(text, language="en")
    assert REASON not in found.reasons  # the lexicon's own reason explains it
    assert crisis_model().flags(text)


@pytest.mark.parametrize(
    "text",
    [
        "dying to try your class, any spots on saturday?",
        "this week is killing me, can we move to Friday",
        "I'm so stressed about my wedding, can I book a facial",
        "me muero de ganas de probar la clase de pilates",
        "je suis crevée, on peut décaler à jeudi ?",
        "diese Woche bringt mich um, geht Freitag?",
        "sono stanca morta, c'è posto domani per un massaggio?",
    ],
)
def test_idioms_and_ordinary_stress_are_not_held(text: str) -> None:
    found = triage(text, language="und")
    assert not found.hold, found
