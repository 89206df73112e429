"""Pages of a Person's prospects: newest first, ties by id, walked along an index in that order.

The page statement must not read or sort the Person's other prospects: a provider with a
history import of thousands paid for all of them on every GET /prospects (a temporary sort
of the whole list under a window count)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import update

from prospecting import migrations
from prospecting.db import make_engine
from prospecting.prospects import service
from prospecting.prospects.models import Prospect
from prospecting.prospects.schemas import ProspectStatus

MOMENT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _inbound(client: Any, provider: Any, i: int) -> str:
    payload = {"channel": "sms", "body": "Hi, any space?", "sender_phone": f"+4479112{i:05d}"}
    response = client.post("/prospects/inbound", json=payload, headers=provider.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["prospect"]["id"])


def _set(runtime: Any, ids: list[str], **values: Any) -> None:
    with runtime.stores.tenant() as session:
        session.execute(update(Prospect).where(Prospect.id.in_(ids)).values(**values))


def _walk(client: Any, provider: Any, query: str, size: int) -> tuple[list[str], set[int]]:
    seen: list[str] = []
    totals: set[int] = set()
    offset = 0
    while True:
        page = client.get(
            f"/prospects?limit={size}&offset={offset}{query}", headers=provider.headers
        ).json()
        totals.add(page["total"])
        if not page["items"]:
            return seen, totals
        seen += [item["id"] for item in page["items"]]
        offset += size


def test_pages_run_newest_first_with_ties_by_id_and_never_skip_or_repeat(
    client: Any, make_provider: Any, runtime: Any
) -> None:
    alice, bob = make_provider(), make_provider()
    mine = [_inbound(client, alice, i) for i in range(9)]
    theirs = [_inbound(client, bob, 100 + i) for i in range(3)]
    # four share one moment (as a history import's rows do), the rest one minute apart each
    _set(runtime, mine[:4] + theirs, created_at=MOMENT)
    for n, prospect_id in enumerate(mine[4:], start=1):
        _set(runtime, [prospect_id], created_at=MOMENT + timedelta(minutes=n))
    _set(runtime, [mine[5]], status=ProspectStatus.MERGED)
    _set(runtime, [mine[0], mine[2], mine[6]], status=ProspectStatus.BOOKED)
    when = {pid: MOMENT for pid in mine[:4]} | {
        pid: MOMENT + timedelta(minutes=n) for n, pid in enumerate(mine[4:], start=1)
    }

    def newest_first(ids: list[str]) -> list[str]:
        by_id = sorted(ids)
        return sorted(by_id, key=lambda pid: when[pid], reverse=True)  # stable: ties by id

    listed = [pid for pid in mine if pid != mine[5]]
    for size in (1, 2, 3, 50):
        seen, totals = _walk(client, alice, "", size)
        assert seen == newest_first(listed)
        assert totals == {len(listed)}
    booked, totals = _walk(client, alice, "&status=booked", 2)
    assert booked == newest_first([mine[0], mine[2], mine[6]]) and totals == {3}
    merged, totals = _walk(client, alice, "&status=merged", 2)
    assert merged == [mine[5]] and totals == {1}
    seen, totals = _walk(client, bob, "", 2)
    assert seen == sorted(theirs) and totals == {3}


def _plan(session: Any, statement: Any, params: dict[str, Any]) -> str:
    connection = session.connection()
    compiled = statement.compile(dialect=connection.dialect)
    bound = compiled.construct_params(params)
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {compiled}", tuple(bound[k] for k in compiled.positiontup)
        )
        return "\n".join(str(row[-1]) for row in rows)
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a tiny table: the index
    return "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {compiled}", bound))


def test_newest_first_reads_walk_an_index_in_their_own_order_and_sort_nothing(
    runtime: Any,
) -> None:
    """Pages, and ingest's fuzzy-name candidates (whose block must not lose to a page index
    that has the order but not the block)."""
    params = {
        "person": "p" * 32,
        "status": ProspectStatus.BOOKED,
        "limit": 50,
        "offset": 0,
        "person_id": "p" * 32,
        "block": "lee",
    }
    with runtime.stores.tenant_read() as session:
        for statement, index in (
            (service._PAGE_ALL, "ix_prospects_person_created"),
            (service._PAGE_IN_STATUS, "ix_prospects_person_status"),
            (service._BLOCK, "ix_prospects_person_name_block"),
        ):
            plan = _plan(session, statement, params)
            if session.get_bind().dialect.name == "sqlite":
                assert index in plan, plan
            else:  # an empty table has no statistics: either index gives the order
                assert "ix_prospects_person_" in plan, plan
            assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan


def _indexes(url: str) -> dict[str, list[str]]:
    engine = make_engine(url)
    try:
        return {
            str(i["name"]): [str(c) for c in i["column_names"]]
            for i in sa.inspect(engine).get_indexes("prospects")
        }
    finally:
        engine.dispose()


def test_the_page_indexes_migration_goes_up_and_down(fresh_tenant_url: str) -> None:
    migrations.upgrade("tenant", fresh_tenant_url)
    up = _indexes(fresh_tenant_url)
    assert up["ix_prospects_person_created"] == ["person_id", "created_at", "id"]
    assert up["ix_prospects_person_status"] == ["person_id", "status", "created_at", "id"]
    assert up["ix_prospects_person_name_block"] == ["person_id", "name_block", "created_at"]
    migrations.downgrade("tenant", fresh_tenant_url, "0007")
    down = _indexes(fresh_tenant_url)
    assert "ix_prospects_person_created" not in down
    assert down["ix_prospects_person_status"] == ["person_id", "status", "created_at"]
    assert down["ix_prospects_person_name_block"] == ["person_id", "name_block"]
    migrations.upgrade("tenant", fresh_tenant_url)
    assert _indexes(fresh_tenant_url) == up
