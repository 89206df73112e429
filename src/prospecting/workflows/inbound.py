"""Inbound: ingest → link → graph signal → qualify → draft, the one path for every adapter.

Cross-store order (docs/architecture.md): a graph row may only ever refer to a committed
tenant row, so the stores commit in this order, each in its own transaction:

1. tenant: ingest (prospect, touchpoint, hash chain), committed first;
2. graph: link the prospect (only with consent) and read its signal in one audited query,
   with a read-only tenant session, so waiting on the graph never holds the tenant store's
   write lock;
3. tenant: the link confidence, the qualification and the offline draft;
4. optional, outside any transaction: a language model polishes the draft (`polish`), and the
   guarded result is swapped in by a short tenant transaction of its own.

A crash after (1) leaves an unqualified message and nothing in the graph; after (2) a linked
prospect without its qualification. Neither leaves a graph row for a prospect the tenant store
never committed; `reconcile` (run when `serve` starts) finishes both: it reads the graph again
and qualifies the message (`qualify_inbound` is idempotent per message).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from prospecting.coop import service as coop
from prospecting.db import utcnow
from prospecting.errors import GraphUnavailable
from prospecting.graph import service as graph
from prospecting.graph.schemas import GraphSignals
from prospecting.identity import service as identity
from prospecting.identity.models import Person
from prospecting.prospects import service as prospects
from prospecting.prospects.schemas import InboundMessage
from prospecting.qualify import approvals, reads
from prospecting.qualify.refine import Refiner, refine, refiner_from_settings
from prospecting.qualify.schemas import DraftOut, QualifiedInbound
from prospecting.qualify.service import qualify_inbound
from prospecting.qualify.signals import GraphFeatures
from prospecting.runtime import Channel, Context, Runtime

if TYPE_CHECKING:
    from prospecting.qualify.models import Draft, Qualification

RECONCILE_WINDOW = timedelta(days=7)


def receive(
    runtime: Runtime,
    *,
    actor: Person,
    message: InboundMessage,
    channel: Channel,
    refiner: Refiner | None = None,
) -> QualifiedInbound:
    """Ingest one inbound message, read the network, score and draft it; see the module doc."""
    started, received_at = time.perf_counter(), utcnow()
    with runtime.stores.tenant() as tenant:
        ingested = prospects.ingest(
            session=tenant, actor=actor, resolver=runtime.resolver, message=message
        )
        result = ingested.as_result()
        # A YES/NO to a pending coop share request decides it, with the touchpoint.
        consent_answer = coop.decide_by_reply(
            session=tenant,
            person_id=actor.id,
            prospect_id=result.prospect.id,
            body=message.body,
            now=received_at,
        )
    signals = graph_signal(
        runtime,
        actor=actor,
        prospect_id=result.prospect.id,
        channel=channel,
        contacted_at=result.touchpoint.occurred_at,
        ingested=graph.FromIngest(chain=ingested.graph_chain),
    )
    with runtime.stores.tenant() as tenant:
        # The message and its prospect as step 1 committed them: qualify reads them by id.
        prospects.remember(session=tenant, ingested=ingested)
        qualification, draft = _qualify(
            runtime,
            tenant,
            actor=actor,
            prospect_id=result.prospect.id,
            touchpoint_id=result.touchpoint.id,
            signals=signals,
            received_at=received_at,
            started=started,
        )
        if signals.link_confidence is not None:
            result.prospect.link_confidence = signals.link_confidence
        if consent_answer is not None:
            _hold_for_review(draft, reason=CONSENT_ANSWER_REASON)
        answer = QualifiedInbound(
            ingest=result,
            qualification=reads.qualification_out(qualification),
            draft=reads.draft_out(draft),
        )
    refiner = refiner if refiner is not None else refiner_from_settings(runtime.settings)
    if refiner is not None:
        answer.draft = polish(runtime, actor=actor, draft_id=answer.draft.id, refiner=refiner)
    return answer


CONSENT_ANSWER_REASON = "the message answers a coop share request (recorded); reply by hand"


def _hold_for_review(draft: Draft, *, reason: str) -> None:
    """Keep a draft out of one-tap approval: an answer to a consent request is not a booking
    enquiry, so its drafted reply is read before it goes (qualify's `needs_review`)."""
    draft.needs_review = True
    draft.review_reasons = [*(draft.review_reasons or ()), reason]


def polish(runtime: Runtime, *, actor: Person, draft_id: str, refiner: Refiner) -> DraftOut:
    """Step 4, optional: a language model polishes the committed offline draft. The call runs
    outside any transaction (a slow endpoint must not hold the tenant store's write lock); the
    guarded result is swapped in afterwards, only while the draft is still pending."""
    with runtime.stores.tenant_read() as tenant:
        request = approvals.refinement_request(session=tenant, actor=actor, draft_id=draft_id)
        current = reads.draft_out(reads.get_draft(session=tenant, actor=actor, draft_id=draft_id))
    if request is None:
        return current
    body, source = refine(refiner, request)
    if source == "offline":
        return current
    with runtime.stores.tenant() as tenant:
        draft = approvals.apply_refinement(
            session=tenant, actor=actor, draft_id=draft_id, body=body, source=source
        )
        return reads.draft_out(draft)


def reconcile(runtime: Runtime, *, window: timedelta = RECONCILE_WINDOW) -> int:
    """Finish inbound messages a crash left between the ingest commit and the qualification
    commit (run at `serve` start): read the graph again and qualify them. Returns how many."""
    with runtime.stores.tenant_read() as tenant:
        rows = prospects.recent_inbound(session=tenant, since=utcnow() - window)
        done = reads.qualified(session=tenant, touchpoint_ids=[tid for tid, _, _ in rows])
        pending = [(pid, prospect, tid) for tid, pid, prospect in rows if tid not in done]
        actors = {
            pid: identity.get_person(session=tenant, person_id=pid)
            for pid in {person_id for person_id, _, _ in pending}
        }
    for person_id, prospect_id, touchpoint_id in pending:
        actor = actors[person_id]
        signals = graph_signal(runtime, actor=actor, prospect_id=prospect_id, channel="cli")
        with runtime.stores.tenant() as tenant:
            _qualify(
                runtime,
                tenant,
                actor=actor,
                prospect_id=prospect_id,
                touchpoint_id=touchpoint_id,
                signals=signals,
            )
    return len(pending)


def _qualify(
    runtime: Runtime,
    tenant: Session,
    *,
    actor: Person,
    prospect_id: str,
    touchpoint_id: str,
    signals: GraphSignals,
    received_at: datetime | None = None,
    started: float | None = None,
) -> tuple[Qualification, Draft]:
    """Step 3: the link confidence, then the qualification and the offline draft."""
    if signals.link_confidence is not None:
        prospects.set_link_confidence(
            session=tenant, prospect_id=prospect_id, confidence=signals.link_confidence
        )
    return qualify_inbound(
        session=tenant,
        actor=actor,
        touchpoint_id=touchpoint_id,
        graph=GraphFeatures.from_signals(signals),
        received_at=received_at,
        started=started,
    )


def graph_signal(
    runtime: Runtime,
    *,
    actor: Person,
    prospect_id: str,
    channel: Channel,
    contacted_at: datetime | None = None,
    ingested: graph.FromIngest | None = None,
) -> GraphSignals:
    """Step 2 in a graph transaction of its own. An outage, also one at commit (the audit row
    did not land, so the answer may not be used), is the degraded signal, never an error.
    `ingested`: what step 1's ingest of the prospect hands to linking."""
    try:
        with runtime.stores.tenant_read() as tenant, runtime.stores.graph() as graph_session:
            ctx = Context(tenant, graph_session, actor, runtime.settings, runtime.resolver, channel)
            return graph.inbound_signals(
                ctx, prospect_id, received_at=contacted_at, ingested=ingested
            )
    except GraphUnavailable:
        return GraphSignals(state="degraded", degraded=True)
