"""Local differential privacy for graph contributions, and estimators that undo it on average.

Every contributed value is randomized by an OpenDP measurement before it is stored, so the graph
store never holds a true value. The noise parameters stored beside each value are public, and
the estimators here use only them and the noised values: each estimate is unbiased, each band
comes from a normal approximation.

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
from statistics import NormalDist, fmean, variance
from types import SimpleNamespace
from typing import Any

from prospecting.errors import InvalidInput
from prospecting.prospects.schemas import Outcome

OUTCOMES: tuple[str, ...] = tuple(o.value for o in Outcome)

EPSILON_UNITS_PER_EPS = 1_000_000
DEFAULT_CONTRIBUTION_EPSILON_UNITS = 1 * EPSILON_UNITS_PER_EPS
MIN_CONTRIBUTION_EPSILON_UNITS = EPSILON_UNITS_PER_EPS // 2
DEFAULT_SUBJECT_BUDGET_UNITS = 10 * EPSILON_UNITS_PER_EPS
DEFAULT_DAYS_EPSILON_UNITS = 1 * EPSILON_UNITS_PER_EPS

DAYS_LOWER = 0.0
DAYS_UPPER = 90.0

RANDOMIZED_RESPONSE = "opendp.randomized_response"
LAPLACE = "opendp.laplace"
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
class LaplaceParams:
    """Public parameters of one Laplace-noised number, stored beside the noised value."""

    mechanism: str
    scale: float
    lower: float
    upper: float
    epsilon_units: int


@dataclass(frozen=True)
class BudgetSpend:
    """What one contribution may spend from a subject's budget; `exhausted` means store nothing."""

    epsilon_units: int
    exhausted: bool


@dataclass(frozen=True)
class HistogramEstimate:
    """Unbiased outcome counts over the randomized reports, with bands over every contribution.

    The point counts are not clipped (clipping would bias them; they may be negative or exceed
    `n_reports`); only the displayed bands are clipped to `[0, n_total]`.
    """

    counts: dict[str, float]
    lower: dict[str, float]
    upper: dict[str, float]
    n_reports: int
    confidence: float
    withheld: int = 0

    @property
    def n_total(self) -> int:
        return self.n_reports + self.withheld

    @property
    def widened(self) -> bool:
        """True when budget exhaustion withheld values and the band was widened to cover them."""
        return self.withheld > 0

    @property
    def shares(self) -> dict[str, float]:
        """Unbiased category shares among the randomized reports (0.0 when there are none)."""
        n = self.n_reports
        return {c: (v / n if n else 0.0) for c, v in self.counts.items()}

    @property
    def share_lower(self) -> dict[str, float]:
        n = self.n_total
        return {c: (v / n if n else 0.0) for c, v in self.lower.items()}

    @property
    def share_upper(self) -> dict[str, float]:
        n = self.n_total
        return {c: (v / n if n else 1.0) for c, v in self.upper.items()}


@dataclass(frozen=True)
class MeanEstimate:
    """Unbiased mean of Laplace-noised values, with a band clipped to the value range."""

    mean: float
    lower: float
    upper: float
    n_reports: int
    confidence: float


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
    """The OpenDP randomized response over OUTCOMES whose mapped epsilon is at most the target.

    Float rounding can push OpenDP's (conservative) map a hair past the target, so the truth
    probability is stepped down one float at a time until OpenDP itself certifies the bound.
    """
    if epsilon_units < 1:
        raise InvalidInput("epsilon_units", "must be at least 1")
    target = epsilon_of(epsilon_units)
    k = len(OUTCOMES)
    p = truth_probability(target, k)
    dp = _opendp()
    for _ in range(_MAX_NUDGES):
        meas: Any = dp.m.make_randomized_response(list(OUTCOMES), p, T=str)
        if float(meas.map(1)) <= target:
            return meas, NoiseParams(RANDOMIZED_RESPONSE, k, p, epsilon_units)
        p = math.nextafter(p, 0.0)
    raise RuntimeError(f"no randomized response within epsilon {target}")


def randomize_outcome(outcome: str, *, epsilon_units: int) -> tuple[str, NoiseParams]:
    """Run the OpenDP randomized response once; the true outcome is not returned or kept."""
    if outcome not in OUTCOMES:
        raise InvalidInput("outcome", f"must be one of {', '.join(OUTCOMES)}")
    meas, params = outcome_measurement(epsilon_units)
    return str(meas(outcome)), params


@lru_cache(maxsize=128)
def days_measurement(epsilon_units: int) -> tuple[Any, LaplaceParams]:
    """OpenDP Laplace on a value clamped to the days range, certified within the target epsilon."""
    if epsilon_units < 1:
        raise InvalidInput("epsilon_units", "must be at least 1")
    target = epsilon_of(epsilon_units)
    sensitivity = DAYS_UPPER - DAYS_LOWER
    dp = _opendp()
    space = dp.atom_domain(T=float, nan=False), dp.absolute_distance(T=float)
    scale = sensitivity / target
    for _ in range(_MAX_NUDGES):
        meas: Any = dp.m.make_laplace(*space, scale=scale)
        if float(meas.map(sensitivity)) <= target:
            return meas, LaplaceParams(LAPLACE, scale, DAYS_LOWER, DAYS_UPPER, epsilon_units)
        scale = math.nextafter(scale, math.inf)
    raise RuntimeError(f"no Laplace scale within epsilon {target}")


def randomize_days(days: float, *, epsilon_units: int) -> tuple[float, LaplaceParams]:
    """Clamp to [DAYS_LOWER, DAYS_UPPER] (the sensitivity relies on it) and add Laplace noise once.

    The noised value is not clipped back into range, which keeps means of it unbiased.
    """
    if not math.isfinite(days):
        raise InvalidInput("days", "must be a finite number")
    meas, params = days_measurement(epsilon_units)
    return float(meas(min(max(days, DAYS_LOWER), DAYS_UPPER))), params


def _z(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise InvalidInput("confidence", "must be strictly between 0 and 1")
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def _check_params(params: NoiseParams) -> None:
    if params.k != len(OUTCOMES) or not params.p_truth > 1.0 / params.k:
        raise InvalidInput("noise_params", "report parameters carry no information on OUTCOMES")


def estimate_histogram(
    reports: Sequence[tuple[str, NoiseParams]],
    *,
    withheld: int = 0,
    confidence: float = DEFAULT_CONFIDENCE,
) -> HistogramEstimate:
    """Unbiased outcome counts from randomized reports whose parameters may differ per report.

    Each report adds (1[report == c] - q) / (p - q) to category c. The variance adds, per report,
    lam(1 - lam) / (p - q)^2 with lam = q + (p - q) * share, the share plugged in from the
    estimate and clipped to [0, 1].
    """
    if withheld < 0:
        raise InvalidInput("withheld", "must not be negative")
    z = _z(confidence)
    for reported, params in reports:
        _check_params(params)
        if reported not in OUTCOMES:
            raise InvalidInput("outcome", f"unknown reported outcome {reported!r}")
    counts = {
        c: math.fsum(
            ((reported == c) - params.q_other) / (params.p_truth - params.q_other)
            for reported, params in reports
        )
        for c in OUTCOMES
    }
    n = len(reports)
    n_total = n + withheld
    lower: dict[str, float] = {}
    upper: dict[str, float] = {}
    for c in OUTCOMES:
        share = min(max(counts[c] / n, 0.0), 1.0) if n else 0.0
        var = math.fsum(_report_variance(params, share) for _, params in reports)
        half = z * math.sqrt(var)
        lower[c] = min(max(counts[c] - half, 0.0), float(n_total))
        upper[c] = min(max(counts[c] + half + withheld, 0.0), float(n_total))
    return HistogramEstimate(counts, lower, upper, n, confidence, withheld)


def _report_variance(params: NoiseParams, share: float) -> float:
    gap = params.p_truth - params.q_other
    lam = params.q_other + gap * share
    return lam * (1.0 - lam) / (gap * gap)


def estimate_mean_days(
    reports: Sequence[tuple[float, LaplaceParams]], *, confidence: float = DEFAULT_CONFIDENCE
) -> MeanEstimate | None:
    """Unbiased mean of the clamped true days from Laplace-noised reports; None without reports.

    The variance of the mean is the noised values' sample variance over n (it already holds the
    Laplace part), never less than the known noise part sum(2 b^2) / n^2; with one report, the
    worst-case spread of the range, (upper - lower)^2 / 4, stands in for the unknown data part.
    """
    z = _z(confidence)
    if not reports:
        return None
    n = len(reports)
    values = [v for v, _ in reports]
    lo = min(p.lower for _, p in reports)
    hi = max(p.upper for _, p in reports)
    mean = fmean(values)
    noise_var = math.fsum(2.0 * p.scale * p.scale for _, p in reports) / (n * n)
    data_var = variance(values) / n if n >= 2 else noise_var + (hi - lo) ** 2 / 4.0
    var = max(data_var, noise_var)
    half = z * math.sqrt(var)
    return MeanEstimate(
        mean=mean,
        lower=min(max(mean - half, lo), hi),
        upper=min(max(mean + half, lo), hi),
        n_reports=n,
        confidence=confidence,
    )
