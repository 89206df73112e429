"""The batch's bulk writes and reads store and find exactly what the ORM would: rows written
by `insert_rows` (a DBAPI executemany on SQLite, Core elsewhere) read back equal through the
ORM, `InList` finds the same rows on both backends, and row ids sort by creation. On SQLite a
batch widens its connection's page cache from `load` to `write` and puts it back."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Connection, select

from conftest import Provider, person
from prospecting.graph.batch_link import (
    _CANDIDATES,
    _DIMENSIONS,
    PAGE_CACHE_KIB,
    BatchLinker,
    insert_rows,
    json_chain,
    json_strings,
    ordered_ids,
    table,
    widen_page_cache,
    with_ids,
)
from prospecting.graph.models import ProspectLink, SubjectDimension, SubjectKey, SubjectStatus
from prospecting.resolver.chain import normalize_identifiers
from prospecting.runtime import Context, Runtime

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


def test_candidates_are_the_active_subjects_holding_a_digest(runtime: Runtime) -> None:
    """What `BatchLinker.load` reads: a merged key is no candidate, and a candidate comes with
    every digest it holds (other dimensions and keys too)."""
    a, b, merged = "a" * 32, "b" * 32, "c" * 32
    ids = ordered_ids()
    phone, email, name, old = "d" * 64, "e" * 64, "f" * 64, "0" * 64
    with runtime.stores.graph() as g:
        conn = g.connection()
        insert_rows(
            conn,
            table(SubjectKey),
            ("subject_key", "status", "merged_into"),
            [
                (a, SubjectStatus.ACTIVE, None),
                (b, SubjectStatus.ACTIVE, None),
                (merged, SubjectStatus.MERGED, a),
            ],
            {"split_from": None, "created_at": AT, "updated_at": AT},
        )
        held = [
            (a, "phone", "k1", phone, 2),
            (a, "name", "k1", name, 0),
            (a, "phone", "k0", old, 0),
            (b, "email", "k1", email, 0),
            (merged, "phone", "k1", phone, 0),
        ]
        insert_rows(
            conn,
            table(SubjectDimension),
            ("id", "subject_key", "dimension", "key_id", "digest", "collision_reports"),
            [(next(ids), *row) for row in held],
            {"created_at": AT},
        )

        def candidates(*digests: str) -> set[str]:
            return set(_CANDIDATES.execute(conn, {"digests": list(digests)}).scalars())

        assert candidates(phone) == {a}
        assert candidates(email, phone) == {a, b}
        assert candidates(old) == {a}
        assert candidates("9" * 64) == set()
        rows = _DIMENSIONS.execute(conn, {"keys": [a, merged]}).all()
        assert sorted(tuple(r) for r in rows) == sorted([*held[:3], held[4]])


def _cache_size(conn: Connection) -> int:
    return int(conn.exec_driver_sql("PRAGMA cache_size").scalar_one())


def test_a_batch_widens_the_page_cache_and_puts_it_back(
    runtime: Runtime, make_provider: Callable[..., Provider]
) -> None:
    provider = make_provider()
    ids = normalize_identifiers(
        phone="07911 123456", email="a@example.com", name=None, default_region="GB"
    )
    chain = runtime.resolver.chains(ids)
    with runtime.stores.tenant_read() as tenant, runtime.stores.graph() as g:
        ctx = Context(tenant, g, person(tenant, provider.id), runtime.settings, runtime.resolver)
        conn = g.connection()
        sqlite = conn.dialect.name == "sqlite"
        before = _cache_size(conn) if sqlite else None
        linker = BatchLinker.load(ctx, [chain])
        if sqlite:
            assert before is not None and -before < PAGE_CACHE_KIB
            assert _cache_size(conn) == -PAGE_CACHE_KIB
        subject_key = linker.link(provider.id, "p" * 32, chain)
        linker.write(budget_units=runtime.settings.graph_subject_budget_units)
        if sqlite:
            assert _cache_size(conn) == before
        else:
            assert widen_page_cache(conn) is None  # nothing to widen elsewhere
    with runtime.stores.graph() as g:
        link = g.scalar(select(ProspectLink).where(ProspectLink.prospect_id == "p" * 32))
        assert link is not None and link.subject_key == subject_key


def test_a_roomier_page_cache_is_left_as_it_is(runtime: Runtime) -> None:
    with runtime.stores.graph() as g:
        conn = g.connection()
        if conn.dialect.name != "sqlite":
            assert widen_page_cache(conn) is None
            return
        before = _cache_size(conn)
        try:
            conn.exec_driver_sql(f"PRAGMA cache_size = {-2 * PAGE_CACHE_KIB}")
            assert widen_page_cache(conn) is None
            assert _cache_size(conn) == -2 * PAGE_CACHE_KIB
            conn.exec_driver_sql("PRAGMA cache_size = 100000")  # pages of 4 KiB: 400 MB
            assert widen_page_cache(conn) is None
            conn.exec_driver_sql("PRAGMA cache_size = 100")
            assert widen_page_cache(conn) == 100
            assert _cache_size(conn) == -PAGE_CACHE_KIB
        finally:
            conn.exec_driver_sql(f"PRAGMA cache_size = {before}")


def test_row_ids_are_new_id_shaped_and_sort_by_creation() -> None:
    first = next(ordered_ids())
    time.sleep(0.002)
    later = ordered_ids()
    batch = [next(later) for _ in range(5000)]  # more than one pool of random bits
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in [first, *batch])
    assert len(set(batch)) == len(batch)
    assert all(first < i for i in batch)


def test_bulk_row_ids_follow_the_rows_and_sort_after_earlier_ones() -> None:
    earlier = next(ordered_ids())
    time.sleep(0.002)
    rows = [("a", 1), ("b", 2), ("c", 3)] * 2000
    out = with_ids(rows)
    assert [row[1:] for row in out] == rows
    ids = [row[0] for row in out]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert len(set(ids)) == len(ids) and all(earlier < i for i in ids)
    assert with_ids([]) == []


def test_link_columns_bind_the_text_json_dumps_binds() -> None:
    """The batch's own JSON encoders write what SQLAlchemy's JSON type would on SQLite
    (`json.dumps`), for any strings: quotes, backslashes, control and non-ASCII characters."""
    odd = ['say "hi"', "back\\slash", "tab\there", "Zoë", "名前", "\u2028", ""]
    chains = [
        [("phone", "k1", "d" * 64), ("name", "k1", "e" * 64)],
        [(dim, key_id, digest) for dim in odd[:3] for key_id in odd[3:5] for digest in odd],
        [],
    ]
    chain_text, strings_text = json_chain(), json_strings()
    for _ in range(2):  # the second time from what each encoder keeps
        for chain in chains:
            assert chain_text(chain) == json.dumps(chain)
            assert json.loads(chain_text(chain)) == [list(c) for c in chain]
        for values in (["email", "phone"], [], odd, ["phone"]):
            assert strings_text(values) == json.dumps(values)
