"""The one rule for showing a count that comes from the graph: exact at or above the
minimum-contributors floor, "<floor" below it, so no single provider can be singled out."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Masked:
    value: int | None
    shown: str


def mask(count: int, floor: int) -> Masked:
    """`count` when it is at least `floor`, else None shown as "<floor" (zero included)."""
    if count >= floor:
        return Masked(count, str(count))
    return Masked(None, f"<{floor}")


def shown(count: int, floor: int) -> int | str:
    """What a provider sees for a graph count: the exact number at or above `floor`, else
    "<floor". Every provider-visible count from the graph goes through here."""
    m = mask(count, floor)
    return m.value if m.value is not None else m.shown
