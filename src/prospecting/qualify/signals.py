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

    ``linked`` says the graph was asked about this person (a missing answer is then a state of
    its own: nobody else knows them). ``outcome_counts`` are the unbiased report-class counts
    (positive, no_show, not_booked, blocked; they may be fractional or slightly negative),
    ``outcome_shares`` the same as shares clipped to [0, 1], both only when at least the
    minimum number of other providers contributed (``contributors``). ``contacts`` maps a
    window ("1d", "7d", "30d") to the distinct other providers the person contacted in it, or
    None below the floor. ``safety_flags`` maps a flag code to the peers behind it.
    ``budget_exhausted``: the person's privacy budget is spent (figures will not refresh);
    ``degraded``: the graph was unreachable.
    """

    network_state: str | None = None
    linked: bool = False
    contributors: int | None = None
    n_reports: int = 0
    outcome_counts: dict[str, float] = field(default_factory=dict)
    outcome_shares: dict[str, float] = field(default_factory=dict)
    contacts: dict[str, int | None] = field(default_factory=dict)
    safety_flags: dict[str, int] = field(default_factory=dict)
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
        hist = signals.histogram
        velocity = signals.velocity
        return cls(
            network_state=state if state in NETWORK_STATES else None,
            linked=True,
            contributors=signals.contributors,
            n_reports=hist.n_reports if hist is not None else 0,
            outcome_counts=dict(hist.raw_counts) if hist is not None else {},
            outcome_shares=dict(signals.outcome_shares),
            contacts=(
                {f"{w.days}d": w.providers for w in velocity.windows}
                if velocity is not None
                else {}
            ),
            safety_flags={flag.code: flag.peers for flag in signals.safety_flags},
            reachability=signals.peers_with_positive_outcome if signals.state == "ok" else None,
            budget_exhausted=signals.budget_exhausted,
        )

    @property
    def flagged(self) -> int:
        """Peers behind the most-attested safety flag (0: none shown)."""
        return max(self.safety_flags.values(), default=0)
