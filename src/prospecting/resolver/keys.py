"""Keyed hashing of normalised identifiers: HMAC-SHA256 under per-dimension HKDF keys.

Plain or salted SHA-256 would fall to a dictionary of all phone numbers; only the holder of
the network secret can compute or test a digest. The secret never leaves this module's objects.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PHONE = "phone"
EMAIL = "email"
NAME = "name"
NAME_PHONE = "name_phone"
NAME_EMAIL = "name_email"
STRONG_DIMENSIONS = frozenset({PHONE, EMAIL, NAME_PHONE, NAME_EMAIL})

MIN_SECRET_BYTES = 32
_HKDF_SALT = b"prospecting/resolver/v1"
_KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


@dataclass(frozen=True, repr=False)
class NetworkKey:
    """The network secret and the id stored with every digest made from it, so keys can rotate."""

    key_id: str
    secret: bytes

    def __post_init__(self) -> None:
        if not _KEY_ID.fullmatch(self.key_id):
            raise ValueError("key_id must be 1-64 characters of A-Z a-z 0-9 . _ -")
        if len(self.secret) < MIN_SECRET_BYTES:
            raise ValueError(f"the network secret must be at least {MIN_SECRET_BYTES} bytes")

    def __repr__(self) -> str:
        return f"NetworkKey(key_id={self.key_id!r}, secret=<redacted>)"


def derive_dimension_key(key: NetworkKey, dimension: str) -> bytes:
    """A 32-byte key for one dimension under one key id; digests never compare across either."""
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=_HKDF_SALT,
        info=f"dimension:{dimension}:key:{key.key_id}".encode(),
    )
    return hkdf.derive(key.secret)


@dataclass(frozen=True)
class Digest:
    """One dimension's keyed digest, with the scheme and key id needed to reproduce it."""

    dimension: str
    scheme: str
    key_id: str
    value: str


class Hasher:
    """Computes digests under one network key, deriving each dimension key once."""

    __slots__ = ("_dimension_keys", "_key")

    def __init__(self, key: NetworkKey) -> None:
        self._key = key
        self._dimension_keys: dict[str, bytes] = {}

    @property
    def key_id(self) -> str:
        return self._key.key_id

    def digest(self, dimension: str, scheme: str, normalized: str) -> Digest:
        """HMAC-SHA256 of the UTF-8 ``normalized`` value under the dimension's key."""
        dimension_key = self._dimension_keys.get(dimension)
        if dimension_key is None:
            dimension_key = derive_dimension_key(self._key, dimension)
            self._dimension_keys[dimension] = dimension_key
        value = hmac.new(dimension_key, normalized.encode("utf-8"), hashlib.sha256).hexdigest()
        return Digest(dimension=dimension, scheme=scheme, key_id=self._key.key_id, value=value)

    def __repr__(self) -> str:
        return f"Hasher(key_id={self._key.key_id!r})"
