"""Fixtures: every database test runs on SQLite and on PostgreSQL, each on fresh databases."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from prospecting.app import create_app
from prospecting.config import Settings
from prospecting.db import Stores
from prospecting.identity import service as identity
from prospecting.identity.models import Person, Role
from prospecting.identity.schemas import PersonCreate
from prospecting.migrations import upgrade_all
from prospecting.resolver.keyring import KeyRing
from prospecting.resolver.service import Resolver
from prospecting.runtime import Runtime

PG_ADMIN_URL = os.environ.get(
    "PROSPECTING_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TEST_KEY = "t1=" + "test-network-secret-" + "x" * 40
BACKENDS = ("sqlite", "postgresql")


def _pg_available() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception:
        return False
    return True


class PgServer:
    """Creates migrated template databases once, then a fresh copy for every test."""

    def __init__(self) -> None:
        self.admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        self.run_id = uuid.uuid4().hex[:8]
        self.templates: dict[str, str] = {}
        self.created: list[str] = []

    def url(self, name: str) -> str:
        return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name

    def _create(self, name: str, template: str | None = None) -> str:
        suffix = f" TEMPLATE {template}" if template else ""
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
        self.created.append(name)
        return self.url(name)

    def template_pair(self) -> tuple[str, str]:
        if not self.templates:
            tenant = self._create(f"pt_{self.run_id}_tenant_tmpl")
            graph = self._create(f"pt_{self.run_id}_graph_tmpl")
            upgrade_all(tenant, graph)
            self.templates = {
                "tenant": f"pt_{self.run_id}_tenant_tmpl",
                "graph": f"pt_{self.run_id}_graph_tmpl",
            }
        return self.templates["tenant"], self.templates["graph"]

    def fresh_pair(self) -> tuple[str, str]:
        tenant_tmpl, graph_tmpl = self.template_pair()
        n = uuid.uuid4().hex[:8]
        return (
            self._create(f"pt_{self.run_id}_{n}_t", tenant_tmpl),
            self._create(f"pt_{self.run_id}_{n}_g", graph_tmpl),
        )

    def drop(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if name in self.created:
            self.created.remove(name)

    def close(self) -> None:
        for name in list(reversed(self.created)):
            self.drop(self.url(name))
        self.admin.dispose()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer | None]:
    if not _pg_available():
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required when CI=true but {PG_ADMIN_URL} is unreachable")
        yield None
        return
    server = PgServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sqlite-template")
    upgrade_all(f"sqlite:///{folder / 'tenant.sqlite3'}", f"sqlite:///{folder / 'graph.sqlite3'}")
    return folder


@dataclass
class DatabaseUrls:
    backend: str
    tenant: str
    graph: str


@pytest.fixture(params=BACKENDS)
def db_urls(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
    pg_server: PgServer | None,
) -> Iterator[DatabaseUrls]:
    if request.param == "sqlite":
        for name in ("tenant.sqlite3", "graph.sqlite3"):
            shutil.copy(sqlite_template / name, tmp_path / name)
        yield DatabaseUrls(
            "sqlite",
            f"sqlite:///{tmp_path / 'tenant.sqlite3'}",
            f"sqlite:///{tmp_path / 'graph.sqlite3'}",
        )
        return
    if pg_server is None:
        pytest.skip("PostgreSQL is not reachable (required when CI=true)")
    tenant, graph = pg_server.fresh_pair()
    yield DatabaseUrls("postgresql", tenant, graph)
    pg_server.drop(tenant)
    pg_server.drop(graph)


@pytest.fixture
def settings(db_urls: DatabaseUrls, tmp_path: Path) -> Settings:
    return Settings(
        mode="test",
        data_dir=tmp_path,
        tenant_database_url=db_urls.tenant,
        graph_database_url=db_urls.graph,
        network_key=TEST_KEY,  # type: ignore[arg-type]
    )


@pytest.fixture
def cli_env(settings: Settings) -> dict[str, str]:
    """The environment a `prospecting` subprocess or CliRunner needs to use this test's stores."""
    assert settings.network_key is not None
    return {
        "PROSPECTING_MODE": "test",
        "PROSPECTING_TENANT_DATABASE_URL": settings.resolved_tenant_url,
        "PROSPECTING_GRAPH_DATABASE_URL": settings.resolved_graph_url,
        "PROSPECTING_NETWORK_KEY": settings.network_key.get_secret_value(),
        "PROSPECTING_DATA_DIR": str(settings.data_dir),
        "PATH": os.environ.get("PATH", ""),
    }


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    stores = Stores.from_settings(settings)
    rt = Runtime(settings=settings, stores=stores, resolver=Resolver(KeyRing.parse(TEST_KEY)))
    yield rt
    stores.dispose()


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=runtime)) as test_client:
        yield test_client


@dataclass
class Provider:
    """A Person with a live token, as a test acts through the HTTP edge."""

    id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def make_provider(runtime: Runtime) -> Callable[..., Provider]:
    """Factory: a committed Person (default: a GB provider) and a token for it."""

    def make(**overrides: Any) -> Provider:
        data = {
            "display_name": "Test Provider",
            "service_categories": ["therapy"],
            "region": "GB-LND",
            "default_phone_region": "GB",
            "time_zone": "Europe/London",
            "roles": [Role.PROVIDER],
        } | overrides
        with runtime.stores.tenant() as session:
            person = identity.create_person(session=session, data=PersonCreate(**data))
            _, token = identity.issue_token(session=session, person=person, name="test")
            return Provider(person.id, token)

    return make


@pytest.fixture
def tenant_session(runtime: Runtime) -> Iterator[Session]:
    with runtime.stores.tenant() as session:
        yield session


def person(session: Session, person_id: str) -> Person:
    return identity.get_person(session=session, person_id=person_id)
