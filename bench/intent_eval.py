"""Per-intent precision/recall/F1, confusion, per-language accuracy and speed of the Read step
on the held-out eval set (never trained on): loading the packaged model at first use, refitting
it from scratch (what tools/build_intent_model.py does) and classify latency.

Run: PYTHONPATH=src .venv/bin/python bench/intent_eval.py [eval.jsonl]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict
from pathlib import Path

from sklearn.metrics import classification_report, confusion_matrix

from prospecting.qualify.intent import (
    INTENTS,
    classify,
    fit_pipeline,
    intent_model,
    training_examples,
)
from prospecting.qualify.language import detect_language

DEFAULT_EVAL = Path(__file__).parents[1] / "tests" / "qualify" / "data" / "intent_eval.jsonl"
SHORT = {
    "booking_request": "book",
    "availability_question": "avail",
    "pricing_question": "price",
    "service_question": "service",
    "reschedule_cancel": "resched",
    "not_a_prospect": "notpro",
    "other": "other",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("eval_path", nargs="?", type=Path, default=DEFAULT_EVAL)
    args = parser.parse_args()
    with args.eval_path.open(encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines if line.strip()]

    started = time.perf_counter()
    intent_model()
    load_seconds = time.perf_counter() - started
    started = time.process_time()
    fit_pipeline(training_examples())
    fit_seconds = time.process_time() - started

    truth, predicted, timings = [], [], []
    by_language: dict[str, list[bool]] = defaultdict(list)
    for row in rows:
        started = time.perf_counter()
        read = classify(row["text"])
        timings.append(time.perf_counter() - started)
        truth.append(row["intent"])
        predicted.append(read.label)
        by_language[row["lang"]].append(read.label == row["intent"])

    labels = list(INTENTS)
    print(f"{len(rows)} held-out messages from {args.eval_path}\n")
    print(classification_report(truth, predicted, labels=labels, digits=3, zero_division=0))
    print("confusion (rows = truth, columns = predicted)")
    print(" " * 9 + "".join(f"{SHORT[label]:>9}" for label in labels))
    for label, counts in zip(
        labels, confusion_matrix(truth, predicted, labels=labels), strict=True
    ):
        print(f"{SHORT[label]:>9}" + "".join(f"{n:>9}" for n in counts))

    print("\nintent accuracy per language")
    for lang, hits in sorted(by_language.items(), key=lambda item: -len(item[1])):
        print(f"  {lang}  {sum(hits) / len(hits):.3f}  (n={len(hits)})")
    longer = [row for row in rows if len(row["text"]) >= 20]
    detected = sum(detect_language(row["text"]) == row["lang"] for row in longer)
    print(
        f"\nlanguage detection (texts >= 20 chars): {detected / len(longer):.3f} (n={len(longer)})"
    )

    timings.sort()
    p95 = timings[int(0.95 * (len(timings) - 1))]
    print(f"packaged model load at first use: {load_seconds * 1e3:.1f} ms (no training)")
    print(f"refit from scratch (build tool): {fit_seconds:.2f} s CPU (target < 3 s)")
    print(
        f"classify latency: p50 {statistics.median(timings) * 1e3:.2f} ms "
        f"(target < 5 ms), p95 {p95 * 1e3:.2f} ms"
    )


if __name__ == "__main__":
    main()
