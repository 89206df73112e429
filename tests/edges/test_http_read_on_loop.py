"""GET /prospects reads on the event loop when the tenant store is SQLite (no worker-thread hop:
about 0.4 ms of CPU per request at 32 clients), in a worker thread on PostgreSQL, whose reads
wait on the network. The answer is the same either way."""

from __future__ import annotations

import asyncio

from prospecting.prospects import service


def _on_the_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # a worker thread runs no loop
        return False
    return True


def test_a_page_is_read_on_the_event_loop_on_sqlite_only(
    client, make_provider, db_urls, monkeypatch
):
    provider = make_provider()
    where: list[bool] = []
    real = service.list_prospects

    def watched(**kwargs):
        where.append(_on_the_event_loop())
        return real(**kwargs)

    monkeypatch.setattr(service, "list_prospects", watched)
    page = client.get("/prospects", headers=provider.headers)
    assert page.status_code == 200, page.text
    assert page.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
    assert where == [db_urls.backend == "sqlite"]


def test_a_refused_token_answers_401_on_either_path(client, make_provider):
    make_provider()
    refused = client.get("/prospects", headers={"Authorization": "Bearer pk_nobody-holds-it"})
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == "Bearer"
    assert refused.json()["type"] == "/problems/unauthenticated"
