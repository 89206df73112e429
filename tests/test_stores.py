"""Both stores migrate; SQLite runs in WAL mode with foreign keys enforced; what counts as a
graph outage."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import event, inspect, text
from sqlalchemy.exc import IntegrityError, OperationalError

from prospecting.db import (
    AT_ONCE,
    SQLITE_CHECKPOINT_BACKSTOP_PAGES,
    GraphAvailability,
    Stores,
    WriterBusy,
    _Checkpointer,
    _is_outage,
    _WriterTurn,
    make_engine,
    ordered_id,
)
from prospecting.errors import GraphUnavailable
from prospecting.identity.models import Person
from prospecting.prospects.models import Touchpoint


def test_tenant_tables_exist(runtime):
    tables = set(inspect(runtime.stores.tenant_engine).get_table_names())
    assert {
        "persons",
        "api_tokens",
        "prospects",
        "prospect_touchpoints",
        "prospect_identifiers",
        "merge_suggestions",
        "orgs",
    } <= tables


def test_sqlite_pragmas(runtime, db_urls):
    if db_urls.backend != "sqlite":
        pytest.skip("SQLite only")
    with runtime.stores.tenant_engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_foreign_keys_are_enforced(runtime):
    with pytest.raises(IntegrityError), runtime.stores.tenant() as session:
        session.add(
            Touchpoint(
                prospect_id="missing", person_id="missing", kind="message", direction="inbound"
            )
        )
        session.flush()


@pytest.mark.parametrize(
    ("exc", "is_disconnect", "outage"),
    [
        pytest.param(ValueError("anything"), True, True, id="driver-says-disconnect"),
        pytest.param(psycopg.OperationalError("consuming input failed"), False, True, id="lost"),
        pytest.param(psycopg.errors.ConnectionTimeout("timed out"), False, True, id="connect"),
        pytest.param(psycopg.InterfaceError("the connection is closed"), False, True, id="closed"),
        pytest.param(psycopg.errors.ConnectionFailure("08006"), False, True, id="08006"),
        pytest.param(psycopg.errors.QueryCanceled("statement timeout"), False, True, id="57014"),
        pytest.param(psycopg.errors.AdminShutdown("shutdown"), False, True, id="57P01"),
        pytest.param(psycopg.errors.CannotConnectNow("starting up"), False, True, id="57P03"),
        pytest.param(psycopg.errors.TooManyConnections("no slot"), False, True, id="53300"),
        pytest.param(sqlite3.OperationalError("database is locked"), False, True, id="locked"),
        pytest.param(
            sqlite3.OperationalError("unable to open database file"), False, True, id="unopenable"
        ),
        pytest.param(psycopg.errors.UndefinedTable("no table"), False, False, id="42P01"),
        pytest.param(psycopg.errors.UniqueViolation("duplicate"), False, False, id="23505"),
        pytest.param(psycopg.errors.SerializationFailure("retry"), False, False, id="40001"),
        pytest.param(psycopg.errors.DeadlockDetected("deadlock"), False, False, id="40P01"),
        pytest.param(psycopg.errors.LockNotAvailable("lock timeout"), False, False, id="55P03"),
        pytest.param(sqlite3.OperationalError("no such table: x"), False, False, id="sqlite-sql"),
        pytest.param(ValueError("not a database error"), False, False, id="other"),
    ],
)
def test_outage_is_connection_loss_timeouts_and_a_busy_store_not_a_bad_statement(
    exc: BaseException, is_disconnect: bool, outage: bool
) -> None:
    assert _is_outage(exc, is_disconnect) is outage


def test_a_bad_statement_on_the_graph_engine_is_not_an_outage() -> None:
    engine = make_engine("sqlite:///:memory:")
    breaker = GraphAvailability(retry_after=60.0)
    breaker.install(engine)
    with pytest.raises(OperationalError, match="no such table"), engine.connect() as conn:
        conn.execute(text("SELECT * FROM missing"))
    assert not breaker.is_open
    engine.dispose()


def test_an_unreachable_graph_store_opens_the_breaker_which_closes_after_retry_after(
    tmp_path: Path,
) -> None:
    """A connect failure is seen by the one listener; while open, nothing is tried at all."""
    unopenable = tmp_path / "a-directory"
    unopenable.mkdir()
    engine = make_engine(f"sqlite:///{unopenable}")
    breaker = GraphAvailability(retry_after=0.2)
    breaker.install(engine)
    attempts: list[int] = []  # listens after the breaker: counts what reaches the driver
    event.listen(engine, "do_connect", lambda *_args: attempts.append(1))
    with pytest.raises(GraphUnavailable):
        engine.connect()
    assert breaker.is_open and len(attempts) == 1
    with pytest.raises(GraphUnavailable):
        engine.connect()
    assert len(attempts) == 1  # turned away before the driver was asked
    for _ in range(200):  # bounded: the breaker closes once retry_after has passed
        if not breaker.is_open:
            break
        time.sleep(0.05)
    assert not breaker.is_open
    with pytest.raises(GraphUnavailable):
        engine.connect()  # tried again (and still unreachable)
    assert len(attempts) == 2
    engine.dispose()


def test_the_tenant_engine_has_no_breaker(tmp_path: Path) -> None:
    """Only the graph engine's outages become GraphUnavailable."""
    unopenable = tmp_path / "a-directory"
    unopenable.mkdir()
    stores = Stores(make_engine(f"sqlite:///{unopenable}"), make_engine("sqlite:///:memory:"))
    with pytest.raises(OperationalError, match="unable to open"), stores.tenant() as session:
        session.execute(text("SELECT 1"))
    stores.dispose()


def test_status_columns_are_typed_by_their_enum(runtime, make_provider) -> None:
    from sqlalchemy.exc import StatementError

    from prospecting.identity.service import get_person
    from prospecting.prospects import service as prospects
    from prospecting.prospects.schemas import InboundMessage, ProspectStatus

    provider = make_provider()
    with runtime.stores.tenant() as session:
        me = get_person(session=session, person_id=provider.id)
        message = InboundMessage(channel="sms", sender_phone="07911 123456", body="Hi")
        prospect = prospects.ingest(
            session=session, actor=me, resolver=runtime.resolver, message=message
        ).prospect
        prospect_id = prospect.id
    with runtime.stores.tenant() as session:
        stored = prospects.get_prospect(session=session, actor=me, prospect_id=prospect_id)
        assert stored.status is ProspectStatus.NEW  # read back as the enum member
    with pytest.raises(StatementError, match="vip"), runtime.stores.tenant() as session:
        stored = prospects.get_prospect(session=session, actor=me, prospect_id=prospect_id)
        stored.status = "vip"  # type: ignore[assignment]
        session.flush()


def _counter_engine(tmp_path: Path, statement_timeout: float | None = None) -> Any:
    url = f"sqlite:///{tmp_path / 'turns.sqlite3'}"
    engine = make_engine(url, statement_timeout=statement_timeout)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter VALUES (0)"))
    return engine


def test_sqlite_writers_of_one_process_take_turns_without_busy_waits(tmp_path: Path) -> None:
    """Many threads writing at once all commit, one at a time, and none ever waits in
    SQLite's busy handler (which sleeps and polls): here SQLite's own busy timeout is 0, so
    a BEGIN IMMEDIATE that found the write lock taken would fail at once."""
    engine = _counter_engine(tmp_path)

    @event.listens_for(engine, "connect")
    def _no_busy_handler(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout = 0")

    engine.dispose()  # every connection from now on has it
    failures: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(20):
                with engine.begin() as conn:
                    n = conn.execute(text("SELECT n FROM counter")).scalar_one()
                    time.sleep(0.0005)  # hold the write lock a moment
                    conn.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
        except OperationalError as exc:
            failures.append(exc)

    threads = [threading.Thread(target=write) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM counter")).scalar_one() == 8 * 20
    engine.dispose()


def test_a_failed_write_gives_its_turn_back_and_reads_never_take_one(tmp_path: Path) -> None:
    engine = _counter_engine(tmp_path, statement_timeout=0.2)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("INSERT INTO counter VALUES (NULL)"))
    with engine.begin() as conn:  # the turn came back on rollback
        conn.execute(text("UPDATE counter SET n = 1"))
    with engine.begin() as writer:
        writer.execute(text("UPDATE counter SET n = 2"))
        reader = engine.execution_options(sqlite_begin="DEFERRED")
        with reader.connect() as conn, conn.begin():  # a read while a writer holds its turn
            assert conn.execute(text("SELECT n FROM counter")).scalar_one() == 1


def test_no_turn_within_the_busy_timeout_fails_as_sqlite_does(tmp_path: Path) -> None:
    """A writer that does not get its turn in time fails with `database is locked` through
    the engine's error handling (the HTTP edge's 503), and its connection stays usable."""
    engine = _counter_engine(tmp_path, statement_timeout=0.2)
    with engine.begin() as holder:
        holder.execute(text("UPDATE counter SET n = 5"))
        failed: list[BaseException] = []

        def second_writer() -> None:
            try:
                with engine.begin() as conn:
                    conn.execute(text("UPDATE counter SET n = 6"))
            except OperationalError as exc:
                failed.append(exc)

        thread = threading.Thread(target=second_writer)
        thread.start()
        thread.join(timeout=10)
    assert len(failed) == 1 and "database is locked" in str(failed[0])
    with engine.begin() as conn:  # both connections usable, the busy timeout restored
        conn.execute(text("UPDATE counter SET n = 7"))
        timeout = conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one()
    assert timeout == 200
    engine.dispose()


def test_a_begin_another_process_keeps_waiting_fails_as_the_engine_fails(tmp_path: Path) -> None:
    """A writer with its turn still waits for other processes' writers at BEGIN IMMEDIATE.
    When SQLite's busy timeout runs out there, the failure comes through the engine's error
    handling (SQLAlchemy's `OperationalError`, not the driver's), and the turn is given back."""
    other_process = _counter_engine(tmp_path)  # its own engine: its own turn, as in a process
    engine = make_engine(f"sqlite:///{tmp_path / 'turns.sqlite3'}", statement_timeout=0.2)
    turn = _WriterTurn.of(engine)
    assert turn is not None
    with other_process.begin() as holder:
        holder.execute(text("UPDATE counter SET n = 3"))
        with pytest.raises(OperationalError, match="database is locked"), engine.begin():
            pytest.fail("BEGIN IMMEDIATE should have failed")
        assert not turn.held()
    with engine.begin() as conn:  # its turn came back, its connection usable
        conn.execute(text("UPDATE counter SET n = n + 1"))
    with engine.connect() as reader:
        assert reader.execute(text("SELECT n FROM counter")).scalar_one() == 4
    engine.dispose()
    other_process.dispose()


def test_a_writer_begun_at_once_never_waits_and_leaves_nothing_held(tmp_path: Path) -> None:
    """`AT_ONCE` (the event loop's graph writes): with the write lock free it writes like any
    writer; held by a thread of this process or by another process, its BEGIN raises
    `WriterBusy` without waiting (not the engine's `OperationalError`: the lock being taken is
    not an outage, so the graph's breaker stays closed), gives its turn back, and its
    connection stays usable. No clock is read: a BEGIN that waited would find the lock given
    back (the holder here lets go on its own after a while) and begin, not raise."""
    engine = make_engine(f"sqlite:///{tmp_path / 'turns.sqlite3'}", statement_timeout=30)
    availability = GraphAvailability(retry_after=30.0)
    availability.install(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter VALUES (0)"))
    at_once = engine.execution_options(**AT_ONCE)
    turn = _WriterTurn.of(engine)
    assert turn is not None
    with at_once.begin() as conn:  # free: a write like any other
        conn.execute(text("UPDATE counter SET n = 1"))
    assert not turn.held()
    with engine.begin() as holder:  # a writer of this process holds the turn (this thread:
        # a turn awaited here would never come, and its timeout ends in OperationalError)
        holder.execute(text("UPDATE counter SET n = 2"))
        with pytest.raises(WriterBusy), at_once.begin():
            pytest.fail("the BEGIN should have raised")
        assert turn.held()  # still the holder's
    assert not turn.held()
    # another process's writer (a connection of its own, no turn of ours), which gives the
    # lock back by itself after 10 s: a BEGIN that waited for it would then succeed
    other = sqlite3.connect(
        tmp_path / "turns.sqlite3", isolation_level=None, check_same_thread=False
    )
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE counter SET n = 3")
    lets_go = threading.Timer(10.0, lambda: other.execute("COMMIT"))
    lets_go.start()
    try:
        with pytest.raises(WriterBusy), at_once.begin():
            pytest.fail("the BEGIN should have raised")
        assert not turn.held()  # this process's turn came back at once
    finally:
        lets_go.cancel()
        lets_go.join()
        if other.in_transaction:  # not given back by the timer: give it back now
            other.execute("COMMIT")
        other.close()
    assert not availability.is_open
    with at_once.begin() as conn:  # the connections are usable, the busy timeout restored
        conn.execute(text("UPDATE counter SET n = n + 1"))
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == 30_000
    with engine.connect() as reader:
        assert reader.execute(text("SELECT n FROM counter")).scalar_one() == 4
    engine.dispose()


def test_an_invalidated_writer_gives_its_turn_back(tmp_path: Path) -> None:
    """A connection lost mid-write is closed without a ROLLBACK: its turn goes with it."""
    engine = _counter_engine(tmp_path, statement_timeout=0.5)
    conn = engine.connect()
    conn.begin()
    conn.execute(text("UPDATE counter SET n = 1"))
    turn = _WriterTurn.of(engine)
    assert turn is not None and turn.held()
    conn.invalidate()  # what SQLAlchemy does with a connection found dead
    conn.close()
    assert not turn.held()
    with engine.begin() as writer:  # would wait for the turn, then fail, if it were still held
        writer.execute(text("UPDATE counter SET n = 2"))
    with engine.connect() as reader:
        assert reader.execute(text("SELECT n FROM counter")).scalar_one() == 2
    engine.dispose()


def test_ordered_ids_are_uuid7_and_sort_by_their_millisecond() -> None:
    earlier = [ordered_id() for _ in range(200)]
    time.sleep(0.002)
    later = ordered_id()
    assert all(uuid.UUID(i).version == 7 and uuid.UUID(i).variant == uuid.RFC_4122 for i in earlier)
    assert len(set(earlier)) == len(earlier) and all(len(i) == 32 for i in earlier)
    assert max(earlier) < later
    stamp = int(later[:12], 16)  # the first 48 bits are Unix milliseconds
    assert abs(stamp - time.time() * 1000) < 60_000


def _in_database_file(path: Path) -> int | None:
    """The counter as the database file itself holds it, the WAL left unread (immutable=1):
    what checkpoints have copied back so far (None: not even the table yet)."""
    conn = sqlite3.connect(f"{path.as_uri()}?immutable=1", uri=True)
    try:
        row = conn.execute("SELECT n FROM counter").fetchone()
    except sqlite3.DatabaseError:  # no table yet, or the file mid-copy
        return None
    finally:
        conn.close()
    return None if row is None else int(row[0])


def _until(check: Any, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return False


def test_sqlite_commits_leave_the_checkpoint_to_a_background_thread(tmp_path: Path) -> None:
    """A commit no longer copies the WAL back itself (SQLite's autocheckpoint is only a far
    backstop on pooled connections); the store's checkpointer does, soon after the writes."""
    engine = _counter_engine(tmp_path)
    checkpointer = _Checkpointer.of(engine)
    assert checkpointer is not None
    with engine.connect() as conn:
        backstop = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one()
    assert backstop == SQLITE_CHECKPOINT_BACKSTOP_PAGES
    before = checkpointer.checkpoints
    for n in range(50):
        with engine.begin() as conn:
            conn.execute(text("UPDATE counter SET n = :n"), {"n": n})
    # 50 commits are far fewer pages than SQLite's own autocheckpoint would wait for
    assert _until(lambda: _in_database_file(tmp_path / "turns.sqlite3") == 49)
    assert _until(lambda: checkpointer.checkpoints > before)  # counted once the copy is done
    engine.dispose()


def test_the_checkpointer_thread_ends_when_idle_and_on_dispose(tmp_path: Path) -> None:
    engine = _counter_engine(tmp_path)
    checkpointer = _Checkpointer.of(engine)
    assert checkpointer is not None
    checkpointer.idle = 0.05

    def threads() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == "sqlite-checkpoint:turns.sqlite3"]

    with engine.begin() as conn:
        conn.execute(text("UPDATE counter SET n = 1"))
    assert _until(lambda: not threads())  # idle: gone, holding nothing open
    with engine.begin() as conn:  # the next write starts another
        conn.execute(text("UPDATE counter SET n = 2"))
    assert threads()
    checkpointer.idle = 60.0
    stores = Stores(engine, make_engine(f"sqlite:///{tmp_path / 'other.sqlite3'}"))
    stores.dispose()
    assert not threads()
    with engine.begin() as conn:  # a disposed engine used again checkpoints again
        conn.execute(text("UPDATE counter SET n = 3"))
    assert _until(lambda: _in_database_file(tmp_path / "turns.sqlite3") == 3)
    engine.dispose()


def test_a_dispose_as_the_checkpointers_pause_runs_out_ends_it_at_once(tmp_path: Path) -> None:
    """`stop()` arriving just as the thread's pause between rounds ran out: the thread must
    not clear the stop's wake-up and then sleep for its idle time (teardowns took 5 s)."""
    engine = _counter_engine(tmp_path)
    found = _Checkpointer.of(engine)
    assert found is not None
    checkpointer: _Checkpointer = found
    checkpointer.idle = 60.0
    stoppers: list[threading.Thread] = []

    class PauseRunsOutAsStopArrives(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            if threading.current_thread().name.startswith("sqlite-checkpoint") and not stoppers:
                stoppers.append(threading.Thread(target=checkpointer.stop))
                stoppers[0].start()
                assert _until(lambda: checkpointer._stopping)  # stop() has set its events
                return False  # the pause had run out just before
            return super().wait(timeout)

    checkpointer._halt = PauseRunsOutAsStopArrives()
    with engine.begin() as conn:
        conn.execute(text("UPDATE counter SET n = 1"))
    assert _until(lambda: bool(stoppers))
    stoppers[0].join(timeout=20)
    assert not stoppers[0].is_alive(), "stop() waited for the checkpointer's idle time"
    engine.dispose()


def test_a_deleted_store_is_not_created_again_by_its_checkpointer(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "gone.sqlite3"
    checkpointer = _Checkpointer(str(path))
    checkpointer._checkpoint()
    assert not path.exists() and checkpointer.checkpoints == 0
    assert "background checkpoint failed" in caplog.text


def test_in_memory_sqlite_has_no_checkpointer() -> None:
    engine = make_engine("sqlite://")
    assert _Checkpointer.of(engine) is None
    with engine.begin() as conn:
        conn.execute(text("SELECT 1"))
    engine.dispose()


def test_read_transactions_begin_at_their_first_statement(runtime, make_provider) -> None:
    """A read that reads nothing (a link given its chain opens the tenant beside the graph)
    begins no transaction; one that reads begins one and ends it; a graph transaction that
    fails rolls back what it wrote."""
    person = make_provider()
    begun: list[str] = []
    engines = {"tenant": runtime.stores.tenant_engine, "graph": runtime.stores.graph_engine}
    listeners = {name: (lambda _conn, name=name: begun.append(name)) for name in engines}
    for name, engine in engines.items():
        event.listen(engine, "begin", listeners[name])
    try:
        with runtime.stores.tenant_read() as tenant, runtime.stores.graph_read() as graph:
            assert not tenant.in_transaction() and not graph.in_transaction()
        assert begun == []
        with runtime.stores.tenant_read() as session:
            assert session.get(Person, person.id) is not None
            assert session.in_transaction()
        assert begun == ["tenant"] and not session.in_transaction()
        with pytest.raises(ValueError), runtime.stores.graph() as graph:
            graph.execute(text("CREATE TABLE lazy_probe (n INTEGER)"))
            raise ValueError("the caller failed")
        assert begun == ["tenant", "graph"]
    finally:
        for name, engine in engines.items():
            event.remove(engine, "begin", listeners[name])
    with runtime.stores.graph_read() as graph:
        assert "lazy_probe" not in inspect(graph.connection()).get_table_names()
