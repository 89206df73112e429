"""Offline evaluation: precision, recall, PR-AUC and calibration of P(book) on outcomes held out
by time (train on the earlier 70 % of labelled messages, test on the later 30 %), with and
without graph features, and a reliability plot."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from prospecting.errors import InvalidInput
from prospecting.qualify.scoring import FEATURES, LOCAL_FEATURES, fit
from prospecting.qualify.training import Example, labelled_examples

TRAIN_SHARE = 0.7
THRESHOLD = 0.5
BINS = 10


@dataclass(frozen=True)
class VariantResult:
    name: str
    precision: float
    recall: float
    pr_auc: float
    brier: float
    calibration: list[dict[str, Any]]
    predicted: list[float]


def _calibration_table(p: np.ndarray, y: np.ndarray) -> list[dict[str, Any]]:
    rows = []
    for i in range(BINS):
        lo, hi = i / BINS, (i + 1) / BINS
        mask = (p >= lo) & ((p < hi) if i < BINS - 1 else (p <= hi))
        if not mask.any():
            continue
        rows.append(
            {
                "bin": f"{lo:.1f}-{hi:.1f}",
                "count": int(mask.sum()),
                "mean_predicted": round(float(p[mask].mean()), 3),
                "observed_booked": round(float(y[mask].mean()), 3),
            }
        )
    return rows


def evaluate(examples: Sequence[Example], *, plot_path: Path | None = None) -> dict[str, Any]:
    """Train on the earlier 70 % by message time, test on the later 30 %, with and without the
    graph features; `as_scored` is the probability stored at qualification time (cold-start or
    the Person's model then in use) on the same held-out messages."""
    from sklearn.metrics import average_precision_score, precision_score, recall_score

    ordered = sorted(examples, key=lambda e: e.message_at)
    cut = int(len(ordered) * TRAIN_SHARE)
    train, test = ordered[:cut], ordered[cut:]
    if not test:
        raise ValueError("not enough labelled outcomes to hold any out")
    y_test = np.asarray([e.booked for e in test], dtype=int)
    variants = []
    for name, features in (
        ("with_graph", FEATURES),
        ("without_graph", LOCAL_FEATURES),
        ("as_scored", None),
    ):
        if features is None:  # what providers saw: the p_book stored when each message came in
            p = np.asarray([e.p_book for e in test], dtype=float)
        else:
            result = fit(
                [e.features for e in train],
                [e.booked for e in train],
                version=f"eval-{name}",
                features=features,
            )
            p = result.scorer.predict_many([e.features for e in test])
        predicted = (p >= THRESHOLD).astype(int)
        variants.append(
            VariantResult(
                name=name,
                precision=round(float(precision_score(y_test, predicted, zero_division=0)), 3),
                recall=round(float(recall_score(y_test, predicted, zero_division=0)), 3),
                pr_auc=round(float(average_precision_score(y_test, p)), 3)
                if y_test.any()
                else float("nan"),
                brier=round(float(np.mean((p - y_test) ** 2)), 4),
                calibration=_calibration_table(p, y_test),
                predicted=[float(v) for v in p],
            )
        )
    out: dict[str, Any] = {
        "train": len(train),
        "test": len(test),
        "test_booked_rate": round(float(y_test.mean()), 3),
        "split_at": ordered[cut].message_at.isoformat(),
        "threshold": THRESHOLD,
        "variants": {
            v.name: {
                "precision": v.precision,
                "recall": v.recall,
                "pr_auc": v.pr_auc,
                "brier": v.brier,
                "calibration": v.calibration,
            }
            for v in variants
        },
    }
    if plot_path is not None:
        reliability_plot(variants, y_test, plot_path)
        out["plot"] = str(plot_path)
    return out


def reliability_plot(variants: Sequence[VariantResult], y: np.ndarray, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 5.0), dpi=110)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    for variant in variants:
        xs = [row["mean_predicted"] for row in variant.calibration]
        ys = [row["observed_booked"] for row in variant.calibration]
        ax.plot(xs, ys, marker="o", label=f"{variant.name} (PR-AUC {variant.pr_auc:.2f})")
    ax.set_xlabel("predicted P(book)")
    ax.set_ylabel(f"observed booked share (n={len(y)} held out by time)")
    ax.set_title("Auto-qualify reliability")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left", fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def evaluate_store(
    *, session: Session, person_ids: Sequence[str] | None = None, plot_path: Path | None = None
) -> dict[str, Any]:
    """`evaluate` on the stored outcomes; too few of them is InvalidInput, not a crash."""
    examples = labelled_examples(session=session, person_ids=person_ids)
    try:
        return evaluate(examples, plot_path=plot_path)
    except ValueError as exc:
        raise InvalidInput("outcomes", str(exc)) from None
