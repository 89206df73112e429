"""A batch's merges (`batch_link._Merges`, set-based) leave the store as `lineage.merge` would:
the absorbed key is marked merged into the survivor, its digests join the survivor's with the
higher collision count, its budget is folded in, its links and contact days move, and a `merge`
correction is recorded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from sqlalchemy import select

from conftest import Provider, person
from prospecting.graph.batch_link import (
    BatchLinker,
    Merge,
    _Merges,
    insert_rows,
    ordered_ids,
    table,
)
from prospecting.graph.models import (
    Contribution,
    Correction,
    PeerAttestation,
    ProspectLink,
    SubjectAttribution,
    SubjectBudget,
    SubjectContact,
    SubjectDimension,
    SubjectKey,
    SubjectStatus,
    Supersession,
)
from prospecting.runtime import Context, Runtime

AT = datetime(2026, 12, 6, 10, 30, 15, tzinfo=UTC)


def test_a_batch_merge_folds_the_absorbed_key_into_the_survivor(
    runtime: Runtime, make_provider: Callable[..., Provider]
) -> None:
    provider = make_provider()
    survivor, absorbed = "a" * 32, "b" * 32
    phone, email = "d" * 64, "e" * 64
    ids = ordered_ids()
    with runtime.stores.graph() as g:
        conn = g.connection()
        insert_rows(
            conn,
            table(SubjectKey),
            ("subject_key",),
            [(survivor,), (absorbed,)],
            {"status": SubjectStatus.ACTIVE, "split_from": None, "merged_into": None}
            | {"created_at": AT, "updated_at": AT},
        )
        insert_rows(
            conn,
            table(SubjectBudget),
            ("subject_key", "limit_units", "spent_units", "withheld"),
            [(survivor, 100, 60, 1), (absorbed, 100, 50, 2)],
        )
        insert_rows(
            conn,
            table(SubjectDimension),
            ("id", "subject_key", "dimension", "key_id", "digest", "collision_reports"),
            [
                (next(ids), survivor, "phone", "k1", phone, 0),
                (next(ids), absorbed, "phone", "k1", phone, 3),
                (next(ids), absorbed, "email", "k1", email, 1),
            ],
            {"created_at": AT},
        )
        insert_rows(
            conn,
            table(ProspectLink),
            ("id", "provider_id", "prospect_id", "subject_key", "confidence"),
            [(next(ids), provider.id, "p" * 32, absorbed, 0.99)],
            {"matched_on": ["phone"], "chain": [], "created_at": AT, "updated_at": AT},
        )
        insert_rows(
            conn,
            table(SubjectContact),
            ("id", "subject_key", "provider_id", "prospect_id", "contacted_on"),
            [(next(ids), absorbed, provider.id, "p" * 32, date(2026, 11, 2))],
            {"created_at": AT},
        )
    with runtime.stores.tenant_read() as tenant, runtime.stores.graph() as g:
        ctx = Context(tenant, g, person(tenant, provider.id), runtime.settings, runtime.resolver)
        linker = BatchLinker(ctx)
        linker.merges.append(Merge(survivor, absorbed, provider.id, "q" * 32))
        linker.write(budget_units=runtime.settings.graph_subject_budget_units)
    with runtime.stores.graph() as g:
        gone = g.get(SubjectKey, absorbed)
        assert gone is not None and gone.status == SubjectStatus.MERGED
        assert gone.merged_into == survivor
        assert gone.updated_at > AT and gone.updated_at.tzinfo is not None
        kept = g.get(SubjectKey, survivor)
        assert kept is not None and kept.status == SubjectStatus.ACTIVE
        held = {
            (d.dimension, d.digest): d.collision_reports
            for d in g.scalars(
                select(SubjectDimension).where(SubjectDimension.subject_key == survivor)
            )
        }
        assert held == {("phone", phone): 3, ("email", email): 1}
        budget = g.get(SubjectBudget, survivor)
        assert budget is not None
        assert (budget.spent_units, budget.withheld) == (100, 3)  # capped at the limit
        link = g.scalar(select(ProspectLink).where(ProspectLink.prospect_id == "p" * 32))
        assert link is not None and link.subject_key == survivor
        contact = g.scalar(select(SubjectContact).where(SubjectContact.prospect_id == "p" * 32))
        assert contact is not None and contact.subject_key == survivor
        correction = g.scalar(select(Correction).where(Correction.kind == "merge"))
        assert correction is not None
        assert (correction.subject_key, correction.detail) == (survivor, {"merged": absorbed})
        assert (correction.provider_id, correction.prospect_id) == (provider.id, "q" * 32)


def test_keys_with_live_contributions_attestations_or_attributions_take_lineage_merge(
    runtime: Runtime, make_provider: Callable[..., Provider]
) -> None:
    """`_Merges._heavy`: a key with a contribution no supersession retired, a peer attestation
    or an attribution is one only `lineage.merge` may fold; a key whose only contribution was
    superseded, or with none, is not."""
    provider = make_provider()
    live, retired, attested, attributed, bare = (c * 32 for c in "abcde")
    contributions = {key: f"{key[0]}1" * 16 for key in (live, retired)}
    with runtime.stores.graph() as g:
        for key, row_id in contributions.items():
            g.add(
                Contribution(
                    id=row_id,
                    provider_id=provider.id,
                    prospect_id=key,
                    outcome_version=1,
                    subject_key=key,
                    epsilon_units=0,
                    fingerprint="f" * 64,
                )
            )
        g.add(Supersession(subject_key=retired, superseded_id=contributions[retired], reason="x"))
        g.add(PeerAttestation(provider_id=provider.id, subject_key=attested, code="booked"))
        g.add(SubjectAttribution(provider_id=provider.id, subject_key=attributed))
    with runtime.stores.tenant_read() as tenant, runtime.stores.graph() as g:
        ctx = Context(tenant, g, person(tenant, provider.id), runtime.settings, runtime.resolver)
        heavy = _Merges(ctx, [], ordered_ids())._heavy({live, retired, attested, attributed, bare})
    assert heavy == {live, attested, attributed}
