"""Admission control at the HTTP edge: a bounded number of requests run at once, a bounded
number wait (each at most `wait` seconds), the rest answer `503` with `Retry-After` in
problem+json at once. Running requests never outnumber the worker threads or the tenant
store's connections, so the thread pool and the connection pool cannot starve each other
(the old failure: 41 writers, 40 threads, 15 connections, 500s after 30 s).

The store's own overload signals (a pool checkout timeout, SQLite's `database is locked` after
its busy timeout) are mapped to the same 503 by `overloaded_response`.
"""

from __future__ import annotations

import json
import math

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PROBLEM_JSON = "application/problem+json"


def overloaded_body(retry_after: float) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    seconds = max(1, math.ceil(retry_after))
    body = json.dumps(
        {
            "type": "/problems/overloaded",
            "title": "overloaded",
            "status": 503,
            "detail": "the service is at capacity; nothing was done",
            "hint": f"retry after {seconds} s; the request was not processed",
        }
    ).encode()
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(seconds).encode()),
    ]
    return body, headers


class AdmissionLimit:
    """ASGI middleware: at most `limit` HTTP requests in the app, at most `queue` waiting."""

    def __init__(
        self, app: ASGIApp, *, limit: int, queue: int, wait: float, retry_after: float
    ) -> None:
        self.app = app
        self.limit = limit
        self.queue = queue
        self.wait = wait
        self.retry_after = retry_after
        self._slots: anyio.Semaphore | None = None
        self._waiting = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") == "/health":
            await self.app(scope, receive, send)
            return
        if self._slots is None:  # created inside the running event loop
            self._slots = anyio.Semaphore(self.limit)
        slots = self._slots
        try:
            slots.acquire_nowait()
        except anyio.WouldBlock:
            if self._waiting >= self.queue:
                await self._refuse(send)
                return
            self._waiting += 1
            try:
                with anyio.move_on_after(self.wait) as waited:
                    await slots.acquire()
            finally:
                self._waiting -= 1
            if waited.cancelled_caught:
                await self._refuse(send)
                return
        try:
            await self.app(scope, receive, send)
        finally:
            slots.release()

    async def _refuse(self, send: Send) -> None:
        body, headers = overloaded_body(self.retry_after)
        start: Message = {"type": "http.response.start", "status": 503, "headers": headers}
        await send(start)
        await send({"type": "http.response.body", "body": body})
