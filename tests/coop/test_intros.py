"""Warm intros, double opt-in: the prospect's consent, then the named peer's acceptance.

Each rule of docs/coop.md's "Warm intro" has a test that fails if the rule breaks: no share
without consent, a revocation before acceptance stops it, every close is told to the sender in
structured form, no free text crosses, no row is merged, both sides list their audit, and a
third provider probing ids gets NotFound.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, get_args

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from conftest import TEST_KEY, DatabaseUrls
from prospecting.config import Settings
from prospecting.coop import audit, consent, intros
from prospecting.coop.models import Intro, IntroStatus, Listing, Verification
from prospecting.coop.schemas import ReferredPerson, Vouch
from prospecting.db import utcnow
from prospecting.errors import Conflict, ConsentPending, FeatureUnavailable, NotFound, NotVetted
from prospecting.identity.models import MembershipStatus, Org, OrgMembership, Person
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


@pytest.fixture
def settings(db_urls: DatabaseUrls, tmp_path: Path) -> Settings:
    """A dense network from two listed vetted peers, so the gate opens in a small test."""
    return Settings(
        mode="test",
        data_dir=tmp_path,
        tenant_database_url=db_urls.tenant,
        graph_database_url=db_urls.graph,
        network_key=TEST_KEY,  # type: ignore[arg-type]
        coop_intro_min_peers=2,
    )


@dataclass
class World:
    sender: str
    receiver: str
    third: str
    prospect: str


def _vet(session: Session, org: Org, admin: Person, person_id: str) -> None:
    session.add(
        OrgMembership(
            org_id=org.id, person_id=person_id, role="member", status=MembershipStatus.ACTIVE
        )
    )
    session.add(Verification(person_id=person_id, org_id=org.id, verified_by=admin.id))
    session.add(
        Listing(person_id=person_id, categories=["therapy"], region="gb-lnd", accepting=True)
    )


@pytest.fixture
def world(runtime: Runtime, make_provider: Callable[..., Any]) -> World:
    """A (sender), B (receiver), C (a third vetted provider), all verified by an Org admin and
    listed in therapy/gb-lnd; A has a prospect with a name, a phone and an email."""
    admin = make_provider(display_name="Org Admin")
    sender = make_provider(display_name="Alice Sender")
    receiver = make_provider(display_name="Bob Receiver")
    third = make_provider(display_name="Carol Third")
    with runtime.stores.tenant() as session:
        org = Org(name="Practice")
        session.add(org)
        session.flush()
        admin_row = session.get(Person, admin.id)
        assert admin_row is not None
        session.add(
            OrgMembership(
                org_id=org.id,
                person_id=admin.id,
                role="org_admin",
                status=MembershipStatus.ACTIVE,
            )
        )
        for pid in (sender.id, receiver.id, third.id):
            _vet(session, org, admin_row, pid)
        actor = session.get(Person, sender.id)
        assert actor is not None
        ingested = prospects.ingest(
            session=session,
            actor=actor,
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
    return World(sender.id, receiver.id, third.id, prospect_id)


def _p(session: Session, person_id: str) -> Person:
    row = session.get(Person, person_id)
    assert row is not None
    return row


def _propose(runtime: Runtime, w: World, fields: list[Any]) -> str:
    with runtime.stores.tenant() as session:
        out = intros.propose(
            session=session,
            settings=runtime.settings,
            actor=_p(session, w.sender),
            prospect_id=w.prospect,
            receiver_id=w.receiver,
            vouch=VOUCH,
            fields=fields,
        )
        return out.id


def _answer(runtime: Runtime, w: World, body: str) -> None:
    """The prospect replies YES/NO; the decision reaches the intro (as the façade does)."""
    with runtime.stores.tenant() as session:
        decided = consent.decide_by_reply(
            session=session, person_id=w.sender, prospect_id=w.prospect, body=body, now=utcnow()
        )
        assert decided is not None
        intros.consent_decided(session=session, consent=decided, now=utcnow())


def _accept(runtime: Runtime, w: World, intro_id: str, who: str | None = None) -> intros.IntroOut:
    with runtime.stores.tenant() as session:
        return intros.accept(
            session=session,
            actor=_p(session, who or w.receiver),
            resolver=runtime.resolver,
            intro_id=intro_id,
            now=utcnow(),
        )


def test_receiver_sees_nothing_before_yes_and_gets_only_consented_fields(
    runtime: Runtime, world: World
) -> None:
    intro_id = _propose(runtime, world, ["name", "email"])
    with runtime.stores.tenant() as session:
        receiver = _p(session, world.receiver)
        assert intros.list_for(session=session, actor=receiver, role="all") == []
        with pytest.raises(NotFound):
            intros.get(session=session, actor=receiver, intro_id=intro_id)
        assert audit.entries(session=session, actor=receiver) == []
    with pytest.raises(NotFound):
        _accept(runtime, world, intro_id)

    _answer(runtime, world, "YES")
    with runtime.stores.tenant() as session:
        receiver = _p(session, world.receiver)
        [seen] = intros.list_for(session=session, actor=receiver, role="received")
        assert seen.status == IntroStatus.AWAITING_PEER
        assert seen.vouch == VOUCH
        assert seen.person is not None
        assert (seen.person.name, seen.person.email) == ("Dana Client", "dana@example.org")
        assert seen.person.phone is None  # not consented
        assert seen.prospect_id is None  # the sender's row id never reaches the receiver

    out = _accept(runtime, world, intro_id)
    assert out.status == IntroStatus.ACCEPTED
    assert out.receiver_prospect_id is not None
    with runtime.stores.tenant() as session:
        created = session.get(Prospect, out.receiver_prospect_id)
        assert created is not None
        assert created.person_id == world.receiver
        assert created.id != world.prospect  # a new row, never the sender's
        assert (created.origin, created.origin_ref) == ("warm_intro", intro_id)
        assert created.display_name == "Dana Client"
        assert created.email == "dana@example.org"
        assert created.phone_e164 is None
        original = session.get(Prospect, world.prospect)
        assert original is not None
        assert original.person_id == world.sender and original.merged_into_id is None
        assert original.origin is None
        # The sender's prospect records the intro: kind and time, no text, no peer.
        records = session.scalars(
            select(Touchpoint).where(
                Touchpoint.prospect_id == world.prospect, Touchpoint.kind == "warm_intro"
            )
        ).all()
        assert [(t.direction, t.body, t.person_id) for t in records] == [
            ("outbound", None, world.sender)
        ]


def test_revocation_after_yes_before_accept_stops_it(runtime: Runtime, world: World) -> None:
    intro_id = _propose(runtime, world, ["name", "phone"])
    _answer(runtime, world, "yes")
    with runtime.stores.tenant() as session:
        row = session.get(Intro, intro_id)
        assert row is not None
        consent_id = row.consent_id
        consent.revoke(
            session=session, actor=_p(session, world.sender), consent_id=consent_id, now=utcnow()
        )
    with pytest.raises(ConsentPending):
        _accept(runtime, world, intro_id)
    with runtime.stores.tenant() as session:
        referred = session.scalars(
            select(Prospect).where(Prospect.person_id == world.receiver)
        ).all()
        assert referred == []
        row = session.get(Intro, intro_id)
        assert row is not None and row.receiver_prospect_id is None


def test_prospect_no_closes_it_and_sender_sees_status(runtime: Runtime, world: World) -> None:
    intro_id = _propose(runtime, world, ["name"])
    _answer(runtime, world, "no")
    with runtime.stores.tenant() as session:
        out = intros.get(session=session, actor=_p(session, world.sender), intro_id=intro_id)
        assert out.status == IntroStatus.DECLINED_BY_PROSPECT
        receiver = _p(session, world.receiver)
        assert intros.list_for(session=session, actor=receiver) == []
        with pytest.raises(NotFound):
            intros.get(session=session, actor=receiver, intro_id=intro_id)
        actions = [
            e.action for e in audit.entries(session=session, actor=_p(session, world.sender))
        ]
        assert "intro_declined_by_prospect" in actions


def test_receiver_decline_is_told_to_sender(runtime: Runtime, world: World) -> None:
    intro_id = _propose(runtime, world, ["name"])
    _answer(runtime, world, "yes")
    with runtime.stores.tenant() as session:
        out = intros.decline(
            session=session, actor=_p(session, world.receiver), intro_id=intro_id, now=utcnow()
        )
        assert out.status == IntroStatus.DECLINED_BY_PEER
    with runtime.stores.tenant() as session:
        sent = intros.get(session=session, actor=_p(session, world.sender), intro_id=intro_id)
        assert sent.status == IntroStatus.DECLINED_BY_PEER
        assert sent.receiver_name == "Bob Receiver"
    with pytest.raises(Conflict):
        _accept(runtime, world, intro_id)


def test_expiry_closes_it(runtime: Runtime, world: World) -> None:
    intro_id = _propose(runtime, world, ["name"])
    _answer(runtime, world, "yes")
    with runtime.stores.tenant() as session:
        row = session.get(Intro, intro_id)
        assert row is not None
        later = row.expires_at + timedelta(seconds=1)
        assert intros.expire_due(session=session, now=later) == 1
        assert intros.expire_due(session=session, now=later) == 0
    with runtime.stores.tenant() as session:
        out = intros.get(session=session, actor=_p(session, world.sender), intro_id=intro_id)
        assert out.status == IntroStatus.EXPIRED
    with pytest.raises(Conflict):
        _accept(runtime, world, intro_id)


def test_withdraw_before_accept(runtime: Runtime, world: World) -> None:
    intro_id = _propose(runtime, world, ["name"])
    with runtime.stores.tenant() as session:
        with pytest.raises(NotFound):  # the receiver cannot withdraw (nor see) it
            intros.withdraw(
                session=session, actor=_p(session, world.receiver), intro_id=intro_id, now=utcnow()
            )
        out = intros.withdraw(
            session=session, actor=_p(session, world.sender), intro_id=intro_id, now=utcnow()
        )
        assert out.status == IntroStatus.WITHDRAWN


def test_no_free_text_crosses() -> None:
    with pytest.raises(ValidationError):
        Vouch.model_validate(VOUCH.model_dump() | {"note": "lovely person, pays in cash"})
    allowed = {
        "id", "sender_id", "receiver_id", "prospect_id", "consent_id", "receiver_prospect_id",
        "sender_name", "receiver_name", "role", "status", "outcome", "fields",
    }  # fmt: skip
    for name, info in intros.IntroOut.model_fields.items():
        if str in (info.annotation, *get_args(info.annotation)):
            assert name in allowed, name
    for name in ReferredPerson.model_fields:
        assert name in {"name", "phone", "email"}, name


def test_outcome_and_two_sided_audit(runtime: Runtime, world: World) -> None:
    intro_id = _propose(runtime, world, ["name", "phone"])
    _answer(runtime, world, "yes")
    _accept(runtime, world, intro_id)
    with runtime.stores.tenant() as session:
        out = intros.record_outcome(
            session=session, actor=_p(session, world.receiver), intro_id=intro_id, outcome="booked"
        )
        assert out.outcome == "booked"
    with runtime.stores.tenant() as session:
        sent = intros.get(session=session, actor=_p(session, world.sender), intro_id=intro_id)
        assert sent.outcome == "booked"
        sender_actions = {
            e.action: e.counterpart_id
            for e in audit.entries(session=session, actor=_p(session, world.sender))
            if e.object_id == intro_id
        }
        receiver_actions = {
            e.action: e.counterpart_id
            for e in audit.entries(session=session, actor=_p(session, world.receiver))
            if e.object_id == intro_id
        }
        assert sender_actions == {
            "intro_proposed": world.receiver,
            "intro_consented": world.receiver,
            "intro_accepted": world.receiver,
            "intro_outcome": world.receiver,
        }
        assert receiver_actions == {
            "intro_received": world.sender,
            "intro_accepted": world.sender,
            "intro_outcome": world.sender,
        }
        third = _p(session, world.third)
        assert [
            e for e in audit.entries(session=session, actor=third) if e.object_id == intro_id
        ] == []


def test_third_provider_gets_not_found(runtime: Runtime, world: World) -> None:
    intro_id = _propose(runtime, world, ["name"])
    _answer(runtime, world, "yes")
    with pytest.raises(NotFound):
        _accept(runtime, world, intro_id, who=world.third)
    with runtime.stores.tenant() as session:
        third = _p(session, world.third)
        now = utcnow()
        with pytest.raises(NotFound):
            intros.get(session=session, actor=third, intro_id=intro_id)
        with pytest.raises(NotFound):
            intros.decline(session=session, actor=third, intro_id=intro_id, now=now)
        with pytest.raises(NotFound):
            intros.withdraw(session=session, actor=third, intro_id=intro_id, now=now)
        with pytest.raises(NotFound):
            intros.record_outcome(session=session, actor=third, intro_id=intro_id, outcome="booked")
        assert intros.list_for(session=session, actor=third) == []
        # the sender cannot accept their own intro either (only the receiver)
        with pytest.raises(NotFound):
            intros.accept(
                session=session,
                actor=_p(session, world.sender),
                resolver=runtime.resolver,
                intro_id=intro_id,
                now=now,
            )


def test_unvetted_or_unknown_receiver_is_not_found(
    runtime: Runtime, world: World, make_provider: Callable[..., Any]
) -> None:
    stranger = make_provider(display_name="Not Vetted")
    for receiver_id in (stranger.id, "no-such-person"):
        with runtime.stores.tenant() as session, pytest.raises(NotFound):
            intros.propose(
                session=session,
                settings=runtime.settings,
                actor=_p(session, world.sender),
                prospect_id=world.prospect,
                receiver_id=receiver_id,
                vouch=VOUCH,
                fields=["name"],
            )


def test_sparse_network_refuses_intros(runtime: Runtime, world: World) -> None:
    with runtime.stores.tenant() as session:
        listing = session.get(Listing, world.third)
        assert listing is not None
        session.delete(listing)
    with runtime.stores.tenant() as session, pytest.raises(FeatureUnavailable):
        intros.propose(
            session=session,
            settings=runtime.settings,
            actor=_p(session, world.sender),
            prospect_id=world.prospect,
            receiver_id=world.receiver,
            vouch=VOUCH,
            fields=["name"],
        )
    with runtime.stores.tenant() as session:
        assert session.scalars(select(Intro)).all() == []


def test_unvetted_sender_is_refused(runtime: Runtime, world: World) -> None:
    with runtime.stores.tenant() as session:
        for row in session.scalars(
            select(Verification).where(Verification.person_id == world.sender)
        ):
            row.revoked_at = utcnow()
    with runtime.stores.tenant() as session, pytest.raises(NotVetted):
        intros.propose(
            session=session,
            settings=runtime.settings,
            actor=_p(session, world.sender),
            prospect_id=world.prospect,
            receiver_id=world.receiver,
            vouch=VOUCH,
            fields=["name"],
        )
