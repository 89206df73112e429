"""Coop steps across capabilities, the ones every adapter (HTTP, MCP, CLI) calls:

- asking: `propose_intro` and `offer_handoff` ask the prospect's consent in one tenant
  transaction, then hand the consent request to the channel once it has committed;
- taking: the receiver takes a referred person (a warm intro or a hand-off), gets a new
  prospect row of their own, qualified with the vouch as a signal, and a drafted first
  message, all in one tenant transaction (a failure leaves nothing behind);
- `sweep` applies every due expiry and timeout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from prospecting.coop import asks, handoffs, intros
from prospecting.coop import service as coop
from prospecting.coop.schemas import HandoffReason, ShareField, Vouch
from prospecting.db import utcnow
from prospecting.errors import NotFound
from prospecting.identity.models import Person
from prospecting.prospects import service as prospects
from prospecting.qualify import outbox
from prospecting.qualify.referral import Origin, qualify_referred
from prospecting.runtime import Channel, Context, Runtime
from prospecting.workflows.delivery import dispatch_notices

CONSENT_NOTICE = "coop_consent"


def propose_intro(
    runtime: Runtime,
    *,
    actor: Person,
    prospect_id: str,
    receiver_id: str,
    vouch: Vouch,
    fields: list[ShareField],
    adapter: outbox.ChannelAdapter | None = None,
) -> intros.IntroOut:
    """Ask the prospect's consent to a warm intro to `receiver_id`; the request goes out once
    the intro is stored (a failed hand-over leaves it queued, the intro stands)."""
    with runtime.stores.tenant() as session:
        out = intros.propose(
            session=session,
            settings=runtime.settings,
            actor=actor,
            prospect_id=prospect_id,
            receiver_id=receiver_id,
            vouch=vouch,
            fields=fields,
        )
    _send_consent_request(runtime, out.consent_id, adapter)
    return out


def offer_handoff(
    runtime: Runtime,
    *,
    actor: Person,
    prospect_id: str,
    reason: HandoffReason,
    category: str,
    region: str | None = None,
    service: str | None = None,
    language: str | None = None,
    vouch: Vouch | None = None,
    fields: list[ShareField],
    adapter: outbox.ChannelAdapter | None = None,
) -> handoffs.HandoffOut:
    """Ask the prospect's consent to hand them to the network; offers go out only after it."""
    with runtime.stores.tenant() as session:
        out = handoffs.offer(
            session=session,
            settings=runtime.settings,
            actor=actor,
            prospect_id=prospect_id,
            reason=reason,
            category=category,
            region=region,
            service=service,
            language=language,
            vouch=vouch,
            fields=fields,
        )
    _send_consent_request(runtime, out.consent_id, adapter)
    return out


def ask_intro(
    runtime: Runtime, *, actor: Person, prospect_id: str, channel: Channel
) -> asks.AskOut:
    """Reachability as the cue: ask the consented peers with a positive outcome with this person
    for an intro, without learning who they are. The graph transaction stays open while the
    asks are written, so an erasure cannot commit between the graph's re-check and the asks
    (docs/coop.md, "Intro asks")."""
    with runtime.stores.tenant_read() as tenant, runtime.stores.graph() as graph_session:
        ctx = Context(tenant, graph_session, actor, runtime.settings, runtime.resolver, channel)
        with runtime.stores.tenant() as session:
            return asks.ask(session=session, ctx=ctx, prospect_id=prospect_id)


def fulfil_intro_ask(
    runtime: Runtime,
    *,
    actor: Person,
    ask_id: str,
    vouch: Vouch,
    fields: list[ShareField],
    adapter: outbox.ChannelAdapter | None = None,
) -> asks.FulfilledAsk:
    """The holder agrees to an ask: a warm intro to the asker is proposed (the prospect's consent
    is asked as for any intro, and the request goes out once stored)."""
    with runtime.stores.tenant() as session:
        out = asks.fulfil(
            session=session,
            settings=runtime.settings,
            actor=actor,
            ask_id=ask_id,
            vouch=vouch,
            fields=fields,
        )
    _send_consent_request(runtime, out.intro.consent_id, adapter)
    return out


def sweep(runtime: Runtime, *, now: datetime | None = None) -> int:
    """Apply every due expiry and timeout (consents, intros, hand-off offers); rows moved."""
    with runtime.stores.tenant() as session:
        return coop.sweep(session=session, now=now or utcnow(), settings=runtime.settings)


def _send_consent_request(
    runtime: Runtime, consent_id: str | None, adapter: outbox.ChannelAdapter | None
) -> None:
    if consent_id is not None:
        dispatch_notices(runtime, purpose=CONSENT_NOTICE, ref_ids=[consent_id], adapter=adapter)


@dataclass(frozen=True)
class AcceptedReferral:
    """What the receiver got: their new prospect, its qualification and its draft."""

    origin: Origin
    ref_id: str  # the intro or hand-off id
    prospect_id: str
    qualification_id: str
    draft_id: str
    p_book: float
    intro: intros.IntroOut | None = None


def accept_intro(runtime: Runtime, *, actor: Person, intro_id: str) -> AcceptedReferral:
    """The receiver accepts a warm intro, then the new prospect is qualified and drafted."""
    with runtime.stores.tenant() as session:
        out = intros.accept(
            session=session,
            actor=actor,
            resolver=runtime.resolver,
            intro_id=intro_id,
            now=utcnow(),
        )
        assert out.receiver_prospect_id is not None
        welcomed = welcome_referred(
            session,
            actor=actor,
            prospect_id=out.receiver_prospect_id,
            vouch=out.vouch,
            origin="warm_intro",
            ref_id=out.id,
            first_name=_first(out.person.name if out.person else None),
            introducer=out.sender_name,
        )
        return AcceptedReferral(**{**welcomed.__dict__, "intro": out})


def accept_handoff(
    runtime: Runtime, *, actor: Person, handoff_id: str, offer_id: str | None = None
) -> AcceptedReferral:
    """The offered peer accepts a hand-off (first acceptance wins), then qualify and draft.
    `offer_id` is what the adapter showed; the hand-off service finds the actor's own open
    offer on `handoff_id` (another's answers NotFound), so it is not needed to decide."""
    with runtime.stores.tenant() as session:
        out = handoffs.accept(
            session=session,
            actor=actor,
            handoff_id=handoff_id,
            now=utcnow(),
            resolver=runtime.resolver,
        )
        if out.receiver_prospect_id is None:
            raise NotFound("handoff")
        return welcome_referred(
            session,
            actor=actor,
            prospect_id=out.receiver_prospect_id,
            vouch=out.vouch,
            origin="handoff",
            ref_id=out.id,
            first_name=_first(out.person.name if out.person else None),
            introducer=None,
        )


def welcome_referred(
    session: Session,
    *,
    actor: Person,
    prospect_id: str,
    vouch: Vouch | None,
    origin: Origin,
    ref_id: str,
    first_name: str | None,
    introducer: str | None,
) -> AcceptedReferral:
    """Qualify (vouch as a prior) and draft the first message for a referred prospect, in the
    caller's transaction; the prospect's referral touchpoint is what the qualification reads."""
    touchpoints = prospects.list_touchpoints(session=session, actor=actor, prospect_id=prospect_id)
    referral = next(t for t in touchpoints if t.kind == origin)
    qualification, draft = qualify_referred(
        session=session,
        actor=actor,
        prospect_id=prospect_id,
        touchpoint_id=referral.id,
        first_name=first_name,
        vouch=vouch.model_dump() if vouch is not None else None,
        origin=origin,
        introducer=introducer,
    )
    return AcceptedReferral(
        origin=origin,
        ref_id=ref_id,
        prospect_id=prospect_id,
        qualification_id=qualification.id,
        draft_id=draft.id,
        p_book=qualification.p_book,
    )


def _first(name: str | None) -> str | None:
    parts = (name or "").split()
    return parts[0] if parts else None
