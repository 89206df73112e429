"""Linkage: a shared phone or email links a chain to a subject, a shared name alone never does."""

from __future__ import annotations

import pytest

from prospecting.errors import InvalidInput
from prospecting.graph.linkage import (
    LINK_THRESHOLD,
    collision_downweight,
    decide,
    link_score,
)


@pytest.mark.parametrize("dimension", ["phone", "email", "name_phone", "name_email"])
def test_one_strong_shared_dimension_links(dimension: str) -> None:
    result = link_score({dimension}, {dimension})
    assert result.confidence >= LINK_THRESHOLD
    assert decide(result)


def test_two_strangers_with_the_same_name_stay_apart() -> None:
    assert not decide(link_score({"name"}, {"name"}))
    assert not decide(link_score({"name"}, {"name", "phone", "email"}))


def test_collision_reports_below_the_split_downweight_gently() -> None:
    plain = link_score({"phone"}, {"phone"})
    previous = plain
    for reports in (1, 2):
        factor = collision_downweight(reports)
        corrected = link_score({"phone"}, {"phone"}, downweights={"phone": factor})
        assert corrected.confidence < previous.confidence
        assert decide(corrected), reports  # one or two reports are not a split
        previous = corrected
    assert collision_downweight(5) == collision_downweight(2)  # bounded; the split separates
    assert decide(link_score({"email"}, {"email"}, downweights={"phone": 0.5}))


def test_disagreement_lowers_the_score() -> None:
    alone = link_score({"phone"}, {"phone"})
    against = link_score({"phone"}, {"phone", "email"})
    assert against.weight < alone.weight
    assert against.confidence < alone.confidence
    both_disagree = link_score({"phone"}, {"phone", "email", "name"})
    assert both_disagree.confidence < against.confidence


def test_a_combination_digest_is_not_counted_on_top_of_its_parts() -> None:
    parts = link_score({"phone", "name"}, {"phone", "name"})
    with_combo = link_score({"phone", "name", "name_phone"}, {"phone", "name", "name_phone"})
    assert with_combo.weight == parts.weight
    assert with_combo.scored == frozenset({"phone", "name"})
    combo_only = link_score({"name_phone", "phone"}, {"name_phone", "phone"})
    assert combo_only.scored == frozenset({"name_phone"})


def test_bad_input_is_rejected() -> None:
    with pytest.raises(InvalidInput):
        link_score({"phone"}, set())
    with pytest.raises(InvalidInput):
        link_score({"ssn"}, {"ssn"})
    with pytest.raises(InvalidInput):
        link_score({"phone"}, {"phone"}, downweights={"phone": 2.0})
    with pytest.raises(InvalidInput):
        collision_downweight(-1)


FULL = {"phone", "email", "name", "name_phone", "name_email"}


def test_a_shared_phone_anchors_the_link_whatever_else_disagrees() -> None:
    """The issue's case: same phone, a different email and a differently written name."""
    result = link_score({"phone"}, FULL)
    assert result.anchored and decide(result)
    assert result.confidence == pytest.approx(0.73, abs=0.01)
    assert result.confidence < LINK_THRESHOLD  # the confidence reports it; it does not decide
    email_only = link_score({"email"}, FULL)
    assert email_only.anchored and decide(email_only)


def test_a_collision_report_on_the_anchor_stops_it() -> None:
    phone = {"phone": collision_downweight(1)}
    corrected = link_score({"phone"}, FULL, downweights=phone)
    assert not corrected.anchored and not decide(corrected)
    alone = link_score({"phone"}, {"phone"}, downweights=phone)
    assert not alone.anchored and decide(alone)  # on its score alone it still reaches the bar
    other = link_score({"email"}, FULL, downweights=phone)
    assert other.anchored and decide(other)  # a report on the phone leaves the email alone


@pytest.mark.parametrize(
    ("agreeing", "compared"),
    [
        ({"name"}, {"name"}),
        ({"name"}, FULL),
        (set(), {"phone", "email"}),
    ],
)
def test_no_anchor_without_a_shared_phone_or_email(agreeing: set[str], compared: set[str]) -> None:
    assert not link_score(agreeing, compared).anchored
