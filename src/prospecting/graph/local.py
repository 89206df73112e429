"""What the graph reads of the caller's own tenant: always through the prospects service."""

from __future__ import annotations

from prospecting.prospects import service as prospects
from prospecting.prospects.identifiers import prospect_chain
from prospecting.resolver.keys import Digest
from prospecting.runtime import Context


def own_prospect(ctx: Context, prospect_id: str) -> str:
    """The id of the caller's prospect, following local merges; anything else is NotFound."""
    return prospects.owned_prospect_id(session=ctx.tenant, actor=ctx.actor, prospect_id=prospect_id)


def chain_of(ctx: Context, prospect_id: str) -> list[Digest]:
    """The prospect's stored hash chain under the active key: all the graph ever keys on."""
    return prospect_chain(
        session=ctx.tenant, prospect_id=prospect_id, key_id=ctx.resolver.active_key_id
    )
