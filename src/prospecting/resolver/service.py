"""Resolver core: turn a sender into a hash chain under every key of the ring (pure)."""

from __future__ import annotations

from prospecting.resolver.chain import Identifiers, hash_chain
from prospecting.resolver.keyring import KeyRing
from prospecting.resolver.keys import Digest, Hasher


class Resolver:
    """Hashes under every key of the ring; matching uses the active key id only."""

    def __init__(self, keyring: KeyRing) -> None:
        self.keyring = keyring
        self._hashers = {key_id: Hasher(key) for key_id, key in keyring.keys.items()}

    @property
    def active_key_id(self) -> str:
        return self.keyring.active.key_id

    def chain(self, ids: Identifiers, *, key_id: str | None = None) -> list[Digest]:
        return hash_chain(ids, self._hashers[key_id or self.active_key_id])

    def chains(self, ids: Identifiers) -> list[Digest]:
        """Digests under every key in the ring, so a rotation never loses a link."""
        return [digest for key_id in self._hashers for digest in self.chain(ids, key_id=key_id)]
