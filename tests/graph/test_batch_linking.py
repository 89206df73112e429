"""The history import's batch linking puts records into the same clusters as linking them one
at a time with `link_prospect`, on a generated set with the mess of real exports (bench data:
phones written several ways, email variants, typos, missing fields, second numbers, shared
household phones), including merges of subjects anchored on one contact."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import func, select

from conftest import DatabaseUrls, PgServer
from prospecting.graph.models import Correction, ProspectLink, SubjectKey, SubjectStatus

BENCH = Path(__file__).resolve().parents[2] / "bench" / "linking.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_linking", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_linking"] = module
    spec.loader.exec_module(module)
    return module


def _second_pair(
    db_urls: DatabaseUrls, tmp_path: Path, sqlite_template: Path, pg_server: PgServer | None
) -> tuple[str, str]:
    if db_urls.backend == "sqlite":
        folder = tmp_path / "one-at-a-time"
        folder.mkdir()
        for name in ("tenant.sqlite3", "graph.sqlite3"):
            shutil.copy(sqlite_template / name, folder / name)
        return f"sqlite:///{folder / 'tenant.sqlite3'}", f"sqlite:///{folder / 'graph.sqlite3'}"
    assert pg_server is not None
    return pg_server.fresh_pair()


def _merges(net: Any) -> int:
    with net.runtime.stores.graph() as g:
        return int(g.scalar(select(func.count()).select_from(Correction)) or 0)


def test_batch_links_into_the_same_clusters_as_one_at_a_time(
    bench: ModuleType,
    db_urls: DatabaseUrls,
    tmp_path: Path,
    sqlite_template: Path,
    pg_server: PgServer | None,
) -> None:
    records = bench.generate(400, providers=5, seed=3)
    truth = [r.person for r in records]
    assert max(Counter(truth).values()) > 1  # people at several providers

    batch = bench.build(db_urls.tenant, db_urls.graph, tmp_path, records)
    tenant, graph = _second_pair(db_urls, tmp_path, sqlite_template, pg_server)
    one = bench.build(tenant, graph, tmp_path, records)
    try:
        bench.link_batch(batch)
        bench.link_one_at_a_time(one)
        by_batch, by_one = bench.clusters(batch), bench.clusters(one)
        merges = (_merges(batch), _merges(one))
        with batch.runtime.stores.graph() as g:
            links = int(g.scalar(select(func.count()).select_from(ProspectLink)) or 0)
            merged = set(
                g.scalars(
                    select(SubjectKey.subject_key).where(SubjectKey.status == SubjectStatus.MERGED)
                )
            )
            live = set(g.scalars(select(ProspectLink.subject_key)))
    finally:
        batch.runtime.stores.dispose()
        one.runtime.stores.dispose()
        if db_urls.backend == "postgresql" and pg_server is not None:
            pg_server.drop(tenant)
            pg_server.drop(graph)

    assert links == len(records)
    assert merges[0] == merges[1] > 0  # the data exercises merges, and both paths merged
    assert not merged & live  # every link moved to its survivor
    assert bench.same_partition(by_batch, by_one)
    assert len(set(by_batch)) < len(records)  # records did link across providers
    quality = bench.score(truth, by_batch)
    assert quality.recall > 0.9
