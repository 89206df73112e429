"""The batch history path keeps every rule of the live paths: consent per prospect, linkage
(within the batch and against the graph), noise within the budget, replays, blocked digests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from conftest import Provider, person
from graph.conftest import PHONE, Net
from prospecting.graph import service
from prospecting.graph.models import (
    Contribution,
    ProspectLink,
    SubjectBudget,
    SubjectContact,
)
from prospecting.graph.schemas import HistoryItem, HistoryResult
from prospecting.runtime import Context, Runtime

DAY = datetime(2026, 11, 20, 10, tzinfo=UTC)


def _history(runtime: Runtime, p: Provider, items: list[HistoryItem]) -> HistoryResult:
    with runtime.stores.tenant_read() as tenant, runtime.stores.graph() as graph:
        ctx = Context(tenant, graph, person(tenant, p.id), runtime.settings, runtime.resolver)
        return service.contribute_history(ctx, items)


def _count(runtime: Runtime, model: type, **where: str) -> int:
    with runtime.stores.graph() as graph:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int(graph.scalar(query) or 0)


def _subject(runtime: Runtime, provider_id: str, prospect_id: str) -> str:
    with runtime.stores.graph() as graph:
        key = graph.scalar(
            select(ProspectLink.subject_key).where(
                ProspectLink.provider_id == provider_id, ProspectLink.prospect_id == prospect_id
            )
        )
        assert key is not None
        return str(key)


def test_a_batch_links_to_the_graph_and_within_itself_and_contributes_once(
    net: Net, runtime: Runtime
) -> None:
    a = net.provider("contribute_all", "query_on")
    known = net.inbound(a, phone=PHONE, name="Jamie Clarke")
    net.link(a, known)
    b = net.provider()  # imported before consent: not linked yet, the batch links them
    same_phone = net.inbound(b, phone=PHONE, email="other@example.net", name="J. Clarke")
    fresh = net.inbound(b, email="sam.lee@example.org", name="Sam Lee")
    net.consent(b, "contribute_all")
    items = [
        HistoryItem(prospect_id=same_phone, contacted_at=DAY, outcome="booked"),
        HistoryItem(prospect_id=same_phone, contacted_at=DAY + timedelta(days=3)),
        HistoryItem(prospect_id=fresh, contacted_at=DAY, outcome="no_show", outcome_version=2),
    ]
    result = _history(runtime, b, items)
    assert result == HistoryResult(linked=2, contacts=3, contributed=2)
    assert _subject(runtime, b.id, same_phone) == _subject(runtime, a.id, known)
    assert _subject(runtime, b.id, fresh) != _subject(runtime, a.id, known)
    assert _count(runtime, Contribution, provider_id=b.id) == 2
    assert _count(runtime, SubjectContact, provider_id=b.id) == 3
    key = _subject(runtime, b.id, same_phone)
    with runtime.stores.graph() as graph:
        budget = graph.get(SubjectBudget, key)
        assert budget is not None
        assert budget.spent_units == runtime.settings.graph_contribution_epsilon_units
        noise = graph.scalar(
            select(Contribution.outcome_noise).where(Contribution.subject_key == key)
        )
        assert noise is not None and noise["k"] == 4
    # a second run is a replay: nothing new is stored or spent
    again = _history(runtime, b, items)
    assert again.contributed == 0 and again.linked == 2
    assert _count(runtime, Contribution, provider_id=b.id) == 2


def test_without_contribute_consent_nothing_reaches_the_graph(net: Net, runtime: Runtime) -> None:
    p = net.provider()
    pid = net.inbound(p, phone=PHONE)
    net.consent(p, "query_on")  # querying is not contributing
    result = _history(
        runtime, p, [HistoryItem(prospect_id=pid, contacted_at=DAY, outcome="booked")]
    )
    assert result.not_consented == 1 and result.linked == 0
    assert _count(runtime, Contribution) == 0
    assert _count(runtime, ProspectLink) == 0
    assert _count(runtime, SubjectContact) == 0


def test_another_providers_prospect_is_not_found(net: Net, runtime: Runtime) -> None:
    owner = net.provider()
    theirs = net.inbound(owner, phone=PHONE)
    other = net.provider("contribute_all")
    result = _history(runtime, other, [HistoryItem(prospect_id=theirs, outcome="booked")])
    assert result.not_found == 1 and result.linked == 0
    assert _count(runtime, ProspectLink) == 0


def test_a_spent_budget_withholds_in_the_batch_too(net: Net, runtime: Runtime) -> None:
    per_report = runtime.settings.graph_contribution_epsilon_units
    reports = runtime.settings.graph_subject_budget_units // per_report
    providers = [net.provider() for _ in range(reports + 1)]
    results = []
    for p in providers:
        pid = net.inbound(p, phone=PHONE)
        net.consent(p, "contribute_all")
        results.append(_history(runtime, p, [HistoryItem(prospect_id=pid, outcome="booked")]))
    assert [r.contributed for r in results] == [1] * reports + [0]
    assert results[-1].withheld == 1
