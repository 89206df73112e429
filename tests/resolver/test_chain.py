"""The hash chain: fixed order, combinations only when both parts are present."""

from __future__ import annotations

import pytest

from prospecting.errors import InvalidInput
from prospecting.resolver.chain import (
    HOUSEHOLD_PHONE_SCHEME,
    NAME_EMAIL_SCHEME,
    NAME_PHONE_SCHEME,
    Identifiers,
    hash_chain,
    normalize_identifiers,
)
from prospecting.resolver.keys import (
    EMAIL,
    NAME,
    NAME_EMAIL,
    NAME_PHONE,
    PHONE,
    Hasher,
    NetworkKey,
)
from prospecting.resolver.normalize import EMAIL_SCHEME, NAME_SCHEME, PHONE_SCHEME

HASHER = Hasher(NetworkKey(key_id="k1", secret=b"s" * 32))


def test_identifiers_are_normalized() -> None:
    ids = normalize_identifiers(
        phone="(415) 555-2671", email="John.Doe+x@GMAIL.com", name=" José Doe ", default_region="US"
    )
    assert ids == Identifiers(phone="+14155552671", email="johndoe@gmail.com", name="jose doe")


def test_blank_values_count_as_absent() -> None:
    ids = normalize_identifiers(phone="  ", email="", name="\t", default_region=None)
    assert ids == Identifiers(phone=None, email=None, name=None)
    assert hash_chain(ids, HASHER) == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"phone": "020 7946 0018"}, "sender_phone"),
        ({"email": "nope"}, "sender_email"),
        ({"name": "---"}, "sender_name"),
    ],
)
def test_errors_name_the_api_field(kwargs: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_identifiers(
            phone=kwargs.get("phone"),
            email=kwargs.get("email"),
            name=kwargs.get("name"),
            default_region=None,
        )
    assert caught.value.field == field


def test_repr_hides_the_identifiers() -> None:
    shown = repr(Identifiers(phone="+14155552671", email="a@example.com", name=None))
    assert "4155552671" not in shown
    assert "example" not in shown


def test_full_chain_order_and_schemes() -> None:
    ids = Identifiers(phone="+14155552671", email="jane@example.com", name="jane doe")
    chain = hash_chain(ids, HASHER)
    assert [(d.dimension, d.scheme) for d in chain] == [
        (PHONE, PHONE_SCHEME),
        (EMAIL, EMAIL_SCHEME),
        (NAME, NAME_SCHEME),
        (NAME_PHONE, NAME_PHONE_SCHEME),
        (NAME_EMAIL, NAME_EMAIL_SCHEME),
    ]
    assert chain[3] == HASHER.digest(NAME_PHONE, NAME_PHONE_SCHEME, "jane doe\x1f+14155552671")
    assert all(d.key_id == "k1" for d in chain)
    assert hash_chain(ids, HASHER) == chain


@pytest.mark.parametrize(
    ("ids", "dimensions"),
    [
        (Identifiers(phone="+14155552671", email=None, name=None), [PHONE]),
        (Identifiers(phone=None, email="a@example.com", name="a"), [EMAIL, NAME, NAME_EMAIL]),
        (Identifiers(phone="+14155552671", email="a@example.com", name=None), [PHONE, EMAIL]),
        (Identifiers(phone=None, email=None, name="a"), [NAME]),
    ],
)
def test_partial_chains(ids: Identifiers, dimensions: list[str]) -> None:
    assert [d.dimension for d in hash_chain(ids, HASHER)] == dimensions


def test_a_household_line_keeps_its_value_but_is_marked_tenant_only() -> None:
    """A landline rings for everyone at an address: its phone digest has the value any phone
    digest of that number has (the tenant still de-duplicates on it) but a scheme that keeps it
    from leaving the tenant alone; a mobile, or a North American number that may be either,
    stays a personal phone."""
    landline = hash_chain(Identifiers(phone="+442079460018", email=None, name="jane doe"), HASHER)
    assert [(d.dimension, d.scheme) for d in landline] == [
        (PHONE, HOUSEHOLD_PHONE_SCHEME),
        (NAME, NAME_SCHEME),
        (NAME_PHONE, NAME_PHONE_SCHEME),
    ]
    assert landline[0].value == HASHER.digest(PHONE, PHONE_SCHEME, "+442079460018").value
    mobile = hash_chain(Identifiers(phone="+447911123456", email=None, name=None), HASHER)
    assert [(d.dimension, d.scheme) for d in mobile] == [(PHONE, PHONE_SCHEME)]
    us = hash_chain(Identifiers(phone="+14155552671", email=None, name=None), HASHER)
    assert [d.scheme for d in us] == [PHONE_SCHEME]


def test_normalising_marks_a_household_line_once_for_every_key() -> None:
    """The normaliser classifies the phone as it validates it; the chain uses that answer, and
    works it out itself for identifiers built without it (stored values being rehashed)."""
    landline = normalize_identifiers(
        phone="020 7946 0018", email=None, name="Jane Doe", default_region="GB"
    )
    mobile = normalize_identifiers(phone="07911 123456", email=None, name=None, default_region="GB")
    assert (landline.household_phone, mobile.household_phone) == (True, False)
    assert landline == Identifiers(phone="+442079460018", email=None, name="jane doe")
    assert "household" not in repr(landline)
    assert hash_chain(landline, HASHER) == hash_chain(
        Identifiers(phone="+442079460018", email=None, name="jane doe"), HASHER
    )
    assert hash_chain(landline, HASHER)[0].scheme == HOUSEHOLD_PHONE_SCHEME
    assert hash_chain(mobile, HASHER)[0].scheme == PHONE_SCHEME
