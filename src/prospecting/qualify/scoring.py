"""Score step: P(book) from message, local-history and graph features, with its top factors.

The model is a logistic regression on standardised features plus a calibration map (Platt
sigmoid on out-of-fold scores; stored isotonic maps are still read). Platt keeps every
distinct score distinct, so P(book) ranks an inbox; isotonic maps are step functions that put
whole stretches of the inbox on one value. It is kept as plain
JSON parameters — coefficients, scaling and calibration points — so a stored model is data,
never code: no pickle is loaded from the database.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from prospecting.prospects.schemas import POSITIVE_OUTCOMES
from prospecting.qualify.intent import Intent
from prospecting.qualify.signals import GraphFeatures

INTENT_FEATURES = (
    "intent_booking_request",
    "intent_availability_question",
    "intent_pricing_question",
    "intent_service_question",
    "intent_reschedule_cancel",
    "intent_not_a_prospect",
)
MESSAGE_FEATURES = (
    *INTENT_FEATURES,
    "intent_confidence",
    "named_service",
    "specific_time",
    "urgent",
    "short_message",
    "log_length",
    "question_marks",
    "unsupported_language",
)
HISTORY_FEATURES = (
    "returning_prospect",
    "prior_inbound_log",
    "prior_booked",
    "prior_no_show",
    "prior_ghosted",
    "prior_declined",
    "prior_blocked",
    "days_since_first_contact_log",
    "unanswered_followups",
)
GRAPH_FEATURES = (
    "graph_linked",
    "graph_present",
    "graph_reports_log",
    "graph_positive",
    "graph_no_show",
    "graph_not_booked",
    "graph_blocked",
    "graph_booked_share",
    "graph_contacts_1d_log",
    "graph_contacts_7d_log",
    "graph_contacts_30d_log",
    "graph_contacts_few",
    "graph_flagged_log",
    "graph_dense",
)
"""What the network knows, as features. `graph_linked` = 0 is the empty network (no signal at
all, a state of its own); linked with `graph_present` = 0 means too few other providers
reported an outcome to show one. Outcome counts are the graph's unbiased report-class
estimates (noisy, may be fractional). Contacts are distinct other providers in each window
when at or above the floor; `graph_contacts_few` says the 30-day count is below it."""
FEATURES = (*MESSAGE_FEATURES, *HISTORY_FEATURES, *GRAPH_FEATURES)
LOCAL_FEATURES = (*MESSAGE_FEATURES, *HISTORY_FEATURES)
CENTERED = frozenset({"intent_confidence", "log_length"})
MIN_SAMPLES = 30
MIN_PER_CLASS = 8
MAX_FACTORS = 4
MIN_FACTOR = 0.05


@dataclass(frozen=True)
class History:
    """The prospect's own history with this provider before the message being scored."""

    prior_inbound: int = 0
    last_outcome: str | None = None
    days_since_first_contact: float = 0.0
    unanswered_followups: int = 0


def message_features(
    text: str, intent: Intent, *, languages: Sequence[str] = ("en",)
) -> dict[str, float]:
    features = {name: 0.0 for name in MESSAGE_FEATURES}
    key = f"intent_{intent.label}"
    if key in features:
        features[key] = 1.0
    entities = intent.entities
    stripped = text.strip()
    features |= {
        "intent_confidence": float(intent.confidence),
        "named_service": float(entities.requested_service is not None),
        "specific_time": float(bool(entities.day_time_wishes)),
        "urgent": float(entities.urgency == "high"),
        "short_message": float(len(stripped) < 25),
        "log_length": math.log1p(len(stripped)),
        "question_marks": float(min(stripped.count("?") + stripped.count("¿"), 3)),
        "unsupported_language": float(
            intent.language not in ("und", *languages) and len(stripped) >= 15
        ),
    }
    return features


def history_features(history: History) -> dict[str, float]:
    last = history.last_outcome
    return {
        "returning_prospect": float(history.prior_inbound > 0),
        "prior_inbound_log": math.log1p(history.prior_inbound),
        "prior_booked": float(last in POSITIVE_OUTCOMES),
        "prior_no_show": float(last == "no_show"),
        "prior_ghosted": float(last == "ghosted"),
        "prior_declined": float(last == "declined"),
        "prior_blocked": float(last == "blocked"),
        "days_since_first_contact_log": math.log1p(max(history.days_since_first_contact, 0.0)),
        "unanswered_followups": float(min(history.unanswered_followups, 5)),
    }


def graph_features(graph: GraphFeatures | None) -> dict[str, float]:
    """Absent signal is the all-zero state with ``graph_linked = 0``, never an error."""
    features = {name: 0.0 for name in GRAPH_FEATURES}
    if graph is None or graph.degraded or not graph.linked:
        return features
    contacts = graph.contacts
    features |= {
        "graph_linked": 1.0,
        "graph_dense": float(graph.network_state == "dense"),
        "graph_contacts_1d_log": math.log1p(contacts.get("1d") or 0),
        "graph_contacts_7d_log": math.log1p(contacts.get("7d") or 0),
        "graph_contacts_30d_log": math.log1p(contacts.get("30d") or 0),
        "graph_contacts_few": float(contacts.get("30d") is None),
        "graph_flagged_log": math.log1p(graph.flagged),
    }
    if graph.contributors is None:  # linked and asked, but too few contributors to show
        return features
    n = max(graph.n_reports, 0)
    counts = graph.outcome_counts
    return features | {
        "graph_present": 1.0,
        "graph_reports_log": math.log1p(n),
        "graph_positive": _bounded(counts.get("positive", 0.0), n),
        "graph_no_show": _bounded(counts.get("no_show", 0.0), n),
        "graph_not_booked": _bounded(counts.get("not_booked", 0.0), n),
        "graph_blocked": _bounded(counts.get("blocked", 0.0), n),
        "graph_booked_share": _unit(graph.outcome_shares.get("positive", 0.0)),
    }


def _bounded(count: float, n: int) -> float:
    """An unbiased count kept within one report of its range, so one wild estimate cannot
    dominate the score (the bias this adds is at most one report)."""
    return min(max(float(count), -1.0), n + 1.0)


def _unit(value: float) -> float:
    return min(max(float(value), 0.0), 1.0)


def all_features(
    text: str,
    intent: Intent,
    history: History,
    graph: GraphFeatures | None,
    *,
    languages: Sequence[str] = ("en",),
) -> dict[str, float]:
    return (
        message_features(text, intent, languages=languages)
        | history_features(history)
        | graph_features(graph)
    )


@dataclass(frozen=True)
class Scored:
    p_book: float
    factors: list[dict[str, Any]]


@dataclass(frozen=True)
class LogisticScorer:
    """A calibrated logistic model held as plain parameters."""

    version: str
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    calibration: Mapping[str, Any]

    def params(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "coef": list(self.coef),
            "intercept": self.intercept,
            "calibration": dict(self.calibration),
        }

    @classmethod
    def from_params(cls, version: str, params: Mapping[str, Any]) -> LogisticScorer:
        return cls(
            version=version,
            features=tuple(params["features"]),
            mean=tuple(float(v) for v in params["mean"]),
            scale=tuple(float(v) for v in params["scale"]),
            coef=tuple(float(v) for v in params["coef"]),
            intercept=float(params["intercept"]),
            calibration=dict(params["calibration"]),
        )

    def logit(self, rows: np.ndarray) -> np.ndarray:
        z = (rows - np.array(self.mean)) / np.array(self.scale)
        result: np.ndarray = z @ np.array(self.coef) + self.intercept
        return result

    def calibrate(self, logits: np.ndarray) -> np.ndarray:
        cal = self.calibration
        if cal.get("method") == "isotonic":
            p = np.interp(logits, np.array(cal["x"]), np.array(cal["y"]))
        else:
            a, b = float(cal.get("a", 1.0)), float(cal.get("b", 0.0))
            p = 1.0 / (1.0 + np.exp(-(a * logits + b)))
        clipped: np.ndarray = np.clip(p, 0.001, 0.999)
        return clipped

    def predict_many(self, rows: Sequence[Mapping[str, float]]) -> np.ndarray:
        return self.calibrate(self.logit(matrix(rows, self.features)))

    def score(self, features: Mapping[str, float]) -> Scored:
        x = matrix([features], self.features)
        p = float(self.calibrate(self.logit(x))[0])
        return Scored(round(p, 4), self.factors(features))

    def factors(self, features: Mapping[str, float]) -> list[dict[str, Any]]:
        """Signed log-odds contributions of the features this message actually has."""
        found = []
        for i, name in enumerate(self.features):
            value = float(features.get(name, 0.0))
            weight = self.coef[i] / self.scale[i]
            if name in CENTERED:
                contribution = weight * (value - self.mean[i])
            elif value == 0.0 and name != "graph_linked":
                continue
            elif name == "graph_linked" and value == 0.0:
                contribution = -weight * self.mean[i]
            else:
                contribution = weight * value
            if abs(contribution) < MIN_FACTOR:
                continue
            found.append((abs(contribution), name, contribution))
        found.sort(reverse=True)
        return [
            {
                "feature": name,
                "reason": describe(name, features, contribution),
                "contribution": round(contribution, 3),
                "direction": "raises" if contribution > 0 else "lowers",
            }
            for _, name, contribution in found[:MAX_FACTORS]
        ]


def matrix(rows: Sequence[Mapping[str, float]], names: Sequence[str]) -> np.ndarray:
    return np.array([[float(row.get(n, 0.0)) for n in names] for row in rows], dtype=float)


_PHRASES = {
    "intent_booking_request": "asked to book",
    "intent_availability_question": "asked about availability",
    "intent_pricing_question": "asked only about price",
    "intent_service_question": "asked what the service involves",
    "intent_reschedule_cancel": "wants to reschedule or cancel",
    "intent_not_a_prospect": "looks like spam, a sales pitch or a wrong number",
    "named_service": "named one of your services",
    "specific_time": "asked for a specific time",
    "urgent": "says it is urgent",
    "short_message": "very short message",
    "unsupported_language": "writes in a language you do not list",
    "returning_prospect": "has written to you before",
    "prior_booked": "booked with you before",
    "prior_no_show": "did not show up last time",
    "prior_ghosted": "went quiet last time",
    "prior_declined": "declined last time",
    "prior_blocked": "was blocked before",
    "graph_dense": "network: many consented peers in your area",
    "graph_contacts_few": "network: has not contacted other providers lately",
}


def describe(name: str, features: Mapping[str, float], contribution: float) -> str:
    """The factor in a provider's words."""
    value = float(features.get(name, 0.0))
    if name in _PHRASES:
        return _PHRASES[name]
    if name == "intent_confidence":
        return "message is clear" if value >= 0.6 else "message is ambiguous"
    if name == "log_length":
        return "detailed message" if contribution > 0 else "brief message"
    if name == "question_marks":
        return f"asks {int(value)} question{'s' if value != 1 else ''}"
    if name == "prior_inbound_log":
        n = round(math.expm1(value))
        return f"{n} earlier message{'s' if n != 1 else ''} to you"
    if name == "days_since_first_contact_log":
        return f"first contact {round(math.expm1(value))} days ago"
    if name == "unanswered_followups":
        n = int(value)
        return f"no reply to last {n} follow-up{'s' if n != 1 else ''}"
    if name == "graph_linked":
        return "known to the network" if value else "empty network: no graph signal yet"
    if name == "graph_present":
        return "network outcomes available" if value else "too few providers reported outcomes"
    if name == "graph_reports_log":
        n = round(math.expm1(value))
        return f"network: {n} outcome report{'s' if n != 1 else ''} from other providers"
    if name in _GRAPH_COUNTS:
        return f"network: about {max(round(value), 0)} {_GRAPH_COUNTS[name]} elsewhere"
    if name == "graph_booked_share":
        return f"network: booked in about {value:.0%} of outcomes elsewhere"
    if name.startswith("graph_contacts_") and name.endswith("_log"):
        n = round(math.expm1(value))
        window = name[len("graph_contacts_") : -len("_log")].replace("d", " days")
        window = "the last day" if window == "1 days" else f"the last {window}"
        return f"network: contacted {n} other providers in {window}"
    if name == "graph_flagged_log":
        n = round(math.expm1(value))
        return f"network: flagged by {n} consenting peers"
    return name.replace("_", " ")


_GRAPH_COUNTS = {
    "graph_positive": "bookings",
    "graph_no_show": "no-shows",
    "graph_not_booked": "declines or silences",
    "graph_blocked": "blocks",
}


@dataclass(frozen=True)
class FitResult:
    scorer: LogisticScorer
    metrics: dict[str, Any]


def fit(
    rows: Sequence[Mapping[str, float]],
    labels: Sequence[int],
    *,
    version: str,
    features: Sequence[str] = FEATURES,
    seed: int = 0,
) -> FitResult:
    """Fit a logistic model and calibrate it on out-of-fold scores (no training-set leakage)."""
    from sklearn.linear_model import LogisticRegression  # imported to fit only
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    y = np.asarray(labels, dtype=int)
    positives = int(y.sum())
    if len(y) < MIN_SAMPLES or min(positives, len(y) - positives) < MIN_PER_CLASS:
        raise ValueError(
            f"needs at least {MIN_SAMPLES} outcomes with {MIN_PER_CLASS} of each class "
            f"(have {len(y)}: {positives} booked)"
        )
    names = tuple(features)
    x = matrix(rows, names)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = (x - mean) / scale
    model = LogisticRegression(C=0.5, max_iter=1000)
    folds = StratifiedKFold(
        n_splits=min(5, min(positives, len(y) - positives)), shuffle=True, random_state=seed
    )
    oof = cross_val_predict(model, z, y, cv=folds, method="decision_function")
    model.fit(z, y)
    platt = LogisticRegression(C=1e4, max_iter=1000).fit(oof.reshape(-1, 1), y)
    calibration: dict[str, Any] = {
        "method": "sigmoid",
        "a": float(platt.coef_[0][0]),
        "b": float(platt.intercept_[0]),
    }
    scorer = LogisticScorer(
        version=version,
        features=names,
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        coef=tuple(float(v) for v in model.coef_[0]),
        intercept=float(model.intercept_[0]),
        calibration=calibration,
    )
    oof_p = scorer.calibrate(oof)
    metrics = {
        "n_samples": len(y),
        "positives": positives,
        "brier_out_of_fold": round(float(np.mean((oof_p - y) ** 2)), 4),
        "calibration": calibration["method"],
        "features": len(names),
    }
    return FitResult(scorer, metrics)


def extend(
    base: LogisticScorer,
    rows: Sequence[Mapping[str, float]],
    labels: Sequence[int],
    *,
    extra: Sequence[str],
    version: str,
    l2: float = 1.0,
) -> FitResult:
    """Add `extra` features to a calibrated scorer without refitting it: the base's calibrated
    log-odds is a fixed offset and only the new features' weights (standardised, L2-penalised)
    and one intercept shift are fitted, so what the base knows about messages is kept whole
    while the new features learn only what they add (used to teach the cold-start model the
    graph from a simulated network whose messages are not real ones).

    The result is one logistic scorer over the base's features plus `extra`, with an identity
    calibration.
    """
    from scipy.optimize import minimize  # imported to fit only

    y = np.asarray(labels, dtype=float)
    if len(y) < MIN_SAMPLES or min(y.sum(), len(y) - y.sum()) < MIN_PER_CLASS:
        raise ValueError(f"needs at least {MIN_SAMPLES} outcomes with {MIN_PER_CLASS} of each")
    if base.calibration.get("method") != "sigmoid":
        raise ValueError("the base scorer must use a sigmoid calibration")
    a, b = float(base.calibration.get("a", 1.0)), float(base.calibration.get("b", 0.0))
    offset = a * base.logit(matrix(rows, base.features)) + b
    x = matrix(rows, extra)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = (x - mean) / scale

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        eta = offset + w[0] + z @ w[1:]
        p = 1.0 / (1.0 + np.exp(-eta))
        nll = float(np.sum(np.logaddexp(0.0, eta) - y * eta)) + 0.5 * l2 * float(w[1:] @ w[1:])
        grad = np.concatenate([[np.sum(p - y)], z.T @ (p - y) + l2 * w[1:]])
        return nll, grad

    found = minimize(loss, np.zeros(len(extra) + 1), jac=True, method="L-BFGS-B")
    shift, weights = float(found.x[0]), found.x[1:]
    scorer = LogisticScorer(
        version=version,
        features=(*base.features, *extra),
        mean=(*base.mean, *(float(v) for v in mean)),
        scale=(*base.scale, *(float(v) for v in scale)),
        coef=(*(a * c for c in base.coef), *(float(v) for v in weights)),
        intercept=a * base.intercept + b + shift,
        calibration={"method": "sigmoid", "a": 1.0, "b": 0.0},
    )
    p = scorer.predict_many(rows)
    metrics = {
        "n_samples": len(y),
        "positives": int(y.sum()),
        "brier_in_sample": round(float(np.mean((p - y) ** 2)), 4),
        "extra_weights": {n: round(float(w), 4) for n, w in zip(extra, weights, strict=True)},
    }
    return FitResult(scorer, metrics)
