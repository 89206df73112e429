"""Engines, sessions and declarative bases for the two stores, and the graph availability policy.

The graph store is the contract's "network": it may be unreachable while the tenant store is
fine. Its engine has connect and statement timeouts (a frozen link is cut by a watchdog, since a
server-side timeout cannot answer through it), and one error listener turns any outage of that
engine, and only that engine, into `GraphUnavailable`. After an outage the store is not tried
again for `graph_retry_after_seconds`, so a dead link costs one timeout, not one per request.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import itertools
import logging
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Engine,
    Enum,
    MetaData,
    String,
    Table,
    TypeDecorator,
    bindparam,
    create_engine,
    event,
    false,
    insert,
)
from sqlalchemy.engine import Connection, Dialect, ExceptionContext, make_url
from sqlalchemy.orm import (
    DeclarativeBase,
    Session,
    class_mapper,
    make_transient_to_detached,
    sessionmaker,
)
from sqlalchemy.orm.attributes import instance_state

from prospecting.errors import GraphUnavailable, NotFound

if TYPE_CHECKING:
    from prospecting.config import Settings

log = logging.getLogger("prospecting.graph")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLITE_BUSY_SECONDS = 30
SQLITE_CHECKPOINT_BACKSTOP_PAGES = 8000
"""WAL pages at which a committing connection checkpoints itself (SQLite's own autocheckpoint,
1,000 by default): only reached when the background checkpointer falls behind or is stopped."""
READ_ONLY = {"sqlite_begin": "DEFERRED"}
"""Execution options of a read transaction: on SQLite it does not take the write lock."""
AT_ONCE = {"sqlite_begin": "AT_ONCE"}
"""Execution options of a write transaction that must not wait: on SQLite its BEGIN raises
`WriterBusy` when another writer (a thread of this process or another process) holds the
write lock; on PostgreSQL they change nothing."""


class WriterBusy(Exception):
    """A transaction begun `AT_ONCE` found SQLite's write lock taken. Raised at its BEGIN,
    before any statement: nothing was written, and the work can start over where waiting is
    harmless (a worker thread)."""


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both backends (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class TenantBase(DeclarativeBase):
    """Per-Person rows; the only place raw PII lives."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class GraphBase(DeclarativeBase):
    """Network-shared, anonymised rows keyed on hashes and opaque subject keys."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def new_id() -> str:
    return uuid.uuid4().hex


def ordered_id() -> str:
    """A UUIDv7 as 32 hex digits: 48 bits of Unix milliseconds, then 74 random bits. For rows
    appended all the time (audit rows): ids of the same millisecond order at random, but the
    index on them grows at its right edge instead of taking a random page per insert."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10))  # 80 bits, 74 used
    value = (
        (millis & (1 << 48) - 1) << 80
        | 0x7 << 76  # version 7
        | (rand >> 62 & 0xFFF) << 64
        | 0b10 << 62  # RFC 9562 variant
        | rand & (1 << 62) - 1
    )
    return f"{value:032x}"


def utcnow() -> datetime:
    return datetime.now(UTC)


ID = String(32)
_StrEnum = TypeVar("_StrEnum", bound=enum.StrEnum)


def status_type(values: type[_StrEnum], length: int = 16) -> Enum:
    """A status column typed by its StrEnum: stored as the value in a VARCHAR on both backends
    (no native enum, so adding a member needs no migration); a value outside it is refused."""
    return Enum(
        values,
        native_enum=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


_Owned = TypeVar("_Owned")


def owned(
    session: Session,
    model: type[_Owned],
    row_id: str,
    *,
    person_id: str,
    kind: str,
    lock: bool = False,
) -> _Owned:
    """The one ownership lookup: a tenant row of `person_id`, else NotFound (another tenant's
    row answers exactly like a missing one). `lock` re-reads it under a row lock."""
    row = session.get(model, row_id, with_for_update=lock or None, populate_existing=lock)
    if row is None or getattr(row, "person_id", None) != person_id:
        raise NotFound(kind)
    return row


def core(session: Session) -> Connection:
    """The session's connection, in the session's transaction, for statements built once (at
    module level, with `bindparam`) on a hot path: executing them here skips the ORM's per-call
    work (building the statement, its ORM compile step and result setup), which costs more
    than SQLite's own execution of a short indexed read. Anything the session holds pending is
    flushed first, as an ORM query's autoflush would (a no-op on a clean session), so a read
    here sees the caller's own unflushed changes."""
    session.flush()
    return session.connection()


def one_of(column: ColumnElement[Any], name: str, size: int) -> ColumnElement[bool]:
    """`column IN (:name_0, ..., :name_<size-1>)`, a list of fixed length for a statement built
    once per length (`list_params` gives its values). An expanding IN would render and bind
    its SQL again on every execution, which costs a short indexed read twice its own time.
    An empty list matches nothing (FALSE: no anonymous parameter to clash with `name_<i>`)."""
    if size == 0:
        return false()
    return column.in_([bindparam(f"{name}_{i}") for i in range(size)])


def list_params(name: str, values: Sequence[Any]) -> dict[str, Any]:
    """The parameters of `one_of(column, name, len(values))`."""
    return {f"{name}_{i}": value for i, value in enumerate(values)}


_Mapped = TypeVar("_Mapped", bound=DeclarativeBase)


def attach(session: Session, model: type[_Mapped], values: dict[str, Any]) -> _Mapped:
    """A row written or read through Core (every column given) as a persistent object of the
    session, exactly as a flush or a load leaves it: the values go straight into the instance's
    dict, without the per-attribute events of the constructor."""
    mapper = class_mapper(model)  # configures the mappers on first use, as any ORM query does
    obj: _Mapped = mapper.class_manager.new_instance()
    instance_state(obj).dict.update(values)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


def insert_rows(
    session: Session, model: type[_Mapped], values: Sequence[Mapping[str, Any]]
) -> list[_Mapped]:
    """INSERT rows given every column through Core (one statement; several rows: one
    executemany) and return them as persistent objects of the session, exactly as a flush
    would have left them, without the unit of work's bookkeeping. For hot paths that make
    every value themselves (client-side ids and times).

    A missing column is an error (`KeyError`), never a silent NULL or an unloaded attribute
    that a later access would read back from the database. A later change to a returned
    object is flushed as an UPDATE, as for any loaded row."""
    if not values:
        return []
    table = model.__table__
    assert isinstance(table, Table)
    names = [column.key for column in table.columns]
    full = [{name: row[name] for name in names} for row in values]
    core(session).execute(insert_into(table), full)  # after anything pending they may refer to
    return [attach(session, model, row) for row in full]


def insert_into(table: Table) -> Any:
    """`INSERT INTO table`, built once per table (a statement built per call costs more than
    SQLite takes to run a short insert)."""
    statement = _INSERTS.get(table)
    if statement is None:
        statement = _INSERTS[table] = insert(table)
    return statement


_INSERTS: dict[Table, Any] = {}


def loaded(session: Session, model: type[_Mapped], values: dict[str, Any]) -> _Mapped:
    """A row read through Core (every column) as the session's persistent object: the one the
    session holds already, if any (as an ORM query would return it), else `attach`'s."""
    mapper = class_mapper(model)
    key = mapper.identity_key_from_primary_key(
        tuple(values[str(column.key)] for column in mapper.primary_key)
    )
    held: _Mapped | None = session.identity_map.get(key)
    return held if held is not None else attach(session, model, values)


def normalize_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever driver the URL names."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(
    url: str,
    *,
    connect_timeout: int | None = None,
    statement_timeout: float | None = None,
    **kwargs: Any,
) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout on every connection.

    Parameters are hidden from logs and error messages: they carry tenant PII.
    """
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _private_file(Path(parsed.database))
        busy = statement_timeout if statement_timeout is not None else SQLITE_BUSY_SECONDS
        engine = create_engine(url, connect_args={"timeout": busy}, hide_parameters=True, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        checkpointer = None
        if parsed.database and parsed.database != ":memory:":
            checkpointer = _Checkpointer(parsed.database)
            checkpointer.install(engine)
        _WriterTurn(busy, after_write=checkpointer.nudge if checkpointer else None).install(engine)
        return engine
    connect_args: dict[str, Any] = {}
    if connect_timeout is not None:
        connect_args["connect_timeout"] = connect_timeout
    if statement_timeout is not None:
        connect_args["options"] = f"-c statement_timeout={int(statement_timeout * 1000)}"
    # No pre-ping on a timed engine: a ping cannot be timed, and a dead connection is found
    # (and the pool invalidated) by the first statement instead.
    engine = create_engine(
        url,
        pool_pre_ping=statement_timeout is None,
        hide_parameters=True,
        connect_args=connect_args,
        **kwargs,
    )
    if statement_timeout is not None:
        _Watchdog(statement_timeout + 1.0).install(engine)
    return engine


def _private_file(path: Path) -> None:
    """Create a SQLite store owner-only (0600): it holds tenant PII. SQLite gives its -wal and
    -shm files the main file's mode, so they are 0600 too."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA recursive_triggers=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


_BEGIN = "prospecting_begin"
"""The connection's `info` key: how its next transaction begins (`_WriterTurn`)."""


class _Begin(enum.Enum):
    DEFERRED = "deferred"  # a read: never takes the write lock
    IMMEDIATE = "immediate"  # a writer that holds its turn
    WITHOUT_TURN = "without turn"  # a writer whose turn did not come in time
    AT_ONCE = "at once"  # a writer that must not wait, holding its turn
    TAKEN = "taken"  # a writer that must not wait, whose turn another writer holds


class _WriterTurn:
    """SQLite's one writer at a time, handed over at once between this process's threads.

    Writers take the write lock at BEGIN (`BEGIN IMMEDIATE`) so they queue instead of failing
    mid-way; read transactions (`READ_ONLY`) begin deferred and never wait on, or block, a
    writer (WAL). A writer that finds the lock taken would wait in SQLite's busy handler, which
    sleeps and polls (up to 100 ms between tries): under concurrent writes the lock sits idle
    while waiters sleep, and latency grows long tails. So writers of one process first take
    their turn here (a mutex per engine, that is per database file and process; released right
    after the COMMIT or ROLLBACK), then BEGIN IMMEDIATE, which then only waits for other
    processes. A turn not had within the busy timeout fails as SQLite fails, `database is
    locked`, through the engine's error handling (the HTTP edge answers 503 with Retry-After;
    on the graph store, its availability policy applies)."""

    def __init__(self, timeout: float, after_write: Callable[[], None] | None = None) -> None:
        self.timeout = timeout
        self._after_write = after_write  # told when a writer's turn ends (the checkpointer)
        self._lock = threading.Lock()
        self._holder: int | None = None  # id() of the DB-API connection holding the turn

    @staticmethod
    def of(engine: Engine) -> _WriterTurn | None:
        """The turn of a SQLite engine made by `make_engine` (None for any other)."""
        turn = getattr(engine.dialect, "prospecting_writer_turn", None)
        return turn if isinstance(turn, _WriterTurn) else None

    def held(self) -> bool:
        return self._lock.locked()

    def install(self, engine: Engine) -> None:
        engine.dialect.prospecting_writer_turn = self  # type: ignore[attr-defined]
        event.listen(engine, "begin", self._begin)
        dialect = engine.dialect  # this engine's own instance: wrap its transaction calls
        # COMMIT and ROLLBACK end a turn; so does closing the connection (an invalidated one
        # is closed without a ROLLBACK), so a lost connection never keeps the turn
        for name in ("do_commit", "do_rollback", "do_close"):
            setattr(dialect, name, self._ending(getattr(dialect, name)))
        dialect.do_begin = self._do_begin  # type: ignore[method-assign,assignment]

    def _begin(self, conn: Any) -> None:
        """Decide how the transaction begins, taking the writer's turn first; `_do_begin`
        then sends the BEGIN."""
        option = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        if option == "DEFERRED":
            how = _Begin.DEFERRED
        elif option == "AT_ONCE" and not self._lock.acquire(blocking=False):
            how = _Begin.TAKEN  # raising here would leave the engine mid-BEGIN: see _do_begin
        elif option == "AT_ONCE":
            self._holder = id(conn.connection.dbapi_connection)
            how = _Begin.AT_ONCE
        elif self._lock.acquire(timeout=self.timeout):
            self._holder = id(conn.connection.dbapi_connection)
            how = _Begin.IMMEDIATE
        else:  # no turn within the busy timeout: try once, and fail the way SQLite fails
            how = _Begin.WITHOUT_TURN
        conn.connection.info[_BEGIN] = how

    def _do_begin(self, connection: Any) -> None:
        """The dialect's BEGIN (pysqlite's own sends none: it runs with `isolation_level`
        None), straight to the driver: an `exec_driver_sql` costs a whole statement's trip
        through the engine, about a tenth of a one-statement transaction. SQLAlchemy calls
        this inside its error handling, so a failed BEGIN (`database is locked` after the
        busy timeout) is the engine's `OperationalError`, the graph store's availability
        policy included."""
        how = connection.info.pop(_BEGIN, _Begin.IMMEDIATE)
        driver = connection.driver_connection
        if how is _Begin.DEFERRED:
            driver.execute("BEGIN DEFERRED")
        elif how is _Begin.TAKEN:  # inside the engine's error handling, which is not an
            # outage for the graph's availability policy (`_is_outage`)
            raise WriterBusy("another writer of this process holds the write lock")
        elif how is _Begin.AT_ONCE:
            try:
                self._begin_without_waiting(driver)
            except sqlite3.OperationalError as failed:  # another process's writer
                if not _is_busy(failed):
                    raise
                raise WriterBusy("another process holds the write lock") from failed
        elif how is _Begin.WITHOUT_TURN:  # the holder may just have finished: no waiting
            self._begin_without_waiting(driver)
        else:  # only other processes' writers can make it wait; if it fails, the engine's
            # ROLLBACK of the failed transaction gives the turn back
            driver.execute("BEGIN IMMEDIATE")

    def _begin_without_waiting(self, driver: Any) -> None:
        driver.execute("PRAGMA busy_timeout = 0")
        try:
            driver.execute("BEGIN IMMEDIATE")
        finally:
            driver.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")

    def _ending(self, call: Callable[[Any], None]) -> Callable[[Any], None]:
        @functools.wraps(call)
        def ended(dbapi_connection: Any) -> None:
            try:
                call(dbapi_connection)
            finally:
                self._release(id(getattr(dbapi_connection, "dbapi_connection", dbapi_connection)))

        return ended

    def _release(self, holder: int | None) -> None:
        if holder is not None and self._holder == holder:
            self._holder = None
            self._lock.release()
            if self._after_write is not None:
                self._after_write()


class _Checkpointer:
    """Copies a SQLite store's WAL back into its database file on a thread of its own, so no
    request pays for it.

    Left to itself, SQLite checkpoints inside the COMMIT that takes the WAL past 1,000 pages:
    that one commit copies every page back and syncs both files (about 10 ms here, against
    0.03 ms for an ordinary commit), and on a busy store one commit in twenty or so does it.
    Here a writer's end of turn nudges this thread, which gathers the commits of the next
    `interval` seconds and runs one `PRAGMA wal_checkpoint(PASSIVE)` on a connection of its
    own: passive never waits for, nor blocks, readers or writers, and Python's sqlite3 lets go
    of the GIL while SQLite copies, so the copy runs beside the requests. Pages rewritten
    within the interval are copied once. The pooled connections keep SQLite's autocheckpoint
    at `SQLITE_CHECKPOINT_BACKSTOP_PAGES`, so the WAL stays bounded should this thread fall
    behind or fail. The thread ends after `idle` seconds without a write (the next write
    starts another), so an idle or forgotten engine holds no thread and no file open.
    """

    def __init__(self, path: str, *, interval: float = 0.05, idle: float = 5.0) -> None:
        self.path = str(Path(path).absolute())  # where the engine's file is now
        self.interval = interval
        self.idle = idle
        self._wake = threading.Event()
        self._halt = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._pid = os.getpid()
        self.checkpoints = 0  # passive checkpoints run (for tests and benches)

    @staticmethod
    def of(engine: Engine) -> _Checkpointer | None:
        found = getattr(engine.dialect, "prospecting_checkpointer", None)
        return found if isinstance(found, _Checkpointer) else None

    def install(self, engine: Engine) -> None:
        engine.dialect.prospecting_checkpointer = self  # type: ignore[attr-defined]
        event.listen(engine, "connect", self._backstop)

    @staticmethod
    def _backstop(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute(f"PRAGMA wal_autocheckpoint = {SQLITE_CHECKPOINT_BACKSTOP_PAGES}")

    def nudge(self) -> None:
        """A write committed (or rolled back): checkpoint soon."""
        if self._pid != os.getpid():  # a forked child: the parent's thread did not come along
            self._lock, self._thread = threading.Lock(), None
            self._wake, self._halt = threading.Event(), threading.Event()
            self._pid = os.getpid()
        with self._lock:
            self._wake.set()
            if self._thread is None and not self._stopping:
                self._thread = threading.Thread(
                    target=self._run, name=f"sqlite-checkpoint:{Path(self.path).name}", daemon=True
                )
                self._thread.start()

    def stop(self) -> None:
        """End the thread, after the checkpoint under way if any (`Stores.dispose`); a later
        write starts another."""
        with self._lock:
            self._stopping, thread = True, self._thread
            self._wake.set()
            self._halt.set()
        if thread is not None:
            thread.join()
        with self._lock:
            self._stopping = False
            self._halt.clear()

    def _run(self) -> None:
        me = threading.current_thread()
        try:
            while True:
                woken = self._wake.wait(self.idle)
                with self._lock:
                    if self._stopping or not (woken or self._wake.is_set()):
                        self._thread = None  # stopped, or idle: the next write starts another
                        return
                self._halt.wait(self.interval)  # gather the commits of the next moment
                with self._lock:
                    if self._stopping:  # closing the engine's connections checkpoints anyway
                        return
                    self._wake.clear()  # under the lock: a stop() meanwhile is not missed
                self._checkpoint()
        finally:
            with self._lock:
                if self._thread is me:
                    self._thread = None

    def _checkpoint(self) -> None:
        try:
            # mode=rw: a store deleted meanwhile is not created again; timeout 0: a checkpoint
            # already under way (another process's) is not waited for
            connection = sqlite3.connect(
                f"{Path(self.path).as_uri()}?mode=rw",
                uri=True,
                timeout=0,
                isolation_level=None,
            )
            try:
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                self.checkpoints += 1
            finally:
                connection.close()
        except sqlite3.Error as exc:  # the backstop keeps the WAL bounded; try again next time
            log.warning(
                "background checkpoint failed",
                extra={"graph_operation": "checkpoint", "error_class": type(exc).__name__},
            )


class _Watchdog:
    """Cuts a PostgreSQL connection whose round trip to the server outlives the deadline.

    The server's statement_timeout cancels a slow statement, but through a link that stopped
    forwarding neither the cancel nor the error can arrive; shutting the socket down wakes the
    waiting thread with a disconnect, which the pool treats as such.

    It wraps the engine's own dialect calls that wait on the server, so it covers every
    statement and also COMMIT and ROLLBACK, including the pool's rollback on return: cursor
    events alone leave a commit on a frozen link waiting forever.
    """

    _CURSOR_CALLS = ("do_execute", "do_executemany", "do_execute_no_params")
    _CONNECTION_CALLS = ("do_commit", "do_rollback")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._due: dict[int, tuple[float, Any]] = {}  # call token -> (deadline, DBAPI connection)
        self._tokens = itertools.count()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def install(self, engine: Engine) -> None:
        # create_engine gives every engine a dialect instance of its own: this engine only.
        dialect = engine.dialect
        for name in self._CURSOR_CALLS:
            setattr(dialect, name, self._guard(getattr(dialect, name), _cursor_connection))
        for name in self._CONNECTION_CALLS:
            setattr(dialect, name, self._guard(getattr(dialect, name), _same_connection))

    def _guard(self, call: Callable[..., Any], target: Callable[[Any], Any]) -> Callable[..., Any]:
        @functools.wraps(call)
        def guarded(first: Any, *args: Any, **kwargs: Any) -> Any:
            token = self._arm(target(first))
            try:
                return call(first, *args, **kwargs)
            finally:
                self._disarm(token)

        return guarded

    def _arm(self, dbapi_conn: Any) -> int:
        token = next(self._tokens)
        with self._changed:
            self._due[token] = (time.monotonic() + self.seconds, dbapi_conn)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._watch, name="graph-watchdog", daemon=True
                )
                self._thread.start()
            self._changed.notify()
        return token

    def _disarm(self, token: int) -> None:
        with self._changed:
            self._due.pop(token, None)

    def _watch(self) -> None:
        """One thread for the engine: cuts each call still running at its deadline (a call
        that finished first has left `_due`, under the same lock, so it is never cut)."""
        with self._changed:
            while True:
                now = time.monotonic()
                for token, (deadline, conn) in list(self._due.items()):
                    if deadline <= now:
                        del self._due[token]
                        _cut(conn)
                soonest = min((d for d, _ in self._due.values()), default=None)
                self._changed.wait(None if soonest is None else max(soonest - now, 0.0))


def _cursor_connection(cursor: Any) -> Any:
    return cursor.connection


def _same_connection(connection: Any) -> Any:
    return connection


def _cut(dbapi_conn: Any) -> None:
    """Shut the connection's socket down (not close it: the waiting thread owns the fd)."""
    with contextlib.suppress(Exception):  # already closed or lost: nothing left to cut
        fd = dbapi_conn.pgconn.socket
        with socket.socket(fileno=socket.dup(fd)) as sock:
            sock.shutdown(socket.SHUT_RDWR)


@dataclass
class GraphAvailability:
    """The one place a graph-store failure becomes `GraphUnavailable` (then 503 on writes,
    a degraded answer on reads); a breaker skips the store for a while after an outage."""

    retry_after: float
    _open_until: float = field(default=0.0, repr=False)

    def install(self, engine: Engine) -> None:
        event.listen(engine, "handle_error", self._on_error)
        event.listen(engine, "before_cursor_execute", self._check)
        event.listen(engine, "do_connect", self._check_connect)

    @property
    def is_open(self) -> bool:
        return time.monotonic() < self._open_until

    def reset(self) -> None:
        self._open_until = 0.0

    def _check(self, conn: Any, *_args: Any) -> None:
        """While open, no statement goes out; the connection is dropped, so the rollback that
        follows does not go to the wire either (through a frozen link it would wait)."""
        if self.is_open:
            conn.invalidate()
            self._reject()

    def _check_connect(self, *_args: Any) -> None:
        if self.is_open:
            self._reject()

    @staticmethod
    def _reject() -> None:
        raise GraphUnavailable("the graph store is unreachable; try again later")

    def _on_error(self, context: ExceptionContext) -> None:
        if isinstance(context.original_exception, GraphUnavailable):
            raise context.original_exception
        if not _is_outage(context.original_exception, context.is_disconnect):
            return
        self._open_until = time.monotonic() + self.retry_after
        log.warning(
            "graph store unreachable; degraded mode until it answers again",
            extra={
                "graph_operation": "store",
                "error_class": type(context.original_exception).__name__,
            },
        )
        raise GraphUnavailable("the graph store is unreachable; try again later") from None


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    """SQLite's `database is locked` (SQLITE_BUSY) or a table lock (SQLITE_LOCKED)."""
    return any(m in str(exc) for m in ("locked", "busy"))


def _is_outage(exc: BaseException, is_disconnect: bool) -> bool:
    """Connection loss, timeouts and a store too busy to answer; not a bad statement."""
    if is_disconnect:
        return True
    if isinstance(exc, sqlite3.OperationalError):
        return _is_busy(exc) or any(m in str(exc) for m in ("unable to open", "disk I/O"))
    sqlstate = getattr(exc, "sqlstate", None)
    if sqlstate is not None:
        # connection exception, operator intervention (57014: statement_timeout), and a server
        # with no connection slot left (too_many_connections)
        return str(sqlstate).startswith(("08", "57")) or sqlstate == "53300"
    module = type(exc).__module__ or ""
    return module.startswith("psycopg") and type(exc).__name__ in {
        "OperationalError",
        "InterfaceError",
        "ConnectionTimeout",
    }


@dataclass
class Stores:
    """The tenant store and the graph store, each with its own engine and session factory."""

    tenant_engine: Engine
    graph_engine: Engine
    graph_availability: GraphAvailability | None = None

    def __post_init__(self) -> None:
        self.tenant_sessions = sessionmaker(self.tenant_engine, expire_on_commit=False)
        self.tenant_read_sessions = sessionmaker(
            self.tenant_engine.execution_options(**READ_ONLY), expire_on_commit=False
        )
        self.graph_sessions = sessionmaker(self.graph_engine, expire_on_commit=False)
        self.graph_read_sessions = sessionmaker(
            self.graph_engine.execution_options(**READ_ONLY), expire_on_commit=False
        )
        self.graph_at_once_sessions = sessionmaker(
            self.graph_engine.execution_options(**AT_ONCE), expire_on_commit=False
        )
        if self.graph_availability is None:
            self.graph_availability = GraphAvailability(retry_after=0.0)
        self.graph_availability.install(self.graph_engine)

    @classmethod
    def from_urls(cls, tenant_url: str, graph_url: str) -> Stores:
        return cls(make_engine(tenant_url), make_engine(graph_url))

    @classmethod
    def from_settings(cls, settings: Settings) -> Stores:
        graph = make_engine(
            settings.resolved_graph_url,
            connect_timeout=settings.graph_connect_timeout_seconds,
            statement_timeout=settings.graph_statement_timeout_seconds,
            pool_size=settings.pool_size,
            max_overflow=0,
        )
        availability = GraphAvailability(retry_after=settings.graph_retry_after_seconds)
        tenant = make_engine(
            settings.resolved_tenant_url,
            pool_size=settings.pool_size,
            max_overflow=0,
            pool_timeout=settings.admission_wait_seconds,
        )
        return cls(tenant, graph, availability)

    @contextmanager
    def tenant(self) -> Iterator[Session]:
        """One transaction: committed on success, rolled back on any error."""
        with self.tenant_sessions.begin() as session:
            yield session

    @contextmanager
    def tenant_read(self) -> Iterator[Session]:
        """A read transaction that never takes (or waits for) SQLite's write lock. It begins
        at its first statement: a path that reads nothing from the tenant (a link given its
        chain) costs no transaction."""
        with self._lazy(self.tenant_read_sessions) as session:
            yield session

    @contextmanager
    def graph(self) -> Iterator[Session]:
        """One graph transaction. A read path that degraded rolls back inside; then there is
        nothing left to commit."""
        with self._lazy(self.graph_sessions) as session:
            yield session

    @contextmanager
    def graph_at_once(self) -> Iterator[Session]:
        """`graph()` for a caller that must not wait (the event loop): on SQLite its
        transaction raises `WriterBusy` at its BEGIN when another writer holds the write lock,
        before anything is written. On PostgreSQL, the same as `graph()`."""
        with self._lazy(self.graph_at_once_sessions) as session:
            yield session

    @contextmanager
    def graph_read(self) -> Iterator[Session]:
        """A graph read transaction (SQLite: deferred, never waits for the write lock); for
        reads that write nothing, not even an audit row."""
        with self._lazy(self.graph_read_sessions) as session:
            yield session

    @staticmethod
    @contextmanager
    def _lazy(sessions: sessionmaker[Session]) -> Iterator[Session]:
        """A session whose transaction begins at its first use and, if it began, commits on
        success and rolls back on any error."""
        session = sessions()
        try:
            yield session
            if session.in_transaction():
                session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        for engine in (self.tenant_engine, self.graph_engine):
            checkpointer = _Checkpointer.of(engine)
            if checkpointer is not None:
                checkpointer.stop()
            engine.dispose()
