"""Issue 10 finding 3: every provider-visible count from the graph obeys one masking rule
(graph.masking): below graph_min_contributors it reads "<floor", never the exact number."""

from __future__ import annotations

from typing import Any

import anyio
from mcp import Client

from graph.conftest import PHONE, Net
from prospecting.edges.mcp.server import build_server


def _one_peer(net: Net) -> tuple[Any, str]:
    peer = net.provider("contribute_all", "query_on")
    net.contribute(peer, net.inbound(peer, phone=PHONE), "booked")
    me = net.provider("query_on")
    return me, net.inbound(me, phone=PHONE)


def test_graph_query_network_count_below_the_floor_is_masked_over_http(net: Net) -> None:
    me, pid = _one_peer(net)
    answer = net.query(me, prospect_id=pid)
    assert answer["network"]["consented_peers"] == "<2"  # was the exact 1
    assert answer["network"]["state"] == "empty"
    metrics = net.client.get("/prospect-graph/metrics", headers=me.headers).json()
    assert {s["consented_peers"] for s in metrics["segments"]} <= {"<2"}
    for week in metrics["weekly"]:  # 2 consented providers (me, peer) but 1 contributed
        assert week["contributing_providers"] in {"<2", 0} or week["contributing_providers"] >= 2


def test_graph_query_network_count_below_the_floor_is_masked_over_mcp(runtime, net: Net) -> None:
    me, pid = _one_peer(net)

    async def scenario() -> dict[str, Any]:
        async with Client(build_server(runtime, bound_token=me.token)) as client:
            answer = await client.call_tool("graph_query", {"query": {"prospect_id": pid}})
            return dict(answer.structured_content or {})

    answer = anyio.run(scenario)
    assert answer["network"]["consented_peers"] == "<2"


def test_counts_at_the_floor_show_exactly(net: Net) -> None:
    for _ in range(2):
        peer = net.provider("contribute_all", "query_on")
        net.contribute(peer, net.inbound(peer, phone=PHONE), "booked")
    me = net.provider("query_on")
    answer = net.query(me, prospect_id=net.inbound(me, phone=PHONE))
    assert answer["network"]["consented_peers"] == 2
    assert answer["network"]["state"] == "sparse"
