"""Synthetic histories beyond the demo: the packaged cold-start model and a larger eval set.

Both run `demo_data`'s generator through the real ingest → qualify → approve → outcome pipeline
in a throwaway SQLite store, with seeds that differ from the served demo network (seed 1):
7 builds `data/cold_start_model.json`, 21 is `prospecting qualify eval --synthetic N`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from prospecting.demo.qualify import PHONE_REGION, seed_history, seed_profiles
from prospecting.qualify.scoring import LogisticScorer
from prospecting.qualify.training import Example
from prospecting.resolver.service import Resolver

COLD_START_SEED = 7
EVAL_SEED = 21


def synthetic_examples(
    seed: int, *, per_provider: int, scorer: LogisticScorer | None = None
) -> list[Example]:
    """Labelled examples from a synthetic history run through the pipeline in a throwaway store."""
    from prospecting.db import TenantBase, make_engine
    from prospecting.identity import service as identity
    from prospecting.identity.schemas import PersonCreate
    from prospecting.migrations.models import load_all
    from prospecting.qualify.training import labelled_examples
    from prospecting.resolver.keyring import KeyRing

    load_all()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'synthetic.sqlite3'}")
        TenantBase.metadata.create_all(engine)
        resolver = Resolver(KeyRing.parse("cs=" + "synthetic-throwaway-key-" + "x" * 16))
        with Session(engine) as session:
            people = [
                identity.create_person(
                    session=session,
                    data=PersonCreate(
                        display_name=f"Synthetic provider {i}", default_phone_region=region
                    ),
                )
                for i, region in enumerate(PHONE_REGION)
            ]
            seed_profiles(session=session, providers=people)
            seed_history(
                session=session,
                resolver=resolver,
                providers=people,
                seed=seed,
                per_provider=per_provider,
                scorer=scorer,
            )
            examples = labelled_examples(session=session)
        engine.dispose()
    return examples


def build_cold_start(
    seed: int = COLD_START_SEED, *, per_provider: int = 150, sim_people: int = 1000
) -> dict[str, Any]:
    """Fit the global cold-start model in two parts.

    1. Message and history features on a synthetic history (scored by a base-rate prior).
    2. The graph features on a simulated network replayed through the real workflows and the
       real graph (`demo.simulation`, once with revealing and once with neutral wording), with
       the part-1 log-odds as a fixed offset (`scoring.extend`): the graph learns only what it
       adds to the message, from noised reports, contact counts and flags as they really are.
    """
    from prospecting.demo.simulation import ReplayConfig, generate, replay
    from prospecting.prospects.schemas import POSITIVE_OUTCOMES
    from prospecting.qualify.scoring import GRAPH_FEATURES, LOCAL_FEATURES, extend, fit
    from prospecting.qualify.training import prior_scorer

    examples = synthetic_examples(seed, per_provider=per_provider, scorer=prior_scorer())
    base = fit(
        [e.features for e in examples],
        [e.booked for e in examples],
        version="cold-start",
        features=LOCAL_FEATURES,
        seed=seed,
    )
    rows: list[dict[str, float]] = []
    labels: list[int] = []
    for signal in ("high", "low"):
        network = generate(
            providers=60, people=sim_people, seed=seed, days=120, message_signal=signal
        )
        replayed = replay(network, ReplayConfig(graph=True))
        rows += [served.features for served in replayed.served]
        labels += [int(c.outcome in POSITIVE_OUTCOMES) for c in network.contacts]
    result = extend(base.scorer, rows, labels, extra=GRAPH_FEATURES, version="cold-start")
    metrics = {"message_history": base.metrics, "graph": result.metrics}
    return {"version": 2, "seed": seed, **result.scorer.params(), "metrics": metrics}
