"""Contributions: consent-gated, idempotent, noised by OpenDP before anything is stored.

Idempotency key `(provider_id, prospect_id, outcome_version)`: a replay with the same payload
returns the first row, a different payload under the same key is a Conflict, and a higher
version supersedes the previous one (the mislabel path). The per-subject budget row is locked
(SELECT ... FOR UPDATE on PostgreSQL; SQLite writers are serialized by BEGIN IMMEDIATE) before
the idempotency check, so concurrent identical calls see the first committed row.

Budget fairness: the subject's budget is shared by every provider, so one provider bumping
`outcome_version` must not exhaust it for everyone. Only the newest version of a (provider,
prospect) is live (older ones are superseded), but a superseded version refunds nothing: DP
spend is spent. A superseding version is therefore charged against a per-provider-per-subject
cap of PROVIDER_SPEND_CAP_FACTOR times the default spend of one contribution,
counting the provider's superseded rows on the subject plus the live row being replaced (a
provider's first versions for distinct prospects are not re-versioning and are not capped). A
version beyond the cap is still recorded, as withheld (no noised values, the band widens),
rather than drawing more from the shared budget.

Budget accounting never overdraws: spends are `min(requested, remaining)` and the remaining
budget is clamped at 0, so a budget somehow overdrawn withholds instead of failing.

Only the outcome's report class is shared (`dp.randomize_outcome`); days-to-outcome are not
(see `graph.dp`), so the `noised_days`/`days_noise` columns stay empty on new rows.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from prospecting.errors import Conflict, ConsentRequired, InvalidInput
from prospecting.graph import consent, dp
from prospecting.graph.local import own_prospect
from prospecting.graph.models import Contribution, SubjectBudget, Supersession
from prospecting.graph.schemas import ContributionIn, ContributionOut
from prospecting.graph.subjects import link_prospect
from prospecting.resolver.keys import derive_dimension_key
from prospecting.resolver.service import Resolver
from prospecting.runtime import Context

FINGERPRINT_PURPOSE = "contribution_fingerprint"
PROVIDER_SPEND_CAP_FACTOR = 2


def fingerprint(
    resolver: Resolver, prospect_id: str, data: ContributionIn, *, key_id: str | None = None
) -> str:
    """Keyed digest of the true payload, for replay checks only (`key_id:hmac`).

    Keyed with a network-derived key that never reaches the database: an unkeyed hash of
    {prospect, outcome, version} would let anyone with the graph store try the six
    outcomes and undo the randomized response.
    """
    key = resolver.keyring.keys[key_id or resolver.active_key_id]
    payload = json.dumps(
        {
            "prospect_id": prospect_id,
            "outcome": data.outcome.value,
            "outcome_version": data.outcome_version,
        },
        sort_keys=True,
    ).encode()
    mac = hmac.new(derive_dimension_key(key, FINGERPRINT_PURPOSE), payload, hashlib.sha256)
    return f"{key.key_id}:{mac.hexdigest()}"


def _same_payload(ctx: Context, stored: str, prospect_id: str, data: ContributionIn) -> bool:
    key_id = stored.partition(":")[0]
    if key_id not in ctx.resolver.keyring.keys:
        return False
    return hmac.compare_digest(stored, fingerprint(ctx.resolver, prospect_id, data, key_id=key_id))


def contribute(ctx: Context, data: ContributionIn) -> ContributionOut:
    """Record one outcome for the caller's prospect in the graph, noised at this moment."""
    prospect_id = own_prospect(ctx, data.prospect_id)
    if not consent.may_contribute(ctx, prospect_id):
        raise ConsentRequired("contribution consent is off for this prospect")
    link, _ = link_prospect(ctx, prospect_id)
    digest = fingerprint(ctx.resolver, link.prospect_id, data)
    budget = ctx.graph.get(SubjectBudget, link.subject_key, with_for_update=True)
    if budget is None:
        raise InvalidInput("subject_key", "the subject has no privacy budget")
    first = _original(ctx, link.prospect_id, data.outcome_version)
    if first is not None:
        return _replay(ctx, first, link.prospect_id, data)
    latest = ctx.graph.scalar(
        select(Contribution)
        .where(
            Contribution.provider_id == ctx.actor.id,
            Contribution.prospect_id == link.prospect_id,
        )
        .order_by(Contribution.outcome_version.desc(), Contribution.generation.desc())
        .limit(1)
    )
    if latest is not None and latest.outcome_version > data.outcome_version:
        raise Conflict(
            f"outcome_version {data.outcome_version} is older than the stored "
            f"version {latest.outcome_version}; send a higher version to correct it"
        )
    row = _noised_row(ctx, budget, link.subject_key, link.prospect_id, data, digest, latest)
    try:
        with ctx.graph.begin_nested():
            ctx.graph.add(row)
            ctx.graph.flush()
    except IntegrityError:
        first = _original(ctx, link.prospect_id, data.outcome_version)
        if first is None:
            raise
        return _replay(ctx, first, link.prospect_id, data)
    supersedes = None
    if latest is not None:
        supersedes = _supersede(ctx, latest, row, reason="new_version")
    return _out(row, replayed=False, supersedes=supersedes)


def _original(ctx: Context, prospect_id: str, version: int) -> Contribution | None:
    return ctx.graph.scalar(
        select(Contribution).where(
            Contribution.provider_id == ctx.actor.id,
            Contribution.prospect_id == prospect_id,
            Contribution.outcome_version == version,
            Contribution.generation == 0,
        )
    )


def _replay(
    ctx: Context, first: Contribution, prospect_id: str, data: ContributionIn
) -> ContributionOut:
    if not _same_payload(ctx, first.fingerprint, prospect_id, data):
        raise Conflict(
            "this outcome_version was already contributed with a different payload; "
            "send a higher outcome_version to correct it"
        )
    supersedes = ctx.graph.scalar(
        select(Supersession.superseded_id).where(Supersession.superseding_id == first.id)
    )
    return _out(first, replayed=True, supersedes=supersedes)


def _noised_row(
    ctx: Context,
    budget: SubjectBudget,
    subject_key: str,
    prospect_id: str,
    data: ContributionIn,
    digest: str,
    latest: Contribution | None,
) -> Contribution:
    """Spend from the budget in integer units and randomize; store nothing when exhausted."""
    remaining = budget.limit_units - budget.spent_units
    if latest is not None:  # re-versioning draws on the provider's cap (module doc)
        remaining = min(
            remaining, _provider_cap(ctx) - _version_spend(ctx, subject_key, prospect_id)
        )
    spend = dp.widen_for_budget(
        max(0, remaining), requested_units=ctx.settings.graph_contribution_epsilon_units
    )
    row = Contribution(
        provider_id=ctx.actor.id,
        prospect_id=prospect_id,
        outcome_version=data.outcome_version,
        generation=0,
        subject_key=subject_key,
        epsilon_units=0,
        withheld=spend.exhausted,
        fingerprint=digest,
    )
    if spend.exhausted:
        budget.withheld += 1
        return row
    noised, params = dp.randomize_outcome(data.outcome.value, epsilon_units=spend.epsilon_units)
    row.noised_outcome, row.outcome_noise = noised, asdict(params)
    row.epsilon_units = spend.epsilon_units
    budget.spent_units = min(budget.limit_units, budget.spent_units + spend.epsilon_units)
    return row


def _provider_cap(ctx: Context) -> int:
    return PROVIDER_SPEND_CAP_FACTOR * ctx.settings.graph_contribution_epsilon_units


def _version_spend(ctx: Context, subject_key: str, prospect_id: str) -> int:
    """What the caller's re-versioning draws on this subject: every superseded row's spend plus
    this prospect's live row (the one about to be superseded); other prospects' live rows
    (first versions) are not counted."""
    superseded = select(Supersession.superseded_id).where(Supersession.subject_key == subject_key)
    spent = ctx.graph.scalar(
        select(func.coalesce(func.sum(Contribution.epsilon_units), 0)).where(
            Contribution.provider_id == ctx.actor.id,
            Contribution.subject_key == subject_key,
            or_(Contribution.prospect_id == prospect_id, Contribution.id.in_(superseded)),
        )
    )
    return int(spent or 0)


def _supersede(ctx: Context, old: Contribution, new: Contribution, *, reason: str) -> str | None:
    already = ctx.graph.scalar(select(Supersession.id).where(Supersession.superseded_id == old.id))
    if already is not None:
        return None
    ctx.graph.add(
        Supersession(
            subject_key=old.subject_key,
            superseded_id=old.id,
            superseding_id=new.id,
            reason=reason,
        )
    )
    ctx.graph.flush()
    return old.id


def _out(row: Contribution, *, replayed: bool, supersedes: str | None) -> ContributionOut:
    return ContributionOut(
        id=row.id,
        prospect_id=row.prospect_id,
        outcome_version=row.outcome_version,
        subject_key=row.subject_key,
        epsilon_units=row.epsilon_units,
        budget_exhausted=row.withheld,
        replayed=replayed,
        supersedes=supersedes,
        created_at=row.created_at,
    )


def next_version(ctx: Context, prospect_id: str) -> int:
    """The version a mislabel correction should carry: one above the caller's latest."""
    latest = ctx.graph.scalar(
        select(func.max(Contribution.outcome_version)).where(
            Contribution.provider_id == ctx.actor.id, Contribution.prospect_id == prospect_id
        )
    )
    return (latest or 0) + 1
