"""SQLite stores hold tenant PII: the store and its -wal/-shm files are owner-only (0600)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sqlalchemy import text

from prospecting.db import make_engine


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_sqlite_store_and_its_wal_files_are_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask, which made them 0644
    try:
        path = tmp_path / "stores" / "tenant.sqlite3"
        engine = make_engine(f"sqlite:///{path}")
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
            files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
            assert all(f.exists() for f in files)
            assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}
        engine.dispose()
    finally:
        os.umask(old)
