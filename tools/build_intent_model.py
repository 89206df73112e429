"""Fit the intent model on the packaged examples and write it into the source tree as
`src/prospecting/qualify/data/intent_model.json` (manifest: format, classes, features, training
data hash, versions) and `intent_model.npz` (plain arrays, loaded with allow_pickle=False).

A development tool, never shipped or run by the service. Rebuild after changing the training
data (`tools/make_intent_data.py`) or the model code; `tests/qualify/test_intent.py` fails
until the artifact matches both.

    .venv/bin/python tools/build_intent_model.py
"""

from __future__ import annotations

import json
import platform
import time
from importlib import metadata
from pathlib import Path

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

TARGET = Path(__file__).resolve().parents[1] / "src" / "prospecting" / "qualify" / "data"


def build() -> tuple[dict[str, object], bytes]:
    examples = training_examples()
    model = IntentModel.from_pipeline(fit_pipeline(examples))
    provenance = {
        "training_data": {
            "file": TRAINING_FILE,
            "sha256": sha256(training_data()),
            "examples": len(examples),
        },
        "built_with": {
            "python": platform.python_version(),
            "scikit-learn": metadata.version("scikit-learn"),
            "numpy": metadata.version("numpy"),
        },
    }
    return model.to_artifact(provenance)


def main() -> None:
    started = time.perf_counter()
    manifest, blob = build()
    text = json.dumps(manifest, indent=1, ensure_ascii=False) + "\n"
    manifest_path, arrays_path = TARGET / MODEL_FILE, TARGET / ARRAYS_FILE
    arrays_path.write_bytes(blob)
    manifest_path.write_text(text, encoding="utf-8")
    seconds = time.perf_counter() - started
    print(
        f"intent model written to {manifest_path} and {arrays_path.name} "
        f"({len(blob) / 1e6:.2f} MB, {manifest['vocabulary_sizes']} terms, {seconds:.1f} s)"
    )


if __name__ == "__main__":
    main()
