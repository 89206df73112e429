"""Issue 11: a subject's histogram from contributions grouped in SQL (`graph.summary`) is
exactly the row-by-row `dp.estimate_histogram` over the same rows, and the audit's
contributors are a set written once, in one statement, and named by every later answer that
used the same providers, with the hash chain still valid."""

from __future__ import annotations

import json
import random
from dataclasses import asdict
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select

from graph.conftest import PHONE, Net
from prospecting.db import new_id, utcnow
from prospecting.graph import audit, dp, ledger, summary
from prospecting.graph.models import (
    Contribution,
    ContributorSetMember,
    QueryAudit,
    Supersession,
)

MIX = ["booked", "rescheduled", "no_show", "ghosted", "declined", "blocked"]


def _row_by_row(rows: list[tuple[bool, str | None, dict[str, Any] | None]]) -> dp.HistogramEstimate:
    reports = [(o, dp.NoiseParams(**n)) for w, o, n in rows if not w and o and n]
    return dp.estimate_histogram(reports, withheld=sum(1 for w, _, _ in rows if w))


@pytest.mark.parametrize("seed", range(8))
def test_grouped_estimate_equals_the_row_by_row_one(seed: int) -> None:
    rng = random.Random(seed)
    rows: list[tuple[bool, str | None, dict[str, Any] | None]] = []
    for _ in range(rng.randrange(1, 300)):
        if rng.random() < 0.2:
            rows.append((True, None, None))
            continue
        units = rng.choice([250_000, 500_000, 1_000_000, 2_000_000])
        noised, params = dp.randomize_outcome(rng.choice(MIX), epsilon_units=units)
        rows.append((False, noised, asdict(params)))
    lines = [
        summary.Line(f"p{i % 7}", w, o, None if n is None else json.dumps(n), 1)
        for i, (w, o, n) in enumerate(rows)
    ]
    groups, withheld = summary.reports(lines)
    assert len(groups) < len(rows) or len(rows) < 12
    grouped = summary.estimate(groups, withheld=withheld)
    assert grouped == _row_by_row(rows)


def test_lines_from_the_store_give_the_row_by_row_histogram(runtime, net: Net) -> None:
    """Real rows (withheld ones, a superseded one, the asker's own) read grouped in SQL."""
    me = net.provider("contribute_all", "query_on")
    key = net.link(me, net.inbound(me, phone=PHONE))["subject_key"]
    rng = random.Random(3)
    rows: list[dict[str, Any]] = []
    for i in range(120):
        provider = "me" if i % 17 == 0 else f"peer-{i % 9}"
        withheld = i % 5 == 0
        noised, params = dp.randomize_outcome(rng.choice(MIX), epsilon_units=1_000_000)
        rows.append(
            {
                "id": new_id(),
                "provider_id": me.id if provider == "me" else provider,
                "prospect_id": new_id(),
                "outcome_version": 1,
                "generation": 0,
                "subject_key": key,
                "noised_outcome": None if withheld else noised,
                "outcome_noise": None if withheld else asdict(params),
                "epsilon_units": 0 if withheld else 1_000_000,
                "withheld": withheld,
                "fingerprint": "x",
                "created_at": utcnow(),
            }
        )
    superseded = rows[1]["id"]
    with runtime.stores.graph() as graph:
        graph.execute(insert(Contribution), rows)
        graph.execute(
            insert(Supersession).values(
                id=new_id(),
                subject_key=key,
                superseded_id=superseded,
                superseding_id=rows[2]["id"],
                reason="new_version",
                created_at=utcnow(),
            )
        )
    with runtime.stores.graph() as graph:
        lines = summary.lines(graph, key, exclude=me.id)
    live = [r for r in rows if r["provider_id"] != me.id and r["id"] != superseded]
    assert sum(line.count for line in lines) == len(live)
    assert {line.provider_id for line in lines} == {r["provider_id"] for r in live}
    groups, n_withheld = summary.reports(lines)
    expected = _row_by_row([(r["withheld"], r["noised_outcome"], r["outcome_noise"]) for r in live])
    assert summary.estimate(groups, withheld=n_withheld) == expected


def test_a_contributor_set_is_written_once_in_one_statement_and_named_again(runtime) -> None:
    """250 contributors: the first answer writes the set's members in one statement; a second
    answer with the same providers (in another order, one repeated) writes none and names the
    same set; a third with one provider fewer writes a new set. Each contributor still finds
    every answer that used their rows, and the chain verifies."""
    contributors = [f"provider-{i:03d}" for i in range(250)]
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    def members() -> int:
        with runtime.stores.graph() as graph:
            return int(graph.scalar(select(func.count()).select_from(ContributorSetMember)) or 0)

    def answer(used: list[str]) -> tuple[QueryAudit, int, int]:
        """The audit row, the member rows it added, and its statements naming the members."""
        before = members()
        statements.clear()
        event.listen(runtime.stores.graph_engine, "before_cursor_execute", seen)
        try:
            with runtime.stores.graph() as graph:
                row = audit.record(
                    graph,
                    consumer_id="asker",
                    subject_key="subject",
                    kind="query",
                    scope={},
                    result_state="ok",
                    contributor_ids=used,
                )
        finally:
            event.remove(runtime.stores.graph_engine, "before_cursor_execute", seen)
        writes = [s for s in statements if "INSERT INTO graph_contributor_set_members" in s]
        return row, members() - before, len(writes)

    first, added, writes = answer([*contributors, contributors[0]])
    assert (added, writes) == (len(contributors), 1)
    again, added, writes = answer(contributors[::-1])
    assert added == 0 and again.contributor_set_id == first.contributor_set_id
    assert writes == (1 if runtime.stores.graph_engine.dialect.name == "postgresql" else 0)
    fewer, added, writes = answer(contributors[1:])
    assert (added, writes) == (len(contributors) - 1, 1)
    assert fewer.contributor_set_id != first.contributor_set_id
    with runtime.stores.graph() as graph:
        stored = graph.scalar(
            select(func.count()).where(ContributorSetMember.set_id == first.contributor_set_id)
        )
        assert stored == len(contributors)
        used_by = {
            name: set(
                graph.scalars(
                    select(QueryAudit.id)
                    .join(
                        ContributorSetMember,
                        ContributorSetMember.set_id == QueryAudit.contributor_set_id,
                    )
                    .where(ContributorSetMember.provider_id == name)
                )
            )
            for name in (contributors[0], contributors[1])
        }
        assert used_by[contributors[0]] == {first.id, again.id}
        assert used_by[contributors[1]] == {first.id, again.id, fewer.id}
        assert ledger.verify(graph).ok
