"""A subject's outcome figures from its contributions grouped in SQL, not row by row.

The append-only contribution rows stay the truth: a query reads the live ones (not superseded,
not the asker's) grouped by (provider, withheld, reported class, noise parameters as stored
text) with a count, so the database does the per-row work and Python sees one line per
distinct group. Noise parameters are decoded once per distinct text (every contribution made
at the same epsilon shares one), and `estimate` computes exactly what
`dp.estimate_histogram` computes over the expanded reports: every per-report term is
computed once per group and summed `count` times by `math.fsum`, which is exact and so
independent of order or grouping (tests/graph/test_graph_summary.py checks equality).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from typing import Any

from sqlalchemy import Text, and_, bindparam, func, select
from sqlalchemy.orm import Session

from prospecting.db import core
from prospecting.errors import InvalidInput
from prospecting.graph import dp
from prospecting.graph.models import Contribution, Supersession

Group = tuple[str, dp.NoiseParams, int]


@dataclass(frozen=True)
class Line:
    """One group of a subject's live contributions by one provider."""

    provider_id: str
    withheld: bool
    noised_outcome: str | None
    noise: str | None  # the stored JSON text of the noise parameters
    count: int


_C = Contribution.__table__.c
_SUPERSEDED = Supersession.__table__.c
_NOISE = _C.outcome_noise.cast(Text)
LINES = (
    select(
        _C.provider_id,
        _C.withheld,
        _C.noised_outcome,
        _NOISE.label("noise"),
        func.count().label("n"),
    )
    .where(
        and_(
            _C.subject_key == bindparam("key"),
            _C.provider_id != bindparam("exclude"),
            _C.id.not_in(
                select(_SUPERSEDED.superseded_id).where(_SUPERSEDED.subject_key == bindparam("key"))
            ),
        )
    )
    .group_by(_C.provider_id, _C.withheld, _C.noised_outcome, _NOISE)
)


def lines(graph: Session, subject_key: str, *, exclude: str) -> list[Line]:
    """The subject's live contributions (not superseded, not `exclude`'s), grouped; one
    statement on the subject's index, only the columns needed."""
    rows = core(graph).execute(LINES, {"key": subject_key, "exclude": exclude})
    return [Line(p, bool(w), o, n, int(c)) for p, w, o, n, c in rows]


_PARAMS: dict[str, Any] = {}


def _params(text: str | None) -> dp.NoiseParams | None:
    """Decoded noise parameters, memoised by their stored text (a handful of distinct ones);
    None when absent or empty, as the row-by-row path treats them."""
    if text is None:
        return None
    if text in _PARAMS:
        cached: dp.NoiseParams | None = _PARAMS[text]
        return cached
    value = json.loads(text)
    params = dp.NoiseParams(**value) if value else None
    if len(_PARAMS) < 1024:
        _PARAMS[text] = params
    return params


def reports(selected: Iterable[Line]) -> tuple[list[Group], int]:
    """(reported class, params, count) groups of the usable reports, and the withheld count:
    exactly the reports and withheld rows the row-by-row computation would take."""
    groups: dict[tuple[str, dp.NoiseParams], int] = {}
    withheld = 0
    for line in selected:
        if line.withheld:
            withheld += line.count
            continue
        params = _params(line.noise) if line.noised_outcome else None
        if params is None or not line.noised_outcome:
            continue
        key = (line.noised_outcome, params)
        groups[key] = groups.get(key, 0) + line.count
    return [(reported, params, n) for (reported, params), n in groups.items()], withheld


def estimate(
    groups: Sequence[Group], *, withheld: int = 0, confidence: float = dp.DEFAULT_CONFIDENCE
) -> dp.HistogramEstimate:
    """`dp.estimate_histogram` over the reports the groups stand for, computed per group."""
    if withheld < 0:
        raise InvalidInput("withheld", "must not be negative")
    z = dp._z(confidence)
    parsed = []
    for reported, params, count in groups:
        domain = dp._domain(params)
        if reported not in domain:
            raise InvalidInput("outcome", f"unknown reported outcome {reported!r}")
        parsed.append((reported, params, domain, count))
    raw = {
        c: math.fsum(
            chain.from_iterable(
                repeat(dp._indicator(reported, params, dp._members(domain, c)), count)
                for reported, params, domain, count in parsed
            )
        )
        for c in dp.REPORT_CLASSES
    }
    n = sum(count for *_, count in parsed)
    n_total = n + withheld
    lower: dict[str, float] = {}
    upper: dict[str, float] = {}
    for c in dp.REPORT_CLASSES:
        share = dp.clip(raw[c] / n, 0.0, 1.0) if n else 0.0
        var = math.fsum(
            chain.from_iterable(
                repeat(dp._report_variance(params, len(dp._members(domain, c)), share), count)
                for _, params, domain, count in parsed
            )
        )
        half = z * math.sqrt(var)
        lower[c] = dp.clip(raw[c] - half, 0.0, float(n_total))
        upper[c] = dp.clip(raw[c] + half + withheld, 0.0, float(n_total))
    return dp.HistogramEstimate(raw, lower, upper, n, confidence, withheld)
