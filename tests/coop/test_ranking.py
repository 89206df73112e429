"""The hand-off fit rule (docs/coop.md): matches, then open slots, then fairness (fewest
received in 30 days, least recently offered, id). Pure: no database needed, but each test
is plain and runs wherever the suite runs."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from prospecting.coop.ranking import Fairness, rank

T0 = datetime(2026, 1, 1, 12, 0)


@dataclass(frozen=True)
class C:
    person_id: str
    matches_service: bool = False
    matches_language: bool = False
    open_slots: int | None = None


def _ids(ranked: list[C]) -> list[str]:
    return [c.person_id for c in ranked]


def test_matching_service_and_language_beats_capacity() -> None:
    both = C("z", matches_service=True, matches_language=True, open_slots=1)
    one = C("y", matches_service=True, open_slots=50)
    none = C("a", open_slots=99)
    got = rank([none, one, both], service="cbt", language="fr", stats={})
    assert _ids(got) == ["z", "y", "a"]


def test_match_flags_count_only_for_what_was_asked() -> None:
    # No service asked: the service flag decides nothing; capacity does.
    a = C("a", matches_service=True, open_slots=1)
    b = C("b", open_slots=5)
    assert _ids(rank([a, b], service=None, language=None, stats={})) == ["b", "a"]


def test_more_open_slots_first_unknown_after_known_positive() -> None:
    cands = [C("a", open_slots=None), C("b", open_slots=2), C("c", open_slots=7)]
    assert _ids(rank(cands, service=None, language=None, stats={})) == ["c", "b", "a"]


def test_fairness_fewest_received_then_least_recently_offered_then_id() -> None:
    cands = [C("d"), C("c"), C("b"), C("a")]
    stats = {
        "a": Fairness(received_30d=2, last_offered_at=None),
        "b": Fairness(received_30d=0, last_offered_at=T0),
        "c": Fairness(received_30d=0, last_offered_at=T0 - timedelta(days=1)),
        "d": Fairness(received_30d=0, last_offered_at=T0),
    }
    assert _ids(rank(cands, service=None, language=None, stats=stats)) == ["c", "b", "d", "a"]


def test_never_offered_goes_before_offered() -> None:
    stats = {"a": Fairness(last_offered_at=T0)}
    assert _ids(rank([C("a"), C("b")], service=None, language=None, stats=stats)) == ["b", "a"]


def test_round_robin_among_equals() -> None:
    """Equal peers, one offer at a time, each offer stamps last_offered_at: every peer gets
    one offer before anyone gets a second."""
    cands = [C(pid, open_slots=3) for pid in ("p1", "p2", "p3", "p4")]
    stats: dict[str, Fairness] = {}
    order = []
    for turn in range(8):
        first = rank(cands, service=None, language=None, stats=stats)[0]
        order.append(first.person_id)
        stats[first.person_id] = Fairness(last_offered_at=T0 + timedelta(minutes=turn))
    assert order == ["p1", "p2", "p3", "p4"] * 2


@given(
    st.lists(
        st.tuples(
            st.booleans(),
            st.booleans(),
            st.one_of(st.none(), st.integers(min_value=1, max_value=20)),
            st.integers(min_value=0, max_value=5),
            st.one_of(st.none(), st.integers(min_value=0, max_value=100)),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_rank_is_a_permutation_ordered_by_the_rule(rows: list[tuple]) -> None:  # type: ignore[type-arg]
    cands = [C(f"p{i:02d}", s, lang, slots) for i, (s, lang, slots, _, _) in enumerate(rows)]
    stats = {
        f"p{i:02d}": Fairness(
            received_30d=r, last_offered_at=None if m is None else T0 + timedelta(minutes=m)
        )
        for i, (_, _, _, r, m) in enumerate(rows)
    }
    got = rank(cands, service="x", language="en", stats=stats)
    assert sorted(_ids(got)) == sorted(_ids(cands))
    for before, after in itertools.pairwise(got):
        mb = before.matches_service + before.matches_language
        ma = after.matches_service + after.matches_language
        assert mb >= ma
        if mb == ma:
            sb = -1 if before.open_slots is None else before.open_slots
            sa = -1 if after.open_slots is None else after.open_slots
            assert sb >= sa
            if sb == sa:
                fb, fa = stats[before.person_id], stats[after.person_id]
                assert fb.received_30d <= fa.received_30d
                if fb.received_30d == fa.received_30d:
                    lb = fb.last_offered_at or datetime.min
                    la = fa.last_offered_at or datetime.min
                    assert (lb, before.person_id) < (la, after.person_id)
