"""Key rotation: rehash under the new key, switch, and every link survives."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from conftest import TEST_KEY
from prospecting.identity.service import get_person
from prospecting.prospects import service
from prospecting.prospects.identifiers import rehash_all, store_chain
from prospecting.prospects.models import Prospect, ProspectIdentifier, Touchpoint
from prospecting.prospects.schemas import Channel, InboundMessage
from prospecting.resolver.chain import Identifiers
from prospecting.resolver.keyring import KeyRing
from prospecting.resolver.service import Resolver

NEW_KEY = "t2=" + "rotated-network-secret-" + "y" * 40


def _ingest(runtime, resolver, person_id, **sender):
    with runtime.stores.tenant() as session:
        actor = get_person(session=session, person_id=person_id)
        message = InboundMessage(channel=Channel.SMS, body="hello again", **sender)
        result = service.ingest(session=session, actor=actor, resolver=resolver, message=message)
        return result.prospect.id, result.created


def test_rotation_keeps_links(runtime, make_provider):
    alice = make_provider()
    old = runtime.resolver
    first, _ = _ingest(runtime, old, alice.id, sender_phone="07911 123456", sender_name="Sam")
    second, _ = _ingest(runtime, old, alice.id, sender_email="sam@example.org")

    during = Resolver(KeyRing.parse(f"{TEST_KEY}\n{NEW_KEY}", active="t1"))
    with runtime.stores.tenant() as session:
        assert rehash_all(session=session, resolver=during) == 2
    with runtime.stores.tenant() as session:
        key_ids = set(session.scalars(select(ProspectIdentifier.key_id)))
    assert key_ids == {"t1", "t2"}

    after = Resolver(KeyRing.parse(f"{TEST_KEY}\n{NEW_KEY}", active="t2"))
    again, created = _ingest(runtime, after, alice.id, sender_phone="+447911123456")
    assert (again, created) == (first, False)
    by_email, created = _ingest(runtime, after, alice.id, sender_email="SAM@example.org")
    assert (by_email, created) == (second, False)

    only_new = Resolver(KeyRing.parse(NEW_KEY))
    still, created = _ingest(runtime, only_new, alice.id, sender_phone="07911 123456")
    assert (still, created) == (first, False)


def test_without_rehash_a_new_key_cannot_link(runtime, make_provider):
    """The control: this is what the rehash step prevents."""
    alice = make_provider()
    _ingest(runtime, runtime.resolver, alice.id, sender_phone="07911 123456")
    only_new = Resolver(KeyRing.parse(NEW_KEY))
    _, created = _ingest(runtime, only_new, alice.id, sender_phone="07911 123456")
    assert created is True


def _as_if_stored_under_v1(runtime, prospect_id: str, v1_email: str) -> None:
    """Rewrite one prospect's stored sender and chain to what scheme v1 stored (tags kept)."""
    v1 = Identifiers(phone=None, email=v1_email, name=None)
    with runtime.stores.tenant() as session:
        session.execute(
            update(Touchpoint)
            .where(Touchpoint.prospect_id == prospect_id)
            .values(sender_email=v1_email)
        )
        session.execute(
            delete(ProspectIdentifier).where(ProspectIdentifier.prospect_id == prospect_id)
        )
        person_id = session.scalar(select(Prospect.person_id).where(Prospect.id == prospect_id))
        assert person_id is not None
        store_chain(
            session=session,
            person_id=person_id,
            prospect_id=prospect_id,
            digests=runtime.resolver.chain(v1),
        )


def test_v2_tags_are_dropped_for_new_senders_only_on_listed_domains(runtime, make_provider):
    alice = make_provider()
    tagged, created = _ingest(
        runtime, runtime.resolver, alice.id, sender_email="Sam+work@outlook.com"
    )
    assert created
    again, created = _ingest(runtime, runtime.resolver, alice.id, sender_email="sam@outlook.com")
    assert (again, created) == (tagged, False)
    kept, created = _ingest(
        runtime, runtime.resolver, alice.id, sender_email="sam+work@example.com"
    )
    other, created_other = _ingest(
        runtime, runtime.resolver, alice.id, sender_email="sam@example.com"
    )
    assert created and created_other and kept != other


def test_a_rehash_carries_v1_prospects_over_to_the_v2_email_scheme(runtime, make_provider):
    alice = make_provider()
    old, _ = _ingest(runtime, runtime.resolver, alice.id, sender_email="sam+work@outlook.com")
    _as_if_stored_under_v1(runtime, old, "sam+work@outlook.com")
    with runtime.stores.tenant() as session:
        assert rehash_all(session=session, resolver=runtime.resolver) == 1
    again, created = _ingest(
        runtime, runtime.resolver, alice.id, sender_email="Sam+work@outlook.com"
    )
    assert (again, created) == (old, False)
