"""Intro asks: the graph's reachability as the cue for B to ask the peers behind it (A) for an
intro, without B learning who A is until A proposes and the prospect agrees.

Each rule of docs/coop.md's "Intro asks" has a test that fails if the rule breaks: only
vetted peers whose consented, live report reads positive are asked; B's answer, audit and
status view never name A nor A's prospect; A's agreement is an ordinary intro (consent first,
B sees it only after the prospect's yes); decline and expiry are counted for B; another
provider's ask id is NotFound; an erased subject, an unreachable graph store, a revoked
consent give no ask; the migration goes up and down on both backends.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import select

from conftest import TEST_KEY, DatabaseUrls, Provider
from coop.conftest import MakeVetted
from graph.conftest import EMAIL, PHONE, Net
from prospecting import migrations
from prospecting.config import Settings
from prospecting.coop import asks, audit, consent, intros
from prospecting.coop.models import IntroAsk, IntroAskStatus, IntroStatus
from prospecting.coop.schemas import Vouch
from prospecting.db import Stores, make_engine, utcnow
from prospecting.errors import Conflict, FeatureUnavailable, NotFound, NotVetted
from prospecting.graph import dp
from prospecting.graph import service as graph
from prospecting.graph.schemas import OptOutIn
from prospecting.identity import service as identity
from prospecting.identity.models import Person, Role
from prospecting.runtime import Context, Runtime
from prospecting.workflows import erasure

VOUCH = Vouch(
    known_for="1_to_3_years",
    attended_reliably=True,
    paid_on_time=True,
    respectful=True,
    would_see_again=True,
)
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/graph_is_partitioned"
PROVENANCE = {
    "request_id": "DSR-ASK-1",
    "received_at": "2026-11-01T00:00:00Z",
    "verification_method": "id_document",
    "verifier": "desk",
    "legal_ground": "gdpr_art17",
}


@pytest.fixture
def settings(db_urls: DatabaseUrls, tmp_path: Path) -> Settings:
    """A dense network from two listed vetted peers, so the intro gate opens in a small test."""
    return Settings(
        mode="test",
        data_dir=tmp_path,
        tenant_database_url=db_urls.tenant,
        graph_database_url=db_urls.graph,
        network_key=TEST_KEY,  # type: ignore[arg-type]
        coop_intro_min_peers=2,
    )


@pytest.fixture
def net(client: TestClient, make_provider: Callable[..., Provider]) -> Net:
    return Net(client, make_provider)


@pytest.fixture
def truthful(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every report is its true class (the randomizer is replaced, its public parameters
    kept), so a test knows which peers' *noised* reports read positive."""

    def report(outcome: str, *, epsilon_units: int) -> tuple[str, dp.NoiseParams]:
        _, params = dp.outcome_measurement(epsilon_units)
        return dp.CLASS_OF[outcome], params

    monkeypatch.setattr(dp, "randomize_outcome", report)


@dataclass
class World:
    asker: Provider  # B: vetted, queries the graph
    asker_prospect: str
    holders: dict[str, str]  # A's: vetted, contribute, booked -> {provider id: prospect id}
    others: dict[str, str]  # contributors who must never be asked -> {provider id: prospect id}
    providers: dict[str, Provider]  # every provider above, by id


def _contribute(net: Net, p: Provider, outcome: str) -> str:
    pid = net.inbound(p, phone=PHONE, name="Jamie Clarke")
    r = net.contribute(p, pid, outcome)
    assert r.status_code == 200, r.text
    return pid


@pytest.fixture
def world(net: Net, vetted: MakeVetted, truthful: None) -> World:
    """B (vetted, query consent) has a prospect; two vetted contributing peers booked the same
    person; a vetted peer reported ghosted; an unvetted peer booked; a vetted peer booked
    and then withdrew contribution consent."""
    asker, a1, a2, ghosted, revoked = vetted(5)
    holders = {}
    for p in (a1, a2):
        net.consent(p, "contribute_all")
        holders[p.id] = _contribute(net, p, "booked")
    others = {}
    net.consent(ghosted, "contribute_all")
    others[ghosted.id] = _contribute(net, ghosted, "ghosted")
    stranger = net.provider("contribute_all")  # not vetted
    others[stranger.id] = _contribute(net, stranger, "booked")
    net.consent(revoked, "contribute_all")
    others[revoked.id] = _contribute(net, revoked, "booked")
    net.consent(revoked, "contribute_none")
    net.consent(asker, "query_on")
    asker_prospect = net.inbound(asker, phone=PHONE, name="Jamie Clarke")
    everyone = {p.id: p for p in (asker, a1, a2, ghosted, revoked, stranger)}
    return World(asker, asker_prospect, holders, others, everyone)


def _ask(runtime: Runtime, person_id: str, prospect_id: str) -> asks.AskOut:
    """What the workflow does: the graph transaction (with a read-only tenant session) stays
    open while the asks are written in the tenant transaction, so an erasure cannot commit
    between the graph's re-check and the asks."""
    with runtime.stores.tenant_read() as tenant, runtime.stores.graph() as graph_session:
        actor = identity.get_person(session=tenant, person_id=person_id)
        ctx = Context(tenant, graph_session, actor, runtime.settings, runtime.resolver)
        with runtime.stores.tenant() as session:
            return asks.ask(session=session, ctx=ctx, prospect_id=prospect_id)


def _p(session: Any, person_id: str) -> Person:
    return identity.get_person(session=session, person_id=person_id)


def _rows(runtime: Runtime) -> list[IntroAsk]:
    with runtime.stores.tenant() as session:
        rows = list(session.scalars(select(IntroAsk).order_by(IntroAsk.holder_id)))
        session.expunge_all()
        return rows


def _secrets(w: World) -> list[str]:
    """Every id B must never see: the peers' and their prospects'."""
    return [*w.holders, *w.holders.values(), *w.others, *w.others.values()]


def _asker_sees(runtime: Runtime, w: World) -> str:
    """Everything B can read about asks and intros: answer-independent views, as text."""
    with runtime.stores.tenant() as session:
        b = _p(session, w.asker.id)
        entries = audit.entries(session=session, actor=b)
        status = asks.status_for_asker(session=session, actor=b)
        seen = intros.list_for(session=session, actor=b, role="all")
        return " ".join(
            [
                *(
                    f"{e.action} {e.object_id} {e.counterpart_id} {e.detail} {e.object_kind}"
                    for e in entries
                ),
                status.model_dump_json(),
                *(i.model_dump_json() for i in seen),
            ]
        )


def test_the_reachability_cue_asks_only_vetted_consented_peers_with_a_positive_report(
    runtime: Runtime, net: Net, world: World
) -> None:
    cue = net.client.post(
        f"/prospect-graph/prospects/{world.asker_prospect}/reachability",
        headers=world.asker.headers,
    ).json()
    assert cue["reachable"] is True  # what B's copilot is shown: the cue to ask

    out = _ask(runtime, world.asker.id, world.asker_prospect)
    assert (out.state, out.asked, out.open) == ("asked", 2, 2)
    rows = _rows(runtime)
    assert {r.holder_id: r.holder_prospect_id for r in rows} == world.holders
    assert all(r.asker_id == world.asker.id for r in rows)
    assert all(r.asker_prospect_id == world.asker_prospect for r in rows)
    assert all(r.status == IntroAskStatus.OPEN for r in rows)

    text = out.model_dump_json() + _asker_sees(runtime, world)
    for secret in _secrets(world):
        assert secret not in text
    for row in rows:
        assert row.id not in text  # not even the ask ids
    with runtime.stores.tenant() as session:
        entries = audit.entries(session=session, actor=_p(session, world.asker.id))
        [entry] = [e for e in entries if e.object_kind == asks.KIND]
        assert entry.action == "intro_asked" and entry.counterpart_id is None
        assert entry.object_id == world.asker_prospect
        assert entry.detail == {"asked": 2, "state": "asked"}

    again = _ask(runtime, world.asker.id, world.asker_prospect)
    assert (again.state, again.asked, again.open) == ("already_asked", 0, 2)
    assert len(_rows(runtime)) == 2  # never asked twice


def test_the_holder_sees_their_prospect_and_who_asks(runtime: Runtime, world: World) -> None:
    _ask(runtime, world.asker.id, world.asker_prospect)
    a1, prospect = next(iter(world.holders.items()))
    with runtime.stores.tenant() as session:
        holder = _p(session, a1)
        [seen] = asks.list_for_holder(session=session, actor=holder)
        assert seen.prospect_id == prospect
        assert (seen.asker_id, seen.asker_name, seen.asker_category) == (
            world.asker.id,
            "Test Provider",
            "therapy",
        )
        assert seen.status == IntroAskStatus.OPEN and seen.intro_id is None
        [entry] = audit.entries(session=session, actor=holder, object_id=seen.id)
        assert entry.action == "intro_ask_received" and entry.counterpart_id == world.asker.id
        assert entry.detail == {"prospect_id": prospect}
        for other in world.others:  # nobody else was asked anything
            assert asks.list_for_holder(session=session, actor=_p(session, other)) == []


def test_fulfil_proposes_the_intro_and_b_learns_a_only_after_the_prospects_yes(
    runtime: Runtime, world: World
) -> None:
    _ask(runtime, world.asker.id, world.asker_prospect)
    a1, prospect = next(iter(world.holders.items()))
    with runtime.stores.tenant() as session:
        holder = _p(session, a1)
        [seen] = asks.list_for_holder(session=session, actor=holder)
        done = asks.fulfil(
            session=session,
            settings=runtime.settings,
            actor=holder,
            ask_id=seen.id,
            vouch=VOUCH,
            fields=["name", "phone"],
        )
    assert done.ask.status == IntroAskStatus.FULFILLED and done.ask.intro_id == done.intro.id
    assert done.intro.status == IntroStatus.AWAITING_CONSENT
    assert (done.intro.sender_id, done.intro.receiver_id) == (a1, world.asker.id)
    assert done.intro.prospect_id == prospect and done.intro.consent_id is not None
    with runtime.stores.tenant() as session:
        b = _p(session, world.asker.id)
        assert intros.list_for(session=session, actor=b, role="all") == []
        status = asks.status_for_asker(session=session, actor=b, prospect_id=world.asker_prospect)
        assert (status.open, status.fulfilled) == (1, 1)
    text = _asker_sees(runtime, world)
    for secret in _secrets(world):
        assert secret not in text

    with runtime.stores.tenant() as session:  # the prospect says YES to A's request
        decided = consent.decide_by_reply(
            session=session, person_id=a1, prospect_id=prospect, body="YES", now=utcnow()
        )
        assert decided is not None
        intros.consent_decided(session=session, consent=decided, now=utcnow())
    with runtime.stores.tenant() as session:
        b = _p(session, world.asker.id)
        [received] = intros.list_for(session=session, actor=b, role="received")
        assert received.id == done.intro.id and received.sender_id == a1
        assert received.status == IntroStatus.AWAITING_PEER
        assert received.prospect_id is None  # A's row id still never reaches B
        with pytest.raises(Conflict):  # answered once
            asks.decline(session=session, actor=_p(session, a1), ask_id=done.ask.id)


def test_decline_and_expiry_are_counted_for_b_and_close_the_ask(
    runtime: Runtime, world: World
) -> None:
    _ask(runtime, world.asker.id, world.asker_prospect)
    (a1, _), (a2, _) = sorted(world.holders.items())
    with runtime.stores.tenant() as session:
        [ask1] = asks.list_for_holder(session=session, actor=_p(session, a1))
        declined = asks.decline(session=session, actor=_p(session, a1), ask_id=ask1.id)
        assert declined.status == IntroAskStatus.DECLINED
        assert asks.list_for_holder(session=session, actor=_p(session, a1)) == []
        [ask2] = asks.list_for_holder(session=session, actor=_p(session, a2))
    later = utcnow() + timedelta(hours=runtime.settings.coop_offer_timeout_hours + 1)
    with runtime.stores.tenant() as session:
        assert asks.expire_due(session=session, now=later) == 1
        with pytest.raises(Conflict):
            asks.fulfil(
                session=session,
                settings=runtime.settings,
                actor=_p(session, a2),
                ask_id=ask2.id,
                vouch=VOUCH,
                fields=["name"],
            )
    with runtime.stores.tenant() as session:
        b = _p(session, world.asker.id)
        status = asks.status_for_asker(session=session, actor=b)
        assert (status.open, status.declined, status.expired, status.fulfilled) == (0, 1, 1, 0)
        holder = asks.get_for_holder(session=session, actor=_p(session, a2), ask_id=ask2.id)
        assert holder.status == IntroAskStatus.EXPIRED
        actions = {e.action for e in audit.entries(session=session, actor=b)}
        assert {"intro_ask_declined", "intro_ask_expired"} <= actions
    text = _asker_sees(runtime, world)
    for secret in [*_secrets(world), ask1.id, ask2.id]:
        assert secret not in text
    # an expired ask may be asked again; a declined one is not repeated
    again = _ask(runtime, world.asker.id, world.asker_prospect)
    assert (again.state, again.asked) == ("asked", 1)
    assert {r.holder_id for r in _rows(runtime) if r.status == IntroAskStatus.OPEN} == {a2}


def test_another_providers_ask_id_is_not_found(runtime: Runtime, world: World) -> None:
    _ask(runtime, world.asker.id, world.asker_prospect)
    (a1, _), (a2, _) = sorted(world.holders.items())
    with runtime.stores.tenant() as session:
        [mine] = asks.list_for_holder(session=session, actor=_p(session, a1))
    for who in (world.asker.id, a2, *world.others):
        for ask_id in (mine.id, uuid.uuid4().hex):
            with runtime.stores.tenant() as session:
                actor = _p(session, who)
                with pytest.raises(NotFound) as caught:
                    asks.get_for_holder(session=session, actor=actor, ask_id=ask_id)
                assert caught.value.detail == "intro ask not found"
                with pytest.raises(NotFound):
                    asks.decline(session=session, actor=actor, ask_id=ask_id)
                with pytest.raises(NotFound):
                    asks.fulfil(
                        session=session,
                        settings=runtime.settings,
                        actor=actor,
                        ask_id=ask_id,
                        vouch=VOUCH,
                        fields=["name"],
                    )
    # B's view of another's prospect: NotFound too
    with runtime.stores.tenant() as session, pytest.raises(NotFound):
        asks.status_for_asker(
            session=session, actor=_p(session, world.asker.id), prospect_id=world.holders[a1]
        )
    assert {r.status for r in _rows(runtime)} == {IntroAskStatus.OPEN}


def test_an_erased_subject_gives_no_ask_and_closes_the_open_ones(
    runtime: Runtime, net: Net, world: World
) -> None:
    _ask(runtime, world.asker.id, world.asker_prospect)
    key = net.link(world.asker, world.asker_prospect)["subject_key"]
    officer_ref = net.provider(roles=[Role.PRIVACY_OFFICER])
    with runtime.stores.tenant_read() as tenant:
        officer = _p(tenant, officer_ref.id)
    out = erasure.subject_opt_out(
        runtime,
        actor=officer,
        data=OptOutIn(subject_key=key, provenance=PROVENANCE),
        channel="http",
    )
    with runtime.stores.graph() as graph_session:
        linked = graph.linked_prospects(graph_session, out.subject_key)
    assert world.asker_prospect in linked
    # The erasure workflow closed the open asks on the subject's prospects.
    assert [r.status for r in _rows(runtime)] == [IntroAskStatus.CLOSED] * 2
    with runtime.stores.tenant() as session:  # and closing again finds nothing open
        assert asks.close_for_prospects(session=session, prospect_ids=linked) == 0

    after = _ask(runtime, world.asker.id, world.asker_prospect)
    assert (after.state, after.asked, after.open) == ("subject_opted_out", 0, 0)
    assert len(_rows(runtime)) == 2
    with runtime.stores.tenant() as session:
        for a1 in world.holders:
            assert asks.list_for_holder(session=session, actor=_p(session, a1)) == []


def test_a_revoked_peer_or_no_positive_report_gives_no_ask(
    runtime: Runtime, net: Net, world: World
) -> None:
    for holder in world.holders:
        net.consent(world.providers[holder], "contribute_none")
    out = _ask(runtime, world.asker.id, world.asker_prospect)
    assert (out.state, out.asked) == ("no_peers", 0)
    assert _rows(runtime) == []


def test_consent_counts_as_it_is_now_per_prospect_and_after_a_revocation(
    runtime: Runtime, net: Net, vetted: MakeVetted, truthful: None
) -> None:
    """Under `per_prospect` only an opted-in prospect counts; a report made before the peer's
    latest revocation never counts again, even after re-consent (as for attribution)."""
    asker, opted, opted_out, reconsented = vetted(4)
    expected = {}
    for p in (opted, opted_out):
        net.consent(p, "contribute_per_prospect")
        pid = net.inbound(p, phone=PHONE, name="Jamie Clarke")
        net.consent(p, "opt_in_prospect", prospect_id=pid)
        assert net.contribute(p, pid, "booked").status_code == 200
        expected[p.id] = pid
    net.consent(opted_out, "opt_out_prospect", prospect_id=expected.pop(opted_out.id))
    net.consent(reconsented, "contribute_all")
    _contribute(net, reconsented, "booked")
    net.consent(reconsented, "contribute_none")
    net.consent(reconsented, "contribute_all")
    net.consent(asker, "query_on")
    pid = net.inbound(asker, phone=PHONE, name="Jamie Clarke")
    out = _ask(runtime, asker.id, pid)
    assert (out.state, out.asked) == ("asked", 1)
    assert {r.holder_id: r.holder_prospect_id for r in _rows(runtime)} == expected


def test_peers_behind_merged_keys_are_found_on_the_survivor(
    runtime: Runtime, net: Net, vetted: MakeVetted, truthful: None
) -> None:
    """A phone known at one peer and an email at another were one person all along: once a
    contact carrying both merged the keys, the peers on both sides are asked."""
    asker, by_phone, by_email, also_by_email, ghosted, bridge = vetted(6)
    expected = {}
    for p in (by_phone, by_email, also_by_email):
        net.consent(p, "contribute_all")
        pid = net.inbound(p, phone=PHONE) if p is by_phone else net.inbound(p, email=EMAIL)
        assert net.contribute(p, pid, "booked").status_code == 200
        expected[p.id] = pid
    net.consent(ghosted, "contribute_all")
    assert net.contribute(ghosted, net.inbound(ghosted, email=EMAIL), "ghosted").status_code == 200
    net.consent(asker, "query_on")
    pid = net.inbound(asker, phone=PHONE)
    before = net.link(asker, pid)["subject_key"]
    assert net.link(by_email, expected[by_email.id])["subject_key"] != before
    net.consent(bridge, "query_on")
    net.inbound(bridge, phone=PHONE, email=EMAIL)  # one contact anchored on both keys
    assert net.link(asker, pid)["subject_key"] != before  # the asker's key was absorbed
    out = _ask(runtime, asker.id, pid)
    assert (out.state, out.asked) == ("asked", 3)
    assert {r.holder_id: r.holder_prospect_id for r in _rows(runtime)} == expected


def test_a_sparse_network_too_few_contributors_or_an_unreachable_graph_ask_nobody(
    runtime: Runtime, net: Net, vetted: MakeVetted, truthful: None
) -> None:
    asker, a1 = vetted(2)
    net.consent(a1, "contribute_all")
    _contribute(net, a1, "booked")
    net.consent(asker, "query_on")
    pid = net.inbound(asker, phone=PHONE, name="Jamie Clarke")
    with pytest.raises(FeatureUnavailable):  # one listed peer: intros are not available yet
        _ask(runtime, asker.id, pid)
    vetted(1)
    few = _ask(runtime, asker.id, pid)
    assert (few.state, few.asked) == ("insufficient_contributors", 0)

    partitioned = replace(
        runtime, stores=Stores(runtime.stores.tenant_engine, make_engine(UNREACHABLE))
    )
    down = _ask(partitioned, asker.id, pid)
    assert (down.state, down.asked) == ("degraded", 0)
    partitioned.stores.graph_engine.dispose()
    assert _rows(runtime) == []


def test_only_a_vetted_asker_may_ask(
    runtime: Runtime, net: Net, unvetted_provider: Provider
) -> None:
    net.consent(unvetted_provider, "query_on")
    pid = net.inbound(unvetted_provider, phone=PHONE)
    with pytest.raises(NotVetted):
        _ask(runtime, unvetted_provider.id, pid)


def test_the_migration_goes_up_and_down(fresh_tenant_url: str) -> None:
    def tables() -> set[str]:
        engine = make_engine(fresh_tenant_url)
        try:
            return set(sa.inspect(engine).get_table_names())
        finally:
            engine.dispose()

    migrations.upgrade("tenant", fresh_tenant_url)
    assert "coop_intro_asks" in tables()
    migrations.downgrade("tenant", fresh_tenant_url, "0006")
    assert "coop_intro_asks" not in tables() and "coop_intros" in tables()
    migrations.upgrade("tenant", fresh_tenant_url)
    engine = make_engine(fresh_tenant_url)
    try:
        indexes = {i["name"] for i in sa.inspect(engine).get_indexes("coop_intro_asks")}
    finally:
        engine.dispose()
    assert {"ix_coop_intro_asks_asker", "ix_coop_intro_asks_holder"} <= indexes
