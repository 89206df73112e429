"""Fixtures: every database test runs on SQLite and on PostgreSQL, each on fresh databases."""

from __future__ import annotations

import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

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


_TABLES = """
SELECT format('%I.%I', schemaname, tablename) FROM pg_tables
WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1
"""
_SEQUENCES = """
SELECT format('%I.%I', schemaname, sequencename), last_value FROM pg_sequences ORDER BY 1
"""
_CATALOG_FINGERPRINT = """
WITH user_ns AS (
  SELECT oid, nspname FROM pg_namespace
  WHERE nspname NOT IN ('pg_catalog', 'information_schema')
    AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp%'
), user_class AS (
  SELECT c.* FROM pg_class c JOIN user_ns n ON n.oid = c.relnamespace
)
SELECT md5(coalesce(string_agg(line, E'\\n' ORDER BY line), '')) FROM (
  SELECT concat_ws(' ', 'schema', nspname, pg_get_userbyid(nspowner), nspacl::text) AS line
    FROM pg_namespace WHERE oid IN (SELECT oid FROM user_ns)
  UNION ALL
  SELECT concat_ws(' ', 'class', oid::regclass::text, relkind, relpersistence,
                   pg_get_userbyid(relowner), relacl::text, relrowsecurity,
                   relforcerowsecurity, array_to_string(reloptions, ','))
    FROM user_class
  UNION ALL
  SELECT concat_ws(' ', 'column', a.attrelid::regclass::text, a.attnum, a.attname,
                   format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity,
                   a.attgenerated, a.attacl::text, pg_get_expr(d.adbin, d.adrelid))
    FROM pg_attribute a JOIN user_class c ON c.oid = a.attrelid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT concat_ws(' ', 'constraint', conrelid::regclass::text, conname,
                   pg_get_constraintdef(oid), condeferrable, condeferred, convalidated)
    FROM pg_constraint WHERE connamespace IN (SELECT oid FROM user_ns)
  UNION ALL
  SELECT concat_ws(' ', 'index', pg_get_indexdef(indexrelid), indisvalid)
    FROM pg_index WHERE indrelid IN (SELECT oid FROM user_class)
  UNION ALL
  SELECT concat_ws(' ', 'trigger', tgrelid::regclass::text, pg_get_triggerdef(oid), tgenabled)
    FROM pg_trigger WHERE NOT tgisinternal
  UNION ALL
  SELECT concat_ws(' ', 'rule', ev_class::regclass::text, rulename, pg_get_ruledef(oid),
                   ev_enabled)
    FROM pg_rewrite WHERE ev_class IN (SELECT oid FROM user_class)
  UNION ALL
  SELECT concat_ws(' ', 'policy', polrelid::regclass::text, polname, polcmd, polpermissive,
                   polroles::text, pg_get_expr(polqual, polrelid),
                   pg_get_expr(polwithcheck, polrelid))
    FROM pg_policy
  UNION ALL
  SELECT concat_ws(' ', 'function', p.oid::regprocedure::text, md5(p.prosrc),
                   pg_get_userbyid(p.proowner), p.proacl::text, p.prosecdef, p.provolatile,
                   array_to_string(p.proconfig, ','))
    FROM pg_proc p WHERE p.pronamespace IN (SELECT oid FROM user_ns)
  UNION ALL
  SELECT concat_ws(' ', 'type', t.oid::regtype::text, t.typtype, pg_get_userbyid(t.typowner),
                   t.typacl::text)
    FROM pg_type t WHERE t.typnamespace IN (SELECT oid FROM user_ns)
  UNION ALL
  SELECT concat_ws(' ', 'enum', enumtypid::regtype::text, enumsortorder, enumlabel)
    FROM pg_enum
  UNION ALL
  SELECT concat_ws(' ', 'database', pg_get_userbyid(datdba), datacl::text, datallowconn,
                   datconnlimit)
    FROM pg_database WHERE datname = current_database()
  UNION ALL
  SELECT concat_ws(' ', 'setting', setrole, array_to_string(setconfig, ','))
    FROM pg_db_role_setting
    WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
  UNION ALL
  SELECT concat_ws(' ', 'default_acl', pg_get_userbyid(defaclrole), defaclnamespace,
                   defaclobjtype, defaclacl::text)
    FROM pg_default_acl
  UNION ALL
  SELECT concat_ws(' ', 'extension', extname, extversion) FROM pg_extension
  UNION ALL
  SELECT concat_ws(' ', 'event_trigger', evtname, evtevent, evtenabled, evtfoid::regproc::text)
    FROM pg_event_trigger
  UNION ALL
  SELECT concat_ws(' ', 'publication', pubname) FROM pg_publication
  UNION ALL
  SELECT concat_ws(' ', 'large_objects', count(*)) FROM pg_largeobject_metadata
) AS catalog(line)
"""
"""One line per user-visible catalog object of the current database (schemas, tables and
their columns, defaults, constraints, indexes, triggers and whether they are enabled, rules,
policies, functions, types, grants, ownership, database settings, extensions, event
triggers), hashed: a database whose fingerprint is its template's has the template's schema."""


@dataclass
class _Template:
    """What a copy of one template holds before any test touched it."""

    fingerprint: str
    rows: list[tuple[str, str]]  # (table, its rows as JSON) for the tables that have rows
    sequences: list[tuple[str, int | None]]


class PgServer:
    """Creates migrated template databases once; every test gets a database in the template's
    state: a new copy, or one an earlier test of this process used and `drop` put back.

    Dropping a PostgreSQL database forces a checkpoint (seconds on a busy machine), so `drop`
    retires a used copy instead: the connections to it are terminated (as DROP ... WITH
    (FORCE) does) and it is renamed at once, so the URL the test had stops working as if the
    database were gone and nothing keyed by URL in the process (the graph's network view)
    outlives the test. Then, in a background thread while the next test runs, every table with
    rows is truncated and the template's rows and sequence positions are put back, with
    triggers off for that one transaction. A copy is reused only if its catalog fingerprint
    (`_CATALOG_FINGERPRINT`) still equals the template's: one whose test changed the schema, a
    trigger's state, a grant or a setting is dropped.
    PROSPECTING_TEST_PG_FRESH=1 drops every copy instead (the old behaviour).
    """

    def __init__(self) -> None:
        self.admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        self.run_id = uuid.uuid4().hex[:8]
        self.templates: dict[str, str] = {}
        self.created: list[str] = []
        self.reuse = os.environ.get("PROSPECTING_TEST_PG_FRESH") != "1"
        self._kind: dict[str, str] = {}  # copy name -> "tenant" | "graph"
        self._spare: dict[str, list[str]] = {"tenant": [], "graph": []}
        self._pending: dict[str, list[Future[str | None]]] = {"tenant": [], "graph": []}
        self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-reset")
        self._lock = threading.Lock()
        self._state: dict[str, _Template] = {}

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
        self.template_pair()
        return self._copy("tenant"), self._copy("graph")

    def _copy(self, kind: str) -> str:
        pending = self._pending[kind]
        while pending and (pending[0].done() or len(pending) >= 2):
            recycled = pending.pop(0).result()  # waits only while two are being reset
            if recycled is not None:
                self._spare[kind].append(recycled)
        if self._spare[kind]:
            name = self._spare[kind].pop()
        else:
            name = self._new_name(kind)
            self._create(name, self.templates[kind])
            self._kind[name] = kind
            if kind not in self._state:
                self._state[kind] = self._read_state(name)
        return self.url(name)

    def _new_name(self, kind: str) -> str:
        return f"pt_{self.run_id}_{uuid.uuid4().hex[:8]}_{kind[0]}"

    def _read_state(self, name: str) -> _Template:
        engine = create_engine(self.url(name))
        try:
            with engine.connect() as conn:
                rows = []
                for (table,) in conn.execute(text(_TABLES)):
                    data = conn.execute(
                        text(f"SELECT coalesce(json_agg(t), '[]')::text FROM {table} AS t")  # noqa: S608
                    ).scalar_one()
                    if data != "[]":
                        rows.append((table, data))
                sequences = [(s, v) for s, v in conn.execute(text(_SEQUENCES))]
                fingerprint = conn.execute(text(_CATALOG_FINGERPRINT)).scalar_one()
        finally:
            engine.dispose()
        return _Template(fingerprint, rows, sequences)

    def _retire(self, name: str) -> str | None:
        """Take a used copy away from whatever still holds it: terminate the connections to it
        (as DROP ... WITH (FORCE) does) and rename it, so the URL its test had stops working
        as if the database were gone. The new name, or None if it could not be renamed."""
        new = self._new_name(self._kind[name])
        for _ in range(50):
            try:
                with self.admin.connect() as conn:
                    conn.execute(
                        text(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = :name AND pid <> pg_backend_pid()"
                        ),
                        {"name": name},
                    )
                    conn.execute(text(f'ALTER DATABASE "{name}" RENAME TO "{new}"'))
            except OperationalError:  # a terminated backend still on its way out
                time.sleep(0.02)
                continue
            with self._lock:
                self.created[self.created.index(name)] = new
                self._kind[new] = self._kind.pop(name)
            return new
        return None

    def _reset(self, name: str, kind: str) -> bool:
        """Put a retired copy back in its template's state; False if it cannot be."""
        state = self._state[kind]
        engine = create_engine(self.url(name), poolclass=NullPool)
        try:
            with engine.begin() as conn:
                if conn.execute(text(_CATALOG_FINGERPRINT)).scalar_one() != state.fingerprint:
                    return False
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                tables = list(conn.execute(text(_TABLES)).scalars())
                probe = " UNION ALL ".join(
                    f"SELECT '{t}' WHERE EXISTS (SELECT FROM {t})"  # noqa: S608 (from pg_tables)
                    for t in tables
                )
                used = list(conn.execute(text(probe)).scalars())
                if used:  # the tables with rows (an empty one is as the template left it)
                    conn.execute(text(f"TRUNCATE {', '.join(used)} CASCADE"))
                for table, data in state.rows:
                    conn.execute(
                        text(
                            f"INSERT INTO {table} SELECT * FROM "  # noqa: S608 (from pg_tables)
                            f"json_populate_recordset(NULL::{table}, CAST(:data AS json))"
                        ),
                        {"data": data},
                    )
                for sequence, value in state.sequences:
                    if value is None:
                        conn.execute(text(f"ALTER SEQUENCE {sequence} RESTART"))
                    else:
                        conn.execute(text("SELECT setval(:s, :v)"), {"s": sequence, "v": value})
        except Exception:
            return False
        finally:
            engine.dispose()
        return True

    def _recycle(self, name: str, kind: str) -> str | None:
        """In the background: a retired, reset copy's new name, or None (then dropped)."""
        try:
            fresh = self._reset(name, kind)
        except Exception:
            fresh = False
        if fresh:
            return name
        self._drop_now(name)
        return None

    def drop(self, url: str) -> None:
        """Done with a database: a copy is retired now and reset in the background, anything
        else (or a copy that cannot be retired) is dropped."""
        name = url.rsplit("/", 1)[1]
        kind = self._kind.get(name)
        if kind is not None and self.reuse:
            retired = self._retire(name)
            if retired is not None:
                self._pending[kind].append(self._background.submit(self._recycle, retired, kind))
                return
        self._drop_now(name)

    def _drop_now(self, name: str) -> None:
        with self._lock:
            self._kind.pop(name, None)
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        with self._lock:
            if name in self.created:
                self.created.remove(name)

    def close(self) -> None:
        """Drop every database this process made, copies and templates, all at once: each DROP
        waits for a checkpoint and concurrent ones share it (the templates, dropped one by one
        after the copies, cost two more checkpoints at the end of every worker's run)."""
        self._background.shutdown(wait=True)  # no copy is being reset or made any more
        names = list(reversed(self.created))  # the templates too: nothing copies them now
        if names:
            with ThreadPoolExecutor(max_workers=min(len(names), 16)) as pool:  # connections
                list(pool.map(self._drop_now, names))
        self.admin.dispose()


RUN_FIRST = (
    "demo/test_simulation.py",
    "graph/test_graph_demo.py",
    "workflows/test_crash_order.py",
    "test_startup.py",
    "demo/test_demo_coop.py",
    "test_workers.py",
    "edges/test_schemathesis.py",
    "graph/test_batch_linking.py",
    "edges/test_mcp_copilot_day.py",
    "qualify/test_qualify_demo.py",
    "demo/test_coop_simulation.py",
    "test_mcp_stdio.py",
)
"""Modules with the longest single tests (10-45 s each: demo seeds and replays, child processes,
schemathesis's build of POST /prospects/inbound), longest first. They run before everything else
so that under pytest-xdist the two workers share them from the start and the run does not end
with one worker finishing a long test alone while the other idles (in collection order most of
them came last: tests/test_*.py and tests/workflows sort after the packages). Whole modules
move, in their own order, so module-scoped fixtures are still set up once per worker."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    rank = {module: i for i, module in enumerate(RUN_FIRST)}

    def order(item: pytest.Item) -> int:
        if not item.path.is_relative_to(here):
            return len(rank)
        return rank.get(item.path.relative_to(here).as_posix(), len(rank))

    items.sort(key=order)


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
def fresh_tenant_url(
    db_urls: DatabaseUrls, tmp_path: Path, pg_server: PgServer | None
) -> Iterator[str]:
    """An empty tenant store on the test's backend."""
    if db_urls.backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh-tenant.sqlite3'}"
        return
    assert pg_server is not None
    name = f"pt_{pg_server.run_id}_{uuid.uuid4().hex[:8]}_fresh"
    with pg_server.admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    pg_server.created.append(name)
    url = pg_server.url(name)
    yield url
    pg_server.drop(url)


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
