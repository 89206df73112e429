"""Import: a provider's existing clients and past outcomes from a CSV export, then (only under
contribute consent) their history in the network graph. The one path for every adapter.

Cross-store order as everywhere (docs/architecture.md): a graph row may only refer to a
committed tenant row, so for each chunk of clients

1. tenant: the chunk's prospects, chains, appointments and outcomes commit first;
2. graph: the chunk's history goes to `graph.contribute_history` in a graph transaction of its
   own, with a read-only tenant session. It checks contribute consent per prospect, links,
   records contact days and contributes each prospect's latest outcome; the graph only ever
   sees prospect ids, never a row's values.

A rejected row never stops the import and a committed chunk is never rolled back. A crash
between (1) and (2) leaves tenant rows the graph has not seen: importing the same file again
stores nothing new in the tenant store and sends those chunks' history again (links, contact
days and contributions are idempotent), which finishes it. A graph refusal or outage never
fails the import either: the report counts the rows not shared and says why.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from prospecting.db import utcnow
from prospecting.errors import DomainError
from prospecting.graph import service as graph
from prospecting.graph.schemas import HistoryItem
from prospecting.identity.models import Person
from prospecting.prospects import importing
from prospecting.prospects.schemas import DateOrder, ImportNetwork, ImportReport
from prospecting.runtime import Channel, Context, Runtime

_SHARED_COUNTS = frozenset(
    {"linked", "contacts", "contributed", "withheld", "not_consented", "opted_out"}
)


def import_history(
    runtime: Runtime,
    *,
    actor: Person,
    text: str,
    contribute: bool,
    channel: Channel,
    date_order: DateOrder | None = None,
    field_name: str = "file",
    progress: importing.Progress | None = None,
    chunk_rows: int = importing.CHUNK_ROWS,
) -> ImportReport:
    """Import a CSV export for the acting Person; see the module doc for the order.
    `contribute=False` keeps everything local. InvalidInput (naming `field_name`) only for a
    file that cannot be read at all; everything else is in the report."""
    started = time.perf_counter()
    plan = importing.plan_import(
        text=text,
        actor=actor,
        resolver=runtime.resolver,
        date_order=date_order,
        now=utcnow(),
        field_name=field_name,
        progress=progress,
    )
    written = importing.Written()
    network = ImportNetwork(requested=contribute)
    for clients in plan.chunks(chunk_rows):
        with runtime.stores.tenant() as tenant:
            chunk = importing.write_clients(session=tenant, actor=actor, plan=plan, clients=clients)
        written.add(chunk)
        if contribute and chunk.history:
            _share(runtime, actor=actor, channel=channel, chunk=chunk, network=network)
        if progress is not None:
            progress("importing", written.rows, plan.accepted)
    return importing.report(plan, written, network, seconds=time.perf_counter() - started)


def _share(
    runtime: Runtime,
    *,
    actor: Person,
    channel: Channel,
    chunk: importing.Written,
    network: ImportNetwork,
) -> None:
    """Step 2 for one committed chunk; a refusal or an outage is counted, never raised."""
    items = _items(chunk.history)
    try:
        with runtime.stores.tenant_read() as tenant, runtime.stores.graph() as graph_session:
            ctx = Context(tenant, graph_session, actor, runtime.settings, runtime.resolver, channel)
            result = graph.contribute_history(ctx, items)
    except DomainError as exc:  # an outage, or a refusal, after the tenant chunk committed
        network.rows_not_shared += chunk.rows
        network.error = network.error or f"{exc.code}: {exc.detail}"
        return
    counts = result.model_dump()
    for name in _SHARED_COUNTS & counts.keys():
        setattr(network, name, getattr(network, name) + counts[name])


def _items(history: Sequence[importing.HistoryRow]) -> list[HistoryItem]:
    return [
        HistoryItem(
            prospect_id=row.prospect_id,
            contacted_at=row.contacted_at,
            outcome=row.outcome,
            outcome_version=row.outcome_version,
        )
        for row in history
    ]
