"""Erasure (DSR opt-out): tombstone the subject in the graph, then strip what the tenant store
derived from it (graph features and factors of every linked prospect's qualifications) and
closes the coop intro asks about it.

Cross-store order: for an erasure the graph is the authority, so its tombstone commits first;
the tenant strip follows in its own transaction. A crash between them is finished by replaying
the same DSR request id: the opt-out answers `replayed` and the strip runs again (idempotent).
"""

from __future__ import annotations

from prospecting.coop import asks
from prospecting.graph import service as graph
from prospecting.graph.schemas import OptOutIn, OptOutOut
from prospecting.identity.models import Person, Role
from prospecting.identity.service import require_role
from prospecting.prospects import service as prospects
from prospecting.qualify.service import strip_graph_features
from prospecting.runtime import Channel, Context, Runtime


def subject_opt_out(
    runtime: Runtime, *, actor: Person, data: OptOutIn, channel: Channel
) -> OptOutOut:
    require_role(actor, Role.PRIVACY_OFFICER)
    with runtime.stores.tenant_read() as tenant, runtime.stores.graph() as graph_session:
        ctx = Context(tenant, graph_session, actor, runtime.settings, runtime.resolver, channel)
        out = graph.subject_opt_out(ctx, data)
        linked = graph.linked_prospects(graph_session, out.subject_key)
    with runtime.stores.tenant() as tenant:
        ids = prospects.with_merged(session=tenant, prospect_ids=linked)
        strip_graph_features(session=tenant, prospect_ids=ids)
        prospects.clear_link_confidence(session=tenant, prospect_ids=ids)
        asks.close_for_prospects(session=tenant, prospect_ids=ids)
    return out
