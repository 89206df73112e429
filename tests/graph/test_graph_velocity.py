"""Velocity: distinct other consented providers in touch with the person in the last 1, 7 and
30 days as of the message, masked below the minimum-contributors floor."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from conftest import Provider, person
from graph.conftest import PHONE, Net
from prospecting.graph import service
from prospecting.graph.masking import mask
from prospecting.graph.models import SubjectContact
from prospecting.graph.query import query
from prospecting.graph.schemas import GraphAnswer, GraphQueryIn, GraphScope, GraphSignals
from prospecting.identity.models import Role
from prospecting.runtime import Context, Runtime

NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def _ago(days: int, hours: int = 0) -> datetime:
    return NOW - timedelta(days=days, hours=hours)


def _ask(
    runtime: Runtime,
    p: Provider,
    pid: str,
    *,
    as_of: datetime = NOW,
    scope: GraphScope | None = None,
) -> GraphAnswer:
    with runtime.stores.tenant_read() as tenant, runtime.stores.graph() as graph:
        ctx = Context(tenant, graph, person(tenant, p.id), runtime.settings, runtime.resolver)
        data = GraphQueryIn(prospect_id=pid, scope=scope or GraphScope())
        return query(ctx, data, as_of=as_of)


def _windows(answer: GraphAnswer | GraphSignals) -> dict[int, tuple[int | None, str]]:
    assert answer.velocity is not None
    return {w.days: (w.providers, w.shown) for w in answer.velocity.windows}


def _contacts(runtime: Runtime, **where: Any) -> list[tuple[str, str, date]]:
    with runtime.stores.graph() as graph:
        q = select(
            SubjectContact.subject_key, SubjectContact.provider_id, SubjectContact.contacted_on
        )
        for name, value in where.items():
            q = q.where(getattr(SubjectContact, name) == value)
        return [(s, p, d) for s, p, d in graph.execute(q)]


def test_mask_shows_a_count_from_the_floor_and_hides_it_below() -> None:
    assert (mask(0, 2).value, mask(0, 2).shown) == (None, "<2")
    assert (mask(1, 2).value, mask(1, 2).shown) == (None, "<2")
    assert (mask(2, 2).value, mask(2, 2).shown) == (2, "2")
    assert (mask(4, 5).value, mask(4, 5).shown) == (None, "<5")


def test_windows_count_distinct_other_providers_as_of_the_message(
    net: Net, runtime: Runtime
) -> None:
    asker = net.provider("contribute_all", "query_on")
    apid = net.inbound(asker, phone=PHONE, at=_ago(0, 1))
    peers = [net.provider("contribute_all") for _ in range(5)]
    days_ago = [0, 3, 5, 20, 40]  # the last one is outside every window
    for p, days in zip(peers, days_ago, strict=True):
        net.inbound(p, phone=PHONE, at=_ago(days))
    net.inbound(peers[0], phone=PHONE, at=_ago(0, 2))  # the same provider, day, prospect
    net.inbound(peers[1], email="someone@example.org", phone=PHONE, at=_ago(2))  # a 2nd prospect
    answer = _ask(runtime, asker, apid)
    # no outcome was contributed, yet the velocity is shown
    assert answer.state == "insufficient_contributors" and answer.histogram is None
    assert answer.velocity is not None and answer.velocity.as_of == NOW.date()
    assert _windows(answer) == {1: (None, "<2"), 7: (3, "3"), 30: (4, "4")}
    # the asker's own contact never counts: asked by a peer, the asker is one of the others
    peer_pid = net.inbound(peers[2], phone=PHONE, at=_ago(5))
    net.consent(peers[2], "query_on")
    seen_by_peer = _windows(_ask(runtime, peers[2], peer_pid))
    assert seen_by_peer == {1: (2, "2"), 7: (3, "3"), 30: (4, "4")}  # asker in, peer 2 out
    # the windows follow the time asked about, not the clock
    assert _windows(_ask(runtime, asker, apid, as_of=_ago(3))) == {
        1: (None, "<2"),
        7: (2, "2"),  # 3 and 5 days ago, as of three days ago
        30: (3, "3"),
    }
    assert _windows(_ask(runtime, asker, apid, as_of=NOW + timedelta(days=45))) == {
        1: (None, "<2"),
        7: (None, "<2"),
        30: (None, "<2"),
    }
    rows = _contacts(runtime, provider_id=peers[0].id)
    assert len(rows) == 1 and rows[0][2] == NOW.date()


def test_an_inbound_records_its_contact_on_the_message_day(net: Net, runtime: Runtime) -> None:
    peers = [net.provider("contribute_all") for _ in range(2)]
    for p in peers:
        net.inbound(p, phone=PHONE, at=_ago(6))
    asker = net.provider("contribute_all", "query_on")
    apid = net.inbound(asker, phone=PHONE, at=_ago(1))
    assert [d for _, _, d in _contacts(runtime, provider_id=asker.id)] == [_ago(1).date()]
    with runtime.stores.tenant_read() as tenant, runtime.stores.graph() as graph:
        ctx = Context(tenant, graph, person(tenant, asker.id), runtime.settings, runtime.resolver)
        signals = service.inbound_signals(ctx, apid, received_at=_ago(1))
    assert signals.state == "insufficient_contributors"  # no outcomes: still the velocity
    assert signals.velocity is not None and signals.velocity.as_of == _ago(1).date()
    assert _windows(signals) == {1: (None, "<2"), 7: (2, "2"), 30: (2, "2")}


def test_only_contribute_consent_records_a_contact(net: Net, runtime: Runtime) -> None:
    query_only = net.provider("query_on")
    net.inbound(query_only, phone=PHONE, at=_ago(1))
    per_prospect = net.provider("contribute_per_prospect", "query_on")
    net.inbound(per_prospect, phone=PHONE, at=_ago(1))  # not opted in for this prospect
    nothing = net.provider()
    net.inbound(nothing, phone=PHONE, at=_ago(1))
    assert _contacts(runtime) == []
    contributor = net.provider("contribute_all")
    net.inbound(contributor, phone=PHONE, at=_ago(1))
    assert [p for _, p, _ in _contacts(runtime)] == [contributor.id]


def test_revoked_and_withdrawn_providers_no_longer_count(net: Net, runtime: Runtime) -> None:
    asker = net.provider("query_on")
    apid = net.inbound(asker, phone=PHONE, at=_ago(0))
    peers = [net.provider("contribute_all") for _ in range(3)]
    for p in peers:
        net.inbound(p, phone=PHONE, at=_ago(2))
    assert _windows(_ask(runtime, asker, apid))[7] == (3, "3")
    net.consent(peers[0], "revoke_all")
    assert _windows(_ask(runtime, asker, apid))[7] == (2, "2")
    net.consent(peers[1], "contribute_none")
    assert _windows(_ask(runtime, asker, apid))[7] == (None, "<2")
    assert len(_contacts(runtime)) == 3  # the facts stay; only who may count changes


def test_the_query_scope_limits_who_counts(net: Net, runtime: Runtime) -> None:
    asker = net.provider("query_on")
    apid = net.inbound(asker, phone=PHONE, at=_ago(0))
    for _ in range(2):
        net.inbound(net.provider("contribute_all"), phone=PHONE, at=_ago(1))  # therapy, London
    for _ in range(2):
        salon = net.provider("contribute_all", service_categories=["salon"], region="GB-MAN")
        net.inbound(salon, phone=PHONE, at=_ago(1))
    assert _windows(_ask(runtime, asker, apid))[7] == (4, "4")
    assert _windows(_ask(runtime, asker, apid, scope=GraphScope(category="salon")))[7] == (2, "2")
    london = GraphScope(category="salon", region="GB-LND")
    assert _windows(_ask(runtime, asker, apid, scope=london))[7] == (None, "<2")


def _audit(net: Net, p: Provider) -> list[dict[str, Any]]:
    return list(net.client.get("/prospect-graph/audit", headers=p.headers).json())


def test_the_audit_names_the_providers_behind_a_shown_window(net: Net, runtime: Runtime) -> None:
    outcomes = [net.provider("contribute_all") for _ in range(2)]
    for p in outcomes:
        net.contribute(p, net.inbound(p, phone=PHONE, at=_ago(40)), "booked")
    contacts = [net.provider("contribute_all") for _ in range(2)]
    for p in contacts:
        net.inbound(p, phone=PHONE, at=_ago(2))
    lone = net.provider("contribute_all")
    net.inbound(lone, phone=PHONE, at=_ago(0))  # alone in the 1-day window: not shown
    asker = net.provider("query_on")
    apid = net.inbound(asker, phone=PHONE, at=_ago(0))
    answer = _ask(runtime, asker, apid)
    assert answer.state == "ok" and answer.contributors == 2
    assert _windows(answer) == {1: (None, "<2"), 7: (3, "3"), 30: (3, "3")}
    for p in [*outcomes, *contacts, lone]:
        mine = [e for e in _audit(net, p) if e["id"] == answer.audit_id]
        assert [e["role"] for e in mine] == ["contributor"], p
        assert mine[0]["contributor_count"] == 5


def test_the_audit_names_the_providers_behind_a_window_shown_without_outcomes(
    net: Net, runtime: Runtime
) -> None:
    contacts = [net.provider("contribute_all") for _ in range(2)]
    for p in contacts:
        net.inbound(p, phone=PHONE, at=_ago(2))
    asker = net.provider("query_on")
    apid = net.inbound(asker, phone=PHONE, at=_ago(0))
    answer = _ask(runtime, asker, apid)
    assert answer.state == "insufficient_contributors"
    assert _windows(answer)[7] == (2, "2")
    for p in contacts:  # the asker's inbound read (auto_qualify) is audited as well
        assert answer.audit_id in [e["id"] for e in _audit(net, p)]


def test_a_split_moves_the_reporters_contacts_and_erasure_deletes_them(
    net: Net, runtime: Runtime
) -> None:
    founder = net.provider("contribute_all", "query_on")
    key = net.link(founder, net.inbound(founder, phone=PHONE, name="Jamie Clarke"))["subject_key"]
    reporters = []
    for i in range(3):
        p = net.provider("contribute_all", "query_on")
        pid = net.inbound(p, phone=PHONE, name=f"Other Person{i}", at=_ago(1))
        assert net.link(p, pid)["subject_key"] == key
        reporters.append((p, pid))
    assert {s for s, _, _ in _contacts(runtime)} == {key}
    for p, pid in reporters:
        r = net.client.post(
            "/prospect-graph/corrections/collisions", json={"prospect_id": pid}, headers=p.headers
        )
        assert r.status_code == 200, r.text
    assert r.json()["split"]
    for p, pid in reporters:
        moved_to = net.link(p, pid)["subject_key"]
        assert moved_to != key
        assert [s for s, _, _ in _contacts(runtime, provider_id=p.id)] == [moved_to]
    assert [s for s, _, _ in _contacts(runtime, provider_id=founder.id)] == [key]
    officer = net.provider(roles=[Role.PRIVACY_OFFICER])
    r = net.client.post(
        "/prospect-graph/opt-outs",
        json={
            "subject_key": key,
            "provenance": {
                "request_id": "DSR-velocity-1",
                "received_at": "2026-11-20T10:00:00Z",
                "verification_method": "email_link",
                "verifier": "privacy desk",
                "legal_ground": "gdpr_art17",
            },
        },
        headers=officer.headers,
    )
    assert r.status_code == 200, r.text
    assert _contacts(runtime, subject_key=key) == []
    assert len(_contacts(runtime)) == 3  # the split-off people were not erased
    with runtime.stores.graph() as graph:
        assert graph.scalar(select(func.count()).select_from(SubjectContact)) == 3
