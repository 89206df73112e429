"""The coop's network-state gates, per category and region (docs/coop.md, "Network states").

Counts are vetted listed peers in scope, the asker excluded, shown masked like every graph
count. Warm intros need a dense network (`settings.coop_intro_min_peers`); hand-offs need at
least one peer with capacity, and the state says whether overflow is meaningful (`saturated`:
a third or more of the listed peers report being full).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from prospecting.config import Settings
from prospecting.coop.listing import has_capacity, listed_in_scope
from prospecting.coop.schemas import Feature, FeatureState
from prospecting.errors import FeatureUnavailable
from prospecting.graph.masking import shown
from prospecting.graph.network import state_for
from prospecting.identity.models import Person


def _where(category: str, region: str | None) -> str:
    return f"{category} in {region}" if region else f"{category} (any region)"


def intro_state(peers: int, min_peers: int) -> str:
    """`dense` at or above the configured minimum, else the graph's name, never `dense`."""
    if peers >= min_peers:
        return "dense"
    state = state_for(peers)
    return "growing" if state == "dense" else state


def feature_state(
    *,
    session: Session,
    settings: Settings,
    actor: Person,
    feature: Feature,
    category: str,
    region: str | None,
) -> FeatureState:
    """Whether `feature` is available to the actor in this category and region, and why."""
    listed = listed_in_scope(session=session, category=category, region=region, exclude={actor.id})
    full = sum(1 for listing in listed if not has_capacity(listing))
    floor = settings.graph_min_contributors
    where = _where(category, region)
    if feature == "intros":
        minimum = settings.coop_intro_min_peers
        state = intro_state(len(listed), minimum)
        available = len(listed) >= minimum
        reason = (
            f"the network of vetted listed peers in {where} is dense"
            if available
            else f"warm intros need at least {minimum} vetted listed peers in {where}"
        )
    else:
        open_peers = len(listed) - full
        available = open_peers > 0
        if not listed:
            state = "empty"
            reason = f"no vetted listed peers in {where}"
        elif 3 * full >= len(listed):
            state = "saturated"
            reason = (
                f"a third or more of the vetted peers in {where} are full"
                if available
                else f"every vetted peer in {where} is full"
            )
        else:
            state = "open"
            reason = f"vetted peers in {where} have capacity"
    return FeatureState(
        feature=feature,
        available=available,
        state=state,
        reason=reason,
        vetted_peers=str(shown(len(listed), floor)),
        full_peers=str(shown(full, floor)),
    )


def require_feature(
    *,
    session: Session,
    settings: Settings,
    actor: Person,
    feature: Feature,
    category: str,
    region: str | None,
) -> FeatureState:
    """The gate every coop flow passes: FeatureUnavailable (409) when the state says no."""
    state = feature_state(
        session=session,
        settings=settings,
        actor=actor,
        feature=feature,
        category=category,
        region=region,
    )
    if not state.available:
        raise FeatureUnavailable(feature, state.state, state.reason)
    return state
