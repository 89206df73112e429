"""Draft decisions: refine, one tap, edit-then-approve (the edit is kept), discard, batch.

Approval records an outbound message touchpoint on the prospect and queues the reply in the
outbox; delivery happens only after the edge commits (`outbox.deliver_queued`). The draft row is
locked while it is decided, so two concurrent approvals give one outbound and one Conflict.
A batch is all-or-nothing: every draft is checked before any is approved.

One tap never sends a held-back draft (`Draft.needs_review`: triage found something sensitive,
or the reader was unsure): it is approved only on its own with `confirm_review=True`, or edited
(the provider wrote the text), and a batch that lists one approves none.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from prospecting.db import utcnow
from prospecting.errors import Conflict, NotFound
from prospecting.identity.models import Person
from prospecting.prospects import service as prospects
from prospecting.qualify import outbox
from prospecting.qualify.drafts import guard_refinement
from prospecting.qualify.models import Draft, Qualification
from prospecting.qualify.reads import get_draft
from prospecting.qualify.refine import RefineRequest
from prospecting.qualify.schemas import DraftStatus

MAX_EXACT_DISTANCE_CELLS = 4_000_000


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance in characters (common prefix/suffix trimmed; bounded work)."""
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    a, b = a[start : len(a) - end], b[start : len(b) - end]
    if not a or not b:
        return max(len(a), len(b))
    if len(a) * len(b) > MAX_EXACT_DISTANCE_CELLS:
        return max(len(a), len(b))
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _pending(session: Session, actor: Person, draft_id: str) -> Draft:
    draft = get_draft(session=session, actor=actor, draft_id=draft_id, lock=True)
    if draft.status != DraftStatus.PENDING:
        raise Conflict(f"draft {draft_id} is already {draft.status}")
    return draft


def _approve(
    session: Session,
    actor: Person,
    draft: Draft,
    *,
    body: str,
    at: datetime | None,
) -> Draft:
    decided = at or utcnow()
    touchpoint, recipient = prospects.record_reply(
        session=session,
        actor=actor,
        prospect_id=draft.prospect_id,
        channel=draft.channel,
        body=body,
        at=decided,
    )
    draft.status, draft.decided_at = DraftStatus.APPROVED, decided
    draft.outbound_touchpoint_id = touchpoint.id
    outbox.enqueue(
        session=session,
        person_id=actor.id,
        draft_id=draft.id,
        touchpoint_id=touchpoint.id,
        channel=draft.channel,
        recipient=recipient,
        body=body,
    )
    return draft


def approve_draft(
    *,
    session: Session,
    actor: Person,
    draft_id: str,
    at: datetime | None = None,
    confirm_review: bool = False,
) -> Draft:
    """One tap: send the draft as it is (queued; delivered after the edge commits). A draft
    that needs review is sent only with `confirm_review=True` (the provider has read it)."""
    draft = _pending(session, actor, draft_id)
    if draft.needs_review and not confirm_review:
        reasons = "; ".join(draft.review_reasons or ()) or "held back from one-tap approval"
        raise Conflict(
            f"this draft needs review: {reasons}; approve it on its own with "
            "confirm_review=true, or edit it"
        )
    return _approve(session, actor, draft, body=draft.body, at=at)


def edit_and_approve(
    *,
    session: Session,
    actor: Person,
    draft_id: str,
    body: str,
    at: datetime | None = None,
) -> Draft:
    """Send the provider's edit; the original, the edit and their distance are kept."""
    draft = _pending(session, actor, draft_id)
    draft.edited_body = body
    draft.edit_distance = edit_distance(draft.body, body)
    return _approve(session, actor, draft, body=body, at=at)


def discard_draft(
    *, session: Session, actor: Person, draft_id: str, at: datetime | None = None
) -> Draft:
    draft = _pending(session, actor, draft_id)
    draft.status, draft.decided_at = DraftStatus.DISCARDED, at or utcnow()
    session.flush()
    return draft


def batch_approve(
    *,
    session: Session,
    actor: Person,
    draft_ids: Sequence[str],
) -> list[Draft]:
    """Approve many drafts or none: a missing, foreign or decided draft fails the whole batch,
    and so does one that needs review (Conflict naming every such draft)."""
    ids = list(dict.fromkeys(draft_ids))
    pending = {}
    for draft_id in sorted(ids):  # one lock order, so overlapping batches cannot deadlock
        try:
            pending[draft_id] = _pending(session, actor, draft_id)
        except NotFound:
            raise NotFound(f"draft {draft_id}") from None
    drafts = [pending[draft_id] for draft_id in ids]
    held = [d.id for d in drafts if d.needs_review]
    if held:
        raise Conflict(
            f"these drafts need review and are never approved in a batch: {', '.join(held)}; "
            "approve each on its own with confirm_review=true, or edit it, and batch the rest"
        )
    return [_approve(session, actor, d, body=d.body, at=None) for d in drafts]


def refinement_request(*, session: Session, actor: Person, draft_id: str) -> RefineRequest | None:
    """What to ask a copilot's model to polish, or None when the draft should stay as it is
    (already refined, or no longer pending)."""
    draft = get_draft(session=session, actor=actor, draft_id=draft_id)
    if draft.source != "offline" or draft.status != DraftStatus.PENDING:
        return None
    qualification = session.get(Qualification, draft.qualification_id)
    assert qualification is not None
    if (qualification.triage or {}).get("urgency") == "crisis":
        return None  # the crisis protocol is sent as the provider wrote it, never reworded
    touchpoint = prospects.inbound_message(
        session=session, actor=actor, touchpoint_id=qualification.touchpoint_id
    )
    prospect = prospects.get_prospect(session=session, actor=actor, prospect_id=draft.prospect_id)
    return RefineRequest(
        draft.body,
        touchpoint.body or "",
        draft.tone,
        draft.language,
        qualification.intent,
        sender_name=prospect.display_name,
    )


def apply_refinement(
    *, session: Session, actor: Person, draft_id: str, body: str, source: str
) -> Draft:
    """Swap in a guarded refinement (e.g. from MCP sampling) while the draft is pending."""
    draft = get_draft(session=session, actor=actor, draft_id=draft_id)
    safe = guard_refinement(draft.offline_body, body)
    if safe is not None and draft.status == DraftStatus.PENDING:
        draft.body, draft.source = safe, source
        session.flush()
    return draft
