"""Key rotation: rehash under the new key, switch, and every link survives."""

from __future__ import annotations

from sqlalchemy import select

from conftest import TEST_KEY
from prospecting.identity.service import get_person
from prospecting.prospects import service
from prospecting.prospects.identifiers import rehash_all
from prospecting.prospects.models import ProspectIdentifier
from prospecting.prospects.schemas import Channel, InboundMessage
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
