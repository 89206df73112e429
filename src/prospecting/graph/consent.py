"""Graph consent: a Person's own choices over their Org's defaults, every change an event.

The Person whose consent changes is always the acting Person (from the token). The contract's
`graph_consent(person_id, action)` keeps `person_id` only as an assertion: naming anyone else is
refused with PermissionDenied, so a caller can never toggle another Person's consent.

"Revoked" means the Person withdrew contribution consent (`contribute_none` or `revoke_all`):
their past contributions stay in aggregates, but they are never attributed or replayed. A
revocation deletes the Person's attribution opt-ins, and `last_revoked_at` (never cleared, even
by a later `contribute_all`) keeps every row created before it out of attribution and replay.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar

from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from prospecting.db import core, new_id, utcnow
from prospecting.errors import InvalidInput, NotFound, PermissionDenied
from prospecting.graph import ledger
from prospecting.graph.local import own_prospect
from prospecting.graph.models import (
    ChainHead,
    ConsentEvent,
    ContributePolicy,
    OrgPolicy,
    ProspectLink,
    ProspectOptIn,
    ProviderConsent,
    SubjectAttribution,
)
from prospecting.graph.schemas import ConsentAction, ConsentChange, ConsentState, OrgPolicyIn
from prospecting.identity import service as identity
from prospecting.runtime import Context

Source = Literal["own", "org", "default"]
_Row = TypeVar("_Row", ProviderConsent, OrgPolicy)
_ORDER = {ContributePolicy.NONE: 0, ContributePolicy.PER_PROSPECT: 1, ContributePolicy.ALL: 2}


@dataclass(frozen=True)
class Effective:
    contribute: ContributePolicy
    contribute_source: Source
    query: bool
    query_source: Source
    revoked: bool
    last_revoked_at: datetime | None = None


OWN_COLUMNS = (
    ProviderConsent.provider_id,
    ProviderConsent.contribute_policy,
    ProviderConsent.query_enabled,
    ProviderConsent.revoked_at,
    ProviderConsent.last_revoked_at,
)
_POLICY_COLUMNS = (OrgPolicy.org_id, OrgPolicy.contribute_policy, OrgPolicy.query_enabled)
# one Person's own row (the asker's, on every query), built once
_OWN_ONE = select(*OWN_COLUMNS).where(ProviderConsent.provider_id == bindparam("id"))
_OWN_ONE_LOCKED = _OWN_ONE.with_for_update(read=True)
_HEAD = select(ChainHead.seq, ChainHead.head_hash).where(ChainHead.chain == bindparam("chain"))
_OPT_INS = select(SubjectAttribution.provider_id, SubjectAttribution.created_at).where(
    SubjectAttribution.subject_key == bindparam("key")
)
_OPT_INS_LOCKED = _OPT_INS.with_for_update(read=True)


def effective_many(
    tenant: Session, graph: Session, person_ids: Iterable[str], *, lock: bool = False
) -> dict[str, Effective]:
    """Each Person's effective consent: own choice, else the strictest Org default, else off.

    `lock` reads the Persons' own rows FOR SHARE (PostgreSQL; SQLite writers are serialised),
    so no consent change can commit before the caller's transaction ends."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    rows: Iterable[Any]
    if len(ids) == 1:
        rows = core(graph).execute(_OWN_ONE_LOCKED if lock else _OWN_ONE, {"id": ids[0]})
    else:
        query = select(*OWN_COLUMNS).where(ProviderConsent.provider_id.in_(ids))
        rows = graph.execute(query.with_for_update(read=True) if lock else query)
    own: dict[str, Own] = {row[0]: own_of(row[1:]) for row in rows}
    return _over_org_defaults(tenant, graph, ids, own)


def own_of(row: Sequence[Any]) -> Own:
    """A Person's own consent from `OWN_COLUMNS` after the id: contribute policy, query
    enabled, revoked_at and last_revoked_at."""
    return (row[0], row[1], row[2] is not None, row[3])


def effective_given(ctx: Context, own: Own | None) -> Effective:
    """The caller's effective consent from their own row as already read (None: they have
    none); their Orgs' defaults are read only where the row leaves a choice undecided."""
    pid = ctx.actor.id
    return _over_org_defaults(ctx.tenant, ctx.graph, [pid], {} if own is None else {pid: own})[pid]


def _over_org_defaults(
    tenant: Session, graph: Session, ids: list[str], own: dict[str, Own]
) -> dict[str, Effective]:
    undecided = [pid for pid in ids if pid not in own or None in own[pid][:2]]
    orgs_of: dict[str, list[tuple[str, bool]]] = {}
    memberships = identity.org_ids_by_person(session=tenant, person_ids=undecided)
    org_ids = {org_id for orgs in memberships.values() for org_id in orgs}
    if org_ids:
        policies = {
            row[0]: (row[1], row[2])
            for row in graph.execute(select(*_POLICY_COLUMNS).where(OrgPolicy.org_id.in_(org_ids)))
        }
        for person_id, orgs in memberships.items():
            for org_id in orgs:
                if org_id in policies:
                    orgs_of.setdefault(person_id, []).append(policies[org_id])
    return {pid: _effective(own.get(pid), orgs_of.get(pid, [])) for pid in ids}


def effective_everyone(tenant: Session, graph: Session) -> dict[str, Effective]:
    """Effective consent of every Person with an own consent row or an active membership
    (anyone else is off by default), from whole-table reads: no list of ids is sent."""
    own: dict[str, Own] = {row[0]: own_of(row[1:]) for row in graph.execute(select(*OWN_COLUMNS))}
    policies = {row[0]: (row[1], row[2]) for row in graph.execute(select(*_POLICY_COLUMNS))}
    orgs_of: dict[str, list[tuple[str, bool]]] = {}
    for person_id, org_id in identity.active_memberships(session=tenant):
        own_row = own.get(person_id)
        if org_id in policies and (own_row is None or None in own_row[:2]):
            orgs_of.setdefault(person_id, []).append(policies[org_id])
    return {pid: _effective(own.get(pid), orgs_of.get(pid, [])) for pid in set(own) | set(orgs_of)}


def consent_version(graph: Session) -> tuple[int, str]:
    """Where the consent history's hash chain stands: (seq, head hash). Every consent change
    and every Org policy change appends a chained event in its own transaction, and the
    database trigger advances this head with it, so a changed head is the one cheap signal that
    effective consent may have changed, in any process. The head hash also tells two stores
    apart (it covers random event ids)."""
    row = core(graph).execute(_HEAD, {"chain": ledger.CONSENT}).one_or_none()
    return (int(row[0]), str(row[1])) if row is not None else (0, ledger.GENESIS)


Own = tuple[str | None, bool | None, bool, datetime | None]


def _effective(own: Own | None, orgs: list[tuple[str, bool]]) -> Effective:
    contribute, c_source = ContributePolicy.NONE, "default"
    query, q_source = False, "default"
    if orgs:
        contribute = min((ContributePolicy(c) for c, _ in orgs), key=_ORDER.__getitem__)
        query, c_source, q_source = all(q for _, q in orgs), "org", "org"
    revoked, last_revoked_at = False, None
    if own is not None:
        own_contribute, own_query, revoked, last_revoked_at = own
        if own_contribute is not None:
            contribute, c_source = ContributePolicy(own_contribute), "own"
        if own_query is not None:
            query, q_source = own_query, "own"
    c_src: Source = c_source  # type: ignore[assignment]
    q_src: Source = q_source  # type: ignore[assignment]
    return Effective(contribute, c_src, query, q_src, revoked, last_revoked_at)


def effective(ctx: Context, person_id: str | None = None, *, lock: bool = False) -> Effective:
    pid = person_id or ctx.actor.id
    return effective_many(ctx.tenant, ctx.graph, [pid], lock=lock)[pid]


def may_contribute(ctx: Context, prospect_id: str, *, eff: Effective | None = None) -> bool:
    """May the caller contribute this prospect now? `eff`: the caller's effective consent as
    already read in this transaction (else read here)."""
    eff = eff if eff is not None else effective(ctx)
    if eff.contribute is ContributePolicy.ALL:
        return True
    if eff.contribute is ContributePolicy.PER_PROSPECT:
        return _opted_in(ctx.graph, ctx.actor.id, prospect_id)
    return False


def contributable(ctx: Context, prospect_ids: Iterable[str]) -> set[str]:
    """The prospects among these the caller may contribute now (batch form of may_contribute)."""
    ids = set(prospect_ids)
    eff = effective(ctx)
    if eff.contribute is ContributePolicy.ALL:
        return ids
    if eff.contribute is not ContributePolicy.PER_PROSPECT or not ids:
        return set()
    opted = ctx.graph.scalars(
        select(ProspectOptIn.prospect_id).where(
            ProspectOptIn.provider_id == ctx.actor.id, ProspectOptIn.prospect_id.in_(ids)
        )
    )
    return set(opted)


def may_link(ctx: Context, prospect_id: str, *, eff: Effective | None = None) -> bool:
    """Hashes of a prospect enter the graph only if its Person queries or contributes it.
    `eff`: the caller's effective consent as already read in this transaction."""
    eff = eff if eff is not None else effective(ctx)
    return eff.query or may_contribute(ctx, prospect_id, eff=eff)


def attributable(
    ctx: Context, subject_key: str, provider_ids: Iterable[str], *, lock: bool = False
) -> set[str]:
    """Contributors who opted into attribution for this subject and have not revoked; an
    opt-in created before the Person's latest revocation never counts (even after re-consent).

    Reads the subject's opt-ins by its index and keeps the given contributors in Python (no
    long IN list); `lock` reads them FOR SHARE (PostgreSQL), so none is withdrawn before the
    caller's transaction ends."""
    ids = set(provider_ids)
    if not ids:
        return set()
    rows = core(ctx.graph).execute(_OPT_INS_LOCKED if lock else _OPT_INS, {"key": subject_key})
    return attributable_among(ctx, {pid: at for pid, at in rows}, ids)


def attributable_among(
    ctx: Context, opted: Mapping[str, datetime], provider_ids: Iterable[str]
) -> set[str]:
    """`attributable` over a subject's opt-ins already read (provider id -> created at): the
    given contributors among them who may be attributed now."""
    ids = set(provider_ids)
    mine = {pid: at for pid, at in opted.items() if pid in ids}
    states = effective_many(ctx.tenant, ctx.graph, mine)
    return {
        pid
        for pid, eff in states.items()
        if not eff.revoked
        and eff.contribute is not ContributePolicy.NONE
        and not before_revocation(mine[pid], eff)
    }


def before_revocation(created_at: datetime, eff: Effective) -> bool:
    """Was a row created at or before the Person's latest revocation (so never re-surfaced)?"""
    return eff.last_revoked_at is not None and created_at <= eff.last_revoked_at


def _opted_in(graph: Session, provider_id: str, prospect_id: str) -> bool:
    return (
        graph.scalar(
            select(ProspectOptIn.id).where(
                ProspectOptIn.provider_id == provider_id, ProspectOptIn.prospect_id == prospect_id
            )
        )
        is not None
    )


def contribute_policy(ctx: Context) -> ContributePolicy:
    """The caller's effective contribute policy alone (no opt-in lists: cheap on hot paths)."""
    return effective(ctx).contribute


def state(ctx: Context) -> ConsentState:
    eff = effective(ctx)
    pid = ctx.actor.id
    prospects = ctx.graph.scalars(
        select(ProspectOptIn.prospect_id)
        .where(ProspectOptIn.provider_id == pid)
        .order_by(ProspectOptIn.created_at)
    )
    subjects = ctx.graph.scalars(
        select(SubjectAttribution.subject_key)
        .where(SubjectAttribution.provider_id == pid)
        .order_by(SubjectAttribution.created_at)
    )
    return ConsentState(
        person_id=pid,
        contribute_policy=eff.contribute.value,
        contribute_source=eff.contribute_source,
        query_enabled=eff.query,
        query_source=eff.query_source,
        revoked=eff.revoked,
        opted_in_prospects=list(prospects),
        attributed_subjects=list(subjects),
    )


def change(ctx: Context, data: ConsentChange) -> ConsentState:
    """Apply one action to the caller's own consent and append the event (before/after)."""
    if data.person_id is not None and data.person_id != ctx.actor.id:
        raise PermissionDenied("graph_consent changes only the caller's own consent")
    before = state(ctx).model_dump()
    own = ctx.graph.get(ProviderConsent, ctx.actor.id, with_for_update=True)
    if own is None:
        own = ProviderConsent(provider_id=ctx.actor.id)
        raced = _insert_or_lock(ctx, own, ctx.actor.id)
        if raced is not None:  # a concurrent first change won: apply on top of it
            own, before = raced, state(ctx).model_dump()
    target = _apply(ctx, own, data)
    ctx.graph.flush()
    after = state(ctx)
    _append_event(
        ctx, action=data.action.value, target=target, before=before, after=after.model_dump()
    )
    return after


def _apply(ctx: Context, own: ProviderConsent, data: ConsentChange) -> str | None:
    action, pid = data.action, ctx.actor.id
    if action in (ConsentAction.CONTRIBUTE_ALL, ConsentAction.CONTRIBUTE_PER_PROSPECT):
        own.contribute_policy = (
            ContributePolicy.ALL
            if action is ConsentAction.CONTRIBUTE_ALL
            else ContributePolicy.PER_PROSPECT
        ).value
        own.revoked_at = None
    elif action is ConsentAction.CONTRIBUTE_NONE:
        own.contribute_policy, own.revoked_at = ContributePolicy.NONE.value, utcnow()
        own.last_revoked_at = own.revoked_at
        ctx.graph.execute(delete(SubjectAttribution).where(SubjectAttribution.provider_id == pid))
    elif action in (ConsentAction.QUERY_ON, ConsentAction.QUERY_OFF):
        own.query_enabled = action is ConsentAction.QUERY_ON
    elif action is ConsentAction.REVOKE_ALL:
        own.contribute_policy, own.query_enabled, own.revoked_at = (
            ContributePolicy.NONE.value,
            False,
            utcnow(),
        )
        own.last_revoked_at = own.revoked_at
        ctx.graph.execute(delete(ProspectOptIn).where(ProspectOptIn.provider_id == pid))
        ctx.graph.execute(delete(SubjectAttribution).where(SubjectAttribution.provider_id == pid))
    elif action in (ConsentAction.OPT_IN_PROSPECT, ConsentAction.OPT_OUT_PROSPECT):
        # follow local merges, so opt-in and contribute agree on the prospect id
        prospect_id = own_prospect(ctx, _required(data.prospect_id, "prospect_id", action))
        ctx.graph.execute(
            delete(ProspectOptIn).where(
                ProspectOptIn.provider_id == pid, ProspectOptIn.prospect_id == prospect_id
            )
        )
        if action is ConsentAction.OPT_IN_PROSPECT:
            ctx.graph.add(ProspectOptIn(provider_id=pid, prospect_id=prospect_id))
        return prospect_id
    else:
        subject_key = _required(data.subject_key, "subject_key", action)
        linked = ctx.graph.scalar(
            select(ProspectLink.id).where(
                ProspectLink.provider_id == pid, ProspectLink.subject_key == subject_key
            )
        )
        if linked is None:
            raise NotFound("subject")
        ctx.graph.execute(
            delete(SubjectAttribution).where(
                SubjectAttribution.provider_id == pid, SubjectAttribution.subject_key == subject_key
            )
        )
        if action is ConsentAction.ATTRIBUTE_SUBJECT:
            ctx.graph.add(SubjectAttribution(provider_id=pid, subject_key=subject_key))
        return subject_key
    return None


def _required(value: str | None, field: str, action: ConsentAction) -> str:
    if not value:
        raise InvalidInput(field, f"required for {action.value}")
    return value


def _append_event(
    ctx: Context,
    *,
    action: str,
    target: str | None,
    before: dict[str, Any],
    after: dict[str, Any],
    org_id: str | None = None,
) -> None:
    event = ConsentEvent(
        id=new_id(),
        provider_id=None if org_id else ctx.actor.id,
        org_id=org_id,
        actor_id=ctx.actor.id,
        channel=ctx.channel,
        action=action,
        target=target,
        before=before,
        after=after,
        created_at=utcnow(),
    )
    ledger.stamp(ctx.graph, ledger.CONSENT, event, ledger.consent_content(event))
    ctx.graph.add(event)
    ctx.graph.flush()


def set_org_policy(ctx: Context, org_id: str, data: OrgPolicyIn) -> OrgPolicyIn:
    """An org_admin sets the Org's default; members' own choices still override it."""
    identity.require_org_admin(session=ctx.tenant, actor=ctx.actor, org_id=org_id)
    policy = ctx.graph.get(OrgPolicy, org_id, with_for_update=True)
    before: dict[str, Any] = {}
    if policy is None:
        created = OrgPolicy(org_id=org_id, updated_by=ctx.actor.id, **data.model_dump())
        policy = _insert_or_lock(ctx, created, org_id)  # None: ours went in
    if policy is None:
        policy = created
    else:
        before = {
            "contribute_policy": policy.contribute_policy,
            "query_enabled": policy.query_enabled,
        }
        policy.contribute_policy, policy.query_enabled = data.contribute_policy, data.query_enabled
        policy.updated_by = ctx.actor.id
    ctx.graph.flush()
    _append_event(
        ctx,
        action="org_policy",
        target=org_id,
        before=before,
        after=data.model_dump(),
        org_id=org_id,
    )
    return data


def _insert_or_lock(ctx: Context, row: _Row, key: str) -> _Row | None:
    """Insert a first row in a savepoint; if a concurrent transaction inserted it first
    (IntegrityError on the primary key), return that row, re-read and locked, instead."""
    try:
        with ctx.graph.begin_nested():
            ctx.graph.add(row)
            ctx.graph.flush()
    except IntegrityError:
        existing = ctx.graph.get(type(row), key, with_for_update=True, populate_existing=True)
        if existing is None:
            raise
        return existing
    return None


def history(ctx: Context, limit: int = 100) -> list[ConsentEvent]:
    """The caller's own consent events, newest first."""
    rows = ctx.graph.scalars(
        select(ConsentEvent)
        .where(ConsentEvent.provider_id == ctx.actor.id)
        .order_by(ConsentEvent.created_at.desc(), ConsentEvent.id)
        .limit(limit)
    )
    return list(rows)
