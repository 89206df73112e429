"""Child process of the crash-order tests: runs one workflow and SIGKILLs itself at a commit.

Usage: ``python crash_child.py SPEC_JSON`` with the `PROSPECTING_*` environment of the test's
stores (the `cli_env` fixture). SPEC is
``{"workflow": ..., "actor_id": ..., "kill": {"commit": LABEL, "nth": N} | null, ...}``.
A SQLAlchemy "commit" listener (it fires just before the DBAPI commit) on each store's engine
labels every commit ``tenant`` or ``graph``, with ``:read`` for a read-only transaction
(`prospecting.db.READ_ONLY`), counts them per label and kills the process at the Nth commit of
LABEL, so that commit never lands. Without a kill point the workflow finishes and the child
prints ``{"commits": [...]}``, the labels in the order the stores committed.

Workflows:
- ``inbound``: `prospecting.workflows.inbound.receive` (SPEC ``message``);
- ``graph_first``: the old, wrong order (graph transaction nested in the tenant transaction,
  so the graph commits first); only to show that the orphan check catches what it leaves;
- ``erasure``: `prospecting.workflows.erasure.subject_opt_out` (SPEC ``opt_out``).
"""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import Any

from sqlalchemy import event

from prospecting.config import load_settings
from prospecting.db import READ_ONLY
from prospecting.graph import service as graph
from prospecting.graph.schemas import OptOutIn
from prospecting.identity.models import Person
from prospecting.identity.service import get_person
from prospecting.prospects import service as prospects
from prospecting.prospects.schemas import InboundMessage
from prospecting.qualify.service import qualify_inbound
from prospecting.qualify.signals import GraphFeatures
from prospecting.runtime import Context, Runtime
from prospecting.workflows import erasure, inbound


def install_kill_switch(runtime: Runtime, kill: dict[str, Any] | None) -> list[str]:
    """Listen to both engines' commits; returns the list the commit order is recorded in."""
    commits: list[str] = []

    def listener(store: str) -> Any:
        def on_commit(conn: Any) -> None:
            options = conn.get_execution_options()
            read = all(options.get(k) == v for k, v in READ_ONLY.items())
            label = f"{store}:read" if read else store
            commits.append(label)
            if kill is not None and kill["commit"] == label and commits.count(label) == kill["nth"]:
                os.kill(os.getpid(), signal.SIGKILL)

        return on_commit

    event.listen(runtime.stores.tenant_engine, "commit", listener("tenant"))
    event.listen(runtime.stores.graph_engine, "commit", listener("graph"))
    return commits


def graph_first(runtime: Runtime, actor: Person, message: InboundMessage) -> None:
    """The pre-fix order: one tenant transaction around the graph one (graph commits first)."""
    with runtime.stores.tenant() as tenant:
        result = prospects.ingest(
            session=tenant, actor=actor, resolver=runtime.resolver, message=message
        ).as_result()
        with runtime.stores.graph() as graph_session:
            ctx = Context(tenant, graph_session, actor, runtime.settings, runtime.resolver, "cli")
            signals = graph.inbound_signals(ctx, result.prospect.id)
        qualify_inbound(
            session=tenant,
            actor=actor,
            touchpoint_id=result.touchpoint.id,
            graph=GraphFeatures.from_signals(signals),
        )


def main(spec: dict[str, Any]) -> None:
    runtime = Runtime.build(load_settings())
    with runtime.stores.tenant() as session:
        actor = get_person(session=session, person_id=spec["actor_id"])
    commits = install_kill_switch(runtime, spec.get("kill"))
    workflow = spec["workflow"]
    if workflow == "inbound":
        message = InboundMessage.model_validate(spec["message"])
        inbound.receive(runtime, actor=actor, message=message, channel="cli")
    elif workflow == "graph_first":
        graph_first(runtime, actor, InboundMessage.model_validate(spec["message"]))
    elif workflow == "erasure":
        data = OptOutIn.model_validate(spec["opt_out"])
        erasure.subject_opt_out(runtime, actor=actor, data=data, channel="cli")
    else:
        raise SystemExit(f"unknown workflow {workflow!r}")
    runtime.stores.dispose()
    print(json.dumps({"commits": commits}))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
