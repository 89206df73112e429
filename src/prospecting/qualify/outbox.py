"""Outbox for approved replies and the channel adapter interface.

Approval only *enqueues* (status `queued`) inside the request's transaction; nothing is sent
there, so a rolled-back approval or batch never leaves a message behind. After the edge has
committed, `deliver_queued` hands items to the channel adapter in a transaction of its own.
Real SMS / e-mail / DM delivery is out of scope: the default adapter only logs the hand-over
(without the message text). A real adapter implements `ChannelAdapter.send` and may raise; the
item then stays `queued` with the error kept.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from prospecting.db import new_id, utcnow
from prospecting.errors import Conflict
from prospecting.qualify.models import OutboxItem
from prospecting.qualify.schemas import OutboxStatus

log = logging.getLogger(__name__)


class ChannelAdapter(Protocol):
    name: str

    def send(self, item: OutboxItem) -> None:
        """Hand one approved reply to its channel; raise if it could not be handed over."""


class LogOnlyAdapter:
    """Default adapter: records the hand-over and sends nothing."""

    name = "log_only"

    def send(self, item: OutboxItem) -> None:
        log.info("outbox item %s handed over (channel=%s)", item.id, item.channel)


def enqueue(
    *,
    session: Session,
    person_id: str,
    draft_id: str,
    touchpoint_id: str,
    channel: str | None,
    recipient: str | None,
    body: str,
) -> OutboxItem:
    """Queue one approved reply; a second item for the same draft is a Conflict, not a 500."""
    item = OutboxItem(
        id=new_id(),
        person_id=person_id,
        draft_id=draft_id,
        touchpoint_id=touchpoint_id,
        channel=channel,
        recipient=recipient,
        body=body,
        status=OutboxStatus.QUEUED,
        attempts=0,
    )
    try:
        with session.begin_nested():
            session.add(item)
            session.flush()
    except IntegrityError:
        raise Conflict(f"draft {draft_id} is already queued for delivery") from None
    return item


NOTICE_PURPOSES = ("coop_consent",)
"""Outbox items that are not a reply: no draft, no touchpoint; `ref_id` names their source."""


def enqueue_notice(
    *,
    session: Session,
    person_id: str,
    purpose: str,
    ref_id: str,
    channel: str | None,
    recipient: str | None,
    body: str,
) -> OutboxItem:
    """Queue one message that is not a reply to a draft (e.g. a coop share-consent request)."""
    if purpose not in NOTICE_PURPOSES:
        raise ValueError(f"unknown outbox purpose {purpose!r}")
    item = OutboxItem(
        id=new_id(),
        person_id=person_id,
        draft_id=None,
        touchpoint_id=None,
        purpose=purpose,
        ref_id=ref_id,
        channel=channel,
        recipient=recipient,
        body=body,
        status=OutboxStatus.QUEUED,
        attempts=0,
    )
    session.add(item)
    return item


def deliver_queued(
    *, session: Session, draft_ids: Sequence[str], adapter: ChannelAdapter
) -> list[OutboxItem]:
    """Hand the queued items of these drafts to the adapter; a failure keeps the item queued.

    Rows are locked (skipped if another dispatcher holds them) so no item is handed over twice.
    """
    if not draft_ids:
        return []
    return _hand_over(session, OutboxItem.draft_id.in_(list(draft_ids)), adapter=adapter)


def deliver_notices(
    *, session: Session, purpose: str, ref_ids: Sequence[str], adapter: ChannelAdapter
) -> list[OutboxItem]:
    """Hand the queued notices of this purpose and these sources (e.g. consent ids) over."""
    if not ref_ids:
        return []
    return _hand_over(
        session,
        OutboxItem.purpose == purpose,
        OutboxItem.ref_id.in_(list(ref_ids)),
        adapter=adapter,
    )


def _hand_over(session: Session, *conditions: Any, adapter: ChannelAdapter) -> list[OutboxItem]:
    items = session.scalars(
        select(OutboxItem)
        .where(*conditions, OutboxItem.status == OutboxStatus.QUEUED)
        .order_by(OutboxItem.created_at, OutboxItem.id)
        .with_for_update(skip_locked=True)
    )
    done = []
    for item in items:
        item.attempts, item.adapter = (item.attempts or 0) + 1, adapter.name
        try:
            adapter.send(item)
        except Exception as exc:
            item.last_error = f"{type(exc).__name__}: {exc}"[:500]
        else:
            item.status, item.handed_over_at = OutboxStatus.HANDED_OVER, utcnow()
            item.last_error = None
        done.append(item)
    session.flush()
    return done
