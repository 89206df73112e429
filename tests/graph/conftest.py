"""Graph test helpers: act as providers through the HTTP edge."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import Provider


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
