"""Fuzzy-name suggestions: the cheap upper bounds before difflib's ratio change no decision;
what linking reads of the tenant, and the link confidence written back through Core."""

from __future__ import annotations

import time
from difflib import SequenceMatcher
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from conftest import TEST_KEY, person
from prospecting.db import list_params, one_of, ordered_id
from prospecting.errors import NotFound
from prospecting.prospects import rows
from prospecting.prospects import service as prospects
from prospecting.prospects.identifiers import prospect_chain, prospect_chains
from prospecting.prospects.models import Prospect, ProspectIdentifier
from prospecting.prospects.schemas import Channel, InboundMessage
from prospecting.resolver.keyring import KeyRing
from prospecting.resolver.service import Resolver
from prospecting.runtime import Runtime

NAMES = st.text(alphabet="abcdeilmnorst ", min_size=1, max_size=24).filter(str.strip)


@settings(max_examples=400)
@given(a=NAMES, b=NAMES, threshold=st.sampled_from([0.5, 0.75, 0.8, 0.9]))
def test_bounded_ratio_decides_as_the_ratio(a: str, b: str, threshold: float) -> None:
    ratio = SequenceMatcher(None, a, b).ratio()
    bounded = prospects._ratio_at_least(a, b, threshold)
    if ratio >= threshold:
        assert bounded == ratio
    else:
        assert bounded is None


@settings(max_examples=200)
@given(a=NAMES, b=NAMES)
def test_given_names_rule_is_unchanged_by_the_cache(a: str, b: str) -> None:
    first_a, first_b = a.split()[0], b.split()[0]
    if len(first_a) == 1 or len(first_b) == 1:
        expected = first_a[0] == first_b[0]
    else:
        expected = SequenceMatcher(None, first_a, first_b).ratio() >= prospects.GIVEN_NAME_THRESHOLD
    assert prospects._given_names_compatible(a, b) is expected
    assert prospects._given_names_compatible(a, b) is expected  # cached answer


def test_what_linking_reads_follows_merges_and_hides_other_tenants(
    runtime: Runtime, make_provider
) -> None:
    """`owned_chain` (the link's one tenant read) and `owned_prospect_id` answer as
    `owned_prospect` does, the first with the stored chain; `set_link_confidence` writes
    through Core and shows on a loaded row."""
    alice, bob = make_provider(default_phone_region="GB"), make_provider()
    key_id = runtime.resolver.active_key_id
    with runtime.stores.tenant() as session:
        actor, other = person(session, alice.id), person(session, bob.id)

        def ingest(**sender: str) -> Prospect:
            message = InboundMessage(channel=Channel.SMS, body="Hello", **sender)
            return prospects.ingest(
                session=session, actor=actor, resolver=runtime.resolver, message=message
            ).prospect

        first = ingest(sender_phone="07911 123456", sender_name="Jamie Clarke")
        second = ingest(sender_email="jc@example.org", sender_name="Jamie Clark")
        [suggestion] = prospects.list_merge_suggestions(session=session, actor=actor)
        prospects.accept_merge(session=session, actor=actor, suggestion_id=suggestion.id)
        survivor, chain = prospects.owned_chain(
            session=session, actor=actor, prospect_id=second.id, key_id=key_id
        )
        assert survivor == first.id
        assert sorted(d.dimension for d in chain) == sorted(
            d.dimension
            for d in prospect_chain(session=session, prospect_id=first.id, key_id=key_id)
        )
        assert {"phone", "email"} <= {d.dimension for d in chain}
        with pytest.raises(NotFound):
            prospects.owned_chain(session=session, actor=other, prospect_id=first.id, key_id=key_id)
        with pytest.raises(NotFound):
            prospects.owned_chain(session=session, actor=actor, prospect_id="0" * 32, key_id=key_id)
        for pid in (first.id, second.id):  # the ownership check alone answers the same
            expected = prospects.owned_prospect(session=session, actor=actor, prospect_id=pid).id
            found = prospects.owned_prospect_id(session=session, actor=actor, prospect_id=pid)
            assert found == expected == first.id
        for who, pid in ((other, first.id), (actor, "0" * 32)):
            with pytest.raises(NotFound):
                prospects.owned_prospect_id(session=session, actor=who, prospect_id=pid)

        prospects.set_link_confidence(session=session, prospect_id=first.id, confidence=0.93)
        assert first.link_confidence == 0.93  # the loaded row shows it, nothing left to flush
        assert not session.dirty
        stored = session.execute(
            select(Prospect.link_confidence).where(Prospect.id == first.id)
        ).scalar_one()
        assert stored == 0.93


def test_stored_digests_get_ids_that_sort_by_creation(runtime: Runtime, make_provider) -> None:
    """A prospect's stored digests append to their primary-key index (`db.ordered_id`): ids
    in `new_id`'s format whose order is the order of creation, a millisecond apart or more."""
    provider = make_provider(default_phone_region="GB")
    made: list[list[str]] = []
    for n in range(3):
        with runtime.stores.tenant() as session:
            actor = person(session, provider.id)
            message = InboundMessage(
                channel=Channel.SMS, body="Hi", sender_phone=f"07911 12345{n}", sender_name="Jo Li"
            )
            pid = prospects.ingest(
                session=session, actor=actor, resolver=runtime.resolver, message=message
            ).prospect.id
            made.append(
                list(
                    session.scalars(
                        select(ProspectIdentifier.id).where(ProspectIdentifier.prospect_id == pid)
                    )
                )
            )
        time.sleep(0.002)
    for earlier, later in pairwise(made):
        assert max(earlier) < min(later)
    assert all(len(i) == 32 and int(i, 16) >= 0 for ids in made for i in ids)
    assert ordered_id() > max(made[-1])


def test_fixed_length_in_lists_match_as_an_in_list(runtime: Runtime, make_provider) -> None:
    """`db.one_of` with `db.list_params`: the same rows as `IN (...)`; an empty list none."""
    provider = make_provider(default_phone_region="GB")
    table = rows.table_of(Prospect)
    with runtime.stores.tenant() as session:
        actor = person(session, provider.id)
        made = [
            prospects.ingest(
                session=session,
                actor=actor,
                resolver=runtime.resolver,
                message=InboundMessage(
                    channel=Channel.SMS, body="Hi", sender_phone=f"07911 12345{n}"
                ),
            ).prospect.id
            for n in range(3)
        ]
        for wanted in ([], made[:1], made[1:], [made[2], "0" * 32]):
            query = select(table.c.id).where(one_of(table.c.id, "id", len(wanted)))
            found = session.execute(query, list_params("id", wanted)).scalars()
            assert sorted(found) == sorted(set(wanted) & set(made))


def test_batch_chains_answer_only_the_persons_own_prospects(
    runtime: Runtime, make_provider
) -> None:
    """`prospect_chains` reads by prospect id and checks the owner on each row: another
    Person's prospect, named in the same call, is absent from the answer."""
    alice, bob = make_provider(default_phone_region="GB"), make_provider(default_phone_region="GB")
    key_id = runtime.resolver.active_key_id
    made: dict[str, str] = {}
    for provider, phone in ((alice, "07911 123456"), (bob, "07911 123457")):
        with runtime.stores.tenant() as session:
            message = InboundMessage(channel=Channel.SMS, body="Hi", sender_phone=phone)
            made[provider.id] = prospects.ingest(
                session=session,
                actor=person(session, provider.id),
                resolver=runtime.resolver,
                message=message,
            ).prospect.id
    with runtime.stores.tenant() as session:
        chains = prospect_chains(
            session=session, person_id=alice.id, prospect_ids=list(made.values()), key_id=key_id
        )
        own = prospect_chain(session=session, prospect_id=made[alice.id], key_id=key_id)
        theirs = prospect_chain(session=session, prospect_id=made[bob.id], key_id=key_id)
    assert theirs  # Bob's prospect has a chain: it is absent only for not being Alice's
    assert set(chains) == {made[alice.id]}
    assert set(chains[made[alice.id]]) == set(own) and own


SENDERS = [
    {"sender_phone": "07911 123456", "sender_name": "Jamie Clarke"},
    {"sender_email": "Sam+tag@Example.org"},
    {"sender_phone": "020 7946 0018", "sender_name": "Ana Ruiz"},  # a household landline
    {"sender_phone": "020 7946 0019"},  # a landline alone: nothing the graph may see
    {"sender_phone": "07700 900123", "sender_name": "Reserved Range"},  # fails validation
    {"sender_phone": "+33 6 12 34 56 78", "sender_email": "l@example.fr", "sender_name": "Léa"},
]


@pytest.mark.parametrize("sender", SENDERS)
def test_a_new_prospects_graph_chain_is_what_linking_would_read(
    runtime: Runtime, make_provider, sender: dict[str, str]
) -> None:
    """`Ingested.graph_chain` spares inbound's link a tenant read: for a new prospect it holds
    exactly the stored chain `owned_chain` reads (active key only, no household line's phone),
    under a key ring of two keys too; an attached message has none (its prospect's stored chain
    may hold more than this message carries)."""
    two_keys = Resolver(KeyRing.parse(f"{TEST_KEY}\nt2=rotated-network-secret-{'y' * 40}"))
    alice = make_provider(default_phone_region="GB")
    for resolver in (runtime.resolver, two_keys):
        with runtime.stores.tenant() as session:
            actor = person(session, alice.id)
            message = InboundMessage(channel=Channel.SMS, body="Hello", **sender)
            done = prospects.ingest(
                session=session, actor=actor, resolver=resolver, message=message
            )
            again = prospects.ingest(
                session=session, actor=actor, resolver=resolver, message=message
            )
        with runtime.stores.tenant_read() as session:
            _, stored = prospects.owned_chain(
                session=session,
                actor=actor,
                prospect_id=done.prospect.id,
                key_id=resolver.active_key_id,
            )
        if done.created:
            assert done.graph_chain is not None
            assert len(done.graph_chain) == len(stored)
            assert set(done.graph_chain) == set(stored)
        if not again.created:
            assert again.graph_chain is None
