"""Opening the store's database: the URL rules, the engine, and the translation of its errors.

Two dialects, chosen by the URL:

- ``sqlite:///path`` → pysqlite on that file (its folder is created). Every connection runs in WAL
  mode with ``synchronous=NORMAL``, a 30 s busy timeout and foreign keys on. The intake and every
  worker process write to the same file, so a write transaction starts with ``BEGIN IMMEDIATE``:
  it takes the write lock up front and waits (busy timeout) for it, instead of starting as a
  reader and failing with SQLITE_BUSY when it upgrades to a writer mid-way, which a busy timeout
  cannot help. That needs the driver's own BEGIN out of the way: SQLAlchemy's recipe for pysqlite
  (``isolation_level = None`` on connect, our BEGIN in the ``begin`` event). Read-only work
  starts with a plain (deferred) ``BEGIN`` and never blocks the writers in WAL mode.
- ``postgresql://`` or ``postgresql+psycopg://`` → psycopg 3, with a small pre-pinged pool.

A failure to connect becomes ``StoreUnavailable`` naming the URL without its password; any other
database error becomes ``StoreError``; both keep the driver's error as ``__cause__``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import structlog
import tenacity
from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry, QueuePool

from gateway.errors import StoreError, StoreUnavailable

log = structlog.get_logger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000
PG_CONNECT_TIMEOUT_S = 10
# An execution option: this connection only reads, so its transaction may start deferred.
READ_ONLY = "dvcgw_read_only"


def parse_url(url: str) -> URL:
    """The SQLAlchemy URL for a store URL; ``StoreError`` for a scheme the store does not speak."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"store URL is not a database URL: {exc}") from exc
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "sqlite" and driver in ("", "pysqlite"):
        if parsed.database in (None, "", ":memory:"):
            raise StoreError("a SQLite store needs a file: sqlite:///path/to/gateway.sqlite3")
        return parsed.set(drivername="sqlite+pysqlite")
    if backend in ("postgresql", "postgres") and driver in ("", "psycopg"):
        return parsed.set(drivername="postgresql+psycopg")
    raise StoreError(
        f"store URL scheme {parsed.drivername!r} is not supported: use sqlite:///path or postgresql://..."
    )


def shown(url: URL) -> str:
    """The URL as logs and error messages may show it: without its password."""
    return url.render_as_string(hide_password=True)


def create_store_engine(url: URL) -> Engine:
    """An engine for one thread's store: SQLite with its pragmas and BEGIN rules, or psycopg."""
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT_S
    # One thread per store: two connections cover a method and a pre-ping's replacement.
    return create_engine(
        url, poolclass=QueuePool, pool_size=2, max_overflow=2, pool_pre_ping=True, connect_args=connect_args
    )


def _sqlite_engine(url: URL) -> Engine:
    assert url.database is not None
    path = Path(url.database)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreUnavailable(f"cannot create the folder of the store {shown(url)}: {exc}") from exc
    engine = create_engine(
        url,
        poolclass=QueuePool,
        pool_size=1,
        max_overflow=1,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Take BEGIN away from the driver; _on_begin emits it (SQLAlchemy's pysqlite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() != "wal":
                mode = _switch_to_wal(cursor)
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()
        if str(mode).lower() != "wal":
            log.warning("store.sqlite_not_wal", url=shown(url), journal_mode=mode)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


@contextmanager
def translated_errors(url: URL, doing: str) -> Iterator[None]:
    """SQLAlchemy's errors as the gateway's: connection lost → ``StoreUnavailable``, else ``StoreError``."""
    try:
        yield
    except StoreError:
        raise
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise StoreUnavailable(f"lost the connection to the store {shown(url)} while {doing}") from exc
        raise StoreError(f"store {shown(url)} failed while {doing}: {exc.orig}") from exc
    except SQLAlchemyError as exc:
        raise StoreError(f"store {shown(url)} failed while {doing}: {exc}") from exc


def _switch_to_wal(cursor: Any) -> str:
    """Turn a new database file to WAL. The switch needs the file to itself, and SQLite answers
    "database is locked" at once (no busy wait) when another process opens it at that moment: the
    daemon's processes all open a new store together, so the switch is retried for a while."""
    for attempt in tenacity.Retrying(
        retry=tenacity.retry_if_exception(lambda exc: "locked" in str(exc)),
        wait=tenacity.wait_random(0.01, 0.1),
        stop=tenacity.stop_after_delay(SQLITE_BUSY_TIMEOUT_MS / 1000),
        reraise=True,
    ):
        with attempt:
            return str(cursor.execute("PRAGMA journal_mode = WAL").fetchone()[0])
    raise AssertionError("unreachable: tenacity either returns or raises")


@contextmanager
def connected(engine: Engine, url: URL, *, read_only: bool = False) -> Iterator[Connection]:
    """A connection from the pool; failing to get one is ``StoreUnavailable``."""
    try:
        connection = engine.connect()
    except SQLAlchemyError as exc:
        reason = exc.orig if isinstance(exc, DBAPIError) else exc
        raise StoreUnavailable(f"cannot connect to the store {shown(url)}: {reason}") from exc
    with connection:
        if read_only:
            connection.execution_options(**{READ_ONLY: True})
        yield connection
