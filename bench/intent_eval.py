"""Per-intent precision/recall/F1, confusion, per-language accuracy and speed of the Read step
on the held-out eval set (never trained on): loading the packaged model at first use, refitting
it from scratch (what tools/build_intent_model.py does) and classify latency; language detection
accuracy (lingua) next to the hand-written trigram detector it replaced, with lingua's and
dateparser's first-use cost.

Run: PYTHONPATH=src .venv/bin/python bench/intent_eval.py [eval.jsonl]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from collections import defaultdict
from pathlib import Path

from sklearn.metrics import classification_report, confusion_matrix

from prospecting.qualify.entities import extract_entities
from prospecting.qualify.intent import (
    INTENTS,
    classify,
    fit_pipeline,
    intent_model,
    training_examples,
)
from prospecting.qualify.language import UNDETERMINED, detect_language, warm_up

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
PREVIOUS_DETECTOR = {"all": 0.961, "20+ chars": 0.988, "wrong language": 7, "und": 4}
"""The hand-written trigram/stopword detector this replaced, measured on the same 280 messages."""


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("eval_path", nargs="?", type=Path, default=DEFAULT_EVAL)
    args = parser.parse_args()
    with args.eval_path.open(encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines if line.strip()]

    started = time.perf_counter()
    intent_model()
    load_seconds = time.perf_counter() - started
    rss = _rss_mb()
    started = time.perf_counter()
    warm_up(pause=0)  # every model a message can need, as the server's start-up does
    lingua_seconds, lingua_mb = time.perf_counter() - started, _rss_mb() - rss
    started = time.perf_counter()
    extract_entities("Thursday evening")
    dateparser_seconds = time.perf_counter() - started
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
    detected = [(detect_language(row["text"]), row["lang"], len(row["text"])) for row in rows]
    longer = [(got, lang) for got, lang, n in detected if n >= 20]
    figures = {
        "all": sum(got == lang for got, lang, _ in detected) / len(detected),
        "20+ chars": sum(got == lang for got, lang in longer) / len(longer),
        "wrong language": sum(got not in (lang, UNDETERMINED) for got, lang, _ in detected),
        "und": sum(got == UNDETERMINED for got, _, _ in detected),
    }
    print(f"\nlanguage detection (n={len(detected)}, {len(longer)} of 20+ chars)")
    print(f"  {'':<16}{'before':>8}{'lingua':>8}")
    for name, value in figures.items():
        before = PREVIOUS_DETECTOR[name]
        shown = (f"{before:>8.3f}{value:>8.3f}" if isinstance(value, float)
                 else f"{before:>8}{value:>8}")  # fmt: skip
        print(f"  {name:<16}{shown}")
    print(
        f"lingua model load (first detection, or warm_up): {lingua_seconds:.2f} s, "
        f"+{lingua_mb:.0f} MB max RSS"
    )
    print(f"dateparser first use (import + English data): {dateparser_seconds * 1e3:.0f} ms")

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
