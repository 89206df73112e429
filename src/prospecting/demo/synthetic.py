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


def build_cold_start(seed: int = COLD_START_SEED, *, per_provider: int = 150) -> dict[str, Any]:
    """Fit the global cold-start model on a synthetic history (scored by a base-rate prior)."""
    from prospecting.qualify.scoring import fit
    from prospecting.qualify.training import prior_scorer

    examples = synthetic_examples(seed, per_provider=per_provider, scorer=prior_scorer())
    result = fit(
        [e.features for e in examples],
        [e.booked for e in examples],
        version="cold-start",
        seed=seed,
    )
    return {"version": 1, "seed": seed, **result.scorer.params(), "metrics": result.metrics}
