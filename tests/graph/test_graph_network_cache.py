"""Issue 11: network state comes from a per-process view (`graph.network.view`) rebuilt only
when the consent chain head or the tenant directory version (a counter advanced by triggers)
moved. These tests warm the view,
change what it depends on (from a second Stores standing for another worker process where
it matters), and expect the change to show at once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from conftest import Provider
from graph.conftest import Net, clinic
from prospecting.db import Stores, make_engine
from prospecting.graph import network
from prospecting.graph.consent import change
from prospecting.graph.schemas import ConsentAction, ConsentChange, GraphScope
from prospecting.identity import service as identity
from prospecting.identity.models import Person
from prospecting.identity.schemas import ProfileUpdate
from prospecting.runtime import Context


def _peers(stores: Stores, runtime: Any, asker: Provider, **scope: str) -> int | str:
    """The network state's consented peers as the asker sees it, through `stores`."""
    with stores.tenant() as tenant, stores.graph() as graph:
        actor = identity.get_person(session=tenant, person_id=asker.id)
        ctx = Context(tenant, graph, actor, runtime.settings, runtime.resolver)
        return network.network_state(ctx, GraphScope(**scope)).consented_peers


def _other_process(runtime: Any) -> Stores:
    """Separate engines on the same databases, as another worker process would have."""
    settings = runtime.settings
    return Stores(
        make_engine(settings.resolved_tenant_url), make_engine(settings.resolved_graph_url)
    )


def test_a_peer_revoking_in_another_process_is_seen_at_once(net: Net, runtime) -> None:
    asker = net.provider("query_on")
    peers = [net.provider("contribute_all") for _ in range(3)]
    assert _peers(runtime.stores, runtime, asker) == 3
    assert _peers(runtime.stores, runtime, asker) == 3  # served by the view
    other = _other_process(runtime)
    try:
        with other.tenant() as tenant, other.graph() as graph:
            actor = identity.get_person(session=tenant, person_id=peers[0].id)
            ctx = Context(tenant, graph, actor, runtime.settings, runtime.resolver, "cli")
            change(ctx, ConsentChange(action=ConsentAction.REVOKE_ALL))
    finally:
        other.dispose()
    assert _peers(runtime.stores, runtime, asker) == 2
    net.consent(peers[1], "contribute_none")
    assert _peers(runtime.stores, runtime, asker) == "<2"


def test_a_new_consented_peer_counts_at_once(net: Net, runtime) -> None:
    asker = net.provider("query_on")
    net.provider("contribute_all")
    assert _peers(runtime.stores, runtime, asker) == "<2"
    net.provider("contribute_per_prospect")
    assert _peers(runtime.stores, runtime, asker) == 2


def test_joining_an_org_with_a_default_policy_counts_without_a_consent_event(
    net: Net, runtime
) -> None:
    asker = net.provider("query_on")
    admin, member = net.provider(), net.provider()
    org_id = clinic(net, runtime, admin, member)  # the admin is a member: counts now
    net.provider("contribute_all")
    assert _peers(runtime.stores, runtime, asker) == 2
    # the member joins from another process: only the tenant store changes
    other = _other_process(runtime)
    try:
        with other.tenant() as tenant:
            actor = identity.get_person(session=tenant, person_id=member.id)
            identity.accept_invitation(session=tenant, actor=actor, org_id=org_id)
    finally:
        other.dispose()
    assert _peers(runtime.stores, runtime, asker) == 3
    left = net.client.delete(f"/orgs/{org_id}/members/me", headers=member.headers)
    assert left.status_code in (200, 204), left.text
    assert _peers(runtime.stores, runtime, asker) == 2


def test_a_profile_change_moves_a_peer_between_scopes(net: Net, runtime) -> None:
    asker = net.provider("query_on")
    movers = [net.provider("contribute_all", region="GB-LND") for _ in range(2)]
    assert _peers(runtime.stores, runtime, asker, region="GB-LND") == 2
    assert _peers(runtime.stores, runtime, asker, region="US-NY") == "<2"
    for mover in movers:
        with runtime.stores.tenant() as tenant:
            actor = identity.get_person(session=tenant, person_id=mover.id)
            identity.update_profile(session=tenant, actor=actor, data=ProfileUpdate(region="US-NY"))
    assert _peers(runtime.stores, runtime, asker, region="GB-LND") == "<2"
    assert _peers(runtime.stores, runtime, asker, region="US-NY") == 2


def test_a_profile_change_in_another_process_moves_a_peer_at_once(net: Net, runtime) -> None:
    """The gap the directory's old aggregate version left: a Person row has no update time,
    so another process's profile change showed only at the next consent or directory event.
    The change is a Core UPDATE: it fires no ORM event in this process, as another process's
    would not."""
    asker = net.provider("query_on")
    movers = [net.provider("contribute_all", region="GB-LND") for _ in range(2)]
    assert _peers(runtime.stores, runtime, asker, region="GB-LND") == 2
    other = _other_process(runtime)
    try:
        with other.tenant() as tenant:
            moved = Person.id.in_([mover.id for mover in movers])
            tenant.execute(update(Person).where(moved).values(region="US-NY"))
    finally:
        other.dispose()
    assert _peers(runtime.stores, runtime, asker, region="GB-LND") == "<2"
    assert _peers(runtime.stores, runtime, asker, region="US-NY") == 2


def test_the_view_is_reused_while_nothing_changed(net: Net, runtime) -> None:
    asker = net.provider("query_on")
    for _ in range(2):
        net.provider("contribute_all")
    with runtime.stores.tenant() as tenant, runtime.stores.graph() as graph:
        actor = identity.get_person(session=tenant, person_id=asker.id)
        ctx = Context(tenant, graph, actor, runtime.settings, runtime.resolver)
        first = network.view(ctx)
        assert network.view(ctx) is first
    net.provider("contribute_all")
    with runtime.stores.tenant() as tenant, runtime.stores.graph() as graph:
        ctx = Context(tenant, graph, actor, runtime.settings, runtime.resolver)
        assert network.view(ctx) is not first
