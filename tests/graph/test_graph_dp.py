"""Contribution-time DP: the claim holds empirically, estimates are unbiased, bands cover."""

from __future__ import annotations

import ast
import importlib
import inspect
import math
import statistics
from collections import Counter
from collections.abc import Callable, Sequence

import opendp.prelude as dp_lib
import pytest
from scipy.stats import beta

from prospecting.errors import InvalidInput
from prospecting.graph import dp
from prospecting.graph.dp import EPSILON_UNITS_PER_EPS, OUTCOMES, NoiseParams

ALPHA = 1e-3
UNITS_1 = EPSILON_UNITS_PER_EPS


def _cp_lower(x: int, n: int, a: float) -> float:
    return 0.0 if x == 0 else float(beta.ppf(a, x, n - x + 1))


def _cp_upper(x: int, n: int, a: float) -> float:
    return 1.0 if x == n else float(beta.ppf(1 - a, x + 1, n - x))


def _sample(mechanism: Callable[[str], str], value: str, n: int) -> Counter[str]:
    return Counter(mechanism(value) for _ in range(n))


def _largest_certain_log_ratio(a: Counter[str], b: Counter[str], n: int) -> float:
    """The largest lower confidence bound, over outputs and both directions, of ln P(o|x)/P(o|y).

    Clopper-Pearson one-sided bounds, Bonferroni over all of them, so joint coverage is 1 - ALPHA.
    """
    per_bound = ALPHA / (2 * 2 * len(OUTCOMES))
    worst = -math.inf
    for o in OUTCOMES:
        for x, y in ((a, b), (b, a)):
            lo, hi = _cp_lower(x[o], n, per_bound), _cp_upper(y[o], n, per_bound)
            if lo > 0:
                worst = max(worst, math.log(lo / hi))
    return worst


def test_randomized_response_shows_no_privacy_loss_beyond_its_claim() -> None:
    n = 15_000
    claimed = dp.epsilon_of(UNITS_1)

    def mechanism(v: str) -> str:
        return dp.randomize_outcome(v, epsilon_units=UNITS_1)[0]

    found = _largest_certain_log_ratio(
        _sample(mechanism, "booked", n), _sample(mechanism, "ghosted", n), n
    )
    assert found <= claimed
    assert found > 0.5 * claimed, "the test must have the power to see most of the true loss"


def test_the_empirical_check_catches_a_mechanism_leaking_more_than_claimed() -> None:
    n = 8_000
    leaky = dp_lib.m.make_randomized_response(list(OUTCOMES), dp.truth_probability(1.5, 6))
    found = _largest_certain_log_ratio(_sample(leaky, "booked", n), _sample(leaky, "ghosted", n), n)
    assert found > dp.epsilon_of(UNITS_1)


@pytest.mark.parametrize("units", [1, 250_000, UNITS_1, 3 * UNITS_1, 20 * UNITS_1])
def test_opendp_certifies_each_epsilon_at_most_the_units_charged(units: int) -> None:
    meas, params = dp.outcome_measurement(units)
    assert meas.map(1) <= units / EPSILON_UNITS_PER_EPS
    assert params == NoiseParams(dp.RANDOMIZED_RESPONSE, 6, params.p_truth, units)
    assert params.p_truth == pytest.approx(dp.truth_probability(units / 1e6, 6), rel=1e-12)
    laplace, lp = dp.days_measurement(units)
    assert laplace.map(dp.DAYS_UPPER - dp.DAYS_LOWER) <= units / EPSILON_UNITS_PER_EPS
    assert lp.scale == pytest.approx(90.0 * EPSILON_UNITS_PER_EPS / units, rel=1e-12)


def test_randomize_outcome_reports_a_category_and_rejects_unknown_ones() -> None:
    reported, params = dp.randomize_outcome("no_show", epsilon_units=UNITS_1)
    assert reported in OUTCOMES
    assert params.epsilon_units == UNITS_1
    with pytest.raises(InvalidInput):
        dp.randomize_outcome("maybe", epsilon_units=UNITS_1)
    with pytest.raises(InvalidInput):
        dp.randomize_outcome("booked", epsilon_units=0)


@pytest.mark.parametrize("module", ["dp", "contribute", "corrections", "query", "outputs"])
def test_noise_comes_only_from_opendp(module: str) -> None:
    source = importlib.import_module(f"prospecting.graph.{module}")
    tree = ast.parse(inspect.getsource(source))
    modules = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    modules += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported = {m.split(".")[0] for m in modules}
    assert not imported & {"random", "numpy", "secrets"}
    if module == "dp":
        assert "opendp" in imported


@pytest.mark.parametrize("units", [UNITS_1 // 2, UNITS_1, 2 * UNITS_1])
def test_histogram_estimate_is_exactly_unbiased_for_every_true_outcome(units: int) -> None:
    """Sum over reports r of P(r | truth) * estimate(r) must equal 1[c == truth]."""
    _, params = dp.outcome_measurement(units)
    for truth in OUTCOMES:
        expected = dict.fromkeys(OUTCOMES, 0.0)
        for reported in OUTCOMES:
            prob = params.p_truth if reported == truth else params.q_other
            counts = dp.estimate_histogram([(reported, params)]).counts
            for c in OUTCOMES:
                expected[c] += prob * counts[c]
        assert expected == {c: pytest.approx(float(c == truth), abs=1e-9) for c in OUTCOMES}


def _simulate(truth: dict[str, int], units: Sequence[int]) -> list[tuple[str, NoiseParams]]:
    outcomes = [o for o, count in truth.items() for _ in range(count)]
    return [
        dp.randomize_outcome(o, epsilon_units=units[i % len(units)]) for i, o in enumerate(outcomes)
    ]


def test_histogram_bands_cover_the_truth_and_match_the_real_spread() -> None:
    truth = {
        "booked": 90,
        "rescheduled": 30,
        "no_show": 20,
        "ghosted": 50,
        "declined": 30,
        "blocked": 20,
    }
    n = sum(truth.values())
    units = [UNITS_1, UNITS_1 // 2, 2 * UNITS_1]
    trials = 40
    covered = 0
    estimates: dict[str, list[float]] = {c: [] for c in OUTCOMES}
    upper_halves: dict[str, list[float]] = {c: [] for c in OUTCOMES}
    for _ in range(trials):
        est = dp.estimate_histogram(_simulate(truth, units))
        assert est.n_reports == n and not est.widened
        assert math.fsum(est.counts.values()) == pytest.approx(n)
        for c in OUTCOMES:
            covered += est.lower[c] <= truth[c] <= est.upper[c]
            estimates[c].append(est.counts[c])
            upper_halves[c].append(est.upper[c] - est.counts[c])
    assert covered / (trials * len(OUTCOMES)) >= 0.9
    z = statistics.NormalDist().inv_cdf(0.975)
    width_ratio = statistics.fmean(
        statistics.fmean(upper_halves[c]) / (z * statistics.stdev(estimates[c])) for c in OUTCOMES
    )
    assert 0.7 <= width_ratio <= 1.4, "the band must track the estimate's real spread"
    for c in OUTCOMES:
        se = statistics.stdev(estimates[c]) / math.sqrt(trials)
        assert abs(statistics.fmean(estimates[c]) - truth[c]) <= 4 * se


def test_budget_spends_what_remains_and_then_nothing() -> None:
    assert dp.widen_for_budget(dp.DEFAULT_SUBJECT_BUDGET_UNITS) == dp.BudgetSpend(UNITS_1, False)
    assert dp.widen_for_budget(700_000) == dp.BudgetSpend(700_000, False)
    assert dp.widen_for_budget(dp.MIN_CONTRIBUTION_EPSILON_UNITS - 1) == dp.BudgetSpend(0, True)
    assert dp.widen_for_budget(0) == dp.BudgetSpend(0, True)
    assert dp.DEFAULT_SUBJECT_BUDGET_UNITS // UNITS_1 == 10
    with pytest.raises(InvalidInput):
        dp.widen_for_budget(-1)


def test_withheld_contributions_widen_the_band_without_moving_the_estimate() -> None:
    _, params = dp.outcome_measurement(UNITS_1)
    reports = [(o, params) for o in OUTCOMES for _ in range(20)]
    full = dp.estimate_histogram(reports)
    widened = dp.estimate_histogram(reports, withheld=15)
    assert widened.widened and widened.n_total == 135
    assert widened.counts == full.counts
    for c in OUTCOMES:
        assert widened.lower[c] == full.lower[c]
        assert widened.upper[c] == pytest.approx(full.upper[c] + 15)
        assert widened.share_upper[c] > full.share_upper[c]


def test_bands_are_clipped_for_display_but_estimates_are_not() -> None:
    _, params = dp.outcome_measurement(UNITS_1)
    est = dp.estimate_histogram([("booked", params)] * 3)
    assert est.counts["ghosted"] < 0 < est.upper["ghosted"]
    assert est.lower["ghosted"] == 0.0
    assert est.counts["booked"] > 3 == est.upper["booked"]
    empty = dp.estimate_histogram([])
    assert empty.counts == dict.fromkeys(OUTCOMES, 0.0) and empty.shares["booked"] == 0.0


def test_days_are_clamped_before_noise() -> None:
    units = 10 * UNITS_1
    values = [dp.randomize_days(400.0, epsilon_units=units)[0] for _ in range(500)]
    assert statistics.fmean(values) == pytest.approx(dp.DAYS_UPPER, abs=4.0)
    with pytest.raises(InvalidInput):
        dp.randomize_days(math.nan, epsilon_units=units)


def test_mean_days_estimate_is_unbiased_and_its_band_covers() -> None:
    true_days = [float(d) for d in range(0, 90, 3)] * 2
    truth = statistics.fmean(true_days)
    trials = 40
    means: list[float] = []
    covered = 0
    for _ in range(trials):
        reports = [dp.randomize_days(d, epsilon_units=UNITS_1) for d in true_days]
        est = dp.estimate_mean_days(reports)
        assert est is not None
        means.append(est.mean)
        covered += est.lower <= truth <= est.upper
    assert covered / trials >= 0.8
    se = statistics.stdev(means) / math.sqrt(trials)
    assert abs(statistics.fmean(means) - truth) <= 4 * se
    assert dp.estimate_mean_days([]) is None
    _, params = dp.days_measurement(10 * UNITS_1)
    single = dp.estimate_mean_days([(45.0, params)])
    assert single is not None and (single.lower, single.upper) == (0.0, 90.0)
