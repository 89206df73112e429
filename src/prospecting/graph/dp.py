"""Local differential privacy for graph contributions, and estimators that undo it on average.

Every contributed value is randomized by an OpenDP measurement before it is stored, so the graph
store never holds a true value. The value is the outcome's *report class*: four classes that map
to what a provider decides (`positive`: booked or rescheduled; `no_show`; `not_booked`:
declined or went quiet; `blocked`), reported by k-ary randomized response at
`graph_contribution_epsilon_units` (default 1, chosen from the measured utility curve in
docs/privacy-model.md). Days-to-outcome are no longer shared: at any epsilon the budget allows,
Laplace noise over a range wide enough to hold real decisions swamps the 0-6 day signal (the
velocity hint is now contact counts, `graph.velocity`). Reports stored in the older six-outcome
domain (k = 6) are still read: each report's estimator uses its own domain's public parameters.

The noise parameters stored beside each value are public, and the estimators here use only them
and the noised values: each estimate is unbiased, each band comes from a normal approximation.

Budget exhaustion policy (see `widen_for_budget`): a contribution spends
`min(DEFAULT_CONTRIBUTION_EPSILON_UNITS, remaining)`; when that is below
`MIN_CONTRIBUTION_EPSILON_UNITS` nothing is spent and no value is randomized or stored. The service
records the contribution as withheld, and `estimate_histogram(..., withheld=n)` widens the band's
upper edge by `n`, since each withheld outcome may lie in any category. The subject's budget is
never overdrawn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist
from types import SimpleNamespace
from typing import Any

from prospecting.errors import InvalidInput
from prospecting.prospects.schemas import Outcome

OUTCOMES: tuple[str, ...] = tuple(o.value for o in Outcome)
REPORT_CLASSES: tuple[str, ...] = ("positive", "no_show", "not_booked", "blocked")
"""What a contribution reports: the outcome's class, in the terms a provider decides by."""
CLASS_OF: dict[str, str] = {
    Outcome.BOOKED: "positive",
    Outcome.RESCHEDULED: "positive",
    Outcome.NO_SHOW: "no_show",
    Outcome.DECLINED: "not_booked",
    Outcome.GHOSTED: "not_booked",
    Outcome.BLOCKED: "blocked",
}
DOMAINS: dict[int, tuple[str, ...]] = {len(REPORT_CLASSES): REPORT_CLASSES, len(OUTCOMES): OUTCOMES}
"""Report domains by their size k (stored with every report): the current four classes, and
the six outcomes reported before migration 0003."""

EPSILON_UNITS_PER_EPS = 1_000_000
DEFAULT_CONTRIBUTION_EPSILON_UNITS = 1 * EPSILON_UNITS_PER_EPS
MIN_CONTRIBUTION_EPSILON_UNITS = EPSILON_UNITS_PER_EPS // 2
DEFAULT_SUBJECT_BUDGET_UNITS = 10 * EPSILON_UNITS_PER_EPS

RANDOMIZED_RESPONSE = "opendp.randomized_response"
DEFAULT_CONFIDENCE = 0.95

_MAX_NUDGES = 10_000


@dataclass(frozen=True)
class NoiseParams:
    """Public parameters of one k-ary randomized response report, stored beside the noised value."""

    mechanism: str
    k: int
    p_truth: float
    epsilon_units: int

    @property
    def q_other(self) -> float:
        """Probability of reporting one given false category."""
        return (1.0 - self.p_truth) / (self.k - 1)


@dataclass(frozen=True)
class BudgetSpend:
    """What one contribution may spend from a subject's budget; `exhausted` means store nothing."""

    epsilon_units: int
    exhausted: bool


@dataclass(frozen=True)
class HistogramEstimate:
    """Report-class counts over the randomized reports, with bands over every contribution.

    `raw` holds the unbiased counts (they may be negative or exceed `n_reports`; code that
    aggregates uses them); `counts` are the same clipped to [0, n_reports] for people, and the
    bands are clipped to [0, n_total].
    """

    raw: dict[str, float]
    lower: dict[str, float]
    upper: dict[str, float]
    n_reports: int
    confidence: float
    withheld: int = 0

    @property
    def n_total(self) -> int:
        return self.n_reports + self.withheld

    @property
    def counts(self) -> dict[str, float]:
        return {c: clip(v, 0.0, float(self.n_reports)) for c, v in self.raw.items()}

    @property
    def widened(self) -> bool:
        """True when budget exhaustion withheld values and the band was widened to cover them."""
        return self.withheld > 0

    def share(self, classes: Sequence[str]) -> tuple[float, float, float, float]:
        """(shown, lower, upper, raw) share of the reports in `classes`, all but raw in [0, 1]."""
        n_rep, n_tot = self.n_reports, self.n_total
        raw = sum(self.raw[c] for c in classes) / n_rep if n_rep else 0.0
        lower = min(sum(self.lower[c] for c in classes) / n_tot, 1.0) if n_tot else 0.0
        upper = min(sum(self.upper[c] for c in classes) / n_tot, 1.0) if n_tot else 1.0
        shown = clip(raw, lower, upper) if n_rep else 0.0
        return shown, lower, upper, raw


def clip(value: float, lower: float, upper: float) -> float:
    return min(max(value, lower), upper)


def epsilon_of(units: int) -> float:
    """The epsilon a whole number of budget units stands for."""
    return units / EPSILON_UNITS_PER_EPS


def widen_for_budget(
    remaining_units: int, *, requested_units: int = DEFAULT_CONTRIBUTION_EPSILON_UNITS
) -> BudgetSpend:
    """Spend `min(requested, remaining)`, or nothing (exhausted) when that is below the minimum.

    A report cheaper than `MIN_CONTRIBUTION_EPSILON_UNITS` would add more variance to the
    aggregate than information, so it is withheld instead and the aggregate's band widens.
    """
    if remaining_units < 0:
        raise InvalidInput("remaining_units", "must not be negative")
    if requested_units < 1:
        raise InvalidInput("requested_units", "must be at least 1")
    spend = min(requested_units, remaining_units)
    if spend < min(MIN_CONTRIBUTION_EPSILON_UNITS, requested_units):
        return BudgetSpend(epsilon_units=0, exhausted=True)
    return BudgetSpend(epsilon_units=spend, exhausted=False)


def truth_probability(epsilon: float, k: int) -> float:
    """The k-ary randomized response truth probability whose privacy loss is exactly `epsilon`."""
    return 1.0 / (1.0 + (k - 1) * math.exp(-epsilon))


@lru_cache(maxsize=1)
def _opendp() -> Any:
    """OpenDP's measurements, domains and metrics, imported at the first measurement and not
    through `opendp.prelude` (which pulls in scikit-learn and costs seconds)."""
    import opendp.domains
    import opendp.measurements
    import opendp.metrics
    from opendp.mod import enable_features

    enable_features("contrib")
    return SimpleNamespace(
        m=opendp.measurements,
        atom_domain=opendp.domains.atom_domain,
        absolute_distance=opendp.metrics.absolute_distance,
    )


@lru_cache(maxsize=128)
def outcome_measurement(epsilon_units: int) -> tuple[Any, NoiseParams]:
    """The OpenDP randomized response over REPORT_CLASSES whose mapped epsilon is at most the
    target.

    Float rounding can push OpenDP's (conservative) map a hair past the target, so the truth
    probability is stepped down one float at a time until OpenDP itself certifies the bound.
    """
    if epsilon_units < 1:
        raise InvalidInput("epsilon_units", "must be at least 1")
    target = epsilon_of(epsilon_units)
    k = len(REPORT_CLASSES)
    p = truth_probability(target, k)
    dp = _opendp()
    for _ in range(_MAX_NUDGES):
        meas: Any = dp.m.make_randomized_response(list(REPORT_CLASSES), p, T=str)
        if float(meas.map(1)) <= target:
            return meas, NoiseParams(RANDOMIZED_RESPONSE, k, p, epsilon_units)
        p = math.nextafter(p, 0.0)
    raise RuntimeError(f"no randomized response within epsilon {target}")


def randomize_outcome(outcome: str, *, epsilon_units: int) -> tuple[str, NoiseParams]:
    """Report the outcome's class through the OpenDP randomized response, once; neither the
    true outcome nor its class is returned or kept."""
    if outcome not in CLASS_OF:
        raise InvalidInput("outcome", f"must be one of {', '.join(OUTCOMES)}")
    meas, params = outcome_measurement(epsilon_units)
    return str(meas(CLASS_OF[outcome])), params


def _z(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise InvalidInput("confidence", "must be strictly between 0 and 1")
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def _domain(params: NoiseParams) -> tuple[str, ...]:
    domain = DOMAINS.get(params.k)
    if domain is None or not params.p_truth > 1.0 / params.k:
        raise InvalidInput("noise_params", "report parameters carry no information")
    return domain


@lru_cache(maxsize=16)
def _members(domain: tuple[str, ...], cls: str) -> frozenset[str]:
    """The categories of a report's domain that belong to report class `cls`."""
    if domain == REPORT_CLASSES:
        return frozenset({cls})
    return frozenset(o for o in domain if CLASS_OF[o] == cls)


def _indicator(reported: str, params: NoiseParams, members: frozenset[str]) -> float:
    """Unbiased estimate, from one report, of 1[the true value is in `members`]."""
    hit = 1.0 if reported in members else 0.0
    return (hit - len(members) * params.q_other) / (params.p_truth - params.q_other)


def estimate_histogram(
    reports: Sequence[tuple[str, NoiseParams]],
    *,
    withheld: int = 0,
    confidence: float = DEFAULT_CONFIDENCE,
) -> HistogramEstimate:
    """Unbiased report-class counts from randomized reports whose parameters may differ.

    For a report with truth probability p and per-category false probability q, a class whose
    members are m categories of the report's domain gets (1[report in class] - m q) / (p - q),
    unbiased for 1[true outcome in class]. The variance adds, per report, lam (1 - lam) /
    (p - q)^2 with lam = m q + (p - q) * share, the share plugged in from the estimate and
    clipped to [0, 1].
    """
    if withheld < 0:
        raise InvalidInput("withheld", "must not be negative")
    z = _z(confidence)
    parsed = []
    for reported, params in reports:
        domain = _domain(params)
        if reported not in domain:
            raise InvalidInput("outcome", f"unknown reported outcome {reported!r}")
        parsed.append((reported, params, domain))
    raw = {
        c: math.fsum(
            _indicator(reported, params, _members(domain, c)) for reported, params, domain in parsed
        )
        for c in REPORT_CLASSES
    }
    n = len(parsed)
    n_total = n + withheld
    lower: dict[str, float] = {}
    upper: dict[str, float] = {}
    for c in REPORT_CLASSES:
        share = clip(raw[c] / n, 0.0, 1.0) if n else 0.0
        var = math.fsum(
            _report_variance(params, len(_members(domain, c)), share)
            for _, params, domain in parsed
        )
        half = z * math.sqrt(var)
        lower[c] = clip(raw[c] - half, 0.0, float(n_total))
        upper[c] = clip(raw[c] + half + withheld, 0.0, float(n_total))
    return HistogramEstimate(raw, lower, upper, n, confidence, withheld)


def _report_variance(params: NoiseParams, members: int, share: float) -> float:
    gap = params.p_truth - params.q_other
    lam = members * params.q_other + gap * share
    return lam * (1.0 - lam) / (gap * gap)
