"""Velocity hints: how many other consented providers a person contacted recently.

A provider's inbound contact is a contribution of its own (under contribute consent): one row
per provider, prospect and day in `prospect_subject_contacts`. The hint is the number of
*distinct other* providers in touch with the subject in the last 1, 7 and 30 days as of the
asker's message, day granularity.

What protects it (docs/privacy-model.md): no noise (a presence is not a value, and noising a
count of providers at contribution time is not possible); the count is shown only at or above
the minimum-contributors floor (`graph.masking`), the asker's own contacts never count, a
provider whose consent is revoked never counts, and the providers are never named. The day of
contact is kept only at day granularity and only for subjects linked in the graph.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from prospecting.db import core, new_id, utcnow
from prospecting.graph.masking import mask
from prospecting.graph.models import SubjectContact
from prospecting.graph.schemas import Velocity, VelocityWindow

WINDOWS_DAYS = (1, 7, 30)
_CONTACT = SubjectContact.__table__.c
WINDOW = select(_CONTACT.provider_id, _CONTACT.contacted_on).where(
    _CONTACT.subject_key == bindparam("key"),
    _CONTACT.contacted_on >= bindparam("since"),
    _CONTACT.contacted_on <= bindparam("today"),
    _CONTACT.provider_id != bindparam("exclude"),
)


def record_contacts(graph: Session, rows: Sequence[tuple[str, str, str, date]]) -> None:
    """Insert (subject_key, provider_id, prospect_id, day) contacts; a repeat of the same
    provider, prospect and day is ignored."""
    if not rows:
        return
    values: list[dict[str, object]] = [
        {"subject_key": s, "provider_id": p, "prospect_id": q, "contacted_on": d}
        for s, p, q, d in dict.fromkeys(rows)
    ]
    now = utcnow()
    for value in values:
        value["id"], value["created_at"] = new_id(), now
    if graph.get_bind().dialect.name == "postgresql":
        graph.execute(pg_insert(SubjectContact).on_conflict_do_nothing(), values)
    else:
        graph.execute(sqlite_insert(SubjectContact).on_conflict_do_nothing(), values)


def contacts_by_window(
    graph: Session,
    subject_key: str,
    *,
    as_of: datetime,
    exclude: str,
) -> dict[int, set[str]]:
    """Distinct providers (not `exclude`) per window, before any consent or scope filter."""
    first, today = bounds(as_of)
    rows = (
        core(graph)
        .execute(
            WINDOW,
            {"key": subject_key, "since": first, "today": today, "exclude": exclude},
        )
        .all()
    )
    return by_window(rows, as_of=as_of)


def bounds(as_of: datetime) -> tuple[date, date]:
    """(first day, last day) of the longest window as of `as_of`: `WINDOW`'s parameters."""
    today = as_of.date()
    return today - timedelta(days=max(WINDOWS_DAYS) - 1), today


def by_window(rows: Iterable[tuple[str, date]], *, as_of: datetime) -> dict[int, set[str]]:
    """Distinct providers per window from (provider, day) rows of the longest window."""
    today = as_of.date()
    days_of = list(rows)
    return {
        days: {pid for pid, on in days_of if on > today - timedelta(days=days)}
        for days in WINDOWS_DAYS
    }


def velocity(
    windows: dict[int, set[str]], allowed: Iterable[str], *, as_of: datetime, floor: int
) -> tuple[Velocity, set[str]]:
    """The masked hint over the providers in `allowed`, and who stands behind what is shown."""
    keep = set(allowed)
    shown_by: set[str] = set()
    out = []
    for days in WINDOWS_DAYS:
        providers = windows.get(days, set()) & keep
        masked = mask(len(providers), floor)
        if masked.value is not None:
            shown_by |= providers
        out.append(VelocityWindow(days=days, providers=masked.value, shown=masked.shown))
    return Velocity(as_of=as_of.date(), windows=out), shown_by
