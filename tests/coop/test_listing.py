"""Listings (docs/coop.md, "Listing"): what the network may match on, validated field by field,
published by the provider alone; candidates are vetted, listed peers with capacity matching
category, region, service and language, never the asker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from conftest import Provider, person
from prospecting.coop import listing
from prospecting.coop.models import CoopAuditEntry
from prospecting.coop.schemas import ListingIn
from prospecting.errors import NotFound
from prospecting.runtime import Runtime


def _candidates(runtime: Runtime, **query: Any) -> list[listing.Candidate]:
    query = {"region": None, "exclude": set()} | query
    with runtime.stores.tenant() as session:
        return listing.candidates(session=session, **query)


def _ids(found: list[listing.Candidate]) -> set[str]:
    return {c.person_id for c in found}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"categories": []}, ("categories",)),
        ({"categories": ["Therapy!"]}, ("categories", 0)),
        ({"region": "Greater London"}, ("region",)),
        ({"languages": ["english"]}, ("languages", 0)),
        ({"languages": []}, ("languages",)),
        ({"services": ["x" * 65]}, ("services", 0)),
        ({"open_slots": -1}, ("open_slots",)),
        ({"open_slots": "3"}, ("open_slots",)),
        ({"bio": "ask me anything"}, ("bio",)),
    ],
)
def test_listing_validation_names_the_field(data: dict[str, Any], field: tuple[Any, ...]) -> None:
    with pytest.raises(ValidationError) as rejected:
        ListingIn.model_validate({"categories": ["therapy"], "accepting": True} | data)
    assert [error["loc"] for error in rejected.value.errors()] == [field]


def test_publish_upserts_is_audited_and_reads_back(
    runtime: Runtime, unvetted_provider: Provider
) -> None:
    me = unvetted_provider.id
    with runtime.stores.tenant() as session, pytest.raises(NotFound) as missing:
        listing.get_listing(session=session, actor=person(session, me))
    assert missing.value.kind == "listing"
    with runtime.stores.tenant() as session:
        first = listing.publish(
            session=session,
            actor=person(session, me),
            data=ListingIn(
                categories=["therapy", "coaching", "therapy"],
                region="london",
                services=["cbt"],
                accepting=True,
                open_slots=3,
            ),
        )
    assert (first.categories, first.languages, first.open_slots, first.vetted) == (
        ["coaching", "therapy"],
        ["en"],
        3,
        False,
    )
    with runtime.stores.tenant() as session:
        listing.publish(
            session=session,
            actor=person(session, me),
            data=ListingIn(categories=["massage"], languages=["fr"], accepting=False),
        )
    with runtime.stores.tenant() as session:
        out = listing.get_listing(session=session, actor=person(session, me))
        actions = sorted(
            session.scalars(
                select(CoopAuditEntry.action).where(
                    CoopAuditEntry.person_id == me, CoopAuditEntry.object_kind == "listing"
                )
            )
        )
    assert (out.categories, out.region, out.services, out.languages) == (
        ["massage"],
        None,
        [],
        ["fr"],
    )
    assert (out.accepting, out.open_slots) == (False, None)
    assert actions == ["listing_published", "listing_updated"]


def test_published_listing_says_vetted(runtime: Runtime, vetted: Any) -> None:
    (a,) = vetted(1)
    with runtime.stores.tenant() as session:
        assert listing.get_listing(session=session, actor=person(session, a.id)).vetted


def test_candidates_match_category_region_service_language(runtime: Runtime, vetted: Any) -> None:
    (cbt_en,) = vetted(1, services=["cbt"], languages=["en"])
    (cbt_fr,) = vetted(1, services=["cbt", "emdr"], languages=["fr"], open_slots=2)
    (anywhere,) = vetted(1, region=None, services=["emdr"], languages=["en", "fr"])
    (paris,) = vetted(1, region="paris", services=["cbt"])
    (coach,) = vetted(1, categories=["coaching"])

    london = {cbt_en.id, cbt_fr.id, anywhere.id}
    assert _ids(_candidates(runtime, category="therapy", region="london")) == london
    assert _ids(_candidates(runtime, category="therapy")) == london | {paris.id}
    assert _ids(_candidates(runtime, category="coaching", region="london")) == {coach.id}
    assert _ids(_candidates(runtime, category="yoga", region="london")) == set()
    assert _ids(_candidates(runtime, category="therapy", region="london", service="cbt")) == {
        cbt_en.id,
        cbt_fr.id,
    }
    found = _candidates(runtime, category="therapy", region="london", service="emdr", language="fr")
    assert [(c.person_id, c.matches_service, c.matches_language) for c in found] == sorted(
        [(cbt_fr.id, True, True), (anywhere.id, True, True)]
    )
    assert {c.person_id: c.open_slots for c in found} == {cbt_fr.id: 2, anywhere.id: None}
    plain = _candidates(runtime, category="therapy", region="london")
    assert not any(c.matches_service or c.matches_language for c in plain)


def test_candidates_exclude_the_asker_full_unaccepting_and_unvetted(
    runtime: Runtime, vetted: Any, make_provider: Callable[..., Provider]
) -> None:
    """A listed peer nobody vetted, one not accepting and one with no open slot are left out."""
    me, open_peer = vetted(2)
    (not_accepting,) = vetted(1, accepting=False)
    (no_slots,) = vetted(1, open_slots=0)
    (some_slots,) = vetted(1, open_slots=1)
    stranger = make_provider().id
    with runtime.stores.tenant() as session:
        listing.publish(
            session=session,
            actor=person(session, stranger),
            data=ListingIn(categories=["therapy"], region="london", accepting=True),
        )
    assert _ids(_candidates(runtime, category="therapy", region="london", exclude={me.id})) == {
        open_peer.id,
        some_slots.id,
    }
    with_full = _ids(_candidates(runtime, category="therapy", region="london"))
    assert not_accepting.id not in with_full and no_slots.id not in with_full
