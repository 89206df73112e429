"""The coop's closed vocabularies and its inputs and outputs.

Nothing a provider writes for another provider is free text: an endorsement, a vouch, a
hand-off's reason and an outcome are each a fixed set of fields with fixed values, so no words
(and no PII) cross tenants. Slugs (categories, regions, services) are lower-case labels.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from prospecting.fields import StrictInt

MIN_ENDORSEMENTS = 2
"""Vetted by peers: at least this many active endorsements from already-vetted providers."""

Slug = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_\-]*$")]
"""A category, region or service label: lower-case letters, digits, `_` and `-`."""
LanguageCode = Annotated[str, Field(min_length=2, max_length=3, pattern=r"^[a-z]{2,3}$")]
"""An ISO 639 language code, lower case (`en`, `fr`)."""

KnownFor = Literal["under_3_months", "3_to_12_months", "1_to_3_years", "over_3_years"]
EndorsementBasis = Literal[
    "worked_alongside", "referred_clients", "supervised", "trained_together", "same_practice"
]
ShareField = Literal["name", "phone", "email", "vouch"]
Purpose = Literal["intro", "handoff"]
HandoffReason = Literal["overflow", "wrong_fit"]
Outcome = Literal["booked", "not_booked", "no_answer"]
Decision = Literal["yes", "no"]
Feature = Literal["intros", "handoffs"]


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Vouch(_Closed):
    """What a provider may say about a person to a peer: fixed fields, no free text."""

    known_for: KnownFor = Field(description="How long the provider has known the person.")
    attended_reliably: StrictBool = Field(description="Came to booked sessions (few no-shows).")
    paid_on_time: StrictBool
    respectful: StrictBool
    would_see_again: StrictBool


class EndorseIn(_Closed):
    peer_id: str = Field(min_length=1, max_length=64, description="The provider you endorse.")
    basis: EndorsementBasis
    known_for: KnownFor


class ListingIn(_Closed):
    """What the network may match you on; nothing else about you is matched."""

    categories: list[Slug] = Field(min_length=1, max_length=10)
    region: Slug | None = None
    services: list[Slug] = Field(default_factory=list, max_length=30)
    languages: list[LanguageCode] = Field(
        default_factory=lambda: ["en"], min_length=1, max_length=10
    )
    accepting: StrictBool = Field(description="Accepting new clients now (capacity).")
    open_slots: Annotated[StrictInt, Field(ge=0, le=10_000)] | None = None


class ListingOut(BaseModel):
    person_id: str
    categories: list[str]
    region: str | None
    services: list[str]
    languages: list[str]
    accepting: bool
    open_slots: int | None
    vetted: bool
    updated_at: datetime


class FeatureState(BaseModel):
    """Whether a coop feature is available in a category and region, and why."""

    feature: Feature
    available: bool
    state: str = Field(description="The network state that applies (e.g. dense, saturated).")
    reason: str = Field(description="Why the feature is or is not available, in words.")
    vetted_peers: str = Field(description='Vetted peers in scope, masked ("<2" below two).')
    full_peers: str = Field(description="Of those, how many report being full (masked).")


class ReferredPerson(BaseModel):
    """The consented fields of a referred person, as the receiver of an intro or the winner of
    a hand-off sees them (None: not consented, never "unknown")."""

    model_config = ConfigDict(frozen=True)
    name: str | None = None
    phone: str | None = None
    email: str | None = None
