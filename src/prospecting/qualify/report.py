"""Product measures: time to first response and provider time saved per booked appointment.

Seconds saved assume a provider spends 30-90 s reading, judging and typing a first reply by
hand (midpoint 60 s); a draft approved as-is saves one manual first response, an edited one
half of it (see `seconds_saved`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prospecting.identity.models import Person
from prospecting.prospects import service as prospects
from prospecting.qualify.models import Draft, Qualification
from prospecting.qualify.schemas import DraftStatus, LatencyStats, QualificationReport
from prospecting.qualify.training import active_scorer

MANUAL_REPLY_SECONDS = (30.0, 60.0, 90.0)
EDITED_SHARE_SAVED = 0.5


def _latency(values: Sequence[float]) -> LatencyStats:
    if not values:
        return LatencyStats(count=0, p50_seconds=None, p95_seconds=None)
    arr = np.asarray(values, dtype=float)
    return LatencyStats(
        count=len(values),
        p50_seconds=round(float(np.percentile(arr, 50)), 3),
        p95_seconds=round(float(np.percentile(arr, 95)), 3),
    )


def seconds_saved(approved_as_is: int, edited: int) -> tuple[float, float, float]:
    """(estimate, low, high): an edited draft saves half the typing of a manual reply."""
    units = approved_as_is + EDITED_SHARE_SAVED * edited
    low, mid, high = MANUAL_REPLY_SECONDS
    return units * mid, units * low, units * high


def report(*, session: Session, actor: Person) -> QualificationReport:
    drafts = list(session.scalars(select(Draft).where(Draft.person_id == actor.id)))
    by_status = {s: [d for d in drafts if d.status == s.value] for s in DraftStatus}
    approved = by_status[DraftStatus.APPROVED]
    edited = [d for d in approved if d.edited_body is not None]
    to_draft = [(d.ready_at - d.received_at).total_seconds() for d in drafts]
    to_approved = [(d.decided_at - d.received_at).total_seconds() for d in approved if d.decided_at]
    estimate, low, high = seconds_saved(len(approved) - len(edited), len(edited))
    booked = prospects.count_booked(session=session, actor=actor)
    qualified = (
        session.scalar(
            select(func.count())
            .select_from(Qualification)
            .where(Qualification.person_id == actor.id)
        )
        or 0
    )
    return QualificationReport(
        inbound_qualified=qualified,
        drafts_pending=len(by_status[DraftStatus.PENDING]),
        drafts_approved=len(approved),
        drafts_edited=len(edited),
        drafts_discarded=len(by_status[DraftStatus.DISCARDED]),
        inbound_to_draft=_latency(to_draft),
        inbound_to_approved=_latency(to_approved),
        seconds_saved_estimate=estimate,
        seconds_saved_range=(low, high),
        seconds_per_manual_reply_assumed=MANUAL_REPLY_SECONDS[1],
        booked_prospects=booked,
        seconds_saved_per_booking=round(estimate / booked, 1) if booked else None,
        model_version=active_scorer(session=session, actor=actor).version,
    )
