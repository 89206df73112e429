"""Outbox for approved replies and the channel adapter interface.

Real SMS / e-mail / DM delivery is out of scope: the default adapter only logs the hand-over
(without the message text) and marks the item `handed_over`. A real adapter implements
`ChannelAdapter.send` and may raise; the item then stays `queued` with the error kept.
"""

from __future__ import annotations

import logging
from typing import Protocol

from sqlalchemy.orm import Session

from prospecting.db import new_id, utcnow
from prospecting.qualify.models import OutboxItem

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
    adapter: ChannelAdapter,
) -> OutboxItem:
    item = OutboxItem(
        id=new_id(),
        person_id=person_id,
        draft_id=draft_id,
        touchpoint_id=touchpoint_id,
        channel=channel,
        recipient=recipient,
        body=body,
        status="queued",
        attempts=1,
        adapter=adapter.name,
    )
    try:
        adapter.send(item)
    except Exception as exc:
        item.last_error = f"{type(exc).__name__}: {exc}"[:500]
    else:
        item.status, item.handed_over_at = "handed_over", utcnow()
    session.add(item)
    session.flush()
    return item
