"""The receiver's side of a warm intro: a new prospect, qualified with the vouch as a prior,
and a first message in the receiver's language that says it is a warm intro."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from coop.test_intros import (  # noqa: F401 (fixtures)
    World,
    _answer,
    _propose,
    settings,
    world,
)
from prospecting.coop.schemas import Vouch
from prospecting.errors import ConsentPending
from prospecting.identity.models import Person
from prospecting.prospects.models import Prospect
from prospecting.qualify import referral
from prospecting.qualify.models import Draft, Qualification
from prospecting.runtime import Runtime
from prospecting.workflows import coop

STRONG = {
    "known_for": "over_3_years",
    "attended_reliably": True,
    "paid_on_time": True,
    "respectful": True,
    "would_see_again": True,
}
WEAK = STRONG | {
    "known_for": "under_3_months",
    "attended_reliably": False,
    "would_see_again": False,
}


def _person(runtime: Runtime, person_id: str) -> Person:
    with runtime.stores.tenant() as session:
        row = session.get(Person, person_id)
        assert row is not None
        session.expunge(row)
        return row


def test_vouch_moves_the_prior_in_its_direction() -> None:
    base = referral.vouch_prior(None)
    strong = referral.vouch_prior(STRONG)
    weak = referral.vouch_prior(WEAK)
    assert base.p_book == referral.REFERRED_BASE
    assert weak.p_book < base.p_book < strong.p_book
    assert strong.factors[0]["feature"] == "vouch_attended_reliably"
    assert {f["direction"] for f in weak.factors} == {"raises", "lowers"}
    Vouch.model_validate(STRONG)  # the vocabularies agree with coop's Vouch


def test_accept_intro_qualifies_and_drafts(runtime: Runtime, world: World) -> None:  # noqa: F811
    intro_id = _propose(runtime, world, ["name", "email"])
    _answer(runtime, world, "yes")
    got = coop.accept_intro(runtime, actor=_person(runtime, world.receiver), intro_id=intro_id)
    assert got.origin == "warm_intro" and got.ref_id == intro_id
    assert got.p_book == referral.vouch_prior(STRONG | {"known_for": "1_to_3_years"}).p_book
    assert got.p_book > referral.REFERRED_BASE
    with runtime.stores.tenant() as session:
        prospect = session.get(Prospect, got.prospect_id)
        assert prospect is not None and prospect.person_id == world.receiver
        assert prospect.origin == "warm_intro" and prospect.id != world.prospect
        qualification = session.get(Qualification, got.qualification_id)
        assert qualification is not None and qualification.person_id == world.receiver
        draft = session.get(Draft, got.draft_id)
        assert draft is not None and draft.person_id == world.receiver
        assert draft.language == "en"
        assert draft.body.startswith("Hi Dana,")
        assert "Alice Sender introduced us" in draft.body
        assert "space next week" not in draft.body  # nothing from the sender's tenant


def test_accept_intro_after_revocation_creates_nothing(
    runtime: Runtime,
    world: World,  # noqa: F811
) -> None:
    from prospecting.coop import consent
    from prospecting.coop.models import Intro
    from prospecting.db import utcnow

    intro_id = _propose(runtime, world, ["name"])
    _answer(runtime, world, "yes")
    with runtime.stores.tenant() as session:
        row = session.get(Intro, intro_id)
        assert row is not None
        sender = session.get(Person, world.sender)
        assert sender is not None
        consent.revoke(session=session, actor=sender, consent_id=row.consent_id, now=utcnow())
    with pytest.raises(ConsentPending):
        coop.accept_intro(runtime, actor=_person(runtime, world.receiver), intro_id=intro_id)
    with runtime.stores.tenant() as session:
        assert session.scalars(select(Draft).where(Draft.person_id == world.receiver)).all() == []
        assert (
            session.scalars(select(Prospect).where(Prospect.person_id == world.receiver)).all()
            == []
        )


@pytest.mark.parametrize("language", ["fr", "de"])
def test_first_message_in_profile_language(language: str) -> None:
    body = referral.first_message(
        language=language,
        origin="warm_intro",
        first_name="Dana",
        introducer="Alice Sender",
        booking_link=None,
        sign_off=None,
    )
    assert "Alice Sender" in body
    assert body != referral.first_message(
        language="en",
        origin="warm_intro",
        first_name="Dana",
        introducer="Alice Sender",
        booking_link=None,
        sign_off=None,
    )


def test_accept_handoff_welcomes_the_winner_without_a_vouch(
    runtime: Runtime,
    world: World,  # noqa: F811
) -> None:
    from prospecting.coop import consent, handoffs
    from prospecting.coop.models import HandoffOffer, OfferStatus
    from prospecting.db import utcnow

    with runtime.stores.tenant() as session:
        sender = session.get(Person, world.sender)
        assert sender is not None
        out = handoffs.offer(
            session=session,
            settings=runtime.settings,
            actor=sender,
            prospect_id=world.prospect,
            reason="wrong_fit",
            category="therapy",
            region="gb-lnd",
            fields=["name"],
        )
        handoff_id = out.id
    with runtime.stores.tenant() as session:
        decided = consent.decide_by_reply(
            session=session,
            person_id=world.sender,
            prospect_id=world.prospect,
            body="yes",
            now=utcnow(),
        )
        assert decided is not None
        handoffs.consent_decided(session=session, consent=decided, now=utcnow())
    with runtime.stores.tenant() as session:
        offered = session.scalars(
            select(HandoffOffer).where(
                HandoffOffer.handoff_id == handoff_id, HandoffOffer.status == OfferStatus.OFFERED
            )
        ).one()
        candidate, offer_id = offered.candidate_id, offered.id
    got = coop.accept_handoff(
        runtime, actor=_person(runtime, candidate), handoff_id=handoff_id, offer_id=offer_id
    )
    assert got.origin == "handoff" and got.ref_id == handoff_id
    assert got.p_book == referral.REFERRED_BASE  # no vouch: the referred prior alone
    with runtime.stores.tenant() as session:
        prospect = session.get(Prospect, got.prospect_id)
        assert prospect is not None and prospect.person_id == candidate
        assert prospect.origin == "handoff" and prospect.origin_ref == handoff_id
        draft = session.get(Draft, got.draft_id)
        assert draft is not None and draft.person_id == candidate
        assert draft.body.startswith("Hi Dana,")
        assert "A colleague passed on your details" in draft.body
        assert "Alice Sender" not in draft.body  # a hand-off does not name the sender
