"""Read-only routes run in a deferred SQLite transaction: a writer holding the write lock does
not stop them (a read that took `BEGIN IMMEDIATE` would wait out the busy timeout and answer
503)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


@contextmanager
def write_lock_held(path: str) -> Iterator[None]:
    """Another connection holds SQLite's write lock (BEGIN IMMEDIATE) until the block ends."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield
        conn.execute("ROLLBACK")
    finally:
        conn.close()


def test_reads_answer_while_a_writer_holds_the_lock(client, make_provider, db_urls):
    if db_urls.backend != "sqlite":
        pytest.skip("SQLite's write lock")
    provider = make_provider()
    tenant_file = db_urls.tenant.removeprefix("sqlite:///")
    with write_lock_held(tenant_file):
        for path in ("/prospects", "/me", "/prospects/merge-suggestions"):
            got = client.get(path, headers=provider.headers)
            assert got.status_code == 200, (path, got.text)
