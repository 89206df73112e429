"""Network-state gates (docs/coop.md, "Network states"): warm intros need a dense network of
vetted listed peers (the asker excluded) in the category and region; hand-offs need a peer with
capacity, `saturated` when a third or more are full. Counts are masked like graph counts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import TEST_KEY, DatabaseUrls, Provider, person
from prospecting.config import Settings
from prospecting.coop import listing, network
from prospecting.coop.schemas import FeatureState, ListingIn
from prospecting.errors import FeatureUnavailable
from prospecting.runtime import Runtime


@pytest.fixture
def settings(db_urls: DatabaseUrls, tmp_path: Path) -> Settings:
    """Intros are dense from three vetted listed peers, so the threshold is testable."""
    return Settings(
        mode="test",
        data_dir=tmp_path,
        tenant_database_url=db_urls.tenant,
        graph_database_url=db_urls.graph,
        network_key=TEST_KEY,  # type: ignore[arg-type]
        coop_intro_min_peers=3,
    )


def _state(
    runtime: Runtime, settings: Settings, actor: str, feature: str, region: str | None = "london"
) -> FeatureState:
    with runtime.stores.tenant() as session:
        return network.feature_state(
            session=session,
            settings=settings,
            actor=person(session, actor),
            feature=feature,  # type: ignore[arg-type]
            category="therapy",
            region=region,
        )


def _require(runtime: Runtime, settings: Settings, actor: str, feature: str) -> None:
    with runtime.stores.tenant() as session:
        network.require_feature(
            session=session,
            settings=settings,
            actor=person(session, actor),
            feature=feature,  # type: ignore[arg-type]
            category="therapy",
            region="london",
        )


def test_intros_open_at_the_configured_dense_threshold(
    runtime: Runtime, settings: Settings, vetted: Any, make_provider: Callable[..., Provider]
) -> None:
    me, _peer1, _peer2 = vetted(3)
    vetted(2, region="paris")  # another region does not count
    vetted(2, categories=["coaching"])  # nor another category
    unvetted = make_provider().id  # nor a listed peer nobody vetted
    with runtime.stores.tenant() as session:
        listing.publish(
            session=session,
            actor=person(session, unvetted),
            data=ListingIn(categories=["therapy"], region="london", accepting=True),
        )
    below = _state(runtime, settings, me.id, "intros")
    assert (below.available, below.state, below.vetted_peers) == (False, "sparse", "2")
    with pytest.raises(FeatureUnavailable) as refused:
        _require(runtime, settings, me.id, "intros")
    assert (refused.value.feature, refused.value.state) == ("intros", "sparse")

    vetted(1, region=None)  # a listing without a region counts in every region
    dense = _state(runtime, settings, me.id, "intros")
    assert (dense.available, dense.state, dense.vetted_peers) == (True, "dense", "3")
    _require(runtime, settings, me.id, "intros")
    assert _state(runtime, settings, me.id, "intros", region=None).vetted_peers == "5"


def test_one_peer_shows_masked_and_empty(runtime: Runtime, settings: Settings, vetted: Any) -> None:
    me, _peer = vetted(2)
    state = _state(runtime, settings, me.id, "intros")
    assert (state.state, state.vetted_peers) == ("empty", "<2")


@pytest.mark.parametrize(
    ("peers", "min_peers", "state"),
    [
        (0, 50, "empty"),
        (1, 50, "empty"),
        (5, 50, "sparse"),
        (20, 50, "growing"),
        (50, 50, "dense"),
        (60, 100, "growing"),
        (3, 3, "dense"),
    ],
)
def test_intro_state_is_dense_only_at_the_minimum(peers: int, min_peers: int, state: str) -> None:
    assert network.intro_state(peers, min_peers) == state


def test_handoffs_empty_open_saturated(runtime: Runtime, settings: Settings, vetted: Any) -> None:
    (me,) = vetted(1, accepting=False)  # the asker's own capacity does not count
    empty = _state(runtime, settings, me.id, "handoffs")
    assert (empty.available, empty.state, empty.vetted_peers) == (False, "empty", "<2")
    with pytest.raises(FeatureUnavailable) as refused:
        _require(runtime, settings, me.id, "handoffs")
    assert refused.value.state == "empty"

    vetted(3, open_slots=2)
    assert _state(runtime, settings, me.id, "handoffs").model_dump(
        include={"available", "state", "vetted_peers", "full_peers"}
    ) == {"available": True, "state": "open", "vetted_peers": "3", "full_peers": "<2"}

    vetted(1, open_slots=0)  # 1 full of 4: still open
    assert _state(runtime, settings, me.id, "handoffs").state == "open"
    vetted(1, accepting=False)  # 2 full of 5: overflow is meaningful
    saturated = _state(runtime, settings, me.id, "handoffs")
    assert (saturated.available, saturated.state, saturated.full_peers) == (True, "saturated", "2")
    _require(runtime, settings, me.id, "handoffs")


def test_handoffs_unavailable_when_every_peer_is_full(
    runtime: Runtime, settings: Settings, vetted: Any
) -> None:
    (me,) = vetted(1)
    vetted(2, open_slots=0)
    state = _state(runtime, settings, me.id, "handoffs")
    assert (state.available, state.state, state.full_peers) == (False, "saturated", "2")
    with pytest.raises(FeatureUnavailable):
        _require(runtime, settings, me.id, "handoffs")
