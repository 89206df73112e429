"""Failure modes: graph store unreachable, erasure mid-query, consent revoked mid-query."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, update

from graph.conftest import EMAIL, PHONE, Net, racing_the_read
from prospecting.app import create_app
from prospecting.db import Stores, make_engine
from prospecting.graph import query as graph_query
from prospecting.graph.models import ProviderConsent, SubjectAttribution
from prospecting.graph.schemas import GraphQueryIn, OptOutIn
from prospecting.identity.models import Role
from prospecting.identity.service import get_person
from prospecting.runtime import Context
from prospecting.workflows import erasure

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/graph_is_partitioned"


def _query_with(runtime, person_id: str, prospect_id: str, *, between) -> dict[str, Any]:
    """graph_query's two public phases with `between` committing in another transaction after
    the snapshot and before the re-check (what a concurrent erasure or revocation does)."""
    data = GraphQueryIn(prospect_id=prospect_id)
    with runtime.stores.tenant_read() as tenant, runtime.stores.graph() as graph:
        actor = get_person(session=tenant, person_id=person_id)
        ctx = Context(tenant, graph, actor, runtime.settings, runtime.resolver)
        snap = graph_query.snapshot(ctx, data)
        between()
        answer = graph_query.finish(ctx, snap, "query", data)
    return answer.model_dump(mode="json")


def _contributors(net: Net, n: int, *, phone: str = PHONE, attribute: bool = False) -> list[Any]:
    out = []
    for _ in range(n):
        p = net.provider("contribute_all", "query_on")
        pid = net.inbound(p, phone=phone)
        net.contribute(p, pid, "booked")
        if attribute:
            net.consent(p, "attribute_subject", subject_key=net.link(p, pid)["subject_key"])
        out.append((p, pid))
    return out


def test_unreachable_graph_store_degrades_to_a_local_answer_with_a_breadcrumb(
    net: Net, runtime, caplog: pytest.LogCaptureFixture
) -> None:
    _contributors(net, 2)
    asker = net.provider("query_on", "contribute_all")
    pid = net.inbound(asker, phone=PHONE, email=EMAIL, name="Jamie Clarke")
    net.client.post(f"/prospects/{pid}/outcomes", json={"outcome": "booked"}, headers=asker.headers)
    assert net.query(asker, prospect_id=pid)["state"] == "ok"
    partitioned = replace(
        runtime, stores=Stores(runtime.stores.tenant_engine, make_engine(UNREACHABLE))
    )
    caplog.set_level(logging.WARNING, logger="prospecting.graph")
    with TestClient(create_app(runtime=partitioned)) as client:
        r = client.post("/prospect-graph/query", json={"prospect_id": pid}, headers=asker.headers)
        assert r.status_code == 200, r.text
        answer = r.json()
        reach = client.post(f"/prospect-graph/prospects/{pid}/reachability", headers=asker.headers)
        write = client.post(
            "/prospect-graph/contributions",
            json={"prospect_id": pid, "outcome": "booked"},
            headers=asker.headers,
        )
    assert answer["state"] == "degraded" and answer["degraded"] is True
    assert answer["histogram"] is None and answer["fingerprint"] is None  # never stale
    assert [o["outcome"] for o in answer["local_outcomes"]] == ["booked"]
    assert answer["notices"]
    assert reach.json()["degraded"] is True
    assert write.status_code == 503 and write.json()["type"] == "/problems/graph_unavailable"
    assert int(write.headers["retry-after"]) >= 1 and write.json()["hint"]  # when, and what next
    crumbs = [r for r in caplog.records if r.name == "prospecting.graph"]
    assert crumbs and all("degraded" in r.getMessage() for r in crumbs[:1])
    logged = " ".join(r.getMessage() + str(_extras(r)) for r in crumbs)
    for pii in ("7911", "jamie", "Jamie", "example.org"):
        assert pii not in logged


_LOG_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message"}


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    """What the code put on a log record beyond logging's own bookkeeping (thread id, times,
    paths): the fields a handler ships, where PII must not be. Logging's numbers are left out
    because a thread id can contain any digit run (139623979112128 holds "7911")."""
    return {k: v for k, v in vars(record).items() if k not in _LOG_RECORD_FIELDS}


def _linked_subject_and_its_erasure(
    net: Net, runtime: Any, request_id: str
) -> tuple[Any, str, Callable[[], None]]:
    """Three contributors and an asker linked to one subject; and the privacy officer's
    erasure of that subject (DSR `request_id`), to run when the test says."""
    _contributors(net, 3)
    asker = net.provider("query_on")
    pid = net.inbound(asker, phone=PHONE)
    key = net.link(asker, pid)["subject_key"]
    officer_ref = net.provider(roles=[Role.PRIVACY_OFFICER])
    with runtime.stores.tenant() as tenant:
        officer = get_person(session=tenant, person_id=officer_ref.id)
    provenance = {
        "request_id": request_id,
        "received_at": "2026-11-01T00:00:00Z",
        "verification_method": "id_document",
        "verifier": "desk",
        "legal_ground": "gdpr_art17",
    }

    def erase_now() -> None:
        erasure.subject_opt_out(
            runtime,
            actor=officer,
            data=OptOutIn(subject_key=key, provenance=provenance),
            channel="http",
        )

    return asker, pid, erase_now


def test_subject_erased_mid_query_returns_the_sentinel_and_no_aggregates(
    net: Net, runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    asker, pid, erase_now = _linked_subject_and_its_erasure(net, runtime, "DSR-77")
    answer = _query_with(runtime, asker.id, pid, between=erase_now)
    assert answer["state"] == "subject_opted_out" and answer["sentinel_reason"] == "erased"
    for field in ("histogram", "fingerprint", "velocity", "contributors"):
        assert answer[field] is None
    assert answer["attribution"] == [] and answer["safety_flags"] == []


def test_an_erasure_during_a_query_of_a_linked_subject_waits_for_its_answer(
    net: Net, runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A linked subject is answered in one transaction, locks first: an erasure that starts
    while the figures are read cannot commit before the answer (and its audit row) is done;
    the next query sees it."""
    asker, pid, erase_now = _linked_subject_and_its_erasure(net, runtime, "DSR-78")
    with racing_the_read(monkeypatch, erase_now) as erasure:
        answer = net.query(asker, prospect_id=pid)
    assert erasure.done_before_read == [False]  # the erasure waited for the subject's lock
    assert answer["state"] == "ok" and answer["contributors"] == 3
    assert erasure.done.is_set()
    after = net.query(asker, prospect_id=pid)
    assert after["state"] == "subject_opted_out" and after["sentinel_reason"] == "erased"


def test_consent_revoked_mid_query_is_denied_for_that_subject_only(
    net: Net, runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _contributors(net, 2, attribute=True)
    other_phone = "07400 123456"
    asker = net.provider("query_on")
    pid1, pid2 = net.inbound(asker, phone=PHONE), net.inbound(asker, phone=other_phone)
    for p, _ in first:  # the same two peers also know the second subject
        ppid = net.inbound(p, phone=other_phone)
        net.contribute(p, ppid, "ghosted")
        net.consent(p, "attribute_subject", subject_key=net.link(p, ppid)["subject_key"])
    key1 = net.link(asker, pid1)["subject_key"]
    peer = first[0][0]

    def unattribute_now() -> None:
        with runtime.stores.graph() as graph:
            graph.execute(
                delete(SubjectAttribution).where(
                    SubjectAttribution.provider_id == peer.id,
                    SubjectAttribution.subject_key == key1,
                )
            )

    answer = _query_with(runtime, asker.id, pid1, between=unattribute_now)
    assert answer["state"] == "subject_opted_out"
    assert answer["sentinel_reason"] == "consent_revoked" and answer["histogram"] is None
    second = net.query(asker, prospect_id=pid2)
    assert second["state"] == "ok"
    assert {a["provider_id"] for a in second["attribution"]} == {p.id for p, _ in first}

    def asker_revokes_now() -> None:
        with runtime.stores.graph() as graph:
            graph.execute(
                update(ProviderConsent)
                .where(ProviderConsent.provider_id == asker.id)
                .values(query_enabled=False)
            )

    revoked = _query_with(runtime, asker.id, pid2, between=asker_revokes_now)
    assert revoked["state"] == "subject_opted_out" and revoked["histogram"] is None
    assert revoked["sentinel_reason"] == "consent_revoked"
