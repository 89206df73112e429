"""Contribution-time DP over report classes: the claim holds empirically, every estimate is
exactly unbiased (also over old six-outcome reports), bands cover, shown values stay in range."""

from __future__ import annotations

import ast
import importlib
import inspect
import itertools
import math
import random
import statistics
from collections import Counter
from collections.abc import Callable, Sequence

import opendp.prelude as dp_lib
import pytest
from scipy.stats import beta

from prospecting.config import Settings
from prospecting.errors import InvalidInput
from prospecting.graph import dp
from prospecting.graph.dp import (
    CLASS_OF,
    EPSILON_UNITS_PER_EPS,
    OUTCOMES,
    REPORT_CLASSES,
    NoiseParams,
)
from prospecting.graph.query import fingerprint_of
from prospecting.prospects.schemas import POSITIVE_OUTCOMES, Outcome

ALPHA = 1e-3
UNITS_1 = EPSILON_UNITS_PER_EPS
DEFAULT = dp.DEFAULT_CONTRIBUTION_EPSILON_UNITS


def _legacy(units: int) -> NoiseParams:
    """The parameters a six-outcome report (before migration 0003) was stored with."""
    return NoiseParams(
        dp.RANDOMIZED_RESPONSE, len(OUTCOMES), dp.truth_probability(units / 1e6, 6), units
    )


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
    per_bound = ALPHA / (2 * 2 * len(REPORT_CLASSES))
    worst = -math.inf
    for o in REPORT_CLASSES:
        for x, y in ((a, b), (b, a)):
            lo, hi = _cp_lower(x[o], n, per_bound), _cp_upper(y[o], n, per_bound)
            if lo > 0:
                worst = max(worst, math.log(lo / hi))
    return worst


def _mechanism(units: int) -> Callable[[str], str]:
    def run(outcome: str) -> str:
        return dp.randomize_outcome(outcome, epsilon_units=units)[0]

    return run


def test_every_outcome_has_one_report_class() -> None:
    assert REPORT_CLASSES == ("positive", "no_show", "not_booked", "blocked")
    assert set(CLASS_OF) == set(Outcome)
    assert {o for o, c in CLASS_OF.items() if c == "positive"} == set(POSITIVE_OUTCOMES)
    assert CLASS_OF[Outcome.NO_SHOW] == "no_show" and CLASS_OF[Outcome.BLOCKED] == "blocked"
    assert CLASS_OF[Outcome.DECLINED] == CLASS_OF[Outcome.GHOSTED] == "not_booked"


def test_randomized_response_shows_no_privacy_loss_beyond_its_claim() -> None:
    n = 15_000
    claimed = dp.epsilon_of(DEFAULT)
    run = _mechanism(DEFAULT)
    found = _largest_certain_log_ratio(_sample(run, "booked", n), _sample(run, "ghosted", n), n)
    assert found <= claimed
    assert found > 0.5 * claimed, "the test must have the power to see most of the true loss"


def test_outcomes_of_one_class_are_indistinguishable() -> None:
    """Booked and rescheduled report the same class: their outputs carry no loss at all."""
    n = 6_000
    run = _mechanism(DEFAULT)
    booked, rescheduled = _sample(run, "booked", n), _sample(run, "rescheduled", n)
    assert _largest_certain_log_ratio(booked, rescheduled, n) <= 0.0


def test_the_empirical_check_catches_a_mechanism_leaking_more_than_claimed() -> None:
    dp_lib.enable_features("contrib")  # as the service does at its first measurement
    n = 10_000
    leaky = dp_lib.m.make_randomized_response(
        list(REPORT_CLASSES), dp.truth_probability(3.5, len(REPORT_CLASSES))
    )
    found = _largest_certain_log_ratio(
        _sample(leaky, "positive", n), _sample(leaky, "not_booked", n), n
    )
    assert found > dp.epsilon_of(DEFAULT)


def test_opendp_reports_with_the_stored_truth_probability() -> None:
    """The simulations below draw reports from the stored parameters; this ties them to the
    real mechanism: its truthful rate lies within a 99.9% Clopper-Pearson band of p_truth."""
    n = 8_000
    _, params = dp.outcome_measurement(DEFAULT)
    counts = _sample(_mechanism(DEFAULT), "no_show", n)
    assert _cp_lower(counts["no_show"], n, ALPHA / 2) <= params.p_truth
    assert params.p_truth <= _cp_upper(counts["no_show"], n, ALPHA / 2)


@pytest.mark.parametrize("units", [1, 250_000, UNITS_1, 2 * UNITS_1, 20 * UNITS_1])
def test_opendp_certifies_each_epsilon_at_most_the_units_charged(units: int) -> None:
    meas, params = dp.outcome_measurement(units)
    assert meas.map(1) <= units / EPSILON_UNITS_PER_EPS
    assert params == NoiseParams(dp.RANDOMIZED_RESPONSE, 4, params.p_truth, units)
    assert params.p_truth == pytest.approx(dp.truth_probability(units / 1e6, 4), rel=1e-12)


def test_randomize_outcome_reports_a_class_and_rejects_unknown_ones() -> None:
    for outcome in OUTCOMES:
        reported, params = dp.randomize_outcome(outcome, epsilon_units=DEFAULT)
        assert reported in REPORT_CLASSES
        assert params.epsilon_units == DEFAULT and params.k == len(REPORT_CLASSES)
    for bad in ("maybe", "positive", "not_booked"):  # classes are reports, not outcomes
        with pytest.raises(InvalidInput):
            dp.randomize_outcome(bad, epsilon_units=DEFAULT)
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


def _probability(reported: str, truth: str, params: NoiseParams) -> float:
    """P(report | true outcome) for a report of either domain."""
    if params.k == len(OUTCOMES):
        return params.p_truth if reported == truth else params.q_other
    return params.p_truth if reported == CLASS_OF[truth] else params.q_other


def _domain(params: NoiseParams) -> tuple[str, ...]:
    return OUTCOMES if params.k == len(OUTCOMES) else REPORT_CLASSES


@pytest.mark.parametrize("units", [UNITS_1 // 2, UNITS_1, 2 * UNITS_1])
@pytest.mark.parametrize("legacy", [False, True], ids=["k4", "k6"])
def test_histogram_estimate_is_exactly_unbiased_for_every_true_outcome(
    units: int, legacy: bool
) -> None:
    """Sum over reports r of P(r | truth) * estimate(r) must equal 1[c == class of truth]."""
    params = _legacy(units) if legacy else dp.outcome_measurement(units)[1]
    for truth in OUTCOMES:
        expected = dict.fromkeys(REPORT_CLASSES, 0.0)
        for reported in _domain(params):
            raw = dp.estimate_histogram([(reported, params)]).raw
            for c in REPORT_CLASSES:
                expected[c] += _probability(reported, truth, params) * raw[c]
        want = {c: pytest.approx(float(c == CLASS_OF[truth]), abs=1e-9) for c in REPORT_CLASSES}
        assert expected == want, truth


def test_mixed_old_and_new_reports_are_exactly_unbiased() -> None:
    """One k=6 and one k=4 report together: the exact expectation over both reports' joint
    distribution is the true class count, for every pair of true outcomes."""
    old, new = _legacy(UNITS_1), dp.outcome_measurement(DEFAULT)[1]
    for first, second in itertools.product(OUTCOMES, repeat=2):
        expected = dict.fromkeys(REPORT_CLASSES, 0.0)
        for r_old, r_new in itertools.product(OUTCOMES, REPORT_CLASSES):
            prob = _probability(r_old, first, old) * _probability(r_new, second, new)
            raw = dp.estimate_histogram([(r_old, old), (r_new, new)]).raw
            for c in REPORT_CLASSES:
                expected[c] += prob * raw[c]
        truth = Counter([CLASS_OF[first], CLASS_OF[second]])
        assert expected == {c: pytest.approx(float(truth[c]), abs=1e-9) for c in REPORT_CLASSES}


def test_unknown_domains_and_reports_are_refused() -> None:
    _, params = dp.outcome_measurement(DEFAULT)
    with pytest.raises(InvalidInput):
        dp.estimate_histogram([("booked", params)])  # an outcome is not a k=4 report
    with pytest.raises(InvalidInput):
        dp.estimate_histogram([("positive", _legacy(UNITS_1))])  # a class is not a k=6 report
    with pytest.raises(InvalidInput):
        dp.estimate_histogram([("positive", NoiseParams(dp.RANDOMIZED_RESPONSE, 5, 0.9, 1))])
    with pytest.raises(InvalidInput):
        dp.estimate_histogram([("positive", NoiseParams(dp.RANDOMIZED_RESPONSE, 4, 0.25, 1))])


def _draw(rng: random.Random, truth: str, params: NoiseParams) -> str:
    """One report drawn from the stored parameters (seeded; see the OpenDP tie above)."""
    domain = _domain(params)
    honest = truth if params.k == len(OUTCOMES) else CLASS_OF[truth]
    if rng.random() < params.p_truth:
        return honest
    return rng.choice([c for c in domain if c != honest])


TRUTH = {
    "booked": 60,
    "rescheduled": 20,
    "no_show": 25,
    "ghosted": 40,
    "declined": 15,
    "blocked": 8,
}


MIXES = {
    "default": (DEFAULT,),
    "mixed": (2 * UNITS_1, UNITS_1, UNITS_1 // 2, -UNITS_1),  # negative: an old k=6 report
}


@pytest.mark.parametrize("mix", sorted(MIXES))
def test_bands_cover_the_truth_at_the_nominal_rate_and_track_the_real_spread(mix: str) -> None:
    """Seeded Monte Carlo: reports at the default epsilon, and a mix of three epsilons with old
    k=6 reports. The 95% bands cover at least at about the nominal rate (the plug-in variance
    uses the pooled share, so at a high epsilon they are somewhat conservative), their width
    follows the estimate's real spread, and the estimates average to the truth."""
    rng = random.Random(20261201)
    outcomes = [o for o, n in TRUTH.items() for _ in range(n)]
    params = [_legacy(-u) if u < 0 else dp.outcome_measurement(u)[1] for u in MIXES[mix]]
    truth = Counter(CLASS_OF[o] for o in outcomes)
    trials = 300
    covered = Counter[str]()
    estimates: dict[str, list[float]] = {c: [] for c in REPORT_CLASSES}
    halves: dict[str, list[float]] = {c: [] for c in REPORT_CLASSES}
    for _ in range(trials):
        reports = [
            (_draw(rng, o, params[i % len(params)]), params[i % len(params)])
            for i, o in enumerate(outcomes)
        ]
        est = dp.estimate_histogram(reports)
        assert est.n_reports == len(outcomes) and not est.widened
        assert math.fsum(est.raw.values()) == pytest.approx(len(outcomes))
        for c in REPORT_CLASSES:
            covered[c] += est.lower[c] <= truth[c] <= est.upper[c]
            estimates[c].append(est.raw[c])
            halves[c].append(est.upper[c] - est.raw[c])
    for c in REPORT_CLASSES:
        assert 0.93 <= covered[c] / trials <= 0.995, (c, covered)
    z = statistics.NormalDist().inv_cdf(0.975)
    for c in REPORT_CLASSES:
        ratio = statistics.fmean(halves[c]) / (z * statistics.stdev(estimates[c]))
        assert 0.85 <= ratio <= 1.4, (c, ratio)
        se = statistics.stdev(estimates[c]) / math.sqrt(trials)
        assert abs(statistics.fmean(estimates[c]) - truth[c]) <= 4 * se, c


def test_budget_spends_what_remains_and_then_nothing() -> None:
    assert Settings.model_fields["graph_contribution_epsilon_units"].default == DEFAULT
    assert dp.widen_for_budget(dp.DEFAULT_SUBJECT_BUDGET_UNITS) == dp.BudgetSpend(DEFAULT, False)
    assert dp.widen_for_budget(700_000) == dp.BudgetSpend(700_000, False)
    assert dp.widen_for_budget(dp.MIN_CONTRIBUTION_EPSILON_UNITS - 1) == dp.BudgetSpend(0, True)
    assert dp.widen_for_budget(0) == dp.BudgetSpend(0, True)
    assert dp.DEFAULT_SUBJECT_BUDGET_UNITS == 10 * UNITS_1
    with pytest.raises(InvalidInput):
        dp.widen_for_budget(-1)


def test_withheld_contributions_widen_the_band_without_moving_the_estimate() -> None:
    _, params = dp.outcome_measurement(DEFAULT)
    reports = [(c, params) for c in REPORT_CLASSES for _ in range(20)]
    full = dp.estimate_histogram(reports)
    widened = dp.estimate_histogram(reports, withheld=15)
    assert widened.widened and widened.n_total == 95
    assert widened.raw == full.raw and widened.counts == full.counts
    for c in REPORT_CLASSES:
        assert widened.lower[c] == full.lower[c]
        assert widened.upper[c] == pytest.approx(full.upper[c] + 15)
        assert widened.share([c])[2] > full.share([c])[2]
        assert widened.share([c])[3] == full.share([c])[3]


def test_shown_values_stay_in_range_when_the_raw_estimate_does_not() -> None:
    _, params = dp.outcome_measurement(DEFAULT)
    est = dp.estimate_histogram([("positive", params)] * 3)
    assert est.raw["positive"] > 3 and est.raw["blocked"] < 0  # unbiased, out of range
    assert est.counts["positive"] == 3.0 and est.counts["blocked"] == 0.0
    assert est.lower["blocked"] == 0.0 and est.upper["positive"] == 3.0
    shown, lower, upper, raw = est.share(["positive"])
    assert raw > 1.0 and shown == upper == 1.0 and 0.0 <= lower <= shown
    band = fingerprint_of(est).booked_share
    assert band.estimate == 1.0 and band.raw == pytest.approx(raw)
    empty = dp.estimate_histogram([])
    assert empty.counts == dict.fromkeys(REPORT_CLASSES, 0.0)
    assert empty.share(["positive"]) == (0.0, 0.0, 1.0, 0.0)


GROUPS: tuple[tuple[str, ...], ...] = (
    *((c,) for c in REPORT_CLASSES),
    ("no_show", "not_booked"),
    REPORT_CLASSES,
)


@pytest.mark.parametrize("withheld", [0, 2])
def test_every_small_histogram_shows_counts_shares_and_bands_in_range(withheld: int) -> None:
    """Exhaustively, for every combination of up to three reports (k=4 at two epsilons and
    k=6): counts lie in [0, n_reports], shares and their bands in [0, 1] with the shown share
    inside its band, and the fingerprint's bands likewise."""
    current, low = dp.outcome_measurement(DEFAULT)[1], dp.outcome_measurement(UNITS_1 // 2)[1]
    options = [(c, current) for c in REPORT_CLASSES] + [(c, low) for c in REPORT_CLASSES]
    options += [(o, _legacy(UNITS_1)) for o in OUTCOMES]
    seen_outside = False
    for n in range(4):
        for reports in itertools.combinations_with_replacement(options, n):
            est = dp.estimate_histogram(list(reports), withheld=withheld)
            seen_outside |= any(v < 0 or v > n for v in est.raw.values())
            for c in REPORT_CLASSES:
                assert 0.0 <= est.counts[c] <= n
                assert 0.0 <= est.lower[c] <= est.upper[c] <= n + withheld
            for group in GROUPS:
                shown, lower, upper, _ = est.share(group)
                assert 0.0 <= lower <= shown <= upper <= 1.0, (reports, group)
            fp = fingerprint_of(est)
            for band in (fp.booked_share, fp.no_show_share, fp.not_booked_share, fp.blocked_share):
                assert 0.0 <= band.lower <= band.estimate <= band.upper <= 1.0
    assert seen_outside, "the check must include raw estimates outside the range"


def _share_sum(est: dp.HistogramEstimate, groups: Sequence[tuple[str, ...]]) -> float:
    return math.fsum(est.share(g)[3] for g in groups)


def test_raw_shares_of_the_classes_add_up_to_one() -> None:
    _, params = dp.outcome_measurement(DEFAULT)
    est = dp.estimate_histogram([("positive", params), ("blocked", params), ("no_show", params)])
    assert _share_sum(est, [(c,) for c in REPORT_CLASSES]) == pytest.approx(1.0)
