"""A graph store that stops answering (a frozen link, not a refused connection).

The PostgreSQL graph store sits behind an in-test TCP proxy whose `freeze()` keeps accepting
connections and keeps every socket open but forwards nothing, the way a partition that drops
packets looks from the client. Without the graph engine's deadlines a request would wait on
such a link forever, so every request here runs in a thread under a liveness guard: the test
fails if it is still running after `GUARD_SECONDS`. Nothing here measures time: how fast an
outage degrades is bench/graph_outage.py's figure, not a test's.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar, cast

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from conftest import PG_ADMIN_URL, TEST_KEY, PgServer, Provider
from graph.conftest import PHONE, Net
from prospecting.config import Settings
from prospecting.db import GraphAvailability, make_engine
from prospecting.errors import GraphUnavailable
from prospecting.runtime import Runtime
from tcp_proxy import FreezableProxy

pytestmark = pytest.mark.postgres

GUARD_SECONDS = 60.0
POLLS = 200  # 0.25 s apart: far longer than RETRY_AFTER
CONNECT_TIMEOUT = 2  # libpq's minimum
STATEMENT_TIMEOUT = 1.0
RETRY_AFTER = 3.0
T = TypeVar("T")


def guarded(label: str, proxy: FreezableProxy, call: Callable[[], T]) -> T:
    """Run `call` in a thread; fail (not hang) if it is still running after GUARD_SECONDS."""
    box: dict[str, Any] = {}
    thread = threading.Thread(target=_boxed, args=(call, box), daemon=True, name=label)
    thread.start()
    return cast(T, _joined(label, proxy, thread, box))


def _boxed(call: Callable[[], Any], box: dict[str, Any]) -> None:
    try:
        box["value"] = call()
    except BaseException as exc:  # re-raised in the test's thread
        box["error"] = exc


def _joined(
    label: str, proxy: FreezableProxy, thread: threading.Thread, box: dict[str, Any]
) -> Any:
    thread.join(timeout=GUARD_SECONDS)
    if thread.is_alive():
        proxy.close()  # let the stuck call go, so teardown does not hang too
        pytest.fail(f"{label} still running after {GUARD_SECONDS:.0f}s: the frozen link hangs it")
    if "error" in box:
        raise box["error"]
    return box["value"]


def _pg_address() -> tuple[str, int]:
    url = make_url(PG_ADMIN_URL)
    return url.host or "127.0.0.1", url.port or 5432


@pytest.fixture
def proxy() -> Iterator[FreezableProxy]:
    p = FreezableProxy(_pg_address())
    yield p
    p.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(
    request: pytest.FixtureRequest,
    pg_server: PgServer | None,
    proxy: FreezableProxy,
    sqlite_template: Path,
    tmp_path: Path,
) -> Iterator[Settings]:
    """Overrides the suite's settings: a fresh PostgreSQL graph database reached through the
    proxy, small graph timeouts, and a fresh tenant store of either backend."""
    if pg_server is None:  # pg_server itself fails the run when CI=true
        pytest.skip("PostgreSQL is not reachable (required when CI=true)")
    tenant, graph = pg_server.fresh_pair()
    if request.param == "sqlite":
        pg_server.drop(tenant)
        shutil.copy(sqlite_template / "tenant.sqlite3", tmp_path / "tenant.sqlite3")
        tenant = f"sqlite:///{tmp_path / 'tenant.sqlite3'}"
    via_proxy = make_url(graph).set(host="127.0.0.1", port=proxy.port)
    yield Settings(
        mode="test",
        data_dir=tmp_path,
        tenant_database_url=tenant,
        graph_database_url=via_proxy.render_as_string(hide_password=False),
        network_key=TEST_KEY,  # type: ignore[arg-type]
        graph_connect_timeout_seconds=CONNECT_TIMEOUT,
        graph_statement_timeout_seconds=STATEMENT_TIMEOUT,
        graph_retry_after_seconds=RETRY_AFTER,
    )
    if request.param == "postgresql":
        pg_server.drop(tenant)
    pg_server.drop(graph)


def _peers_know(net: Net, phone: str) -> None:
    for _ in range(2):
        peer = net.provider("contribute_all", "query_on")
        pid = net.inbound(peer, phone=phone)
        contributed = net.contribute(peer, pid, "booked")
        assert contributed.status_code in (200, 201), contributed.text


def _query(net: Net, p: Provider, prospect_id: str) -> Any:
    return net.client.post(
        "/prospect-graph/query", json={"prospect_id": prospect_id}, headers=p.headers
    )


def test_a_frozen_graph_link_degrades_and_the_tenant_side_stays_responsive(
    net: Net, runtime: Runtime, proxy: FreezableProxy
) -> None:
    _peers_know(net, PHONE)
    asker = net.provider("query_on", "contribute_all")
    pid = net.inbound(asker, phone=PHONE)
    assert net.query(asker, prospect_id=pid)["state"] == "ok"
    client = net.client

    proxy.freeze()
    # A graph call in flight on the frozen link (the first one pays the deadline) ...
    inbound_box: dict[str, Any] = {}
    inbound = threading.Thread(
        target=_boxed,
        args=(
            lambda: client.post(
                "/qualify/inbound",
                json={"channel": "sms", "sender_phone": PHONE, "body": "Can I book Friday?"},
                headers=asker.headers,
            ),
            inbound_box,
        ),
        daemon=True,
        name="inbound",
    )
    inbound.start()
    assert proxy.holding.wait(GUARD_SECONDS), "the graph call never reached the frozen link"
    # ... does not hold up the tenant side.
    in_flight_at_start = inbound.is_alive()
    listed = guarded("GET /prospects during a frozen graph call", proxy, _lister(net, asker))
    print(f"graph call in flight: at start {in_flight_at_start}, at end {inbound.is_alive()}")
    assert listed.status_code == 200, listed.text
    assert pid in {p["id"] for p in listed.json()["items"]}

    qualified = _joined("POST /qualify/inbound (frozen)", proxy, inbound, inbound_box)
    assert qualified.status_code == 201, qualified.text
    assert qualified.json()["qualification"]["graph_state"] == "degraded"

    answer = guarded("POST /prospect-graph/query (frozen)", proxy, lambda: _query(net, asker, pid))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["degraded"] is True and body["state"] == "degraded"
    for aggregate in ("contributors", "histogram", "fingerprint", "velocity", "network"):
        assert body[aggregate] is None, aggregate
    assert body["attribution"] == [] and body["safety_flags"] == []
    assert body["notices"]

    write = guarded(
        "POST /prospect-graph/contributions (frozen)",
        proxy,
        lambda: net.contribute(asker, pid, "booked"),
    )
    assert write.status_code == 503, write.text
    assert write.headers["content-type"].startswith("application/problem+json")
    assert write.json()["type"] == "/problems/graph_unavailable"

    proxy.thaw()
    state = guarded("graph answers again after thaw", proxy, _until_ok(net, asker, pid))
    assert state == "ok"


def _lister(net: Net, p: Provider) -> Callable[[], Any]:
    return lambda: net.client.get("/prospects", headers=p.headers)


def _until_ok(net: Net, p: Provider, prospect_id: str) -> Callable[[], str]:
    """Poll the query until the breaker's retry-after has passed and the graph answers, a
    bounded number of times. Returns the last state seen."""

    def poll() -> str:
        state = ""
        for _ in range(POLLS):
            r = _query(net, p, prospect_id)
            assert r.status_code == 200, r.text
            state = r.json()["state"]
            if state == "ok":
                break
            time.sleep(0.25)
        return state

    return poll


def test_a_commit_on_a_frozen_link_is_cut_and_the_breaker_closes_again(
    pg_server: PgServer | None, proxy: FreezableProxy
) -> None:
    """Engine level: a COMMIT (no cursor) is guarded like a statement, a connection the open
    breaker turns away is dropped without a ROLLBACK on the wire, and the breaker closes."""
    if pg_server is None:
        pytest.skip("PostgreSQL is not reachable (required when CI=true)")
    url = make_url(PG_ADMIN_URL).set(host="127.0.0.1", port=proxy.port)
    engine = make_engine(
        url.render_as_string(hide_password=False),
        connect_timeout=CONNECT_TIMEOUT,
        statement_timeout=STATEMENT_TIMEOUT,
    )
    breaker = GraphAvailability(retry_after=RETRY_AFTER)
    breaker.install(engine)
    try:
        committing, turned_away = engine.connect(), engine.connect()
        committing.execute(text("SELECT 1"))
        turned_away.execute(text("SELECT 1"))  # a transaction open on the same link
        proxy.freeze()
        with pytest.raises(GraphUnavailable):
            guarded("COMMIT on a frozen link", proxy, committing.commit)
        assert breaker.is_open
        guarded("close after the cut", proxy, committing.close)

        with pytest.raises(GraphUnavailable):  # the breaker is open: never sent
            turned_away.execute(text("SELECT 2"))
        assert turned_away.invalidated  # so the ROLLBACK below stays off the frozen wire
        guarded("ROLLBACK after the breaker turned a statement away", proxy, turned_away.rollback)
        guarded("close", proxy, turned_away.close)
        proxy.thaw()

        def until_closed() -> int:
            while breaker.is_open:
                time.sleep(0.1)
            with engine.connect() as again:
                return int(again.execute(text("SELECT 3")).scalar_one())

        assert guarded("the breaker closes again", proxy, until_closed) == 3
    finally:
        engine.dispose()
