"""Graph test helpers: act as providers through the HTTP edge."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from conftest import Provider
from prospecting.identity import service as identity
from prospecting.identity.schemas import OrgCreate


@dataclass
class Net:
    """A small DSL over the HTTP routes, so each test reads as what providers do."""

    client: TestClient
    make_provider: Callable[..., Provider]

    def provider(self, *consents: str, **profile: Any) -> Provider:
        p = self.make_provider(**profile)
        for action in consents:
            self.consent(p, action)
        return p

    def inbound(
        self,
        p: Provider,
        *,
        body: str = "Hello, any slots?",
        at: datetime | None = None,
        **sender: str,
    ) -> str:
        """One inbound message (received at `at`, default now); returns the prospect id."""
        message: dict[str, Any] = {"channel": "sms", "body": body}
        message |= {f"sender_{k}": v for k, v in sender.items()}
        if at is not None:
            message["received_at"] = at.isoformat()
        r = self.client.post("/prospects/inbound", json=message, headers=p.headers)
        assert r.status_code == 201, r.text
        return str(r.json()["prospect"]["id"])

    def consent(self, p: Provider, action: str, **kw: Any) -> dict[str, Any]:
        r = self.client.post(
            "/prospect-graph/consent", json={"action": action, **kw}, headers=p.headers
        )
        assert r.status_code == 200, r.text
        return dict(r.json())

    def link(self, p: Provider, prospect_id: str) -> dict[str, Any]:
        r = self.client.post(f"/prospect-graph/prospects/{prospect_id}/link", headers=p.headers)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def contribute(self, p: Provider, prospect_id: str, outcome: str, **kw: Any) -> Any:
        return self.client.post(
            "/prospect-graph/contributions",
            json={"prospect_id": prospect_id, "outcome": outcome, **kw},
            headers=p.headers,
        )

    def query(self, p: Provider, **kw: Any) -> dict[str, Any]:
        r = self.client.post("/prospect-graph/query", json=kw, headers=p.headers)
        assert r.status_code == 200, r.text
        return dict(r.json())


@pytest.fixture
def net(client: TestClient, make_provider: Callable[..., Provider]) -> Net:
    return Net(client, make_provider)


@contextmanager
def graph_statements(runtime: Any) -> Iterator[list[str]]:
    """The SQL statements the graph engine sends while the block runs (SQLite's BEGIN
    IMMEDIATE aside: PostgreSQL's BEGIN does not pass through here either)."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith("BEGIN"):
            seen.append(" ".join(statement.split()))

    engine = runtime.stores.graph_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def clinic(net: Net, runtime, admin: Provider, member: Provider) -> str:
    """An Org whose admin set contribute-all with query on, and `member` invited to it."""
    with runtime.stores.tenant() as session:
        org = identity.create_org(
            session=session,
            data=OrgCreate(name="Clinic"),
            admin=identity.get_person(session=session, person_id=admin.id),
        )
        org_id = org.id
    invited = net.client.post(
        f"/orgs/{org_id}/members", json={"person_id": member.id}, headers=admin.headers
    )
    assert invited.status_code == 202
    policy = {"contribute_policy": "all", "query_enabled": True}
    r = net.client.put(f"/prospect-graph/orgs/{org_id}/policy", json=policy, headers=member.headers)
    assert r.status_code == 404  # only the org's admin
    r = net.client.put(f"/prospect-graph/orgs/{org_id}/policy", json=policy, headers=admin.headers)
    assert r.status_code == 200
    return org_id


@contextmanager
def racing_the_read(monkeypatch: pytest.MonkeyPatch, action: Callable[[], None]) -> Iterator[Race]:
    """Inside the block, the next graph query starts `action` on a thread as it begins reading
    the subject's figures (`query._read`) and gives it half a second, time enough to commit if
    nothing blocks it; `Race.done_before_read` says whether it had. On leaving, the action is
    waited for and the query reads as usual again."""
    from prospecting.graph import query as graph_query

    race = Race()

    def run() -> None:
        action()
        race.done.set()

    racer = threading.Thread(target=run, daemon=True)
    real_read = graph_query._read

    def read_while_racing(*args: Any, **kwargs: Any) -> Any:
        racer.start()
        time.sleep(0.5)
        race.done_before_read.append(race.done.is_set())
        return real_read(*args, **kwargs)

    monkeypatch.setattr(graph_query, "_read", read_while_racing)
    try:
        yield race
    finally:
        if race.done_before_read:  # started
            racer.join(timeout=30)
        monkeypatch.setattr(graph_query, "_read", real_read)


@dataclass
class Race:
    done: threading.Event = field(default_factory=threading.Event)
    done_before_read: list[bool] = field(default_factory=list)


PHONE = "07911 123456"
EMAIL = "jamie.clarke@example.org"

# Every graph MCP tool a provider is offered; a new one must be reviewed against the
# contract's "no export". `subject_opt_out` is listed to privacy officers only.
GRAPH_TOOLS = {
    "graph_query",
    "graph_contribute",
    "graph_consent",
    "report_collision",
    "correct_outcome",
    "list_graph_audit",
    "graph_reachability",
    "graph_metrics",
    "graph_link_prospect",
}
