"""Outcomes: record how a prospect turned out, then (with contribute consent) share it.

Cross-store order as everywhere: the tenant outcome commits first; the contribution follows in
a graph transaction of its own. Once the outcome is committed this story never fails: a
refusal or an outage of the graph becomes the reason it was not shared (a retry would record
the outcome twice), and sharing it later is one `graph.contribute` call.
"""

from __future__ import annotations

from dataclasses import dataclass

from prospecting.errors import ConsentRequired, DomainError
from prospecting.graph import service as graph
from prospecting.graph.schemas import ContributionIn, ContributionOut
from prospecting.identity.models import Person
from prospecting.prospects import service as prospects
from prospecting.prospects.schemas import OutcomeIn, TouchpointOut
from prospecting.runtime import Channel, Context, Runtime


@dataclass
class Recorded:
    """The recorded outcome; `contribution` when it reached the graph (possibly withheld for
    a spent budget); else `refusal`, the typed reason it did not (None when kept local)."""

    touchpoint: TouchpointOut
    contribution: ContributionOut | None = None
    refusal: DomainError | None = None
    per_prospect_consent: bool = False


def record(
    runtime: Runtime,
    *,
    actor: Person,
    prospect_id: str,
    data: OutcomeIn,
    contribute: bool,
    channel: Channel,
) -> Recorded:
    with runtime.stores.tenant() as tenant:
        touchpoint = TouchpointOut.model_validate(
            prospects.record_outcome(
                session=tenant, actor=actor, prospect_id=prospect_id, data=data
            )
        )
    recorded = Recorded(touchpoint)
    if not contribute:
        return recorded
    contribution = ContributionIn(
        prospect_id=prospect_id,
        outcome=data.outcome,
        outcome_version=touchpoint.outcome_version or 1,
    )
    try:
        with runtime.stores.tenant_read() as tenant, runtime.stores.graph() as graph_session:
            ctx = Context(tenant, graph_session, actor, runtime.settings, runtime.resolver, channel)
            recorded.per_prospect_consent = graph.contribute_policy(ctx) == "per_prospect"
            try:
                recorded.contribution = graph.contribute(ctx, contribution)
            except ConsentRequired as refusal:
                recorded.refusal = refusal
    except DomainError as refusal:  # the graph's outage, or its commit, after ours committed
        recorded.contribution, recorded.refusal = None, refusal
    return recorded
