"""Answers shaped for a copilot: what a model needs next to the row, so one call is enough
(the prospect's name and the message a draft answers, a prospect with its conversation, an
outcome with whether it reached the network and why not)."""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from prospecting.errors import NotFound
from prospecting.graph.schemas import ContributionOut
from prospecting.identity.models import Person
from prospecting.prospects import service as prospects
from prospecting.prospects.schemas import (
    MergeSuggestionOut,
    ProspectOut,
    ProspectStatus,
    TouchpointOut,
)
from prospecting.qualify.schemas import DraftDetail


class DraftView(DraftDetail):
    """A draft with its qualification, who it is for and what it answers."""

    prospect_name: str | None = Field(description="The prospect's display name, if known.")
    message: str | None = Field(description="The inbound message this draft answers.")
    message_channel: str | None = Field(description="The channel the message came in on.")


class DraftListPage(BaseModel):
    items: list[DraftView]
    total: int = Field(description="How many drafts match the filters (all pages).")
    next_cursor: str | None = Field(
        description="Pass as cursor to get the next page; null on the last page."
    )


class ProspectListPage(BaseModel):
    items: list[ProspectOut]
    total: int = Field(description="How many prospects match the filter (all pages).")
    next_cursor: str | None = Field(
        description="Pass as cursor to get the next page; null on the last page."
    )


class ProspectConversation(BaseModel):
    """A prospect and its conversation: messages both ways and recorded outcomes."""

    prospect: ProspectOut
    touchpoints: list[TouchpointOut] = Field(
        description="Oldest first: inbound and outbound messages, and outcomes."
    )
    touchpoints_omitted: int = Field(
        description="Older touchpoints left out to keep the answer short (see max_touchpoints)."
    )


class OutcomeRecorded(BaseModel):
    """The recorded outcome, and whether it was contributed to the network."""

    touchpoint: TouchpointOut
    prospect_status: ProspectStatus
    contributed: bool = Field(description="True when the outcome reached the network graph.")
    contribution: ContributionOut | None = None
    not_contributed_reason: str | None = Field(
        description="Why it was not contributed, and what would change that."
    )


class MergeSuggestionView(MergeSuggestionOut):
    """A suggestion that two of your prospects are one person (similar names)."""

    prospect_name: str | None = Field(description="Display name of prospect_id.")
    candidate_name: str | None = Field(description="Display name of candidate_id.")


def draft_view(session: Session, actor: Person, detail: DraftDetail) -> DraftView:
    prospect = prospects.get_prospect(session=session, actor=actor, prospect_id=detail.prospect_id)
    try:
        message = prospects.inbound_message(
            session=session, actor=actor, touchpoint_id=detail.qualification.touchpoint_id
        )
    except NotFound:  # a referred prospect's first draft answers no message (a warm intro)
        message = None
    return DraftView(
        **detail.model_dump(),
        prospect_name=prospect.display_name,
        message=message.body if message else None,
        message_channel=message.channel if message else None,
    )


def suggestion_view(
    session: Session, actor: Person, suggestion: MergeSuggestionOut
) -> MergeSuggestionView:
    def name(prospect_id: str) -> str | None:
        row = prospects.get_prospect(session=session, actor=actor, prospect_id=prospect_id)
        return row.display_name

    return MergeSuggestionView(
        **suggestion.model_dump(),
        prospect_name=name(suggestion.prospect_id),
        candidate_name=name(suggestion.candidate_id),
    )
