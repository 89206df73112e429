"""Auto-qualify core: every inbound message is read, scored and drafted before anyone looks.

The inbound workflow (`prospecting.workflows.inbound`) composes prospects' ingest, the graph's
signal and `qualify_inbound` for every adapter (HTTP, MCP, CLI, demo). Services never commit.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from prospecting.db import insert_rows, new_id, utcnow
from prospecting.identity.models import Person
from prospecting.prospects import service as prospects
from prospecting.qualify import intent as reader
from prospecting.qualify import training
from prospecting.qualify.drafts import build_draft
from prospecting.qualify.models import Draft, Qualification
from prospecting.qualify.profile import profile_for
from prospecting.qualify.refine import Refiner, RefineRequest, refine
from prospecting.qualify.schemas import DraftStatus, ProfileIn
from prospecting.qualify.scoring import GRAPH_FEATURES, History, LogisticScorer, all_features
from prospecting.qualify.signals import GraphFeatures
from prospecting.qualify.triage import Triage, max_urgency, triage

if TYPE_CHECKING:
    from prospecting.prospects.models import Touchpoint

FOLLOWUP_REPLY_WINDOW = timedelta(days=3)

UNCERTAIN_INTENT_BELOW = 0.30
"""Below this intent confidence the draft waits for a look. On the held-out intent set
(tests/qualify/data/intent_eval.jsonl, 280 messages) it holds 4.6% of messages, and about half of
those are misread (against 13.6% overall): below 0.30 the 7-way model is close to guessing.
Higher thresholds catch more misreads but hold much more ordinary mail (0.35: 7.5%, 0.45: 15%,
0.55: 27%, where accuracy above the line reaches 95%); the misreads they add mostly swap one
benign template for another (pricing vs. service), and the sensitive messages that must not get
a template are held by triage instead. bench/triage_eval.py shows the effect end to end."""

NEUTRAL_INTENTS = frozenset({"other"})
"""Intents whose draft commits to nothing ("thanks, I'll get back to you"): a misread costs
nothing, so an unsure read of one is not held for review."""

FLAG_REASON = "flagged by "
"""How a review reason from the network's safety flags begins (an erasure strips them)."""

NOT_PROSPECT_SURE = 0.60
"""A "not a prospect" read below this confidence is never suggested for discarding: on the
intent eval set every such read at 0.60 or above was right, the two wrong ones were at 0.43 and
0.48 (a pricing question and a thank-you)."""


@dataclass(frozen=True)
class Review:
    """Whether a draft is held back from one tap, why, and the action to suggest."""

    needs_review: bool
    reasons: tuple[str, ...]
    suggested_action: str


def review_decision(
    read: reader.Intent,
    screened: Triage,
    suggested_action: str,
    *,
    flags: Mapping[str, int] | None = None,
) -> Review:
    """The one decision `qualify_inbound` makes about one-tap approval (also what
    bench/triage_eval.py and the quality floor in tests/qualify/test_triage.py measure).

    `flags` are the network's safety flags (code -> consenting peers behind it, each shown only
    at or above the minimum-contributors floor): a flagged person is never one tap away; spam
    flags alone suggest discarding, any other flag a review."""
    reasons = list(screened.reasons)
    for code, peers in sorted((flags or {}).items()):
        reasons.append(f"{FLAG_REASON}{peers} consenting peers: {code.replace('_', ' ')}")
    label = read.label.replace("_", " ")
    if read.label == "not_a_prospect" and read.confidence < NOT_PROSPECT_SURE:
        reasons.append(
            "may not be a prospect, but the reader is not sure enough to suggest discarding it "
            f"(confidence {read.confidence:.2f})"
        )
    elif read.confidence < UNCERTAIN_INTENT_BELOW and read.label not in NEUTRAL_INTENTS:
        reasons.append(
            f"unclear what the message asks (read as {label}, confidence {read.confidence:.2f})"
        )
    if reasons:
        spam_only = bool(flags) and set(flags or {}) == {"spam"} and not screened.reasons
        return Review(True, tuple(reasons), "discard" if spam_only else "review")
    return Review(False, (), suggested_action)


def qualify_inbound(
    *,
    session: Session,
    actor: Person,
    touchpoint_id: str,
    graph: GraphFeatures | None = None,
    refiner: Refiner | None = None,
    scorer: LogisticScorer | None = None,
    profile: ProfileIn | None = None,
    received_at: datetime | None = None,
    started: float | None = None,
) -> tuple[Qualification, Draft]:
    """Read, score and draft one of the Person's inbound messages (idempotent per message).

    `graph` is what the consented network said (None: the empty network), read by the inbound
    workflow before this transaction began.
    """
    started = started if started is not None else time.perf_counter()
    touchpoint = prospects.inbound_message(
        session=session, actor=actor, touchpoint_id=touchpoint_id
    )
    existing = session.scalar(
        select(Qualification).where(Qualification.touchpoint_id == touchpoint.id)
    )
    if existing is not None:
        draft = session.scalar(select(Draft).where(Draft.qualification_id == existing.id))
        assert draft is not None
        return existing, draft
    received_at = received_at or touchpoint.created_at
    prospect = prospects.get_prospect(
        session=session, actor=actor, prospect_id=touchpoint.prospect_id
    )
    profile = profile or profile_for(session=session, actor=actor)
    text = touchpoint.body or ""
    read = reader.classify(
        text,
        service_names=[s.name for s in profile.services],
        time_zone=actor.time_zone,
        now=touchpoint.occurred_at,
    )
    screened = triage(text, language=read.language)
    history = history_before(session, touchpoint)
    features = all_features(text, read, history, graph, languages=profile.languages)
    scorer = scorer or training.active_scorer(session=session, actor=actor)
    scored = scorer.score(features)
    now = utcnow()
    qualification_id = new_id()
    # Core INSERTs of rows made here whole (`db.insert_rows`): no unit of work, no flush
    [qualification] = insert_rows(
        session,
        Qualification,
        [
            {
                "id": qualification_id,
                "person_id": actor.id,
                "prospect_id": prospect.id,
                "touchpoint_id": touchpoint.id,
                "intent": read.label,
                "intent_confidence": round(read.confidence, 4),
                "language": read.language,
                "entities": {
                    "requested_service": read.entities.requested_service,
                    "day_time_wishes": list(read.entities.day_time_wishes),
                    "resolved_times": list(read.entities.resolved_times),
                    "urgency": max_urgency(read.entities.urgency, screened.urgency),
                },
                "p_book": scored.p_book,
                "factors": scored.factors,
                "features": {k: round(v, 6) for k, v in features.items()} | _graph_facts(graph),
                "graph_state": _graph_state(graph),
                "triage": screened.as_json(),
                "model_version": scorer.version,
                "message_at": touchpoint.occurred_at,
                "received_at": received_at,
                "created_at": now,
            }
        ],
    )
    offline = build_draft(
        intent=read,
        profile=profile,
        prospect_name=prospect.display_name,
        triage=screened,
        text=text,
    )
    review = review_decision(
        read, screened, offline.suggested_action, flags=graph.safety_flags if graph else None
    )
    if screened.crisis:  # the crisis protocol is sent as the provider wrote it, never reworded
        body, source = offline.body, "offline"
    else:
        body, source = refine(
            refiner,
            RefineRequest(
                offline.body,
                text,
                offline.tone,
                offline.language,
                read.label,
                sender_name=prospect.display_name,
            ),
        )
    elapsed = time.perf_counter() - started
    [draft] = insert_rows(
        session,
        Draft,
        [
            {
                "id": new_id(),
                "person_id": actor.id,
                "prospect_id": prospect.id,
                "qualification_id": qualification_id,
                "channel": touchpoint.channel,
                "language": offline.language,
                "tone": offline.tone,
                "body": body,
                "offline_body": offline.body,
                "source": source,
                "suggested_action": review.suggested_action,
                "needs_review": review.needs_review,
                "review_reasons": list(review.reasons),
                "status": DraftStatus.PENDING,
                "edited_body": None,
                "edit_distance": None,
                "outbound_touchpoint_id": None,
                "received_at": received_at,
                "ready_at": received_at + timedelta(seconds=elapsed),
                "latency_ms": round(elapsed * 1000, 3),
                "decided_at": None,
                "created_at": now,
            }
        ],
    )
    return qualification, draft


def _graph_state(graph: GraphFeatures | None) -> str:
    """empty (no signal), degraded (graph unreachable), the graph's network state, or present."""
    if graph is None:
        return "empty"
    if graph.degraded:
        return "degraded"
    return graph.network_state or "present"


GRAPH_NOTICES = {
    "graph_budget_exhausted": "network privacy budget for this person is spent: its figures "
    "will not refresh",
    "graph_degraded": "the network was unreachable: scored on local history only",
}


GRAPH_FEATURE_KEYS = frozenset(GRAPH_FEATURES) | frozenset(GRAPH_NOTICES)
"""Every feature (and factor) derived from the graph: what an erasure strips."""


def _graph_facts(graph: GraphFeatures | None) -> dict[str, float]:
    """Recorded with the features (the scorer ignores them) so the notices survive re-reads."""
    if graph is None:
        return {}
    return {
        name: 1.0
        for name, on in (
            ("graph_budget_exhausted", graph.budget_exhausted),
            ("graph_degraded", graph.degraded),
        )
        if on
    }


def graph_notices(row: Qualification) -> list[str]:
    return [text for name, text in GRAPH_NOTICES.items() if (row.features or {}).get(name)]


def history_before(session: Session, touchpoint: Touchpoint) -> History:
    """What this provider already knows about the prospect, strictly before the message."""
    rows = prospects.touchpoints_before(session=session, touchpoint=touchpoint)
    if not rows:
        return History()
    inbound = [r for r in rows if r.direction == "inbound" and r.kind == "message"]
    outcomes = [r for r in rows if r.kind == "outcome" and r.outcome_version is not None]
    last = max(outcomes, key=lambda r: r.outcome_version or 0).outcome if outcomes else None
    unanswered = 0
    replies = [r.occurred_at for r in inbound] + [touchpoint.occurred_at]
    for out in (r for r in rows if r.direction == "outbound" and r.kind == "message"):
        replied = any(
            out.occurred_at < at <= out.occurred_at + FOLLOWUP_REPLY_WINDOW for at in replies
        )
        unanswered += not replied
    days = (touchpoint.occurred_at - rows[0].occurred_at).total_seconds() / 86400
    return History(
        prior_inbound=len(inbound),
        last_outcome=last,
        days_since_first_contact=days,
        unanswered_followups=unanswered,
    )


def strip_graph_features(*, session: Session, prospect_ids: Iterable[str]) -> int:
    """Erasure: drop graph-derived features and factors from the qualifications of these
    prospects, marking them `erased`; returns how many were touched (idempotent)."""
    ids = sorted(set(prospect_ids))
    if not ids:
        return 0
    touched = 0
    for row in session.scalars(select(Qualification).where(Qualification.prospect_id.in_(ids))):
        row.features = {k: v for k, v in row.features.items() if k not in GRAPH_FEATURE_KEYS}
        row.factors = [f for f in row.factors if f.get("feature") not in GRAPH_FEATURE_KEYS]
        row.graph_state = "erased"
        touched += 1
    for draft in session.scalars(select(Draft).where(Draft.prospect_id.in_(ids))):
        kept = [r for r in draft.review_reasons or [] if not r.startswith(FLAG_REASON)]
        if kept != list(draft.review_reasons or []):
            draft.review_reasons = kept  # still held: erasure does not make a draft one-tap
    session.flush()
    return touched
