"""The graph signal as scoring sees it: one typed mapping from the graph's `GraphSignals`.

A missing signal is a feature state (``graph_present = 0``), never an error, so scoring works
the same with or without the graph.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from prospecting.graph.schemas import GraphSignals

NETWORK_STATES = ("empty", "sparse", "growing", "dense")
"""The graph's own network states (`prospecting.graph.network`); only ever copied, never guessed."""


@dataclass(frozen=True)
class GraphFeatures:
    """What the consented network says about the person behind one prospect; all optional.

    ``outcome_shares`` is the noised outcomes histogram as shares (booked, no_show, ghosted, …),
    ``contributors`` the distinct other providers behind it (None: nothing shown),
    ``reachability`` the consented peers with a positive outcome, ``days_to_outcome`` the
    network's mean days from first contact to an outcome (the velocity hint). ``network_state``
    is the asker's category/region state when the graph gives it. ``budget_exhausted`` says
    the graph's privacy budget for this person is spent (its figures will not refresh);
    ``degraded`` that the graph was unreachable.
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

    @classmethod
    def from_signals(cls, signals: GraphSignals) -> GraphFeatures | None:
        """None when nothing was linked or asked (the empty network)."""
        if signals.degraded:
            return cls(degraded=True)
        if signals.state in ("not_linked", "no_query_consent", "subject_opted_out"):
            return None
        state = signals.network.state if signals.network is not None else None
        fingerprint = signals.fingerprint
        velocity = signals.velocity
        return cls(
            network_state=state if state in NETWORK_STATES else None,
            outcome_shares=dict(signals.outcome_shares),
            fingerprint=(
                {
                    "booked": fingerprint.booked_share.estimate,
                    "no_show": fingerprint.no_show_share.estimate,
                    "ghosted": fingerprint.ghost_share.estimate,
                }
                if fingerprint is not None
                else {}
            ),
            contributors=signals.contributors,
            days_to_outcome=velocity.mean_days.estimate if velocity is not None else None,
            reachability=signals.peers_with_positive_outcome if signals.state == "ok" else None,
            budget_exhausted=signals.budget_exhausted,
        )
