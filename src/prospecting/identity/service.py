"""Identity logic: persons, orgs, invitations and memberships, and bearer tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, class_mapper
from sqlalchemy.orm.attributes import set_committed_value

from prospecting.db import attach, core, loaded, owned, utcnow
from prospecting.errors import Conflict, NotFound, PermissionDenied, Unauthenticated
from prospecting.identity.models import (
    ApiToken,
    DirectoryVersion,
    MembershipStatus,
    Org,
    OrgMembership,
    Person,
    PersonRole,
    Role,
)
from prospecting.identity.schemas import (
    MembershipCreate,
    OrgCreate,
    PersonCreate,
    PersonOut,
    ProfileUpdate,
)

TOKEN_PREFIX = "pk_"  # noqa: S105 - a public prefix, not a secret


def token_digest(token: str) -> str:
    """Tokens carry 256 random bits, so a plain SHA-256 digest cannot be brute-forced."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def person_out(person: Person) -> PersonOut:
    return PersonOut.model_validate(
        {
            **{c: getattr(person, c) for c in PersonOut.model_fields if c != "roles"},
            "roles": sorted(person.role_names),
        }
    )


def create_person(*, session: Session, data: PersonCreate) -> Person:
    person = Person(
        display_name=data.display_name,
        service_categories=data.service_categories,
        region=data.region,
        default_phone_region=data.default_phone_region,
        time_zone=data.time_zone,
        roles=[PersonRole(role=role.value) for role in dict.fromkeys(data.roles)],
    )
    session.add(person)
    session.flush()
    return person


def update_profile(*, session: Session, actor: Person, data: ProfileUpdate) -> Person:
    for field, value in data.model_dump(exclude_unset=True).items():
        if field in {"display_name", "time_zone", "service_categories"} and value is None:
            continue
        setattr(actor, field, value)
    session.flush()
    return actor


def get_person(*, session: Session, person_id: str) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("person")
    return person


def require_role(actor: Person, role: Role) -> None:
    """Privileged actions check the acting Person's role; platform_admin does not imply others."""
    if not actor.has_role(role):
        raise PermissionDenied(f"this action needs the {role.value} role")


def create_org(*, session: Session, data: OrgCreate, admin: Person | None = None) -> Org:
    org = Org(name=data.name)
    session.add(org)
    session.flush()
    if admin is not None:
        session.add(
            OrgMembership(
                org_id=org.id,
                person_id=admin.id,
                role="org_admin",
                status=MembershipStatus.ACTIVE,
                joined_at=utcnow(),
            )
        )
        session.flush()
    return org


_ACTIVE = OrgMembership.status == MembershipStatus.ACTIVE


def org_ids_for(*, session: Session, person: Person) -> list[str]:
    """The Orgs the Person has joined (a pending invitation is not a membership)."""
    rows = session.scalars(
        select(OrgMembership.org_id).where(OrgMembership.person_id == person.id, _ACTIVE)
    )
    return list(rows)


def display_names(*, session: Session, person_ids: Iterable[str]) -> dict[str, str]:
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    rows = session.execute(select(Person.id, Person.display_name).where(Person.id.in_(ids)))
    return {pid: name for pid, name in rows}


def persons_in_scope(
    *, session: Session, category: str | None = None, region: str | None = None
) -> list[str]:
    """Ids of the Persons in a category and/or region (columns only: this runs per query)."""
    query = select(Person.id, Person.service_categories)
    if region:
        query = query.where(Person.region == region)
    rows = session.execute(query).all()
    if category:
        return [pid for pid, categories in rows if category in (categories or [])]
    return [pid for pid, _ in rows]


def segments(*, session: Session) -> list[tuple[str, list[str], str | None]]:
    """(id, categories, region) of every Person: what network metrics group by."""
    rows = session.execute(select(Person.id, Person.service_categories, Person.region))
    return [(pid, list(categories or []), region) for pid, categories, region in rows]


def org_ids_by_person(*, session: Session, person_ids: Iterable[str]) -> dict[str, list[str]]:
    """The Orgs each Person has joined (for Org default policies): an Org's policy applies to
    a Person only after they accepted its invitation."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    out: dict[str, list[str]] = {}
    rows = session.execute(
        select(OrgMembership.person_id, OrgMembership.org_id).where(
            OrgMembership.person_id.in_(ids), _ACTIVE
        )
    )
    for person_id, org_id in rows:
        out.setdefault(person_id, []).append(org_id)
    return out


def require_org_admin(*, session: Session, actor: Person, org_id: str) -> None:
    """The one org-admin check (identity and graph): anyone but the Org's admin sees the Org
    as missing."""
    if not _is_org_admin(session, actor, org_id):
        raise NotFound("org")


def invite_member(
    *, session: Session, actor: Person | None, org_id: str, data: MembershipCreate
) -> None:
    """Offer a Person a place in an Org; they join only by accepting it. `actor=None` is the
    operator CLI; otherwise the Org's admin or a platform admin. The answer is the same whether
    the Person exists, is invited already or is a member, so it reveals none of these."""
    org = session.get(Org, org_id)
    if org is None:
        raise NotFound("org")
    if actor is not None and not actor.has_role(Role.PLATFORM_ADMIN):
        require_org_admin(session=session, actor=actor, org_id=org_id)
    if session.get(Person, data.person_id) is None:
        return
    if _membership(session, org_id, data.person_id) is not None:
        return
    invitation = OrgMembership(
        org_id=org_id,
        person_id=data.person_id,
        role=data.role,
        status=MembershipStatus.INVITED,
        invited_by=actor.id if actor is not None else None,
    )
    try:
        with session.begin_nested():
            session.add(invitation)
    except IntegrityError:
        pass  # a concurrent invitation won; the answer stays the same


def list_invitations(*, session: Session, actor: Person) -> list[tuple[OrgMembership, Org]]:
    """The acting Person's pending invitations, oldest first, with their Orgs."""
    rows = session.execute(
        select(OrgMembership, Org)
        .join(Org, Org.id == OrgMembership.org_id)
        .where(
            OrgMembership.person_id == actor.id,
            OrgMembership.status == MembershipStatus.INVITED,
        )
        .order_by(OrgMembership.created_at)
    )
    return [(membership, org) for membership, org in rows]


def accept_invitation(*, session: Session, actor: Person, org_id: str) -> OrgMembership:
    """The acting Person joins the Org; from now on its default policy applies to them (their
    own consent choices still win)."""
    membership = _invitation(session, actor, org_id)
    membership.status = MembershipStatus.ACTIVE
    membership.joined_at = utcnow()
    session.flush()
    return membership


def decline_invitation(*, session: Session, actor: Person, org_id: str) -> None:
    """The acting Person refuses the invitation; nothing of it is kept."""
    session.delete(_invitation(session, actor, org_id))
    session.flush()


def leave_org(*, session: Session, actor: Person, org_id: str) -> None:
    """The acting Person leaves an Org they joined; its policy stops applying to them. The
    last org_admin cannot leave, or nobody could manage the Org."""
    membership = _membership(session, org_id, actor.id)
    if membership is None or membership.status is not MembershipStatus.ACTIVE:
        raise NotFound("membership")
    if membership.role == "org_admin":
        admins = session.scalar(
            select(func.count())
            .select_from(OrgMembership)
            .where(OrgMembership.org_id == org_id, OrgMembership.role == "org_admin", _ACTIVE)
        )
        if (admins or 0) <= 1:
            raise Conflict(
                "the last org_admin cannot leave the org",
                hint="invite another Person as org_admin; once they accept, leave again",
            )
    session.delete(membership)
    session.flush()


def _membership(session: Session, org_id: str, person_id: str) -> OrgMembership | None:
    return session.scalar(
        select(OrgMembership).where(
            OrgMembership.org_id == org_id, OrgMembership.person_id == person_id
        )
    )


def _invitation(session: Session, actor: Person, org_id: str) -> OrgMembership:
    """The acting Person's own pending invitation; anything else answers as missing."""
    membership = _membership(session, org_id, actor.id)
    if membership is None or membership.status is not MembershipStatus.INVITED:
        raise NotFound("invitation")
    return membership


def _is_org_admin(session: Session, actor: Person, org_id: str) -> bool:
    role = session.scalar(
        select(OrgMembership.role).where(
            OrgMembership.org_id == org_id, OrgMembership.person_id == actor.id, _ACTIVE
        )
    )
    return role == "org_admin"


def issue_token(*, session: Session, person: Person, name: str) -> tuple[ApiToken, str]:
    """Create a token; the plaintext is returned once and never stored."""
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        person_id=person.id,
        name=name,
        prefix=plaintext[:10],
        digest=token_digest(plaintext),
    )
    session.add(token)
    session.flush()
    return token, plaintext


def list_tokens(*, session: Session, actor: Person) -> list[ApiToken]:
    rows = session.scalars(
        select(ApiToken).where(ApiToken.person_id == actor.id).order_by(ApiToken.created_at)
    )
    return list(rows)


def revoke_token(*, session: Session, actor: Person, token_id: str) -> ApiToken:
    token = owned(session, ApiToken, token_id, person_id=actor.id, kind="token")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
    return token


_PERSONS, _ROLES, _TOKENS = Person.__table__, PersonRole.__table__, ApiToken.__table__
_PERSON_COLUMNS = [(str(column.key), column) for column in _PERSONS.c]  # keys = attribute names
_BY_TOKEN = (  # built once: it runs on every request
    select(
        *(column.label(f"person_{key}") for key, column in _PERSON_COLUMNS),
        _ROLES.c.id.label("role_id"),
        _ROLES.c.role,
    )
    .select_from(
        _TOKENS.join(_PERSONS, _PERSONS.c.id == _TOKENS.c.person_id).outerjoin(
            _ROLES, _ROLES.c.person_id == _PERSONS.c.id
        )
    )
    .where(_TOKENS.c.digest == bindparam("digest"), _TOKENS.c.revoked_at.is_(None))
)


def authenticate(*, session: Session, token: str) -> Person:
    """Resolve the acting Person from a bearer token; revoked and unknown tokens look alike.

    It only reads (one Core statement: the token by its digest, its Person and their roles,
    one row per role), and records nothing such as a last-used time, so a read request stays
    a read transaction that never takes SQLite's write lock. The Person and their roles become
    the session's persistent objects, as an ORM query would leave them, without the ORM's
    per-query work (about half the CPU of a small request's token check). Nothing is cached
    between requests: a revoked token or a changed role counts from the very next request,
    whichever process or command made the change.
    """
    rows = core(session).execute(_BY_TOKEN, {"digest": token_digest(token)}).all()
    if not rows:
        raise Unauthenticated()
    first = rows[0]._mapping
    values = {key: first[f"person_{key}"] for key, _ in _PERSON_COLUMNS}
    held = session.identity_map.get(
        class_mapper(Person).identity_key_from_primary_key((values["id"],))
    )
    if isinstance(held, Person):  # already in this session, with its roles as loaded there
        return held
    person = attach(session, Person, values)
    roles = [
        loaded(session, PersonRole, {"id": row.role_id, "person_id": person.id, "role": row.role})
        for row in rows
        if row.role_id is not None
    ]
    set_committed_value(person, "roles", roles)
    return person


def directory_version(*, session: Session) -> tuple[Any, ...]:
    """What the graph's network view reads from this store (every Person's categories and
    region, every active membership) has changed when this has: the counter that triggers
    advance on every insert, update or delete of a Person or an Org membership, in the same
    transaction, whichever process made it (tenant migration 0009), with the store's own
    random id beside it. One row by its key. A store built without migrations (no counter
    row) reads as one that never changes."""
    return tuple(core(session).execute(_DIRECTORY_VERSION).one_or_none() or ())


_DIRECTORY_VERSION = select(DirectoryVersion.store, DirectoryVersion.version).where(
    DirectoryVersion.id == 1
)


def active_memberships(*, session: Session) -> list[tuple[str, str]]:
    """Every (person id, org id) of an active membership: what Org default policies apply to."""
    rows = session.execute(select(OrgMembership.person_id, OrgMembership.org_id).where(_ACTIVE))
    return [(person_id, org_id) for person_id, org_id in rows]
