"""Pydantic shapes for identity; validators name the field and the reason."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import available_timezones

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from prospecting.fields import AS_LINE, JsonSchemaExtra, Line
from prospecting.identity.models import MembershipStatus, Role

Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AS_LINE
]
Category = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60), AS_LINE
]
Region = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64), AS_LINE]

_TIME_ZONES = frozenset(available_timezones())
TimeZone = Annotated[str, JsonSchemaExtra({"enum": sorted(_TIME_ZONES)})]
"""An IANA time zone: the schema lists the ones _Profile._time_zone accepts."""
PhoneRegion = Annotated[
    str,
    JsonSchemaExtra(
        {
            "enum": sorted(phonenumbers.SUPPORTED_REGIONS),
            "description": "An ISO 3166-1 alpha-2 region phonenumbers supports (any case).",
        }
    ),
]
"""A phone region: the schema lists the ones _Profile._phone_region accepts, upper case."""


class _Profile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("default_phone_region", check_fields=False)
    @classmethod
    def _phone_region(cls, value: str | None) -> str | None:
        if value is None:
            return None
        region = value.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError("must be an ISO 3166-1 alpha-2 region phonenumbers supports")
        return region

    @field_validator("time_zone", check_fields=False)
    @classmethod
    def _time_zone(cls, value: str | None) -> str | None:
        if value is not None and value not in _TIME_ZONES:
            raise ValueError("must be an IANA time zone such as Europe/London")
        return value


class PersonCreate(_Profile):
    display_name: Name
    service_categories: list[Category] = Field(default_factory=list, max_length=20)
    region: Region | None = None
    default_phone_region: PhoneRegion | None = None
    time_zone: TimeZone = "UTC"
    roles: list[Role] = Field(default_factory=lambda: [Role.PROVIDER])


class ProfileUpdate(_Profile):
    display_name: Name | None = None
    service_categories: list[Category] | None = Field(default=None, max_length=20)
    region: Region | None = None
    default_phone_region: PhoneRegion | None = None
    time_zone: TimeZone | None = None


class PersonOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    display_name: str
    service_categories: list[str]
    region: str | None
    default_phone_region: str | None
    time_zone: str
    roles: list[Role]
    created_at: datetime


class OrgCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name


class OrgOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    created_at: datetime


class MembershipCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: Line
    role: Literal["member", "org_admin"] = "member"


class MembershipOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    org_id: str
    person_id: str
    role: str
    status: MembershipStatus
    joined_at: datetime | None


class InvitationSent(BaseModel):
    """The one answer to an invitation: it does not say whether the Person exists."""

    status: Literal["invitation sent if the person exists"] = "invitation sent if the person exists"


class InvitationOut(BaseModel):
    """A pending invitation, as the invited Person sees it."""

    org_id: str
    org_name: str
    role: str
    invited_at: datetime


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), AS_LINE
    ]


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="The bearer token. Shown once; only its digest is stored.")
