"""Vetting (docs/coop.md, "Vetted"): an active Org admin's verification, or two active
endorsements from vetted peers, computed as a fixpoint so every revocation cascades; every
endorsement and verification step is audited for both sides."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from conftest import Provider, person
from prospecting.coop import vetting
from prospecting.coop.models import CoopAuditEntry, Endorsement
from prospecting.coop.schemas import EndorseIn
from prospecting.errors import Conflict, InvalidInput, NotFound, NotVetted, PermissionDenied
from prospecting.identity import service as identity
from prospecting.identity.models import Role
from prospecting.identity.schemas import MembershipCreate, OrgCreate
from prospecting.runtime import Runtime


def _endorse(runtime: Runtime, endorser: str, peer: str) -> str:
    with runtime.stores.tenant() as session:
        return vetting.endorse(
            session=session,
            actor=person(session, endorser),
            data=EndorseIn(peer_id=peer, basis="worked_alongside", known_for="1_to_3_years"),
        ).id


def _revoke(runtime: Runtime, endorser: str, endorsement_id: str) -> None:
    with runtime.stores.tenant() as session:
        vetting.revoke_endorsement(
            session=session, actor=person(session, endorser), endorsement_id=endorsement_id
        )


def _is_vetted(runtime: Runtime, person_id: str) -> bool:
    with runtime.stores.tenant() as session:
        return vetting.is_vetted(session=session, person_id=person_id)


def _audit(runtime: Runtime, person_id: str, object_id: str) -> list[tuple[str, str, str | None]]:
    """The Person's audit entries on one object, sorted (actor, action, counterpart)."""
    with runtime.stores.tenant() as session:
        rows = session.scalars(
            select(CoopAuditEntry).where(
                CoopAuditEntry.person_id == person_id, CoopAuditEntry.object_id == object_id
            )
        )
        return sorted((row.actor, row.action, row.counterpart_id) for row in rows)


def test_two_endorsements_from_vetted_peers_vet(
    runtime: Runtime, vetted: Any, unvetted_provider: Provider
) -> None:
    a, b = vetted(2)
    c = unvetted_provider.id
    assert _is_vetted(runtime, a.id) and _is_vetted(runtime, b.id)
    assert not _is_vetted(runtime, c)
    _endorse(runtime, a.id, c)
    assert not _is_vetted(runtime, c)
    with runtime.stores.tenant() as session:
        status = vetting.vetting_status(session=session, actor=person(session, c))
    assert (status.vetted, status.endorsements_from_vetted, status.endorsements_needed) == (
        False,
        1,
        1,
    )
    _endorse(runtime, b.id, c)
    assert _is_vetted(runtime, c)
    with runtime.stores.tenant() as session:
        status = vetting.vetting_status(session=session, actor=person(session, c))
        mine = vetting.vetting_status(session=session, actor=person(session, a.id))
    assert (status.vetted, status.verified_by_orgs, status.endorsements_needed) == (True, 0, 0)
    assert mine.verified_by_orgs == 1
    assert [(g.peer_id, g.basis, g.revoked_at) for g in mine.given] == [
        (c, "worked_alongside", None)
    ]


def test_endorsements_from_unvetted_providers_do_not_vet(
    runtime: Runtime, make_provider: Callable[..., Provider]
) -> None:
    """Unvetted providers cannot endorse through the service; and even rows among them (a ring
    endorsing each other) never bootstrap vetting in the fixpoint."""
    ring = [make_provider().id for _ in range(3)]
    with runtime.stores.tenant() as session, pytest.raises(NotVetted):
        vetting.endorse(
            session=session,
            actor=person(session, ring[0]),
            data=EndorseIn(peer_id=ring[1], basis="supervised", known_for="over_3_years"),
        )
    with runtime.stores.tenant() as session:
        for endorser in ring:
            for endorsee in ring:
                if endorser != endorsee:
                    session.add(
                        Endorsement(
                            endorser_id=endorser,
                            endorsee_id=endorsee,
                            basis="supervised",
                            known_for="over_3_years",
                        )
                    )
    with runtime.stores.tenant() as session:
        assert not vetting.vetted_ids(session=session) & set(ring)


def test_revoking_an_endorsement_unvets_in_cascade_and_is_audited_for_both_sides(
    runtime: Runtime, vetted: Any, make_provider: Callable[..., Provider]
) -> None:
    """A, B verified vet C; A and C vet D. B revokes: C falls, and D with it (only A left)."""
    a, b = vetted(2)
    c, d = make_provider().id, make_provider().id
    _endorse(runtime, a.id, c)
    b_to_c = _endorse(runtime, b.id, c)
    _endorse(runtime, a.id, d)
    _endorse(runtime, c, d)
    assert _is_vetted(runtime, c) and _is_vetted(runtime, d)

    _revoke(runtime, b.id, b_to_c)
    assert not _is_vetted(runtime, c)
    assert not _is_vetted(runtime, d)
    assert _audit(runtime, b.id, b_to_c) == [
        ("self", "endorsement_given", c),
        ("self", "endorsement_revoked", c),
    ]
    assert _audit(runtime, c, b_to_c) == [
        ("peer", "endorsement_received", b.id),
        ("peer", "endorsement_withdrawn", b.id),
    ]
    with runtime.stores.tenant() as session:
        given = vetting.vetting_status(session=session, actor=person(session, b.id)).given
    assert given[0].revoked_at is not None
    # the revoked endorsement no longer blocks a new one
    _endorse(runtime, b.id, c)
    assert _is_vetted(runtime, c) and _is_vetted(runtime, d)


def test_revoking_a_verification_unvets_in_cascade_and_is_audited_for_both_sides(
    runtime: Runtime, vetted: Any, coop_org_admin: tuple[str, str], make_provider: Any
) -> None:
    org_id, admin_id = coop_org_admin
    a, b = vetted(2)
    c = make_provider().id
    _endorse(runtime, a.id, c)
    _endorse(runtime, b.id, c)
    assert _is_vetted(runtime, c)
    with runtime.stores.tenant() as session:
        verification = vetting.verify_member(
            session=session, actor=person(session, admin_id), org_id=org_id, person_id=a.id
        )  # a second verification by the same Org answers the current one
        vetting.revoke_verification(
            session=session, actor=person(session, admin_id), verification_id=verification.id
        )
    assert not _is_vetted(runtime, a.id)
    assert not _is_vetted(runtime, c)  # only B's endorsement still comes from a vetted peer
    assert _is_vetted(runtime, b.id)
    assert _audit(runtime, admin_id, verification.id) == [
        ("self", "verification_given", a.id),
        ("self", "verification_revoked", a.id),
    ]
    assert _audit(runtime, a.id, verification.id) == [
        ("peer", "verification_withdrawn", admin_id),
        ("peer", "verified", admin_id),
    ]
    with runtime.stores.tenant() as session, pytest.raises(NotFound):
        vetting.revoke_verification(
            session=session, actor=person(session, admin_id), verification_id=verification.id
        )


def test_leaving_the_org_unvets(
    runtime: Runtime, vetted: Any, coop_org_admin: tuple[str, str]
) -> None:
    org_id, _ = coop_org_admin
    (a,) = vetted(1)
    with runtime.stores.tenant() as session:
        identity.leave_org(session=session, actor=person(session, a.id), org_id=org_id)
    assert not _is_vetted(runtime, a.id)


def test_verification_needs_an_active_org_admin_membership(
    runtime: Runtime, coop_org_admin: tuple[str, str], make_provider: Any
) -> None:
    org_id, admin_id = coop_org_admin
    member, invited_admin, left_admin, outsider_admin, invited_member = (
        make_provider().id for _ in range(5)
    )
    with runtime.stores.tenant() as session:
        admin = person(session, admin_id)
        for who, role in (
            (member, "member"),
            (invited_admin, "org_admin"),
            (left_admin, "org_admin"),
            (invited_member, "member"),
        ):
            identity.invite_member(
                session=session,
                actor=admin,
                org_id=org_id,
                data=MembershipCreate(person_id=who, role=role),  # type: ignore[arg-type]
            )
        for who in (member, left_admin):
            identity.accept_invitation(session=session, actor=person(session, who), org_id=org_id)
        identity.leave_org(session=session, actor=person(session, left_admin), org_id=org_id)
        identity.create_org(
            session=session,
            data=OrgCreate(name="Another Org"),
            admin=person(session, outsider_admin),
        )
    for not_admin in (invited_admin, left_admin, outsider_admin, member):
        with runtime.stores.tenant() as session, pytest.raises(PermissionDenied):
            vetting.verify_member(
                session=session, actor=person(session, not_admin), org_id=org_id, person_id=member
            )
    assert not _is_vetted(runtime, member)
    for not_member in (invited_member, outsider_admin, "no-such-person"):
        with runtime.stores.tenant() as session, pytest.raises(NotFound) as missing:
            vetting.verify_member(
                session=session,
                actor=person(session, admin_id),
                org_id=org_id,
                person_id=not_member,
            )
        assert missing.value.kind == "member"
    with runtime.stores.tenant() as session, pytest.raises(InvalidInput):
        vetting.verify_member(
            session=session, actor=person(session, admin_id), org_id=org_id, person_id=admin_id
        )
    with runtime.stores.tenant() as session:
        vetting.verify_member(
            session=session, actor=person(session, admin_id), org_id=org_id, person_id=member
        )
    assert _is_vetted(runtime, member)


def test_endorse_rules(
    runtime: Runtime, vetted: Any, make_provider: Callable[..., Provider]
) -> None:
    (a,) = vetted(1)
    peer = make_provider().id
    not_provider = make_provider(roles=[Role.PLATFORM_ADMIN]).id
    with runtime.stores.tenant() as session:
        actor = person(session, a.id)
        with pytest.raises(InvalidInput) as own:
            vetting.endorse(
                session=session,
                actor=actor,
                data=EndorseIn(peer_id=a.id, basis="supervised", known_for="over_3_years"),
            )
        assert own.value.field == "peer_id"
        for missing in ("no-such-person", not_provider):
            with pytest.raises(NotFound) as not_found:
                vetting.endorse(
                    session=session,
                    actor=actor,
                    data=EndorseIn(peer_id=missing, basis="supervised", known_for="over_3_years"),
                )
            assert not_found.value.kind == "peer"
    _endorse(runtime, a.id, peer)
    with pytest.raises(Conflict):
        _endorse(runtime, a.id, peer)


def test_revoking_another_providers_endorsement_answers_not_found(
    runtime: Runtime, vetted: Any, make_provider: Callable[..., Provider]
) -> None:
    a, b = vetted(2)
    peer = make_provider().id
    endorsement_id = _endorse(runtime, a.id, peer)
    for other in (b.id, peer):  # another endorser, and the endorsee, are both refused
        with pytest.raises(NotFound) as foreign:
            _revoke(runtime, other, endorsement_id)
        with pytest.raises(NotFound) as missing:
            _revoke(runtime, other, "no-such-endorsement")
        assert (foreign.value.kind, foreign.value.detail) == (
            missing.value.kind,
            missing.value.detail,
        )
    with runtime.stores.tenant() as session:
        assert session.get(Endorsement, endorsement_id).revoked_at is None  # type: ignore[union-attr]
    assert _audit(runtime, b.id, endorsement_id) == []
