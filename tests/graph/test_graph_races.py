"""Races and error attribution: first-row inserts under concurrency, tenant vs graph failures."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from graph.conftest import PHONE, Net
from prospecting.db import Stores, make_engine
from prospecting.errors import GraphUnavailable
from prospecting.graph import query as graph_query
from prospecting.graph.consent import change
from prospecting.graph.models import ConsentEvent, ProviderConsent
from prospecting.graph.schemas import ConsentAction, ConsentChange
from prospecting.identity.service import get_person
from prospecting.runtime import Context

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/graph_is_partitioned"


def test_concurrent_first_consent_changes_create_one_row_and_no_error(net: Net, runtime) -> None:
    p = net.provider()
    n = 12
    actions = [ConsentAction.QUERY_ON, ConsentAction.CONTRIBUTE_ALL] * (n // 2)
    errors: list[Exception] = []
    barrier = threading.Barrier(n)

    def worker(action: ConsentAction) -> None:
        try:
            barrier.wait()
            with runtime.stores.tenant() as tenant, runtime.stores.graph() as graph:
                actor = get_person(session=tenant, person_id=p.id)
                ctx = Context(tenant, graph, actor, runtime.settings, runtime.resolver)
                change(ctx, ConsentChange(action=action))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(a,)) for a in actions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    with runtime.stores.graph() as graph:
        own = graph.get(ProviderConsent, p.id)
        assert own is not None
        assert own.query_enabled is True and own.contribute_policy == "all"
        events = graph.scalar(
            select(func.count()).select_from(ConsentEvent).where(ConsentEvent.provider_id == p.id)
        )
        assert events == n


def test_graph_unavailable_only_from_the_graph_engine(runtime) -> None:
    """The graph engine's listener turns its outage into GraphUnavailable; the same failure
    on the tenant engine, or a bad statement on the graph engine, stays what it is."""
    down = Stores(runtime.stores.tenant_engine, make_engine(UNREACHABLE))
    with pytest.raises(GraphUnavailable), down.graph() as graph:
        graph.execute(text("SELECT 1"))
    tenant_down = Stores(make_engine(UNREACHABLE), runtime.stores.graph_engine)
    with pytest.raises(OperationalError), tenant_down.tenant() as tenant:
        tenant.execute(text("SELECT 1"))
    bad_statement = (
        ProgrammingError
        if runtime.stores.graph_engine.dialect.name == "postgresql"
        else OperationalError
    )
    with pytest.raises(bad_statement), runtime.stores.graph() as graph:
        graph.execute(text("SELECT * FROM no_such_table"))


def test_a_tenant_store_error_is_not_reported_as_a_degraded_graph(
    net: Net, monkeypatch: pytest.MonkeyPatch
) -> None:
    asker = net.provider("query_on")
    pid = net.inbound(asker, phone=PHONE)

    real, calls = graph_query.own_prospect, []  # type: ignore[attr-defined]

    def tenant_down_once(*args: Any, **kw: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:  # the graph store is fine; the tenant read fails once
            raise OperationalError("SELECT prospects", {}, Exception("tenant store down"))
        return real(*args, **kw)

    monkeypatch.setattr(graph_query, "own_prospect", tenant_down_once)
    with pytest.raises(OperationalError):
        net.client.post("/prospect-graph/query", json={"prospect_id": pid}, headers=asker.headers)
