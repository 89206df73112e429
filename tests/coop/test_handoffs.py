"""Hand-offs (docs/coop.md "Hand-off"): no offer before the prospect's consent, revocation
stops it, decline and timeout cascade in fit order, exhaustion is told to the sender, the
winner gets a new row (never a merge) with only the consented fields, no free text crosses,
both sides are audited, and a provider without an open offer probing ids gets NotFound."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, get_args

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from conftest import Provider
from coop.conftest import MakeVetted
from prospecting.coop import audit, consent, handoffs
from prospecting.coop.models import (
    Handoff,
    HandoffOffer,
    HandoffStatus,
    Listing,
    OfferStatus,
)
from prospecting.coop.schemas import HandoffReason, Vouch
from prospecting.db import utcnow
from prospecting.errors import ConsentPending, FeatureUnavailable, InvalidInput, NotFound
from prospecting.identity.models import Person
from prospecting.prospects import service as prospects
from prospecting.prospects.models import Prospect, Touchpoint
from prospecting.prospects.schemas import Channel, InboundMessage
from prospecting.runtime import Runtime

VOUCH = Vouch(
    known_for="1_to_3_years",
    attended_reliably=True,
    paid_on_time=True,
    respectful=True,
    would_see_again=True,
)


@dataclass
class World:
    sender: str
    peers: list[str]  # in the fit order the rule gives (most open slots first)
    prospect: str


def _p(session: Session, person_id: str) -> Person:
    row = session.get(Person, person_id)
    assert row is not None
    return row


@pytest.fixture
def world(runtime: Runtime, vetted: MakeVetted) -> World:
    """A full sender (not accepting) with a prospect; three vetted peers with capacity, fit
    order p0 (9 slots), p1 (5), p2 (2)."""
    [sender] = vetted(1, accepting=False)
    peers: list[Provider] = []
    for slots in (9, 5, 2):
        peers += vetted(1, open_slots=slots)
    with runtime.stores.tenant() as session:
        ingested = prospects.ingest(
            session=session,
            actor=_p(session, sender.id),
            resolver=runtime.resolver,
            message=InboundMessage(
                channel=Channel.SMS,
                sender_name="Dana Client",
                sender_phone="+447700900123",
                sender_email="dana@example.org",
                body="Hello, do you have space next week?",
            ),
        )
        prospect_id = ingested.prospect.id
    return World(sender.id, [p.id for p in peers], prospect_id)


def _offer(runtime: Runtime, w: World, fields: list[Any] | None = None) -> str:
    with runtime.stores.tenant() as session:
        out = handoffs.offer(
            session=session,
            settings=runtime.settings,
            actor=_p(session, w.sender),
            prospect_id=w.prospect,
            reason="overflow",
            category="therapy",
            region="london",
            vouch=VOUCH,
            fields=fields or ["name", "email"],
        )
        assert out.status == HandoffStatus.AWAITING_CONSENT
        return out.id


def _answer(runtime: Runtime, w: World, body: str, fan_out: int = 1) -> None:
    with runtime.stores.tenant() as session:
        decided = consent.decide_by_reply(
            session=session, person_id=w.sender, prospect_id=w.prospect, body=body, now=utcnow()
        )
        assert decided is not None
        handoffs.consent_decided(
            session=session,
            consent=decided,
            now=utcnow(),
            settings=runtime.settings,
            fan_out=fan_out,
        )


def _offers(runtime: Runtime, who: str) -> list[handoffs.OfferOut]:
    with runtime.stores.tenant() as session:
        return handoffs.list_offers(session=session, actor=_p(session, who))


def _accept(runtime: Runtime, handoff_id: str, who: str) -> handoffs.HandoffOut:
    with runtime.stores.tenant() as session:
        return handoffs.accept(
            session=session,
            actor=_p(session, who),
            handoff_id=handoff_id,
            now=utcnow(),
            resolver=runtime.resolver,
        )


def _decline(runtime: Runtime, offer_id: str, who: str) -> None:
    with runtime.stores.tenant() as session:
        handoffs.decline_offer(
            session=session,
            actor=_p(session, who),
            offer_id=offer_id,
            now=utcnow(),
            settings=runtime.settings,
        )


def _status(runtime: Runtime, handoff_id: str) -> HandoffStatus:
    with runtime.stores.tenant() as session:
        row = session.get(Handoff, handoff_id)
        assert row is not None
        return row.status


def test_no_offer_before_consent_then_best_fit_gets_it(runtime: Runtime, world: World) -> None:
    handoff_id = _offer(runtime, world)
    for peer in world.peers:
        assert _offers(runtime, peer) == []
        with pytest.raises(NotFound):
            _accept(runtime, handoff_id, peer)
    with runtime.stores.tenant() as session:
        assert session.scalars(select(HandoffOffer)).all() == []
        for peer in world.peers:
            assert audit.entries(session=session, actor=_p(session, peer)) == [] or all(
                e.object_kind != "handoff"
                for e in audit.entries(session=session, actor=_p(session, peer))
            )

    _answer(runtime, world, "YES")
    assert _status(runtime, handoff_id) == HandoffStatus.OFFERING
    [seen] = _offers(runtime, world.peers[0])
    assert _offers(runtime, world.peers[1]) == [] and _offers(runtime, world.peers[2]) == []
    assert (seen.handoff_id, seen.reason, seen.category, seen.region) == (
        handoff_id,
        "overflow",
        "therapy",
        "london",
    )
    assert seen.vouch == VOUCH
    assert set(seen.fields) == {"name", "email", "vouch"}
    # The offer carries structured facts only: no sender, no person.
    assert set(handoffs.OfferOut.model_fields) == {
        "id", "handoff_id", "status", "reason", "category", "region", "service",
        "language", "vouch", "fields", "offered_at", "expires_at",
    }  # fmt: skip


def test_winner_gets_a_new_row_with_consented_fields_only(runtime: Runtime, world: World) -> None:
    handoff_id = _offer(runtime, world, ["name", "email"])
    _answer(runtime, world, "YES")
    out = _accept(runtime, handoff_id, world.peers[0])
    assert out.status == HandoffStatus.ACCEPTED and out.role == "won"
    assert out.person is not None and out.person.phone is None
    assert out.prospect_id is None  # the sender's row id never reaches the winner
    with runtime.stores.tenant() as session:
        created = session.get(Prospect, out.receiver_prospect_id)
        assert created is not None
        assert created.person_id == world.peers[0] and created.id != world.prospect
        assert (created.origin, created.origin_ref) == ("handoff", handoff_id)
        assert (created.display_name, created.email, created.phone_e164) == (
            "Dana Client",
            "dana@example.org",
            None,
        )
        original = session.get(Prospect, world.prospect)
        assert original is not None
        assert original.person_id == world.sender and original.merged_into_id is None
        assert original.origin is None
        # The sender's prospect records the hand-off: kind and time, no text, no peer.
        records = session.scalars(
            select(Touchpoint).where(
                Touchpoint.prospect_id == world.prospect, Touchpoint.kind == "handoff"
            )
        ).all()
        assert [(t.direction, t.body, t.person_id) for t in records] == [
            ("outbound", None, world.sender)
        ]
        sender_view = handoffs.get(
            session=session, actor=_p(session, world.sender), handoff_id=handoff_id
        )
        assert sender_view.winner_id == world.peers[0]
        assert sender_view.receiver_prospect_id is None and sender_view.person is None
        # Both sides audited, codes only.
        for side in (world.sender, world.peers[0]):
            actions = [
                e.action
                for e in audit.entries(
                    session=session, actor=_p(session, side), object_id=handoff_id
                )
            ]
            assert "handoff_accepted" in actions


def test_decline_cascades_then_exhausted_tells_the_sender(runtime: Runtime, world: World) -> None:
    handoff_id = _offer(runtime, world)
    _answer(runtime, world, "YES")
    for index, peer in enumerate(world.peers):
        [seen] = _offers(runtime, peer)
        for other in world.peers[index + 1 :]:
            assert _offers(runtime, other) == []
        _decline(runtime, seen.id, peer)
        assert _offers(runtime, peer) == []
    assert _status(runtime, handoff_id) == HandoffStatus.EXHAUSTED
    with runtime.stores.tenant() as session:
        sender = _p(session, world.sender)
        [sent] = handoffs.list_sent(session=session, actor=sender)
        assert sent.status == HandoffStatus.EXHAUSTED and sent.offers_made == 3
        actions = [
            e.action for e in audit.entries(session=session, actor=sender, object_id=handoff_id)
        ]
        assert "handoff_exhausted" in actions
        assert actions.count("handoff_offer_declined") == 3


def test_timeout_cascades_through_advance_due(runtime: Runtime, world: World) -> None:
    handoff_id = _offer(runtime, world)
    _answer(runtime, world, "YES")
    [first] = _offers(runtime, world.peers[0])
    later = first.expires_at + timedelta(seconds=1)
    with runtime.stores.tenant() as session:
        assert (
            handoffs.advance_due(session=session, now=first.expires_at - timedelta(seconds=1)) == 0
        )
        assert handoffs.advance_due(session=session, now=later, settings=runtime.settings) == 1
    with runtime.stores.tenant() as session:
        rows = {
            o.candidate_id: o.status
            for o in session.scalars(
                select(HandoffOffer).where(HandoffOffer.handoff_id == handoff_id)
            )
        }
    assert rows == {world.peers[0]: OfferStatus.TIMED_OUT, world.peers[1]: OfferStatus.OFFERED}
    with pytest.raises(NotFound):  # the timed-out candidate can no longer take it
        _accept(runtime, handoff_id, world.peers[0])


def test_revocation_after_consent_stops_accept(runtime: Runtime, world: World) -> None:
    handoff_id = _offer(runtime, world)
    _answer(runtime, world, "YES")
    with runtime.stores.tenant() as session:
        row = session.get(Handoff, handoff_id)
        assert row is not None
        revoked = consent.revoke(
            session=session,
            actor=_p(session, world.sender),
            consent_id=row.consent_id,
            now=utcnow(),
        )
        # Before the flow hears of it, accept re-checks the consent itself.
        with pytest.raises((ConsentPending, NotFound)):
            handoffs.accept(
                session=session,
                actor=_p(session, world.peers[0]),
                handoff_id=handoff_id,
                now=utcnow(),
                resolver=runtime.resolver,
            )
        handoffs.consent_decided(session=session, consent=revoked, now=utcnow())
    assert _status(runtime, handoff_id) == HandoffStatus.REVOKED
    assert _offers(runtime, world.peers[0]) == []
    with pytest.raises(NotFound):
        _accept(runtime, handoff_id, world.peers[0])
    with runtime.stores.tenant() as session:
        assert session.scalars(select(Prospect).where(Prospect.origin == "handoff")).all() == []


def test_prospect_no_closes_it(runtime: Runtime, world: World) -> None:
    handoff_id = _offer(runtime, world)
    _answer(runtime, world, "NO")
    assert _status(runtime, handoff_id) == HandoffStatus.DECLINED_BY_PROSPECT
    assert all(_offers(runtime, p) == [] for p in world.peers)


def test_probing_ids_answers_not_found(
    runtime: Runtime, world: World, make_provider: Callable[..., Any]
) -> None:
    handoff_id = _offer(runtime, world)
    _answer(runtime, world, "YES")
    [seen] = _offers(runtime, world.peers[0])
    stranger = make_provider(display_name="Eve Stranger")
    for who in (stranger.id, world.peers[1]):
        with runtime.stores.tenant() as session:
            actor = _p(session, who)
            with pytest.raises(NotFound):
                handoffs.get(session=session, actor=actor, handoff_id=handoff_id)
            with pytest.raises(NotFound):
                handoffs.decline_offer(session=session, actor=actor, offer_id=seen.id, now=utcnow())
        with pytest.raises(NotFound):
            _accept(runtime, handoff_id, who)
    # A candidate holding an offer still does not see the hand-off itself.
    with runtime.stores.tenant() as session, pytest.raises(NotFound):
        handoffs.get(session=session, actor=_p(session, world.peers[0]), handoff_id=handoff_id)


def test_overflow_needs_a_full_listing_and_a_candidate(runtime: Runtime, world: World) -> None:
    with runtime.stores.tenant() as session:
        listing = session.get(Listing, world.sender)
        assert listing is not None
        listing.accepting = True
    with pytest.raises(InvalidInput) as caught:
        _offer(runtime, world)
    assert caught.value.field == "reason"  # type: ignore[attr-defined]
    with runtime.stores.tenant() as session:
        with pytest.raises(FeatureUnavailable):
            handoffs.offer(
                session=session,
                settings=runtime.settings,
                actor=_p(session, world.sender),
                prospect_id=world.prospect,
                reason="wrong_fit",
                category="therapy",
                region="london",
                service="no-such-service",
                fields=["name"],
            )
        assert session.scalars(select(Handoff)).all() == []


def test_no_free_text_in_reason_or_vouch() -> None:
    assert set(get_args(HandoffReason)) == {"overflow", "wrong_fit"}
    with pytest.raises(ValidationError):
        Vouch.model_validate({**VOUCH.model_dump(), "note": "call her after 6"})
    with pytest.raises(ValidationError):
        handoffs.OfferOut.model_validate({"reason": "she is lovely, call after 6"})


def test_withdraw_closes_open_offers_and_outcome_is_structured(
    runtime: Runtime, world: World
) -> None:
    handoff_id = _offer(runtime, world)
    _answer(runtime, world, "YES", fan_out=2)
    assert len(_offers(runtime, world.peers[0])) == 1 and len(_offers(runtime, world.peers[1])) == 1
    with runtime.stores.tenant() as session:
        handoffs.withdraw(
            session=session, actor=_p(session, world.sender), handoff_id=handoff_id, now=utcnow()
        )
    assert _status(runtime, handoff_id) == HandoffStatus.WITHDRAWN
    assert _offers(runtime, world.peers[0]) == [] and _offers(runtime, world.peers[1]) == []

    # A second hand-off, accepted, then an outcome the sender sees as a code.
    with runtime.stores.tenant() as session:
        listing = session.get(Listing, world.sender)
        assert listing is not None
    second = _offer(runtime, world)
    _answer(runtime, world, "YES")
    [seen] = [o for p in world.peers for o in _offers(runtime, p)]
    winner = next(p for p in world.peers if _offers(runtime, p))
    _accept(runtime, seen.handoff_id, winner)
    with runtime.stores.tenant() as session:
        with pytest.raises(NotFound):
            handoffs.record_outcome(
                session=session,
                actor=_p(session, world.sender),
                handoff_id=second,
                outcome="booked",
            )
        handoffs.record_outcome(
            session=session, actor=_p(session, winner), handoff_id=second, outcome="booked"
        )
        sent = handoffs.get(session=session, actor=_p(session, world.sender), handoff_id=second)
        assert sent.outcome == "booked"
