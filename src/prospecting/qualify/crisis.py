"""Second crisis net of triage: a learned crisis-vs-not reader behind the lexicon.

The lexicon in `qualify.triage` is the first, explainable screen; this model only adds a
"crisis" finding when the lexicon found none, so crisis phrasings the lexicon never saw
(indirect, misspelt, mixed with booking talk) are still held back.

Same machinery as the intent model (`qualify.intent`): tf-idf over char and word n-grams and a
class-balanced logistic regression (`intent.build_pipeline`), fitted offline by
`tools/build_crisis_model.py` on the triage dev set (`tools/triage_dev.jsonl`, crisis positive,
everything else negative) plus the intent training messages (all negative), and shipped as
`data/crisis_model.json` (manifest, threshold, training data hashes) and `data/crisis_model.npz`
(plain arrays, loaded with allow_pickle=False). Scored by `intent.IntentModel` without
scikit-learn; the binary logistic layer is stored as two softmax columns (0 and the fitted
weights), which is exactly the sigmoid scikit-learn's ``predict_proba`` computes.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np

from prospecting.qualify.intent import (
    FEATURE_BLOCKS,
    Example,
    IntentModel,
    StaleArtifact,
    check_vectorizer,
    fit_pipeline,
    sha256,
)

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

CRISIS = "crisis"
NOT_CRISIS = "not_crisis"
MAX_CHARS = 4000
MODEL_FILE = "crisis_model.json"
ARRAYS_FILE = "crisis_model.npz"
ARTIFACT_FORMAT = "prospecting.crisis-model"
ARTIFACT_VERSION = 1
REASON = "reads like a person in crisis (model)"


def examples_from(dev_data: bytes, intent_data: bytes) -> list[Example]:
    """The training set: every triage dev message (crisis when its kinds name crisis, else
    not) and every intent training message (all ordinary, so not crisis)."""
    examples: list[Example] = []
    for line in dev_data.decode("utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            label = CRISIS if CRISIS in row["kinds"] else NOT_CRISIS
            examples.append(Example(row["text"], label, row.get("language", "und")))
    for line in intent_data.decode("utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            examples.append(Example(row["text"], NOT_CRISIS, row["lang"]))
    return examples


class CrisisModel:
    """The fitted binary pipeline as an ``IntentModel`` with classes (crisis, not_crisis) and a
    decision threshold on the crisis probability."""

    def __init__(self, model: IntentModel, threshold: float) -> None:
        if model.classes != (CRISIS, NOT_CRISIS):
            raise StaleArtifact(f"crisis model classes are {model.classes}; rebuild it")
        self.model = model
        self.threshold = float(threshold)

    @classmethod
    def from_pipeline(cls, pipeline: Pipeline, threshold: float) -> CrisisModel:
        vectorizers = [v for _, v in pipeline.named_steps["features"].transformer_list]
        for block, vectorizer in zip(FEATURE_BLOCKS, vectorizers, strict=True):
            check_vectorizer(block, vectorizer)
        classifier = pipeline.named_steps["classifier"]
        classes = tuple(str(c) for c in classifier.classes_)
        coef = np.asarray(classifier.coef_, dtype=np.float64)
        if classes != (CRISIS, NOT_CRISIS) or coef.shape[0] != 1:
            raise ValueError(f"not a binary crisis classifier: {classes}, {coef.shape}")
        # Binary logistic regression scores classes_[1]; softmax over (0, z) is sigmoid(z).
        weights = np.column_stack([np.zeros(coef.shape[1]), coef[0]])
        intercept = np.array([0.0, float(classifier.intercept_[0])])
        model = IntentModel.from_parts(
            classes=classes,
            vocabularies=tuple(dict(v.vocabulary_) for v in vectorizers),
            idfs=tuple(np.asarray(v.idf_, dtype=np.float64) for v in vectorizers),
            weights=weights,
            intercept=intercept,
        )
        return cls(model, threshold)

    def probability(self, text: str) -> float:
        """The model's probability that ``text`` is from a person in crisis."""
        text = text[:MAX_CHARS]
        if not text.strip():
            return 0.0
        return float(self.model.probabilities(text)[0])

    def flags(self, text: str) -> bool:
        return self.probability(text) >= self.threshold

    def to_artifact(self, provenance: Mapping[str, Any]) -> tuple[dict[str, Any], bytes]:
        """Manifest and .npz bytes; the scoring part is an intent-model manifest under "model"."""
        inner, blob = self.model.to_artifact({})
        inner["arrays"]["file"] = ARRAYS_FILE
        manifest = {
            "format": ARTIFACT_FORMAT,
            "format_version": ARTIFACT_VERSION,
            "threshold": self.threshold,
            **provenance,
            "model": inner,
        }
        return manifest, blob

    @classmethod
    def from_artifact(cls, manifest: Mapping[str, Any], blob: bytes) -> CrisisModel:
        if (manifest.get("format"), manifest.get("format_version")) != (
            ARTIFACT_FORMAT,
            ARTIFACT_VERSION,
        ):
            raise StaleArtifact("unknown crisis model format; rebuild the artifact")
        threshold = manifest.get("threshold")
        if not isinstance(threshold, float) or not 0.0 < threshold < 1.0:
            raise StaleArtifact(f"crisis model threshold {threshold!r} is not a probability")
        return cls(IntentModel.from_artifact(manifest.get("model", {}), blob), threshold)


# --- fitting (offline: tools/build_crisis_model.py, tests) ---------------------------------


def fit(examples: Sequence[Example], threshold: float) -> CrisisModel:
    """``intent.build_pipeline`` fitted single-threaded on these examples (reproducible)."""
    return CrisisModel.from_pipeline(fit_pipeline(examples), threshold)


def cross_validated_probabilities(
    examples: Sequence[Example], folds: int = 5, seed: int = 0
) -> list[float]:
    """Out-of-fold crisis probabilities (stratified ``folds``-fold), for choosing the threshold."""
    from sklearn.model_selection import StratifiedKFold

    labels = [e.intent for e in examples]
    out = [0.0] * len(examples)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(np.zeros(len(examples)), labels):
        model = fit([examples[i] for i in train], 0.5)
        for i in test:
            out[i] = model.probability(examples[i].text)
    return out


# --- the packaged model -------------------------------------------------------------------


def _data_file(name: str) -> Any:
    return resources.files("prospecting.qualify").joinpath("data", name)


def packaged_artifact() -> tuple[dict[str, Any], bytes]:
    manifest = json.loads(_data_file(MODEL_FILE).read_text(encoding="utf-8"))
    return manifest, bytes(_data_file(ARRAYS_FILE).read_bytes())


@functools.lru_cache(maxsize=1)
def crisis_model() -> CrisisModel:
    """The packaged model, loaded once per process: no training, no scikit-learn."""
    return CrisisModel.from_artifact(*packaged_artifact())


__all__ = [
    "CRISIS",
    "NOT_CRISIS",
    "REASON",
    "CrisisModel",
    "crisis_model",
    "cross_validated_probabilities",
    "examples_from",
    "fit",
    "sha256",
]
