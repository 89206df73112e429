"""Identity tables in the tenant store."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from prospecting.db import ID, TenantBase, new_id, status_type, utcnow


class Role(enum.StrEnum):
    PROVIDER = "provider"
    ORG_ADMIN = "org_admin"
    PRIVACY_OFFICER = "privacy_officer"
    PLATFORM_ADMIN = "platform_admin"


class MembershipStatus(enum.StrEnum):
    """An Org membership is the Person's choice: an invitation until they accept it."""

    INVITED = "invited"
    ACTIVE = "active"


class Person(TenantBase):
    """A provider: the tenant. Every per-tenant row hangs off a Person."""

    __tablename__ = "persons"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    display_name: Mapped[str] = mapped_column(String(200))
    service_categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    region: Mapped[str | None] = mapped_column(String(64))
    default_phone_region: Mapped[str | None] = mapped_column(String(2))
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    roles: Mapped[list[PersonRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def role_names(self) -> set[Role]:
        return {Role(r.role) for r in self.roles}

    def has_role(self, role: Role) -> bool:
        return role in self.role_names


class PersonRole(TenantBase):
    """A platform-wide role held by a Person (org_admin lives on the membership)."""

    __tablename__ = "person_roles"
    __table_args__ = (UniqueConstraint("person_id", "role"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(32))


class Org(TenantBase):
    """A clinic or studio grouping Persons; may set defaults a Person's own choice overrides."""

    __tablename__ = "orgs"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OrgMembership(TenantBase):
    """A Person's place in an Org. Only an `active` row counts (Org policy, org_admin rights);
    an `invited` row is an offer the Person accepts or declines. `created_at` is when it was
    offered (the founder's row is active from the start)."""

    __tablename__ = "org_memberships"
    __table_args__ = (UniqueConstraint("org_id", "person_id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32), default="member")
    status: Mapped[MembershipStatus] = mapped_column(
        status_type(MembershipStatus), default=MembershipStatus.INVITED
    )
    invited_by: Mapped[str | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    joined_at: Mapped[datetime | None] = mapped_column(default=None)


class ApiToken(TenantBase):
    """A bearer token; only its SHA-256 digest is stored, the token is shown once."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_digest", "digest", unique=True),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class DirectoryVersion(TenantBase):
    """One row: a counter that triggers (tenant migration 0009) advance in the same transaction
    as every insert, update or delete of a Person or an Org membership, on both backends and
    from any process. The graph's network view (`graph.network.view`) reads it, one row by
    its key, to know whether who is in the network, their profile (categories, region) or
    their Orgs moved since it was built: O(1) per query where counting Persons grew with the
    network. `store` is random per store, so a store rebuilt at the same URL never reads as
    the one it replaced."""

    __tablename__ = "directory_version"
    __table_args__ = (CheckConstraint("id = 1", name="singleton"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    store: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(BigInteger, default=0)
