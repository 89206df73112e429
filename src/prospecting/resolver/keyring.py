"""The network key ring: keys by id, one active for new digests (read from settings)."""

from __future__ import annotations

import secrets

from prospecting.config import DEV_KEY_FILENAME, Settings
from prospecting.errors import ConfigError
from prospecting.resolver.keys import NetworkKey

_MIN_SECRET_CHARS = 32


class KeyRing:
    """Network keys by id; one is active for new digests, older ones stay for rotation."""

    def __init__(self, keys: list[NetworkKey], active: str) -> None:
        self.keys = {key.key_id: key for key in keys}
        self.active = self.keys[active]

    def __repr__(self) -> str:
        return f"KeyRing(key_ids={sorted(self.keys)}, active={self.active.key_id!r})"

    @classmethod
    def parse(cls, text: str, *, active: str | None = None) -> KeyRing:
        """Lines of `key_id=secret`; a bare secret is key id `k1`. The last line is active."""
        keys: list[NetworkKey] = []
        for lineno, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            key_id, sep, secret = line.partition("=")
            if not sep:
                key_id, secret = "k1", line
            key_id, secret = key_id.strip(), secret.strip()
            if not key_id.isidentifier():
                raise ConfigError(f"network key line {lineno}: key id must be a short identifier")
            if len(secret) < _MIN_SECRET_CHARS:
                raise ConfigError(
                    f"network key line {lineno}: secret must be at least "
                    f"{_MIN_SECRET_CHARS} characters"
                )
            keys.append(NetworkKey(key_id=key_id, secret=secret.encode("utf-8")))
        if not keys:
            raise ConfigError("network key: no key found")
        chosen = active or keys[-1].key_id
        if chosen not in {key.key_id for key in keys}:
            raise ConfigError(f"PROSPECTING_NETWORK_KEY_ID: no key with id {chosen!r}")
        return cls(keys, chosen)


def load_keyring(settings: Settings) -> KeyRing:
    """Read the network keys; in development a missing key is generated into the data dir."""
    text = _key_text(settings)
    return KeyRing.parse(text, active=settings.network_key_id)


def _key_text(settings: Settings) -> str:
    if settings.network_key is not None:
        return settings.network_key.get_secret_value()
    if settings.network_key_file is not None:
        try:
            return settings.network_key_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"PROSPECTING_NETWORK_KEY_FILE: cannot read ({exc.strerror})"
            ) from None
    if settings.mode != "development":
        raise ConfigError(
            "PROSPECTING_NETWORK_KEY or PROSPECTING_NETWORK_KEY_FILE is required "
            f"outside development mode (mode={settings.mode})"
        )
    path = settings.data_dir / DEV_KEY_FILENAME
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(f"dev1={secrets.token_hex(32)}\n", encoding="utf-8")
    return path.read_text(encoding="utf-8")
