"""Settings from `PROSPECTING_*` environment variables (pydantic-settings)."""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from prospecting.errors import ConfigError
from prospecting.resolver.keys import NetworkKey

DEV_KEY_FILENAME = "network.key"
_MIN_SECRET_CHARS = 32


class Settings(BaseSettings):
    """Everything the process reads from its environment; the network key is never logged."""

    model_config = SettingsConfigDict(env_prefix="PROSPECTING_", extra="ignore", frozen=True)

    mode: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("data")
    tenant_database_url: str | None = None
    graph_database_url: str | None = None
    network_key: SecretStr | None = Field(default=None, repr=False)
    network_key_file: Path | None = None
    network_key_id: str | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=3060, ge=1, le=65535)
    seed_demo: bool = True
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    graph_min_contributors: int = Field(default=2, ge=1)
    graph_contribution_epsilon_units: int = Field(default=1_000_000, ge=1)
    graph_days_epsilon_units: int = Field(default=1_000_000, ge=1)
    graph_subject_budget_units: int = Field(default=10_000_000, ge=0)
    graph_confidence: float = Field(default=0.95, gt=0.0, lt=1.0)
    # Optional OpenAI-compatible endpoint that polishes offline reply drafts (auto-qualify).
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = Field(default=None, repr=False)
    llm_timeout_seconds: float = Field(default=5.0, gt=0, le=60)

    @field_validator("tenant_database_url", "graph_database_url")
    @classmethod
    def _known_backend(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:// or postgresql:// URL")
        return value

    @cached_property
    def resolved_tenant_url(self) -> str:
        return self.tenant_database_url or f"sqlite:///{self.data_dir / 'tenant.sqlite3'}"

    @cached_property
    def resolved_graph_url(self) -> str:
        return self.graph_database_url or f"sqlite:///{self.data_dir / 'graph.sqlite3'}"

    def load_keyring(self) -> KeyRing:
        """Read the network keys; in development a missing key is generated into the data dir."""
        text = self._key_text()
        return KeyRing.parse(text, active=self.network_key_id)

    def _key_text(self) -> str:
        if self.network_key is not None:
            return self.network_key.get_secret_value()
        if self.network_key_file is not None:
            try:
                return self.network_key_file.read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigError(
                    f"PROSPECTING_NETWORK_KEY_FILE: cannot read ({exc.strerror})"
                ) from None
        if self.mode != "development":
            raise ConfigError(
                "PROSPECTING_NETWORK_KEY or PROSPECTING_NETWORK_KEY_FILE is required "
                f"outside development mode (mode={self.mode})"
            )
        path = self.data_dir / DEV_KEY_FILENAME
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(f"dev1={secrets.token_hex(32)}\n", encoding="utf-8")
        return path.read_text(encoding="utf-8")


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


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning a malformed value into a ConfigError naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"PROSPECTING_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid configuration: {problems}") from None
