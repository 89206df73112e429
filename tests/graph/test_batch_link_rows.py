"""The batch's bulk writes and reads store and find exactly what the ORM would: rows written
by `insert_rows` (a DBAPI executemany on SQLite, Core elsewhere) read back equal through the
ORM, `InList` finds the same rows on both backends, and row ids sort by creation."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from sqlalchemy import select

from prospecting.graph.batch_link import _DIMENSIONS, insert_rows, ordered_ids, table
from prospecting.graph.models import ProspectLink, SubjectDimension, SubjectKey, SubjectStatus
from prospecting.runtime import Runtime

AT = datetime(2026, 12, 6, 10, 30, 15, 123456, tzinfo=UTC)


def test_bulk_rows_read_back_as_the_orm_writes_them(runtime: Runtime) -> None:
    ids = ordered_ids()
    keys = ["a" * 32, "b" * 32]
    with runtime.stores.graph() as g:
        conn = g.connection()
        insert_rows(
            conn,
            table(SubjectKey),
            ("subject_key",),
            [(k,) for k in keys],
            {"status": SubjectStatus.ACTIVE, "split_from": None, "merged_into": None}
            | {"created_at": AT, "updated_at": AT},
        )
        chain = [("phone", "k1", "d" * 64), ("name", "k1", "e" * 64)]
        insert_rows(
            conn,
            table(ProspectLink),
            (
                "id",
                "provider_id",
                "prospect_id",
                "subject_key",
                "confidence",
                "matched_on",
                "chain",
            ),
            [(next(ids), "p" * 32, "q" * 32, keys[0], 0.731234, ["phone"], chain)],
            {"created_at": AT, "updated_at": AT},
        )
        insert_rows(
            conn,
            table(SubjectDimension),
            ("id", "subject_key", "dimension", "key_id", "digest"),
            [(next(ids), keys[1], "email", "k1", "f" * 64)],
            {"collision_reports": 0, "created_at": AT},
        )
        insert_rows(conn, table(SubjectDimension), ("id",), [])  # nothing to write: no statement
    with runtime.stores.graph() as g:
        subject = g.get(SubjectKey, keys[0])
        assert subject is not None
        assert subject.status == SubjectStatus.ACTIVE and subject.merged_into is None
        assert subject.created_at == AT
        link = g.scalar(select(ProspectLink).where(ProspectLink.subject_key == keys[0]))
        assert link is not None
        assert link.matched_on == ["phone"] and link.chain == [list(c) for c in chain]
        assert link.confidence == 0.731234 and link.updated_at == AT
        rows = list(_DIMENSIONS.execute(g.connection(), {"keys": keys}))
        assert [tuple(r) for r in rows] == [(keys[1], "email", "k1", "f" * 64, 0)]
        assert list(_DIMENSIONS.execute(g.connection(), {"keys": ["c" * 32]})) == []


def test_row_ids_are_new_id_shaped_and_sort_by_creation() -> None:
    first = next(ordered_ids())
    time.sleep(0.002)
    later = ordered_ids()
    batch = [next(later) for _ in range(5000)]  # more than one pool of random bits
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in [first, *batch])
    assert len(set(batch)) == len(batch)
    assert all(first < i for i in batch)
