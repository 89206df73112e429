"""Tool annotations, spelled out in full so a client never falls back to the spec's defaults
(which assume a write is destructive and open-world)."""

from __future__ import annotations

from mcp.types import ToolAnnotations

READ = ToolAnnotations(
    readOnlyHint=True, destructiveHint=False, idempotentHint=True, openWorldHint=False
)
"""Reads only."""

AUDITED_READ = ToolAnnotations(
    readOnlyHint=False, destructiveHint=False, idempotentHint=False, openWorldHint=False
)
"""A network read that writes an audit row (and may spend privacy budget), so not read-only."""

WRITE = ToolAnnotations(
    readOnlyHint=False, destructiveHint=False, idempotentHint=False, openWorldHint=False
)
"""Adds or changes the caller's own records; nothing leaves the platform."""

WRITE_IDEMPOTENT = ToolAnnotations(
    readOnlyHint=False, destructiveHint=False, idempotentHint=True, openWorldHint=False
)
"""A write that, repeated with the same arguments, changes nothing more."""

DESTRUCTIVE = ToolAnnotations(
    readOnlyHint=False, destructiveHint=True, idempotentHint=False, openWorldHint=False
)
"""Cannot be undone (a discard, a merge), but sends nothing to anyone."""

ERASE = ToolAnnotations(
    readOnlyHint=False, destructiveHint=True, idempotentHint=True, openWorldHint=False
)
"""Erases network data; idempotent on the request id."""

SEND = ToolAnnotations(
    readOnlyHint=False, destructiveHint=True, idempotentHint=False, openWorldHint=True
)
"""Sends a message to a real person outside the platform: confirm with the provider first."""
