"""Settings from `PROSPECTING_*` environment variables (pydantic-settings)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from prospecting.errors import ConfigError

DEV_KEY_FILENAME = "network.key"


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
    graph_subject_budget_units: int = Field(default=10_000_000, ge=0)
    graph_confidence: float = Field(default=0.95, gt=0.0, lt=1.0)
    # Graph availability: a graph store slower than this is an outage (degraded answers).
    graph_connect_timeout_seconds: int = Field(default=3, ge=1, le=60)
    graph_statement_timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    graph_retry_after_seconds: float = Field(default=5.0, ge=0, le=300)
    # Worker processes of `prospecting serve --workers` (PostgreSQL only; MCP then stateless).
    workers: int = Field(default=1, ge=1, le=64)
    # Overload: requests running at once (<= worker threads and tenant connections), how many
    # may wait and for how long; beyond that, 503 with Retry-After.
    max_concurrent_requests: int = Field(default=12, ge=1, le=1000)
    admission_queue: int = Field(default=200, ge=0, le=100_000)
    admission_wait_seconds: float = Field(default=10.0, gt=0, le=300)
    overload_retry_after_seconds: float = Field(default=1.0, ge=0, le=300)
    # Optional OpenAI-compatible endpoint that polishes offline reply drafts (auto-qualify).
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = Field(default=None, repr=False)
    llm_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    # Provider coop (docs/coop.md). Public links in consent requests start with this URL.
    public_base_url: str = "http://127.0.0.1:3060"
    # Warm intros need this many vetted peers in the category and region (the brief's dense
    # network: 50+); hand-offs need peers with capacity.
    coop_intro_min_peers: int = Field(default=50, ge=1, le=100_000)
    coop_consent_ttl_hours: int = Field(default=72, ge=1, le=24 * 90)
    coop_offer_timeout_hours: int = Field(default=24, ge=1, le=24 * 30)

    @field_validator("tenant_database_url", "graph_database_url")
    @classmethod
    def _known_backend(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:// or postgresql:// URL")
        return value

    @model_validator(mode="after")
    def _workers_need_postgresql(self) -> Settings:
        if self.workers > 1 and not all(
            url.startswith("postgresql")
            for url in (self.resolved_tenant_url, self.resolved_graph_url)
        ):
            raise ValueError(
                "several workers need PostgreSQL for both stores (SQLite allows one writer "
                "process); set PROSPECTING_TENANT_DATABASE_URL and PROSPECTING_GRAPH_DATABASE_URL"
                " to postgresql:// URLs or serve with --workers 1"
            )
        return self

    @property
    def worker_threads(self) -> int:
        """anyio's thread limiter: every admitted request has a thread, plus a few for MCP."""
        return self.max_concurrent_requests + 8

    @property
    def pool_size(self) -> int:
        """Connections per store: every worker thread can hold one (no checkout waits)."""
        return self.worker_threads

    @cached_property
    def resolved_tenant_url(self) -> str:
        return self.tenant_database_url or f"sqlite:///{self.data_dir / 'tenant.sqlite3'}"

    @cached_property
    def resolved_graph_url(self) -> str:
        return self.graph_database_url or f"sqlite:///{self.data_dir / 'graph.sqlite3'}"


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
