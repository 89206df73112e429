"""Shared data and helpers for the auto-qualify tests."""

from __future__ import annotations

import functools
import math
import random
from typing import Any

from sqlalchemy import func, select

from prospecting.qualify import training
from prospecting.qualify.intent import Entities, Intent
from prospecting.qualify.scoring import History, LogisticScorer, all_features, fit
from prospecting.qualify.signals import GraphFeatures

PROFILE: dict[str, Any] = {
    "services": [
        {
            "name": "Initial consultation",
            "duration_minutes": 50,
            "price_min": 60,
            "price_max": 80,
            "currency": "GBP",
        },
        {"name": "Couples therapy", "duration_minutes": 80},
    ],
    "hours_text": "Mon-Thu 9:00-19:00",
    "booking_link": "https://book.example.com/test-provider",
    "tone": "warm",
    "sign_off": "Dr Test",
    "languages": ["en", "es"],
}
BOOKING = {
    "channel": "sms",
    "sender_phone": "07911 123456",
    "sender_name": "Jamie Clarke",
    "body": "Hi, could I book an initial consultation for Thursday evening?",
}


def count_rows(runtime, *models: Any) -> dict[str, int]:
    with runtime.stores.tenant() as session:
        return {
            m.__tablename__: session.scalar(select(func.count()).select_from(m)) or 0
            for m in models
        }


def all_tables() -> tuple[Any, ...]:
    from prospecting.prospects.models import Prospect, Touchpoint
    from prospecting.qualify.models import (
        Draft,
        DraftingProfile,
        OutboxItem,
        Qualification,
        ScoringModel,
    )

    return (Prospect, Touchpoint, Qualification, Draft, OutboxItem, DraftingProfile, ScoringModel)


def ingest_and_qualify(
    *,
    session: Any,
    actor: Any,
    resolver: Any,
    message: Any,
    graph: Any = None,
    refiner: Any = None,
) -> Any:
    """Ingest and qualify in one test transaction with a given graph signal (the inbound
    workflow does the same across its own transactions, reading the graph in between)."""
    from prospecting.prospects import service as prospects
    from prospecting.qualify import reads
    from prospecting.qualify.schemas import QualifiedInbound
    from prospecting.qualify.service import qualify_inbound

    ingested = prospects.ingest(session=session, actor=actor, resolver=resolver, message=message)
    qualification, draft = qualify_inbound(
        session=session,
        actor=actor,
        touchpoint_id=ingested.touchpoint.id,
        graph=graph,
        refiner=refiner,
    )
    return QualifiedInbound(
        ingest=ingested.as_result(),
        qualification=reads.qualification_out(qualification),
        draft=reads.draft_out(draft),
    )


GRAPH_LABELS = (
    "booking_request",
    "availability_question",
    "pricing_question",
    "service_question",
    "reschedule_cancel",
    "not_a_prospect",
    "other",
)


def synthetic_graph(rng: random.Random) -> tuple[GraphFeatures | None, float]:
    """A random network answer, and how much it moves the true log-odds of booking."""
    if rng.random() < 0.35:
        return None, 0.0
    few = rng.random() < 0.5
    contacts: dict[str, int | None] = {
        "1d": None,
        "7d": None if few else rng.randint(2, 4),
        "30d": None if few else rng.randint(2, 8),
    }
    flags = {"harassment": rng.randint(2, 3)} if rng.random() < 0.08 else {}
    shift = -0.3 * math.log1p(contacts["30d"] or 0) - 1.5 * bool(flags)
    if rng.random() < 0.4:  # linked, too few outcome contributors to show any
        return GraphFeatures(linked=True, contacts=contacts, safety_flags=flags), shift
    n = rng.randint(2, 12)
    booked = rng.random()
    positive = booked * n + rng.gauss(0.0, 0.8)
    no_show = (1 - booked) * n * rng.random()
    counts = {
        "positive": positive,
        "no_show": no_show,
        "not_booked": n - positive - no_show,
        "blocked": 0.0,
    }
    graph = GraphFeatures(
        network_state=rng.choice(["sparse", "growing", "dense"]),
        linked=True,
        contributors=n,
        n_reports=n,
        outcome_counts=counts,
        outcome_shares={c: min(max(v / n, 0.0), 1.0) for c, v in counts.items()},
        contacts=contacts,
        safety_flags=flags,
        reachability=max(round(positive), 0),
    )
    return graph, shift + 3.0 * (booked - 0.5) - 1.2 * no_show / n


def synthetic_rows(n: int, *, seed: int) -> tuple[list[dict[str, float]], list[int]]:
    """Scoring rows built with the real feature functions, labelled from known effects: a
    booking request, a time, a named service and a good network record raise P(book); spam,
    a past no-show, unanswered follow-ups, many recent contacts elsewhere and flags lower it."""
    rng = random.Random(seed)
    rows, labels = [], []
    for _ in range(n):
        label = rng.choice(GRAPH_LABELS)
        wishes = ["thursday"] if rng.random() < 0.5 else []
        service = "Massage" if rng.random() < 0.4 else None
        read = Intent(label, rng.uniform(0.5, 0.99), "en", Entities(service, wishes, "normal"))
        prior = rng.choice([0, 0, 0, 1, 2, 3])
        last = rng.choice([None, "booked", "no_show", "ghosted", "declined"]) if prior else None
        unanswered = rng.randint(0, 3) if prior else 0
        history = History(prior, last, rng.uniform(1, 90) if prior else 0.0, unanswered)
        graph, shift = synthetic_graph(rng)
        text = "Hi, " + "could I come in " * rng.randint(0, 8) + "?"
        rows.append(all_features(text, read, history, graph))
        logit = -0.5 + shift
        logit += {
            "booking_request": 1.4,
            "availability_question": 0.6,
            "pricing_question": -0.8,
        }.get(label, 0.0)
        logit += -3.0 * (label == "not_a_prospect") + 1.2 * bool(wishes) + 0.6 * bool(service)
        logit += 1.2 * (last == "booked") - 1.4 * (last == "no_show") - 0.5 * unanswered
        labels.append(int(rng.random() < 1.0 / (1.0 + math.exp(-logit))))
    return rows, labels


@functools.cache
def fitted_scorer() -> LogisticScorer:
    """A scorer over today's FEATURES fitted on `synthetic_rows` (deterministic)."""
    rows, labels = synthetic_rows(1500, seed=5)
    return fit(rows, labels, version="cold-start-fitted", seed=5).scorer


def scorer_under_test() -> LogisticScorer:
    """The packaged cold-start model when it matches FEATURES, else `fitted_scorer` (the
    packaged model is stale, and the cold start falls back to the base-rate prior, until it is
    rebuilt for the new graph features)."""
    packaged = training.cold_start_scorer()
    return packaged if packaged.version.startswith("cold-start") else fitted_scorer()
