"""Prompts for the recurring parts of a provider's day: each one is the user's request, spelled
out step by step in terms of the server's tools, so any copilot runs it the same way."""

from __future__ import annotations

from typing import Annotated

from mcp.server import MCPServer
from pydantic import Field

TRIAGE = """\
Triage my inbox of reply drafts.

1. Call list_drafts with needs_review=false (pending drafts safe for one-tap approval). For
   each, show me: the prospect's name, the message it answers, intent, P(book), and the draft.
2. Ask me which ones to send. Send only those I confirm: batch_approve with their ids (or
   approve_draft / edit_draft one by one when I change the wording).
3. Call list_drafts with needs_review=true. For each held draft, show the message, the
   review_reasons and the draft, and read the whole conversation with get_prospect if it
   helps. Do not send any of them unless I say so after reading; then use approve_draft with
   confirm_review=true, or edit_draft with my wording. Offer discard_draft when I will reply
   myself.
4. Page with next_cursor until there are no more drafts{focus}.
Finish with how many were sent, edited, discarded and left for later."""

OUTCOMES = """\
Help me close the loop on my prospects.

1. Call get_graph_consent and tell me in one line whether outcomes I record are shared with
   the network (contribute policy) and whether I can ask the network (query).
2. Call list_prospects{status_filter}. For each one I tell you about, call record_outcome
   with the outcome I give (booked, rescheduled, no_show, ghosted, declined or blocked).
   Report whether each was contributed to the network and, if not, the reason given.
3. Update status or notes with update_prospect when I ask.
4. Call list_merge_suggestions; for each pair, show both names and the reason, and accept or
   reject it only on my word."""

CONSENT = """\
Explain my network consent and change it only if I ask.

1. Call get_graph_consent and explain, in plain words: whether my outcomes are shared
   (contribute policy none / per_prospect / all, and which prospects are opted in), whether I
   can ask the network about a person (query), and whether I revoked.
2. Say what each option means for me: sharing helps peers and me see how people behave
   across providers; values are noised before storage and no provider sees another's rows.
3. If I ask for a change, call graph_consent with the matching action and show the result."""


def register(server: MCPServer) -> None:
    @server.prompt(name="triage_inbox", title="Triage my inbox")
    def triage_inbox(
        focus: Annotated[
            str | None,
            Field(
                description="Optional: an intent to start with, e.g. booking_request, or "
                "'high score' for P(book) >= 0.6 first."
            ),
        ] = None,
    ) -> str:
        """Go through pending reply drafts: send the safe ones I confirm, leave held ones for
        a careful look."""
        extra = f"; start with {focus} (list_drafts filters intent / min_score)" if focus else ""
        return TRIAGE.format(focus=extra)

    @server.prompt(name="close_the_loop", title="Record outcomes and tidy prospects")
    def close_the_loop(
        status: Annotated[
            str | None,
            Field(description="Optional: only prospects in this status, e.g. contacted."),
        ] = None,
    ) -> str:
        """Record how prospects turned out (shared with the network when consent allows),
        update status and notes, decide merge suggestions."""
        status_filter = f" with status={status}" if status else ""
        return OUTCOMES.format(status_filter=status_filter)

    @server.prompt(name="review_network_consent", title="Review my network consent")
    def review_network_consent() -> str:
        """Read and explain the network consent now in force; change it only on request."""
        return CONSENT
