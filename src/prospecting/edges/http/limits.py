"""Request bodies have a size limit, checked before anything parses them: a declared
Content-Length above it answers 413 at once, and a streamed (chunked) body is counted as it
arrives and cut off the moment it passes the limit.

JSON bodies: at most 1 MiB (the largest real one, a full drafting profile, is about 60 KiB).
A CSV import (`POST /prospects/import`) and MCP calls (`/mcp`, whose import_history carries a
CSV) may be as large as a CSV import: MAX_IMPORT_BYTES (16 MiB).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from prospecting.prospects.importing import MAX_IMPORT_BYTES

MAX_JSON_BODY_BYTES = 1024 * 1024
LARGE_BODY_PATHS = ("/prospects/import", "/mcp")


def body_limit(path: str) -> int:
    """The most bytes a request to `path` may send."""
    if path.rstrip("/") in LARGE_BODY_PATHS:
        return MAX_IMPORT_BYTES
    return MAX_JSON_BODY_BYTES


def too_large_detail(limit: int) -> str:
    return f"the request body is larger than {limit // 1024} KiB; send a smaller body" + (
        " (larger CSV files: `prospecting prospects import`)" if limit >= MAX_IMPORT_BYTES else ""
    )


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a streamed body passes the limit (an HTTPException, so a
    route reading the body answers 413 through the app's handler)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_detail(limit))
        self.limit = limit


def _problem(limit: int) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    body = json.dumps(
        {
            "type": "/problems/payload_too_large",
            "title": "payload too large",
            "status": 413,
            "detail": too_large_detail(limit),
            "limit_bytes": limit,
        }
    ).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    return body, headers


class BodySizeLimit:
    """Pure ASGI middleware: 413 problem+json for a body above `body_limit(path)`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope.get("path", ""))
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _answer_413(send, limit)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if started:
                raise
            await _answer_413(send, limit)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


async def _answer_413(send: Send, limit: int) -> None:
    body, headers = _problem(limit)
    start: dict[str, Any] = {"type": "http.response.start", "status": 413, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": body})
