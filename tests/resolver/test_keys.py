"""Keyed hashing: deterministic per key and dimension, separated across both, secret-free."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prospecting.resolver.keys import (
    EMAIL,
    NAME,
    PHONE,
    STRONG_DIMENSIONS,
    Hasher,
    NetworkKey,
    derive_dimension_key,
)

SECRET = bytes(range(32))
KEY = NetworkKey(key_id="k1", secret=SECRET)


def test_repr_never_shows_the_secret() -> None:
    for shown in (repr(KEY), str(KEY), repr(Hasher(KEY))):
        assert "k1" in shown
        assert repr(SECRET) not in shown
        assert SECRET.hex() not in shown


@pytest.mark.parametrize(
    ("key_id", "secret"),
    [("", SECRET), ("has space", SECRET), ("a:b", SECRET), ("k1", b"short")],
)
def test_weak_or_malformed_keys_are_refused(key_id: str, secret: bytes) -> None:
    with pytest.raises(ValueError):
        NetworkKey(key_id=key_id, secret=secret)


def test_dimension_key_is_hkdf_sha256_of_the_secret() -> None:
    derived = derive_dimension_key(KEY, PHONE)
    assert len(derived) == 32
    assert derived == derive_dimension_key(NetworkKey(key_id="k1", secret=SECRET), PHONE)
    assert derived != derive_dimension_key(KEY, EMAIL)
    assert derived != derive_dimension_key(NetworkKey(key_id="k2", secret=SECRET), PHONE)
    assert SECRET not in derived


def test_digest_is_hmac_sha256_under_the_dimension_key() -> None:
    digest = Hasher(KEY).digest(PHONE, "phone-e164-v1", "+14155552671")
    expected = hmac.new(derive_dimension_key(KEY, PHONE), b"+14155552671", hashlib.sha256)
    assert digest.value == expected.hexdigest()
    assert (digest.dimension, digest.scheme, digest.key_id) == (PHONE, "phone-e164-v1", "k1")
    assert digest.value != hashlib.sha256(b"+14155552671").hexdigest()
    assert "4155552671" not in repr(digest)


def test_strong_dimensions_exclude_the_bare_name() -> None:
    assert NAME not in STRONG_DIMENSIONS
    assert {PHONE, EMAIL} <= STRONG_DIMENSIONS


@given(st.text(min_size=1))
def test_same_input_and_key_give_the_same_digest(normalized: str) -> None:
    first = Hasher(KEY).digest(NAME, "name-nfkc-v1", normalized)
    again = Hasher(NetworkKey(key_id="k1", secret=SECRET)).digest(NAME, "name-nfkc-v1", normalized)
    assert first == again
    assert len(first.value) == 64
    assert first.value == first.value.lower()


@given(st.text(min_size=1))
def test_key_id_and_dimension_separate_digests(normalized: str) -> None:
    base = Hasher(KEY).digest(NAME, "s", normalized).value
    rotated = Hasher(NetworkKey(key_id="k2", secret=SECRET)).digest(NAME, "s", normalized).value
    other_dimension = Hasher(KEY).digest(EMAIL, "s", normalized).value
    other_secret = Hasher(NetworkKey(key_id="k1", secret=bytes(32))).digest(NAME, "s", normalized)
    assert len({base, rotated, other_dimension, other_secret.value}) == 4


def test_different_inputs_give_different_digests() -> None:
    hasher = Hasher(KEY)
    assert hasher.digest(PHONE, "s", "+14155552671") != hasher.digest(PHONE, "s", "+14155552672")
