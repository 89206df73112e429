"""A provider's published listing: what the network may match them on, and their capacity.

Nothing but the listing is matched: categories, region, services, languages, whether they are
accepting new clients and how many open slots they report. A listing without a region matches
any region; a query without a region matches any listing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from prospecting.coop import audit
from prospecting.coop.models import Listing
from prospecting.coop.schemas import ListingIn, ListingOut
from prospecting.coop.vetting import vetted_ids
from prospecting.db import utcnow
from prospecting.errors import NotFound
from prospecting.identity.models import Person


@dataclass(frozen=True)
class Candidate:
    """A vetted, listed, accepting peer who matches a request; the flags say whether they
    matched the requested service and language (False when none was requested)."""

    person_id: str
    matches_service: bool
    matches_language: bool
    open_slots: int | None


def has_capacity(listing: Listing) -> bool:
    """Accepting new clients, and not reporting zero open slots."""
    return bool(listing.accepting) and listing.open_slots != 0


def in_scope(listing: Listing, category: str, region: str | None) -> bool:
    """Listed in the category, and in the region (no region on either side matches any)."""
    if category not in (listing.categories or []):
        return False
    return region is None or listing.region is None or listing.region == region


def _out(listing: Listing, vetted: bool) -> ListingOut:
    return ListingOut(
        person_id=listing.person_id,
        categories=list(listing.categories or []),
        region=listing.region,
        services=list(listing.services or []),
        languages=list(listing.languages or []),
        accepting=listing.accepting,
        open_slots=listing.open_slots,
        vetted=vetted,
        updated_at=listing.updated_at,
    )


def publish(*, session: Session, actor: Person, data: ListingIn) -> ListingOut:
    """Create or replace the acting provider's listing."""
    listing = session.get(Listing, actor.id)
    created = listing is None
    if listing is None:
        listing = Listing(person_id=actor.id)
        session.add(listing)
    listing.categories = sorted(set(data.categories))
    listing.region = data.region
    listing.services = sorted(set(data.services))
    listing.languages = sorted(set(data.languages))
    listing.accepting = data.accepting
    listing.open_slots = data.open_slots
    listing.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        person_id=actor.id,
        actor="self",
        object_kind="listing",
        object_id=actor.id,
        action="listing_published" if created else "listing_updated",
        detail={"accepting": data.accepting, "open_slots": data.open_slots},
    )
    return _out(listing, actor.id in vetted_ids(session=session))


def get_listing(*, session: Session, actor: Person) -> ListingOut:
    listing = session.get(Listing, actor.id)
    if listing is None:
        raise NotFound("listing")
    return _out(listing, actor.id in vetted_ids(session=session))


def listed_in_scope(
    *, session: Session, category: str, region: str | None, exclude: set[str]
) -> list[Listing]:
    """Vetted providers' listings in a category and region, without the excluded ids."""
    vetted = vetted_ids(session=session) - exclude
    if not vetted:
        return []
    listings = session.scalars(
        select(Listing).where(Listing.person_id.in_(vetted)).order_by(Listing.person_id)
    )
    return [listing for listing in listings if in_scope(listing, category, region)]


def candidates(
    *,
    session: Session,
    category: str,
    region: str | None,
    service: str | None = None,
    language: str | None = None,
    exclude: set[str],
) -> list[Candidate]:
    """Vetted, listed peers with capacity who match the category (and the region, service and
    language when given), ordered by id; ranking is the caller's."""
    out = []
    for listing in listed_in_scope(
        session=session, category=category, region=region, exclude=exclude
    ):
        if not has_capacity(listing):
            continue
        if service is not None and service not in (listing.services or []):
            continue
        if language is not None and language not in (listing.languages or []):
            continue
        out.append(
            Candidate(
                person_id=listing.person_id,
                matches_service=service is not None,
                matches_language=language is not None,
                open_slots=listing.open_slots,
            )
        )
    return out
