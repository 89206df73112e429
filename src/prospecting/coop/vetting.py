"""Who is vetted: verified by an Org admin, or endorsed by enough vetted peers.

Vetting is a fixpoint over active rows: the Org-verified providers first, then anyone with at
least `MIN_ENDORSEMENTS` active endorsements from providers already vetted, repeated until
nothing changes. Revoking a verification or an endorsement therefore un-vets everyone whose
standing depended on it, with no stored flag to go stale.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from prospecting.coop import audit
from prospecting.coop.models import Endorsement, Verification
from prospecting.coop.schemas import MIN_ENDORSEMENTS, EndorseIn
from prospecting.db import utcnow
from prospecting.errors import Conflict, InvalidInput, NotFound, NotVetted, PermissionDenied
from prospecting.identity.models import MembershipStatus, OrgMembership, Person, Role


class EndorsementOut(BaseModel):
    id: str
    peer_id: str
    basis: str
    known_for: str
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: Endorsement) -> EndorsementOut:
        return cls(
            id=row.id,
            peer_id=row.endorsee_id,
            basis=row.basis,
            known_for=row.known_for,
            created_at=row.created_at,
            revoked_at=row.revoked_at,
        )


class VettingStatus(BaseModel):
    """Where the acting provider stands, and the endorsements they gave."""

    vetted: bool
    verified_by_orgs: int
    endorsements_from_vetted: int
    endorsements_needed: int
    given: list[EndorsementOut]


def _active_memberships(session: Session) -> set[tuple[str, str]]:
    rows = session.execute(
        select(OrgMembership.org_id, OrgMembership.person_id).where(
            OrgMembership.status == MembershipStatus.ACTIVE
        )
    )
    return {(org_id, person_id) for org_id, person_id in rows}


def _verified_ids(session: Session) -> set[str]:
    """Providers with an active verification by an Org they are still an active member of."""
    members = _active_memberships(session)
    rows = session.execute(
        select(Verification.org_id, Verification.person_id).where(Verification.revoked_at.is_(None))
    )
    return {person_id for org_id, person_id in rows if (org_id, person_id) in members}


def _active_endorsements(session: Session) -> list[tuple[str, str]]:
    rows = session.execute(
        select(Endorsement.endorser_id, Endorsement.endorsee_id).where(
            Endorsement.revoked_at.is_(None)
        )
    )
    return [(endorser, endorsee) for endorser, endorsee in rows]


def vetted_ids(*, session: Session) -> frozenset[str]:
    """Every vetted provider's id (the fixpoint described in the module doc)."""
    vetted = _verified_ids(session)
    endorsers_of: dict[str, set[str]] = defaultdict(set)
    for endorser, endorsee in _active_endorsements(session):
        if endorser != endorsee:
            endorsers_of[endorsee].add(endorser)
    changed = True
    while changed:
        changed = False
        for endorsee, endorsers in endorsers_of.items():
            if endorsee not in vetted and len(endorsers & vetted) >= MIN_ENDORSEMENTS:
                vetted.add(endorsee)
                changed = True
    return frozenset(vetted)


def is_vetted(*, session: Session, person_id: str) -> bool:
    return person_id in vetted_ids(session=session)


def require_vetted(*, session: Session, actor: Person) -> None:
    """Only vetted providers take part in intros and hand-offs."""
    if not is_vetted(session=session, person_id=actor.id):
        raise NotVetted("you are not vetted in the provider coop yet")


def _provider(session: Session, person_id: str) -> Person | None:
    person = session.get(Person, person_id)
    if person is None or not person.has_role(Role.PROVIDER):
        return None
    return person


def endorse(*, session: Session, actor: Person, data: EndorseIn) -> Endorsement:
    """A vetted provider endorses a peer provider, once while the endorsement is active."""
    require_vetted(session=session, actor=actor)
    if data.peer_id == actor.id:
        raise InvalidInput("peer_id", "you cannot endorse yourself")
    if _provider(session, data.peer_id) is None:
        raise NotFound("peer")
    existing = session.scalar(
        select(Endorsement.id).where(
            Endorsement.endorser_id == actor.id,
            Endorsement.endorsee_id == data.peer_id,
            Endorsement.revoked_at.is_(None),
        )
    )
    if existing is not None:
        raise Conflict("you already endorse this peer", hint="revoke it first to endorse them anew")
    endorsement = Endorsement(
        endorser_id=actor.id,
        endorsee_id=data.peer_id,
        basis=data.basis,
        known_for=data.known_for,
    )
    session.add(endorsement)
    session.flush()
    detail = {"basis": data.basis, "known_for": data.known_for}
    audit.record(
        session,
        person_id=actor.id,
        actor="self",
        counterpart_id=data.peer_id,
        object_kind="endorsement",
        object_id=endorsement.id,
        action="endorsement_given",
        detail=detail,
    )
    audit.record(
        session,
        person_id=data.peer_id,
        actor="peer",
        counterpart_id=actor.id,
        object_kind="endorsement",
        object_id=endorsement.id,
        action="endorsement_received",
        detail=detail,
    )
    return endorsement


def revoke_endorsement(*, session: Session, actor: Person, endorsement_id: str) -> Endorsement:
    """The endorser takes back their own active endorsement; anyone else's answers NotFound."""
    endorsement = session.get(Endorsement, endorsement_id)
    if (
        endorsement is None
        or endorsement.endorser_id != actor.id
        or endorsement.revoked_at is not None
    ):
        raise NotFound("endorsement")
    endorsement.revoked_at = utcnow()
    for person_id, side, action, counterpart in (
        (actor.id, "self", "endorsement_revoked", endorsement.endorsee_id),
        (endorsement.endorsee_id, "peer", "endorsement_withdrawn", actor.id),
    ):
        audit.record(
            session,
            person_id=person_id,
            actor=side,  # type: ignore[arg-type]
            counterpart_id=counterpart,
            object_kind="endorsement",
            object_id=endorsement.id,
            action=action,
        )
    session.flush()
    return endorsement


def _is_active_org_admin(session: Session, actor: Person, org_id: str) -> bool:
    role = session.scalar(
        select(OrgMembership.role).where(
            OrgMembership.org_id == org_id,
            OrgMembership.person_id == actor.id,
            OrgMembership.status == MembershipStatus.ACTIVE,
        )
    )
    return role == "org_admin"


def verify_member(*, session: Session, actor: Person, org_id: str, person_id: str) -> Verification:
    """An Org admin (active membership) verifies another active member of that Org; verifying
    someone already verified by that Org answers their current verification."""
    if not _is_active_org_admin(session, actor, org_id):
        raise PermissionDenied("only an active org_admin of this org verifies its members")
    if person_id == actor.id:
        raise InvalidInput("person_id", "an admin cannot verify themselves")
    if (org_id, person_id) not in _active_memberships(session) or _provider(
        session, person_id
    ) is None:
        raise NotFound("member")
    existing = session.scalar(
        select(Verification).where(
            Verification.org_id == org_id,
            Verification.person_id == person_id,
            Verification.revoked_at.is_(None),
        )
    )
    if existing is not None:
        return existing
    verification = Verification(person_id=person_id, org_id=org_id, verified_by=actor.id)
    session.add(verification)
    session.flush()
    _audit_verification(session, actor, verification, "verification_given", "verified")
    return verification


def revoke_verification(*, session: Session, actor: Person, verification_id: str) -> Verification:
    """An active admin of the verifying Org revokes it; anything else answers NotFound."""
    verification = session.get(Verification, verification_id)
    if (
        verification is None
        or verification.revoked_at is not None
        or not _is_active_org_admin(session, actor, verification.org_id)
    ):
        raise NotFound("verification")
    verification.revoked_at = utcnow()
    _audit_verification(
        session, actor, verification, "verification_revoked", "verification_withdrawn"
    )
    session.flush()
    return verification


def _audit_verification(
    session: Session, actor: Person, verification: Verification, own: str, theirs: str
) -> None:
    detail = {"org_id": verification.org_id}
    audit.record(
        session,
        person_id=actor.id,
        actor="self",
        counterpart_id=verification.person_id,
        object_kind="verification",
        object_id=verification.id,
        action=own,
        detail=detail,
    )
    if verification.person_id != actor.id:
        audit.record(
            session,
            person_id=verification.person_id,
            actor="peer",
            counterpart_id=actor.id,
            object_kind="verification",
            object_id=verification.id,
            action=theirs,
            detail=detail,
        )


def vetting_status(*, session: Session, actor: Person) -> VettingStatus:
    vetted = vetted_ids(session=session)
    members = _active_memberships(session)
    orgs = {
        org_id
        for org_id, person_id in session.execute(
            select(Verification.org_id, Verification.person_id).where(
                Verification.person_id == actor.id, Verification.revoked_at.is_(None)
            )
        )
        if (org_id, person_id) in members
    }
    endorsers = set(
        session.scalars(
            select(Endorsement.endorser_id).where(
                Endorsement.endorsee_id == actor.id, Endorsement.revoked_at.is_(None)
            )
        )
    )
    from_vetted = len((endorsers - {actor.id}) & vetted)
    given = session.scalars(
        select(Endorsement)
        .where(Endorsement.endorser_id == actor.id)
        .order_by(Endorsement.created_at.desc(), Endorsement.id)
    )
    is_in = actor.id in vetted
    return VettingStatus(
        vetted=is_in,
        verified_by_orgs=len(orgs),
        endorsements_from_vetted=from_vetted,
        endorsements_needed=0 if is_in else max(0, MIN_ENDORSEMENTS - from_vetted),
        given=[EndorsementOut.of(e) for e in given],
    )
