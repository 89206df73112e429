"""Coop factories: vetted providers made the real way (an Org admin invites them, they accept,
the admin verifies them, they publish their listing), and a provider nobody vetted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import pytest

from conftest import Provider
from prospecting.coop import listing, vetting
from prospecting.coop.schemas import ListingIn
from prospecting.identity import service as identity
from prospecting.identity.schemas import MembershipCreate, OrgCreate
from prospecting.runtime import Runtime


class MakeVetted(Protocol):
    def __call__(
        self,
        n: int = 1,
        categories: list[str] | None = None,
        region: str | None = "london",
        languages: list[str] | None = None,
        services: list[str] | None = None,
        accepting: bool = True,
        open_slots: int | None = None,
    ) -> list[Provider]: ...


@pytest.fixture
def coop_org_admin(runtime: Runtime, make_provider: Callable[..., Any]) -> tuple[str, str]:
    """(org id, admin id): an Org whose admin (not listed, not vetted) verifies the test's
    providers."""
    admin = make_provider(display_name="Org Admin")
    with runtime.stores.tenant() as session:
        org = identity.create_org(
            session=session,
            data=OrgCreate(name="Coop Test Org"),
            admin=identity.get_person(session=session, person_id=admin.id),
        )
        return org.id, admin.id


@pytest.fixture
def vetted(
    runtime: Runtime, make_provider: Callable[..., Any], coop_org_admin: tuple[str, str]
) -> MakeVetted:
    """Factory: `n` providers, each invited to the Org, accepting, verified by its admin and
    listed with the given categories, region, languages, services and capacity."""
    org_id, admin_id = coop_org_admin

    def make(
        n: int = 1,
        categories: list[str] | None = None,
        region: str | None = "london",
        languages: list[str] | None = None,
        services: list[str] | None = None,
        accepting: bool = True,
        open_slots: int | None = None,
    ) -> list[Provider]:
        made = []
        for _ in range(n):
            provider = make_provider()
            with runtime.stores.tenant() as session:
                admin = identity.get_person(session=session, person_id=admin_id)
                member = identity.get_person(session=session, person_id=provider.id)
                identity.invite_member(
                    session=session,
                    actor=admin,
                    org_id=org_id,
                    data=MembershipCreate(person_id=provider.id),
                )
                identity.accept_invitation(session=session, actor=member, org_id=org_id)
                vetting.verify_member(
                    session=session, actor=admin, org_id=org_id, person_id=provider.id
                )
                listing.publish(
                    session=session,
                    actor=member,
                    data=ListingIn(
                        categories=categories or ["therapy"],
                        region=region,
                        languages=languages or ["en"],
                        services=services or [],
                        accepting=accepting,
                        open_slots=open_slots,
                    ),
                )
            made.append(provider)
        return made

    return make


@pytest.fixture
def unvetted_provider(make_provider: Callable[..., Any]) -> Provider:
    """A provider with no listing, no verification and no endorsement."""
    provider: Provider = make_provider()
    return provider
