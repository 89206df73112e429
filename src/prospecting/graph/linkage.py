"""Fellegi-Sunter linkage of a hash chain to a subject key: per-dimension weights, a posterior.

The decision: a shared normalised phone or email links (it is *anchored*) unless a collision
correction has down-weighted that dimension for the subject; otherwise the posterior must reach
LINK_THRESHOLD. The other dimensions only raise or lower the reported confidence. A name alone
never links and is never a candidate (`graph.subjects`), so it cannot move anything returned.

Dimensions are compared by digest only (agree / disagree). A combination digest (name_phone,
name_email) implies its parts, so scoring both would count the same evidence twice: when both
parts were compared the combination is skipped, otherwise the combination stands in for them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Set
from dataclasses import dataclass

from prospecting.errors import InvalidInput
from prospecting.resolver.keys import EMAIL, NAME, NAME_EMAIL, NAME_PHONE, PHONE


@dataclass(frozen=True)
class MatchProbabilities:
    """m = P(agree | same person), u = P(agree | different people)."""

    m: float
    u: float

    @property
    def agreement_weight(self) -> float:
        return math.log2(self.m / self.u)

    @property
    def disagreement_weight(self) -> float:
        return math.log2((1.0 - self.m) / (1.0 - self.u))


PROBABILITIES: dict[str, MatchProbabilities] = {
    PHONE: MatchProbabilities(m=0.9, u=1e-6),
    EMAIL: MatchProbabilities(m=0.8, u=1e-7),
    NAME: MatchProbabilities(m=0.85, u=1e-3),
    NAME_PHONE: MatchProbabilities(m=0.75, u=1e-9),
    NAME_EMAIL: MatchProbabilities(m=0.7, u=1e-10),
}
DIMENSIONS = frozenset(PROBABILITIES)
COMBINATIONS: dict[str, frozenset[str]] = {
    NAME_PHONE: frozenset({NAME, PHONE}),
    NAME_EMAIL: frozenset({NAME, EMAIL}),
}

PRIOR_ODDS = 1e-4
LINK_THRESHOLD = 0.9
# A collision report is one provider's word, not a verdict: each distinct reporter trims the
# dimension's agreement weight by COLLISION_DOWNWEIGHT (a phone or email alone still links after
# COLLISION_SPLIT_REPORTERS - 1 reports); the split at COLLISION_SPLIT_REPORTERS separates.
COLLISION_DOWNWEIGHT = 0.05
COLLISION_SPLIT_REPORTERS = 3


ANCHORS = frozenset({PHONE, EMAIL})
"""Dimensions whose agreement alone links, unless a collision correction says otherwise."""


@dataclass(frozen=True)
class LinkResult:
    """The summed weight (bits) of the scored dimensions, the posterior match probability, and
    whether an uncorrected phone or email agreement anchors the link."""

    weight: float
    log2_odds: float
    confidence: float
    scored: frozenset[str]
    anchored: bool = False


def collision_downweight(reports: int) -> float:
    """Agreement-weight factor for a dimension after `reports` distinct collision corrections.

    Gentle and bounded: reports beyond the split threshold weigh no more (the split separates).
    """
    if reports < 0:
        raise InvalidInput("reports", "must not be negative")
    return 1.0 - COLLISION_DOWNWEIGHT * min(reports, COLLISION_SPLIT_REPORTERS - 1)


def scored_dimensions(compared: Set[str]) -> frozenset[str]:
    """The compared dimensions that carry independent evidence (see the module docstring)."""
    scored = set(compared)
    for combo, parts in COMBINATIONS.items():
        if combo not in compared:
            continue
        if parts <= compared:
            scored.discard(combo)
        else:
            scored -= parts
    return frozenset(scored)


def link_score(
    agreeing: Set[str],
    compared: Set[str],
    *,
    downweights: Mapping[str, float] | None = None,
) -> LinkResult:
    """Score the dimensions present on both sides; `downweights` scale agreement weights (0-1)."""
    _check(agreeing, compared, downweights or {})
    factors = downweights or {}
    scored = scored_dimensions(compared)
    weight = math.fsum(
        PROBABILITIES[d].agreement_weight * factors.get(d, 1.0)
        if d in agreeing
        else PROBABILITIES[d].disagreement_weight
        for d in scored
    )
    log2_odds = math.log2(PRIOR_ODDS) + weight
    anchored = any(d in agreeing and factors.get(d, 1.0) >= 1.0 for d in ANCHORS)
    return LinkResult(weight, log2_odds, _posterior(log2_odds), scored, anchored)


def decide(result: LinkResult) -> bool:
    """Link when anchored (a shared phone or email no collision report has touched) or at
    LINK_THRESHOLD or above; a name alone never links."""
    return result.anchored or result.confidence >= LINK_THRESHOLD


def _posterior(log2_odds: float) -> float:
    if log2_odds >= 0:
        return 1.0 / (1.0 + math.exp2(-log2_odds))
    odds = math.exp2(log2_odds)
    return odds / (1.0 + odds)


def _check(agreeing: Set[str], compared: Set[str], downweights: Mapping[str, float]) -> None:
    if unknown := (set(compared) | set(downweights)) - DIMENSIONS:
        raise InvalidInput("dimensions", f"unknown: {', '.join(sorted(unknown))}")
    if not set(agreeing) <= set(compared):
        raise InvalidInput("agreeing", "every agreeing dimension must also be compared")
    if any(not 0.0 <= f <= 1.0 for f in downweights.values()):
        raise InvalidInput("downweights", "factors must lie in [0, 1]")
