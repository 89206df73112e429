"""Fit the intent model on the packaged examples and write it into the source tree as
`src/prospecting/qualify/data/intent_model.json` (manifest: format, classes, features, training
data hash, versions) and `intent_model.npz` (plain arrays, loaded with allow_pickle=False).

A development tool, never shipped or run by the service. Rebuild after changing the training
data (`tools/make_intent_data.py`) or the model code; `tests/qualify/test_intent.py` fails
until the artifact matches both.

    .venv/bin/python tools/build_intent_model.py
"""

from __future__ import annotations

import time

import artifact  # tools/artifact.py, beside this script

from prospecting.qualify.intent import (
    ARRAYS_FILE,
    MODEL_FILE,
    TRAINING_FILE,
    IntentModel,
    fit_pipeline,
    sha256,
    training_data,
    training_examples,
)


def build() -> tuple[dict[str, object], bytes]:
    examples = training_examples()
    model = IntentModel.from_pipeline(fit_pipeline(examples))
    provenance = {
        "training_data": {
            "file": TRAINING_FILE,
            "sha256": sha256(training_data()),
            "examples": len(examples),
        },
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
        f"intent model written to {manifest_path} and {arrays_path.name} "
        f"({len(blob) / 1e6:.2f} MB, {manifest['vocabulary_sizes']} terms, {seconds:.1f} s)"
    )


if __name__ == "__main__":
    main()
