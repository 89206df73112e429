"""Delivery: after a transaction has committed, hand what it queued over to the channel (approved
replies, and notices such as a coop share-consent request)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from prospecting.qualify import outbox
from prospecting.qualify.schemas import OutboxStatus
from prospecting.runtime import Runtime

log = logging.getLogger(__name__)


def dispatch_outbox(
    runtime: Runtime, *, draft_ids: Sequence[str], adapter: outbox.ChannelAdapter | None = None
) -> int:
    """Hand queued replies to the channel in a transaction of their own. Never raises: the
    approval stands and undelivered items stay queued."""
    try:
        with runtime.stores.tenant() as session:
            items = outbox.deliver_queued(
                session=session, draft_ids=draft_ids, adapter=adapter or outbox.LogOnlyAdapter()
            )
            return sum(item.status == OutboxStatus.HANDED_OVER for item in items)
    except Exception as exc:
        log.warning("outbox dispatch failed; items stay queued (%s)", type(exc).__name__)
        return 0


def dispatch_notices(
    runtime: Runtime,
    *,
    purpose: str,
    ref_ids: Sequence[str],
    adapter: outbox.ChannelAdapter | None = None,
) -> int:
    """Hand queued notices of `purpose` for `ref_ids` (e.g. consent ids) to the channel in a
    transaction of their own. Never raises: what was asked stands and the notice stays queued."""
    try:
        with runtime.stores.tenant() as session:
            items = outbox.deliver_notices(
                session=session,
                purpose=purpose,
                ref_ids=ref_ids,
                adapter=adapter or outbox.LogOnlyAdapter(),
            )
            return sum(item.status == OutboxStatus.HANDED_OVER for item in items)
    except Exception as exc:
        log.warning("notice dispatch failed; items stay queued (%s)", type(exc).__name__)
        return 0
