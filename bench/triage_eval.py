"""Triage end to end: how many sensitive messages are held back from one tap, and how many
ordinary ones still get it, on the labelled eval set (tests/qualify/data/triage_eval.jsonl),
the dev set the lexicon was tuned on and the crisis model trained on (tools/triage_dev.jsonl),
and the blind set written before the crisis model was trained and never trained or tuned on
(tools/triage_blind.jsonl: new crisis phrasings and idiom-laden ordinary messages).
`--lexicon-only` switches the learned crisis net (`qualify.crisis`) off, for comparison.

By default every message goes through the real pipeline: `workflows.inbound.receive` (ingest,
graph read, `qualify_inbound`: read, triage, score, draft), committed into a throwaway SQLite
store, for one provider whose profile drafts in all seven languages; the figures are read back
from the stored draft (`needs_review`, `suggested_action`) and qualification (`triage`).
`--decision` skips the store and calls the same decision the service makes
(`qualify.service.review_decision` over `intent.classify` and `triage.triage`).

Per sensitive kind: held = draft.needs_review (one tap refused), found = triage named this very
kind; for crisis also urgency "crisis" and a suggested action other than approve. Ordinary: the
share still offered for one tap (not held), and why the others were held.

    PYTHONPATH=src .venv/bin/python bench/triage_eval.py [--decision] [--lexicon-only] [-v]
        [files...]
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from prospecting.config import load_settings
from prospecting.identity import service as identity
from prospecting.identity.models import Role
from prospecting.identity.schemas import PersonCreate
from prospecting.migrations import upgrade_all
from prospecting.prospects.schemas import InboundMessage
from prospecting.qualify import crisis, intent
from prospecting.qualify import profile as profiles
from prospecting.qualify import triage as triage_module
from prospecting.qualify.crisis import CrisisModel
from prospecting.qualify.drafts import build_draft
from prospecting.qualify.lexicon import KINDS
from prospecting.qualify.schemas import ProfileIn, ServiceOffer
from prospecting.qualify.service import review_decision
from prospecting.qualify.triage import triage
from prospecting.runtime import Runtime
from prospecting.workflows import inbound

ROOT = Path(__file__).parents[1]
EVAL = ROOT / "tests" / "qualify" / "data" / "triage_eval.jsonl"
DEV = ROOT / "tools" / "triage_dev.jsonl"
BLIND = ROOT / "tools" / "triage_blind.jsonl"
KEY = "b1=" + "bench-network-secret-" + "t" * 40
TARGETS = {kind: 0.95 for kind in KINDS} | {"crisis": 1.0, "ordinary": 0.90}
PROFILE = ProfileIn(
    services=[
        ServiceOffer(
            name="Initial consultation", duration_minutes=50, price_min=60, currency="GBP"
        ),
        ServiceOffer(name="Massage", duration_minutes=60, price_min=50, currency="GBP"),
    ],
    hours_text="Mon-Fri 9:00-18:00",
    booking_link="https://book.example.com/bench",  # type: ignore[arg-type]
    languages=["en", "es", "fr", "de", "pt", "it", "nl"],
)


@dataclass(frozen=True)
class Outcome:
    held: bool
    kinds: tuple[str, ...]
    urgency: str
    suggested: str
    reasons: tuple[str, ...]


def load(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def through_pipeline(rows: Sequence[dict[str, object]]) -> list[Outcome]:
    out = []
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(mode="test", data_dir=Path(folder), network_key=KEY)
        upgrade_all(settings.resolved_tenant_url, settings.resolved_graph_url)
        runtime = Runtime.build(settings)
        with runtime.stores.tenant() as session:
            person = identity.create_person(
                session=session,
                data=PersonCreate(
                    display_name="Bench Provider",
                    service_categories=["therapy"],
                    region="GB-LND",
                    default_phone_region="GB",
                    time_zone="Europe/London",
                    roles=[Role.PROVIDER],
                ),
            )
            profiles.update_profile(session=session, actor=person, data=PROFILE)
        for i, row in enumerate(rows):
            message = InboundMessage(
                channel="sms",  # type: ignore[arg-type]
                sender_name=f"Sender {i}",
                sender_email=f"sender{i}@example.org",
                body=str(row["text"]),
            )
            done = inbound.receive(runtime, actor=person, message=message, channel="cli")
            draft, found = done.draft, done.qualification.triage
            out.append(
                Outcome(
                    draft.needs_review,
                    tuple(found.kinds),
                    found.urgency,
                    draft.suggested_action,
                    tuple(draft.review_reasons),
                )
            )
        runtime.stores.dispose()
    return out


def through_decision(rows: Sequence[dict[str, object]]) -> list[Outcome]:
    out = []
    for row in rows:
        text = str(row["text"])
        read = intent.classify(text)
        screened = triage(text, language=read.language)
        offline = build_draft(intent=read, profile=PROFILE, triage=screened, text=text)
        review = review_decision(read, screened, offline.suggested_action)
        out.append(
            Outcome(
                review.needs_review,
                screened.kinds,
                screened.urgency,
                review.suggested_action,
                review.reasons,
            )
        )
    return out


def report(
    name: str, rows: Sequence[dict[str, object]], outcomes: Sequence[Outcome], verbose: bool
) -> bool:
    """Print the figures for one set; True when every target is met."""
    n, held, found = Counter[str](), Counter[str](), Counter[str]()
    crisis_urgent = crisis_no_approve = 0
    misses: list[str] = []
    ordinary_held: Counter[str] = Counter()
    ordinary_notes: list[str] = []
    for row, got in zip(rows, outcomes, strict=True):
        kinds = [str(k) for k in row["kinds"]]  # type: ignore[attr-defined]
        if not kinds:
            n["ordinary"] += 1
            if got.held:
                why = (
                    "triage"
                    if got.kinds
                    else (
                        "not-a-prospect unsure"
                        if "prospect" in " ".join(got.reasons)
                        else "intent unclear"
                    )
                )
                ordinary_held[why] += 1
                ordinary_notes.append(f"    [{why}] {row['text']!r} -> {list(got.reasons)}")
            continue
        for kind in kinds:
            n[kind] += 1
            held[kind] += got.held
            found[kind] += kind in got.kinds
            if not got.held or kind not in got.kinds:
                misses.append(
                    f"    [{kind}] {row['text']!r} -> kinds {list(got.kinds)}, held {got.held}"
                )
        if "crisis" in kinds:
            crisis_urgent += got.urgency == "crisis"
            crisis_no_approve += got.suggested != "approve"
    ok = True
    print(f"\n{name}: {len(rows)} messages")
    print(f"  {'kind':<11}{'n':>4}  {'held back':>10}  {'target':>7}  {'triage named it':>16}")
    for kind in KINDS:
        if not n[kind]:
            continue
        share = held[kind] / n[kind]
        ok &= share >= TARGETS[kind]
        print(
            f"  {kind:<11}{n[kind]:>4}  {share:>10.1%}  {TARGETS[kind]:>7.0%}  "
            f"{found[kind] / n[kind]:>16.1%}"
        )
    if n["crisis"]:
        print(
            f"  crisis urgency 'crisis': {crisis_urgent}/{n['crisis']}; "
            f"suggested action never approve: {crisis_no_approve}/{n['crisis']}"
        )
        ok &= crisis_urgent == crisis_no_approve == n["crisis"]
    one_tap = 1 - sum(ordinary_held.values()) / n["ordinary"]
    ok &= one_tap >= TARGETS["ordinary"]
    held_txt = ", ".join(f"{why} {count}" for why, count in ordinary_held.most_common()) or "none"
    print(
        f"  ordinary   {n['ordinary']:>4}  one-tap {one_tap:.1%} (target "
        f"{TARGETS['ordinary']:.0%}); held: {held_txt}"
    )
    if verbose:
        if misses:
            print("  sensitive not held, or held without naming the kind:")
            print("\n".join(misses))
        if ordinary_notes:
            print("  ordinary held back:")
            print("\n".join(ordinary_notes))
    print(f"  targets {'met' if ok else 'NOT met'}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=[EVAL, DEV, BLIND])
    parser.add_argument(
        "--decision",
        action="store_true",
        help="call the service's decision function instead of the pipeline",
    )
    parser.add_argument(
        "--lexicon-only",
        action="store_true",
        help="switch the learned crisis net off: the lexicon alone",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    args = parser.parse_args()
    if args.lexicon_only:
        never = CrisisModel(crisis.crisis_model().model, threshold=math.inf)
        triage_module.crisis_model = lambda: never  # type: ignore[attr-defined]
    intent.classify("warm up")
    mode = "decision function" if args.decision else "pipeline (inbound.receive, SQLite)"
    mode += ", lexicon only" if args.lexicon_only else ", lexicon + crisis model"
    print(f"through: {mode}")
    for path in args.files:
        rows = load(path)
        started = time.perf_counter()
        outcomes = through_decision(rows) if args.decision else through_pipeline(rows)
        seconds = time.perf_counter() - started
        report(
            str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path),
            rows,
            outcomes,
            args.verbose,
        )
        print(f"  ({seconds:.1f} s)")


if __name__ == "__main__":
    main()
