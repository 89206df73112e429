"""An audited read of a linked subject in few statements, without giving up what the locks
guard: the caller's consent row read FOR SHARE with the subject, the figures in one statement,
and on PostgreSQL the audit row (with its contributor set and the chain head's lock) in one
statement linked to the head the first statement saw, linked again if that head moved."""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from graph.conftest import PHONE, Net, clinic, graph_statements, racing_the_read
from prospecting.graph import audit as graph_audit
from prospecting.graph import ledger
from prospecting.graph.models import ProviderConsent, QueryAudit


def _linked_subject(net: Net, peers: int = 3) -> tuple[Any, str]:
    """`peers` contributors and an asker, all linked to one subject; (asker, subject key)."""
    for _ in range(peers):
        p = net.provider("contribute_all", "query_on")
        pid = net.inbound(p, phone=PHONE, name="Jamie Clarke")
        assert net.contribute(p, pid, "booked").status_code == 200
    asker = net.provider("query_on")
    key = net.link(asker, net.inbound(asker, phone=PHONE))["subject_key"]
    return asker, str(key)


def test_an_audited_read_of_a_linked_subject_takes_three_statements(net: Net, runtime) -> None:
    """Subject lock with the caller's consent and both chain heads, the figures, the audit
    row: three statements on PostgreSQL (nine before). SQLite writes the contributor set apart
    from the audit row (a no-op insert once the set is stored)."""
    asker, key = _linked_subject(net)
    first = net.query(asker, subject_key=key)  # stores the contributor set
    assert first["state"] == "ok" and first["contributors"] == 3
    with graph_statements(runtime) as seen:
        answer = net.query(asker, subject_key=key)
    assert answer["state"] == "ok" and answer["contributors"] == 3
    if runtime.stores.graph_engine.dialect.name == "postgresql":
        assert len(seen) == 3, seen
        assert "FOR SHARE" in seen[0] and "provider_graph_consents" in seen[0]
        assert seen[2].startswith("WITH head AS") and "FOR UPDATE" in seen[2]
    else:
        assert len(seen) == 4, seen  # lock, figures, set (stored already), audit row
    assert "graph_query_audit" in seen[-1]


def test_a_read_by_prospect_finds_its_link_in_the_lock_statement(net: Net, runtime) -> None:
    """A prospect already linked is answered as its subject, the link looked up inside the
    subject lock statement (no statement of its own); an unlinked one is linked first."""
    asker, key = _linked_subject(net)
    pid = net.inbound(asker, phone=PHONE)  # the same prospect (dedup): linked already
    net.query(asker, prospect_id=pid)
    with graph_statements(runtime) as seen:
        answer = net.query(asker, prospect_id=pid)
    assert answer["state"] == "ok" and answer["subject_key"] == key
    expected = 3 if runtime.stores.graph_engine.dialect.name == "postgresql" else 4
    assert len(seen) == expected, seen
    assert "prospect_links.prospect_id" in seen[0]  # the link, inside the lock statement
    assert not any("prospect_links" in statement for statement in seen[1:])
    other = net.inbound(asker, phone="07700 900123", name="Sam Patel")
    fresh = net.query(asker, prospect_id=other)  # no link yet: linked, then answered
    assert fresh["state"] == "insufficient_contributors" and fresh["subject_key"]


def test_a_stale_head_is_linked_again_and_the_chain_holds(runtime) -> None:
    """A row linked to a head that has moved is not written there: the head is read again
    (locked) and the row linked after it, contributor set and all."""
    with runtime.stores.graph() as graph:
        genesis = ledger.head(graph, ledger.QUERY_AUDIT)
    for n in range(3):
        with runtime.stores.graph() as graph:
            row = graph_audit.record(
                graph,
                consumer_id=f"c{n}",
                subject_key=None,
                kind="query",
                scope={},
                result_state="ok",
                contributor_ids=[f"p{n}", "p"] if n != 1 else [],
                head=genesis,  # stale from the second append on
            )
        assert row.chain_seq == n + 1
    with runtime.stores.graph() as graph:
        result = ledger.verify(graph)
        assert graph.get(QueryAudit, row.id) is not None
    assert result.ok, result
    assert result.chains[0].rows == result.chains[0].head_seq == 3


def test_a_head_moved_by_a_concurrent_writer_waits_then_links_again(runtime) -> None:
    """Two readers saw the same head; the second's one-statement append waits for the first's
    lock (PostgreSQL FOR UPDATE in the statement; SQLite BEGIN IMMEDIATE), finds the head
    moved, and links again: one unbroken chain, no error."""
    with runtime.stores.graph() as graph:
        seen = ledger.head(graph, ledger.QUERY_AUDIT)
    holding, done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def append(graph: Session, consumer: str) -> QueryAudit:
        """One audited answer linked to the head both writers saw."""
        return graph_audit.record(
            graph,
            consumer_id=consumer,
            subject_key=None,
            kind="query",
            scope={},
            result_state="ok",
            contributor_ids=["p1", "p2"],
            head=seen,
        )

    def first() -> None:
        try:
            with runtime.stores.graph() as graph:
                append(graph, "first")
                holding.set()
                time.sleep(0.4)  # the second writer is waiting meanwhile
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            holding.set()
            done.set()

    writer = threading.Thread(target=first)
    writer.start()
    assert holding.wait(10)
    with runtime.stores.graph() as graph:
        second = append(graph, "second")
        assert done.is_set()  # it could not append before the first committed
    writer.join(10)
    assert not errors, errors
    assert second.chain_seq == 2
    with runtime.stores.graph() as graph:
        result = ledger.verify(graph)
    assert result.ok, result


def test_a_revocation_during_a_locked_read_waits_for_its_answer(
    net: Net, runtime, monkeypatch: Any
) -> None:
    """The caller's consent row is read FOR SHARE in the first statement (PostgreSQL; SQLite
    writers are serialised): turning query consent off while the figures are read cannot
    commit before the answer and its audit row; the next query is refused."""
    asker, key = _linked_subject(net)

    def revoke() -> None:
        with runtime.stores.graph() as graph:
            graph.execute(
                update(ProviderConsent)
                .where(ProviderConsent.provider_id == asker.id)
                .values(query_enabled=False)
            )

    with racing_the_read(monkeypatch, revoke) as revocation:
        answer = net.query(asker, subject_key=key)
    assert revocation.done_before_read == [False]  # it waited for the consent row's lock
    assert answer["state"] == "ok" and answer["contributors"] == 3
    assert revocation.done.is_set()
    refused = net.client.post(
        "/prospect-graph/query", json={"subject_key": key}, headers=asker.headers
    )
    assert refused.status_code == 403, refused.text


def test_org_defaults_decide_query_consent_when_the_own_row_does_not(net: Net, runtime) -> None:
    """A Person whose own consent row leaves query unset (or who has no row) reads the Org's
    default on the locked path too: on while the Org's default is on, refused once it is off."""
    admin = net.provider()
    member = net.provider("contribute_all")  # an own row, query left to the Org
    for _ in range(3):
        p = net.provider("contribute_all", "query_on")
        assert net.contribute(p, net.inbound(p, phone=PHONE), "booked").status_code == 200
    org_id = clinic(net, runtime, admin, member)  # contribute-all, query on
    accepted = net.client.post(f"/orgs/{org_id}/invitation/accept", headers=member.headers)
    assert accepted.status_code == 200
    key = net.link(member, net.inbound(member, phone=PHONE))["subject_key"]
    assert net.query(member, subject_key=key)["state"] == "ok"
    query_off = {"contribute_policy": "all", "query_enabled": False}
    path = f"/prospect-graph/orgs/{org_id}/policy"
    assert net.client.put(path, json=query_off, headers=admin.headers).status_code == 200
    refused = net.client.post(
        "/prospect-graph/query", json={"subject_key": key}, headers=member.headers
    )
    assert refused.status_code == 403, refused.text
