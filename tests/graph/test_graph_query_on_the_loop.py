"""Issue 11: on SQLite an audited graph query over HTTP runs on the event loop when the graph
store's write lock is free at once (a worker thread's query cost 1.8x the CPU), and in a
worker thread, waiting its turn as every writer does, when another writer holds it: a
thread of this process or another process. The answer is the same either way; on
PostgreSQL it always runs in a worker thread."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from starlette.concurrency import run_in_threadpool

from graph.conftest import PHONE, Net
from prospecting.edges.http import deps


@pytest.fixture
def worker_threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the works `Caller.write` sent to a worker thread."""
    sent: list[str] = []

    async def counting(work: Callable[..., Any], *args: Any) -> Any:
        sent.append(getattr(work, "__qualname__", "?"))
        return await run_in_threadpool(work, *args)

    monkeypatch.setattr(deps, "run_in_threadpool", counting)
    return sent


def _asked(net: Net) -> tuple[Any, str]:
    """An asker whose prospect is linked to a subject two peers contributed about."""
    asker = net.provider("contribute_all", "query_on")
    prospect = net.inbound(asker, phone=PHONE, name="Jamie Clarke")
    for outcome in ("booked", "ghosted"):
        peer = net.provider("contribute_all", "query_on")
        peer_prospect = net.inbound(peer, phone=PHONE, name="Jamie Clarke")
        assert net.contribute(peer, peer_prospect, outcome).status_code == 200
    net.link(asker, prospect)
    return asker, prospect


def _same_answer(first: dict[str, Any], second: dict[str, Any]) -> None:
    assert second["state"] == first["state"] == "ok"
    assert second["contributors"] == first["contributors"] == 2
    assert second["audit_id"] != first["audit_id"]  # each answer audited


@contextmanager
def _lock_held_by_another_process(graph_url: str, seconds: float) -> Iterator[None]:
    """SQLite's write lock taken by a connection of its own (as another process's), then
    given back after `seconds` while the request waits."""
    path = make_url(graph_url).database
    assert path
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    timer = threading.Timer(seconds, lambda: other.execute("ROLLBACK"))
    timer.start()
    try:
        yield
    finally:
        timer.join()
        other.close()


@contextmanager
def _turn_held_by_another_thread(runtime: Any, seconds: float) -> Iterator[None]:
    """A writer thread of this process holding the graph store's write turn for `seconds`."""
    holding = threading.Event()

    def writer() -> None:
        with runtime.stores.graph() as session:
            session.execute(text("SELECT 1"))  # its BEGIN IMMEDIATE: the turn is taken
            holding.set()
            threading.Event().wait(seconds)

    thread = threading.Thread(target=writer)
    thread.start()
    assert holding.wait(10)
    try:
        yield
    finally:
        thread.join()


def test_a_query_runs_on_the_loop_when_the_write_lock_is_free(
    net: Net, db_urls: Any, worker_threads: list[str]
) -> None:
    asker, prospect = _asked(net)
    worker_threads.clear()
    first = net.query(asker, prospect_id=prospect)
    second = net.query(asker, prospect_id=prospect)
    _same_answer(first, second)
    if db_urls.backend == "sqlite":
        assert worker_threads == []
    else:  # PostgreSQL waits on the network: never on the loop
        assert len(worker_threads) == 2


@pytest.mark.parametrize(
    ("holder", "route"),
    [("another process", "/prospect-graph/query"), ("a thread", "/prospect-graph/subjects")],
)
def test_a_held_write_lock_sends_the_query_to_a_thread_to_wait(
    net: Net, db_urls: Any, runtime: Any, worker_threads: list[str], holder: str, route: str
) -> None:
    if db_urls.backend != "sqlite":
        pytest.skip("SQLite's write lock")
    asker, prospect = _asked(net)
    first = net.query(asker, prospect_id=prospect)

    def ask() -> dict[str, Any]:
        if route.endswith("/query"):
            return net.query(asker, prospect_id=prospect)
        answered = net.client.post(f"{route}/{first['subject_key']}", headers=asker.headers)
        assert answered.status_code == 200, answered.text
        return dict(answered.json())

    hold = 1.0  # seconds: long enough for the request to reach its BEGIN on a loaded machine
    held = (
        _lock_held_by_another_process(db_urls.graph, hold)
        if holder == "another process"
        else _turn_held_by_another_thread(runtime, hold)
    )
    worker_threads.clear()
    with held:
        _same_answer(first, ask())
    assert len(worker_threads) == 1
    worker_threads.clear()
    _same_answer(first, ask())  # the lock free again: back on the loop
    assert worker_threads == []
