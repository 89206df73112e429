"""Graph signal for scoring, as a pluggable source.

The cross-provider graph (issue 3) answers `signals_for_prospect`; until it is wired in, the
default source answers ``None`` — the "empty network" state. A missing signal is a feature state
(``graph_present = 0``), never an error, so scoring works the same with or without the graph.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session

from prospecting.identity.models import Person

NETWORK_STATES = ("empty", "sparse", "growing", "dense")
"""The graph's own network states (`prospecting.graph.network`); only ever copied, never guessed."""


@dataclass(frozen=True)
class GraphFeatures:
    """What the consented network says about the person behind one prospect; all optional.

    ``outcome_shares`` is the noised outcomes histogram as shares (booked, no_show, ghosted, …),
    ``contributors`` the distinct other providers behind it, ``reachability`` the consented peers
    with a positive outcome, ``days_to_outcome`` the network's mean days from first contact to
    an outcome (the graph's velocity hint). ``network_state`` is one of NETWORK_STATES when the
    graph gives it, else None. ``budget_exhausted`` says the graph's privacy budget for this
    person is spent (its figures will not refresh); ``degraded`` that the graph was unreachable.
    """

    network_state: str | None = None
    outcome_shares: dict[str, float] = field(default_factory=dict)
    fingerprint: dict[str, float] = field(default_factory=dict)
    contributors: int | None = None
    days_to_outcome: float | None = None
    reachability: int | None = None
    budget_exhausted: bool = False
    degraded: bool = False

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> GraphFeatures | None:
        if not data:
            return None
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


class GraphSignalSource(Protocol):
    """Answers the graph features for one of the acting Person's prospects, or None."""

    def __call__(
        self, *, session: Session, actor: Person, prospect_id: str
    ) -> GraphFeatures | None: ...


def no_graph_signal(*, session: Session, actor: Person, prospect_id: str) -> GraphFeatures | None:
    """The empty-network source: no consented peers, the graph is provider-local."""
    return None


def from_graph_signals(signals: Any, *, reachability: int | None = None) -> GraphFeatures | None:
    """Map the graph's `GraphSignals` (issue 3, duck-typed to keep this module independent)
    to scoring features; None stays None (the empty-network state)."""
    if signals is None:
        return None
    contributors = int(getattr(signals, "contributors", 0) or 0)
    velocity = getattr(signals, "velocity", None)
    mean_days = getattr(getattr(velocity, "mean_days", None), "estimate", None)
    fingerprint = getattr(signals, "fingerprint", None)
    shares = (
        {
            name: float(getattr(getattr(fingerprint, field, None), "estimate", 0.0) or 0.0)
            for name, field in (
                ("booked", "booked_share"),
                ("no_show", "no_show_share"),
                ("ghosted", "ghost_share"),
            )
        }
        if fingerprint is not None
        else {}
    )
    network_state = getattr(signals, "network_state", None)
    return GraphFeatures(
        network_state=network_state if network_state in NETWORK_STATES else None,
        outcome_shares=dict(getattr(signals, "outcome_shares", {}) or {}),
        fingerprint=shares,
        contributors=contributors,
        days_to_outcome=float(mean_days) if mean_days is not None else None,
        reachability=reachability,
        budget_exhausted=bool(getattr(signals, "budget_exhausted", False)),
    )
