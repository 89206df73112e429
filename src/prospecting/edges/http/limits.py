"""What a request must respect before anything parses it (`RequestLimits`, pure ASGI).

The URL: a path segment or query value that breaks the one-line text rule of
`prospecting.fields` (NUL, control or bidi-override characters) answers 422 naming it, so an id
such as `/prospects/ab%00` never reaches the store (PostgreSQL refuses NUL with an error).

The body has a size limit: a declared Content-Length above it answers 413 at once, and a
streamed (chunked) body is counted as it arrives and cut off the moment it passes the limit.

JSON bodies: at most 1 MiB (the largest real one, a full drafting profile, is about 60 KiB).
A CSV import (`POST /prospects/import`) and MCP calls (`/mcp`, whose import_history carries a
CSV) may be as large as a CSV import: MAX_IMPORT_BYTES (16 MiB).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from prospecting.fields import text_problem
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


def _too_large(limit: int) -> dict[str, Any]:
    return {
        "type": "/problems/payload_too_large",
        "title": "payload too large",
        "status": 413,
        "detail": too_large_detail(limit),
        "limit_bytes": limit,
    }


def url_problem(scope: Scope) -> tuple[str, str] | None:
    """(field, reason) for the first path segment or query value breaking the text rule."""
    path = scope.get("raw_path") or scope.get("path", "").encode()
    for segment in path.decode("latin-1").split("/"):
        reason = text_problem(unquote(segment, errors="replace"), one_line=True)
        if reason is not None:
            return "path", reason
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True, errors="replace"):
        for part, text in (("query parameter name", name), (name, value)):
            reason = text_problem(text, one_line=True)
            if reason is not None:
                return part, reason
    return None


class RequestLimits:
    """Pure ASGI middleware: 422 for a URL breaking the text rule, 413 problem+json for a body
    above `body_limit(path)`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        bad_url = url_problem(scope)
        if bad_url is not None:
            await _answer(send, 422, _invalid_url(*bad_url))
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
    await _answer(send, 413, _too_large(limit))


def _invalid_url(field: str, reason: str) -> dict[str, Any]:
    return {
        "type": "/problems/invalid_input",
        "title": "invalid input",
        "status": 422,
        "detail": f"{field}: {reason}",
        "errors": [{"field": field, "reason": reason}],
    }


async def _answer(send: Send, status: int, problem: dict[str, Any]) -> None:
    body = json.dumps(problem).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if status == 413:
        headers.append((b"connection", b"close"))
    start: dict[str, Any] = {"type": "http.response.start", "status": status, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": body})
