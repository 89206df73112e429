"""The network state auto-qualify stores comes from the graph's one typed signal."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from graph.conftest import PHONE, Net
from prospecting.graph.consent import change
from prospecting.graph.schemas import ConsentAction, ConsentChange
from prospecting.identity import service as identity
from prospecting.identity.schemas import PersonCreate
from prospecting.qualify.models import Qualification
from prospecting.runtime import Context

DENSE_PEERS = 50


def _consented_peers(runtime, n: int, *, category: str, region: str) -> None:
    with runtime.stores.tenant() as tenant, runtime.stores.graph() as graph:
        for i in range(n):
            peer = identity.create_person(
                session=tenant,
                data=PersonCreate(
                    display_name=f"Peer {i}", service_categories=[category], region=region
                ),
            )
            ctx = Context(tenant, graph, peer, runtime.settings, runtime.resolver, "cli")
            change(ctx, ConsentChange(action=ConsentAction.CONTRIBUTE_ALL))


def _stored(runtime, qualification_id: str) -> Qualification:
    with runtime.stores.tenant() as tenant:
        row = tenant.scalar(select(Qualification).where(Qualification.id == qualification_id))
        assert isinstance(row, Qualification)
        return row


def _qualify(net: Net, asker) -> dict[str, Any]:
    r = net.client.post(
        "/qualify/inbound",
        json={"channel": "sms", "sender_phone": PHONE, "body": "Can I book Friday at 10am?"},
        headers=asker.headers,
    )
    assert r.status_code == 201, r.text
    return dict(r.json()["qualification"])


def test_a_dense_network_is_stored_on_the_qualification_and_sets_the_dense_feature(
    client, make_provider, runtime
) -> None:
    net = Net(client, make_provider)
    _consented_peers(runtime, DENSE_PEERS, category="therapy", region="GB-LND")
    _consented_peers(runtime, 3, category="fitness", region="GB-LND")  # another category
    asker = net.provider("query_on", service_categories=["therapy"], region="GB-LND")
    qualification = _qualify(net, asker)
    assert qualification["graph_state"] == "dense"
    stored = _stored(runtime, qualification["id"])
    assert stored.graph_state == "dense"
    assert stored.features["graph_dense"] == 1.0
    assert stored.features["graph_present"] == 0.0  # nobody contributed about this person


def test_a_sparse_scope_is_not_dense(client, make_provider, runtime) -> None:
    net = Net(client, make_provider)
    _consented_peers(runtime, 5, category="therapy", region="GB-LND")
    _consented_peers(runtime, DENSE_PEERS, category="therapy", region="US-NY")  # elsewhere
    asker = net.provider("query_on", service_categories=["therapy"], region="GB-LND")
    qualification = _qualify(net, asker)
    stored = _stored(runtime, qualification["id"])
    assert stored.graph_state == "sparse"
    assert stored.features["graph_dense"] == 0.0
