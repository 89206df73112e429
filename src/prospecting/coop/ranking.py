"""The hand-off fit rule (docs/coop.md), pure: no session, no clock.

Order, best first:
1. matches on service and language (both > one > none);
2. open slots: more known open slots first; unknown (None) after every known positive count;
3. fairness: fewest hand-offs received in the last 30 days, then least recently offered
   (never offered first, so equals take turns: round robin), then person id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar


class Rankable(Protocol):
    @property
    def person_id(self) -> str: ...
    @property
    def matches_service(self) -> bool: ...
    @property
    def matches_language(self) -> bool: ...
    @property
    def open_slots(self) -> int | None: ...


@dataclass(frozen=True)
class Fairness:
    """A provider's fairness inputs: hand-offs received in the last 30 days, last offered at."""

    received_30d: int = 0
    last_offered_at: datetime | None = None


_NEVER = datetime.min
C = TypeVar("C", bound="Rankable")


def _key(
    candidate: Rankable, service: str | None, language: str | None, stats: Mapping[str, Fairness]
) -> tuple[int, int, int, int, datetime, str]:
    matches = 0
    if service is not None and candidate.matches_service:
        matches += 1
    if language is not None and candidate.matches_language:
        matches += 1
    slots = candidate.open_slots
    # known positive (by count, descending) < unknown < known zero
    if slots is None:
        slot_band, slot_count = 1, 0
    elif slots > 0:
        slot_band, slot_count = 0, -slots
    else:
        slot_band, slot_count = 2, 0
    fair = stats.get(candidate.person_id, Fairness())
    last = fair.last_offered_at.replace(tzinfo=None) if fair.last_offered_at else _NEVER
    return (-matches, slot_band, slot_count, fair.received_30d, last, candidate.person_id)


def rank(
    candidates: Iterable[C],
    *,
    service: str | None,
    language: str | None,
    stats: Mapping[str, Fairness],
) -> list[C]:
    """The candidates in fit order (best first); `stats` maps person id → Fairness (missing:
    none received, never offered)."""
    return sorted(candidates, key=lambda c: _key(c, service, language, stats))
