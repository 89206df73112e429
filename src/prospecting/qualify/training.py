"""Which "will book" model scores a Person's inbound, and retraining from their own outcomes.

Cold start: a Person with no trained model is scored by the global model packaged in
`data/cold_start_model.json`. It is fitted (by `tools/build_cold_start.py`, see
`prospecting.demo.synthetic.build_cold_start`) on a synthetic history generated with a
different seed than the served demo network, through the same ingest → qualify pipeline.
Retraining (`prospecting qualify train`) fits on the Person's own qualified messages whose
prospect later got an outcome, and stores a new version in `qualify_models`.
"""

from __future__ import annotations

import functools
import json
import math
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from prospecting.db import core
from prospecting.errors import InvalidInput
from prospecting.identity.models import Person
from prospecting.prospects import service as prospects
from prospecting.prospects.schemas import POSITIVE_OUTCOMES
from prospecting.qualify.models import Qualification, ScoringModel
from prospecting.qualify.scoring import FEATURES, MIN_SAMPLES, LogisticScorer, fit

if TYPE_CHECKING:
    from prospecting.prospects.models import Touchpoint

COLD_START_FILE = "cold_start_model.json"
PRIOR_BOOK_RATE = 0.35


@dataclass(frozen=True)
class Example:
    person_id: str
    message_at: datetime
    features: dict[str, float]
    booked: int
    p_book: float


def prior_scorer() -> LogisticScorer:
    """A scorer that knows nothing but a base rate (used only to build the cold-start model)."""
    n = len(FEATURES)
    return LogisticScorer(
        version="prior",
        features=FEATURES,
        mean=(0.0,) * n,
        scale=(1.0,) * n,
        coef=(0.0,) * n,
        intercept=math.log(PRIOR_BOOK_RATE / (1 - PRIOR_BOOK_RATE)),
        calibration={"method": "sigmoid", "a": 1.0, "b": 0.0},
    )


@functools.cache
def cold_start_scorer() -> LogisticScorer:
    """The packaged global model, or the base-rate prior if the file is absent or stale."""
    try:
        text = (
            resources.files("prospecting.qualify")
            .joinpath("data", COLD_START_FILE)
            .read_text(encoding="utf-8")
        )
    except (FileNotFoundError, OSError):
        return prior_scorer()
    params = json.loads(text)
    if tuple(params.get("features", ())) != FEATURES:
        return prior_scorer()
    return LogisticScorer.from_params(f"cold-start-{params.get('version', 1)}", params)


_NEWEST = (
    select(ScoringModel.id, ScoringModel.version)
    .where(ScoringModel.person_id == bindparam("person_id"))
    .order_by(ScoringModel.version.desc())
    .limit(1)
)
_PARAMS = select(ScoringModel.params).where(ScoringModel.id == bindparam("id"))


def active_scorer(*, session: Session, actor: Person) -> LogisticScorer:
    """The Person's newest trained model, else the cold-start model. Every inbound asks: the
    newest row's id is one indexed read, and its parameters are read and decoded only the
    first time this process meets that row (a model row is never changed: retraining adds a
    new version)."""
    newest = core(session).execute(_NEWEST, {"person_id": actor.id}).first()
    if newest is None:
        return cold_start_scorer()
    row_id, version = newest
    scorer = _LOADED.get(row_id)
    if scorer is None:
        params = core(session).execute(_PARAMS, {"id": row_id}).scalar_one()
        if tuple(params.get("features", ())) != FEATURES:
            return cold_start_scorer()
        scorer = LogisticScorer.from_params(f"person-v{version}", params)
        with _LOADING:
            if len(_LOADED) >= _LOADED_MAX:
                del _LOADED[next(iter(_LOADED))]  # the oldest loaded goes first
            _LOADED[row_id] = scorer
    return scorer


_LOADED: dict[str, LogisticScorer] = {}
"""Scorers of stored model rows by row id, in the order loaded (at most `_LOADED_MAX`)."""
_LOADED_MAX = 256
_LOADING = threading.Lock()


def labelled_examples(
    *, session: Session, person_ids: Sequence[str] | None = None
) -> list[Example]:
    """Qualified messages with the outcome that followed them (before the prospect wrote again);
    among those the newest outcome version wins (a correction supersedes)."""
    query = select(Qualification)
    if person_ids is not None:
        query = query.where(Qualification.person_id.in_(list(person_ids)))
    qualifications = list(session.scalars(query.order_by(Qualification.message_at)))
    if not qualifications:
        return []
    outcomes: dict[str, list[Touchpoint]] = defaultdict(list)
    for row in prospects.recorded_outcomes(session=session, person_ids=person_ids):
        outcomes[row.prospect_id].append(row)
    next_message: dict[str, datetime] = {}
    horizon: dict[str, datetime | None] = {}
    for q in reversed(qualifications):
        horizon[q.id] = next_message.get(q.prospect_id)
        next_message[q.prospect_id] = q.message_at
    examples = []
    for q in qualifications:
        until = horizon[q.id]
        later = [
            o
            for o in outcomes.get(q.prospect_id, [])
            if o.occurred_at >= q.message_at and (until is None or o.occurred_at < until)
        ]
        if not later:
            continue
        latest = max(later, key=lambda o: o.outcome_version or 0)
        examples.append(
            Example(
                q.person_id,
                q.message_at,
                dict(q.features),
                int(latest.outcome in POSITIVE_OUTCOMES),
                q.p_book,
            )
        )
    return examples


def train_for_person(*, session: Session, actor: Person) -> ScoringModel:
    """Fit on the Person's own outcomes and store it as their next model version."""
    examples = labelled_examples(session=session, person_ids=[actor.id])
    latest = session.scalar(
        select(func.max(ScoringModel.version)).where(ScoringModel.person_id == actor.id)
    )
    version = (latest or 0) + 1
    try:
        result = fit(
            [e.features for e in examples],
            [e.booked for e in examples],
            version=f"person-v{version}",
        )
    except ValueError as exc:
        raise InvalidInput("outcomes", f"{exc}; the cold-start model stays in use") from None
    row = ScoringModel(
        person_id=actor.id,
        version=version,
        n_samples=len(examples),
        metrics=result.metrics,
        params=result.scorer.params(),
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class TrainingRun:
    person: Person
    outcomes: int
    model: ScoringModel | None  # None: too few outcomes, the current model stays in use


def train_each(*, session: Session, providers: Sequence[Person]) -> list[TrainingRun]:
    """Retrain every provider with at least MIN_SAMPLES outcomes; skip the others quietly."""
    runs = []
    for person in providers:
        outcomes = len(labelled_examples(session=session, person_ids=[person.id]))
        model = train_for_person(session=session, actor=person) if outcomes >= MIN_SAMPLES else None
        runs.append(TrainingRun(person, outcomes, model))
    return runs


def model_summary(*, session: Session, actor: Person) -> dict[str, Any]:
    scorer = active_scorer(session=session, actor=actor)
    return {"version": scorer.version, "features": len(scorer.features)}
