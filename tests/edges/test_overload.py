"""Overload answers 503 with Retry-After in problem+json, never a 500 or a hang; store
overload (pool timeout, SQLite locked) maps to the same 503; keep-alive survives errors."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Iterator

import anyio
import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from starlette.types import Receive, Scope, Send

from prospecting.app import create_app
from prospecting.edges.http.overload import AdmissionLimit
from prospecting.runtime import Runtime


async def _slow_app(scope: Scope, receive: Receive, send: Send) -> None:
    await anyio.sleep(0.3)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_beyond_the_queue_answers_503_with_retry_after_at_once() -> None:
    app = AdmissionLimit(_slow_app, limit=2, queue=1, wait=5.0, retry_after=2.0)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        responses: list[httpx.Response] = []

        async def one() -> None:
            responses.append(await client.get("/x"))

        started = time.monotonic()
        async with anyio.create_task_group() as tg:
            for _ in range(6):
                tg.start_soon(one)
        elapsed = time.monotonic() - started
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 200, 200, 503, 503, 503]  # 2 run, 1 waits, 3 refused
    refused = next(r for r in responses if r.status_code == 503)
    assert refused.headers["retry-after"] == "2"
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["status"] == 503
    assert elapsed < 2.0


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_a_bounded_wait_ends_in_503_not_a_hang() -> None:
    app = AdmissionLimit(_slow_app, limit=1, queue=10, wait=0.05, retry_after=1.0)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        responses: list[httpx.Response] = []

        async def one() -> None:
            responses.append(await client.get("/x"))

        async with anyio.create_task_group() as tg:
            tg.start_soon(one)
            tg.start_soon(one)
    assert sorted(r.status_code for r in responses) == [200, 503]


def _raising(exc: Exception) -> object:
    def route() -> None:
        raise exc

    return route


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (SATimeoutError("QueuePool limit of size 15 overflow 0 reached"), 503),
        (OperationalError("INSERT", {}, Exception("database is locked")), 503),
    ],
)
def test_store_overload_maps_to_503(runtime: Runtime, exc: Exception, status: int) -> None:
    from fastapi.testclient import TestClient

    app = create_app(runtime=runtime)
    app.router.add_api_route("/boom", _raising(exc))  # type: ignore[arg-type]
    app.router.routes.insert(0, app.router.routes.pop())  # before the MCP mount at "/"
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) >= 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_server(runtime: Runtime) -> Iterator[tuple[int, FastAPI]]:
    app = create_app(runtime=runtime)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield port, app
    server.should_exit = True
    thread.join(10)


def test_keep_alive_survives_error_responses(live_server: tuple[int, FastAPI]) -> None:
    port, _app = live_server
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/prospects")  # no token: 401
    first = conn.getresponse()
    first.read()
    assert first.status == 401
    sock = conn.sock
    assert sock is not None
    conn.request(
        "POST", "/prospects/inbound", body=b"{not json", headers={"Authorization": "Bearer x"}
    )
    second = conn.getresponse()
    second.read()
    assert second.status in (401, 422)
    conn.request("GET", "/health")
    third = conn.getresponse()
    third.read()
    assert third.status == 200
    assert conn.sock is sock  # one TCP connection carried all three
    conn.close()
