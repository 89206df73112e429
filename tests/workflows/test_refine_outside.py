"""An optional language model polishes drafts outside every database transaction."""

from __future__ import annotations

from typing import Any

from prospecting.identity.service import get_person
from prospecting.prospects.schemas import InboundMessage
from prospecting.qualify.refine import RefineRequest
from prospecting.workflows import inbound


class WatchingRefiner:
    """Records whether either store had a connection checked out while it ran."""

    name = "llm_endpoint"

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self.busy: list[int] = []

    def __call__(self, request: RefineRequest) -> str:
        pools = (self.runtime.stores.tenant_engine.pool, self.runtime.stores.graph_engine.pool)
        self.busy.append(sum(pool.checkedout() for pool in pools))
        return "Hello! " + request.draft


def test_the_refiner_runs_with_no_connection_held_and_its_draft_is_kept(runtime, make_provider):
    provider = make_provider()
    with runtime.stores.tenant() as session:
        me = get_person(session=session, person_id=provider.id)
    refiner = WatchingRefiner(runtime)
    message = InboundMessage(channel="sms", sender_phone="07911 123456", body="Any slots Friday?")
    result = inbound.receive(runtime, actor=me, message=message, channel="cli", refiner=refiner)
    assert refiner.busy == [0]  # no transaction (no checked-out connection) while it ran
    assert result.draft.source == "llm_endpoint" and result.draft.body.startswith("Hello! ")
    with runtime.stores.tenant() as session:
        from prospecting.qualify.reads import get_draft

        stored = get_draft(session=session, actor=me, draft_id=result.draft.id)
        assert stored.body == result.draft.body and stored.offline_body != stored.body
