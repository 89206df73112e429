"""Fit triage's second crisis net and write it into the source tree as
`src/prospecting/qualify/data/crisis_model.json` (manifest: format, threshold and how it was
chosen, training data hashes, versions, and the scoring model) and `crisis_model.npz` (plain
arrays, loaded with allow_pickle=False).

Training data: `tools/triage_dev.jsonl` (crisis positive, every other message negative) plus
every message of `src/prospecting/qualify/data/intent_train.jsonl` (ordinary, negative). Never
the eval set (tests/qualify/data/triage_eval.jsonl) nor the blind set (tools/triage_blind.jsonl).

Threshold: out-of-fold crisis probabilities (stratified 5-fold, seed 0) over the training data;
the lowest threshold at which at most 3 % of the ordinary training messages of EACH source
would be flagged: the dev set's ordinary messages (idioms, emotional but ordinary wording: the
hard ones) and the intent messages (plain booking talk: easy ones, which would otherwise hide
the hard ones' false alarms in a pooled share), i.e. the highest crisis recall under that budget.

A development tool, never shipped or run by the service. Rebuild after changing the training
data or the model code; `tests/qualify/test_crisis_model.py` fails until the artifact matches.

    .venv/bin/python tools/build_crisis_model.py
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import artifact  # tools/artifact.py, beside this script

from prospecting.qualify.crisis import (
    ARRAYS_FILE,
    CRISIS,
    MODEL_FILE,
    cross_validated_probabilities,
    examples_from,
    fit,
    sha256,
)

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "src" / "prospecting" / "qualify" / "data"
DEV = ROOT / "tools" / "triage_dev.jsonl"
INTENT = TARGET / "intent_train.jsonl"
ORDINARY_BUDGET = 0.03
FOLDS = 5
SEED = 0
ORDINARY = ("ordinary_dev", "ordinary_intent")


def training_files() -> list[tuple[Path, bytes]]:
    return [(DEV, DEV.read_bytes()), (INTENT, INTENT.read_bytes())]


def training_provenance() -> list[dict[str, Any]]:
    """What the manifest records of the training data (and the tests compare)."""
    return [
        {"file": str(path.relative_to(ROOT)), "sha256": sha256(data)}
        for path, data in training_files()
    ]


def _groups(dev: bytes, intent: bytes) -> list[str]:
    """Per training example, in `examples_from` order: crisis, other (another sensitive kind),
    or ordinary from the dev set or from the intent set."""
    out = []
    for line in dev.decode("utf-8").splitlines():
        if line.strip():
            kinds = json.loads(line)["kinds"]
            out.append(CRISIS if CRISIS in kinds else ("other" if kinds else ORDINARY[0]))
    out += [ORDINARY[1] for line in intent.decode("utf-8").splitlines() if line.strip()]
    return out


def _lowest_within_budget(scores: list[float]) -> float:
    """The lowest threshold that at most ORDINARY_BUDGET of ``scores`` reach."""
    ordered = sorted(scores)
    allowed = math.floor(ORDINARY_BUDGET * len(ordered))
    # Between the (allowed+1)-th and the allowed-th highest: at most `allowed` reach it.
    below, above = ordered[-allowed - 1], ordered[-allowed] if allowed else 1.0
    return (below + above) / 2


def choose_threshold(probabilities: list[float], groups: list[str]) -> dict[str, Any]:
    """The lowest threshold holding at most ORDINARY_BUDGET of each source's ordinary messages."""
    threshold = round(
        max(
            _lowest_within_budget(
                [p for p, g in zip(probabilities, groups, strict=True) if g == source]
            )
            for source in ORDINARY
        ),
        6,
    )

    def share(group: str) -> float:
        scores = [p for p, g in zip(probabilities, groups, strict=True) if g == group]
        return round(sum(p >= threshold for p in scores) / len(scores), 4)

    return {
        "threshold": threshold,
        "threshold_selection": {
            "rule": f"lowest threshold flagging <= {ORDINARY_BUDGET:.0%} of the ordinary "
            "training messages of each source (dev set, intent set), on out-of-fold "
            "probabilities",
            "folds": FOLDS,
            "seed": SEED,
            "out_of_fold": {
                "crisis_recall": share(CRISIS),
                **{f"{source}_flagged": share(source) for source in ORDINARY},
                "other_sensitive_flagged": share("other"),
                "counts": {g: groups.count(g) for g in (CRISIS, *ORDINARY, "other")},
            },
        },
    }


def build() -> tuple[dict[str, Any], bytes]:
    (_, dev), (_, intent) = training_files()
    examples = examples_from(dev, intent)
    oof = cross_validated_probabilities(examples, folds=FOLDS, seed=SEED)
    chosen = choose_threshold(oof, _groups(dev, intent))
    model = fit(examples, chosen["threshold"])
    provenance = {
        "threshold_selection": chosen["threshold_selection"],
        "training_data": {"files": training_provenance(), "examples": len(examples)},
        "built_with": artifact.built_with(),
    }
    return model.to_artifact(provenance)


def main() -> None:
    started = time.perf_counter()
    manifest, blob = build()
    manifest_path = artifact.write(manifest, blob, model_file=MODEL_FILE, arrays_file=ARRAYS_FILE)
    arrays_path = manifest_path.with_name(ARRAYS_FILE)
    seconds = time.perf_counter() - started
    print(
        f"crisis model written to {manifest_path} and {arrays_path.name} "
        f"({len(blob) / 1e6:.2f} MB, threshold {manifest['threshold']}, {seconds:.1f} s)"
    )
    print(json.dumps(manifest["threshold_selection"], indent=1))


if __name__ == "__main__":
    main()
