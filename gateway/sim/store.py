"""The simulated portal's memory: one SQLite file in WAL mode.

It holds what the portal knows (the current dossiers, their history entries, the login sessions)
and what tests need to judge the gateway (every accepted version with its arrival time, every
status regression, every record accepted-then-lost, and the counters behind ``/_sim/stats``).
Everything survives a restart on the same file.

One ``transaction()`` per batch call: a batch of 50 dossiers costs one commit, and with WAL and
``synchronous=NORMAL`` a commit is not an fsync (the WAL is synced at checkpoints), which is what
keeps the simulator faster than the gateway it measures. SQLite's automatic checkpoint would run
inside a commit, on the event loop, and its fsync costs more than the batch itself; so it is off,
and a ``Checkpointer`` thread checkpoints (PASSIVE: never blocking the writer) on its own
connection once a second. A crash of the machine (not of the process) may lose the last commits;
the simulator is a test device, and says so in its docs.

The store is used from the event loop's thread only; one connection, no pool (the checkpointer
has its own).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson


class SimStoreError(Exception):
    """The simulator's store cannot be opened or a transaction failed; the message says which file."""


SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
-- A rowid table on purpose: WITHOUT ROWID is slow for rows of a kilobyte and more (SQLite docs).
CREATE TABLE IF NOT EXISTS dossiers (
    ma_ho_so    TEXT PRIMARY KEY,
    madonvi     TEXT NOT NULL,
    status      TEXT NOT NULL,
    hash        TEXT NOT NULL,
    record      BLOB NOT NULL,
    created_at  INTEGER NOT NULL,
    changed_at  INTEGER NOT NULL,
    regressions INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS dossiers_by_change ON dossiers (changed_at, ma_ho_so);
CREATE TABLE IF NOT EXISTS versions (
    id          INTEGER PRIMARY KEY,
    ma_ho_so    TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    operation   TEXT NOT NULL,
    madonvi     TEXT NOT NULL,
    hash        TEXT NOT NULL,
    record      BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS versions_by_dossier ON versions (ma_ho_so, id);
CREATE TABLE IF NOT EXISTS history (
    id          INTEGER PRIMARY KEY,
    ma_ho_so    TEXT NOT NULL,
    hash        TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    record      BLOB NOT NULL,
    UNIQUE (ma_ho_so, hash)
);
CREATE TABLE IF NOT EXISTS regressions (
    id          INTEGER PRIMARY KEY,
    ma_ho_so    TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS regressions_by_dossier ON regressions (ma_ho_so, id);
CREATE TABLE IF NOT EXISTS lost (
    id          INTEGER PRIMARY KEY,
    ma_ho_so    TEXT NOT NULL,
    operation   TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    record      BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS lost_by_dossier ON lost (ma_ho_so, id);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    username   TEXT NOT NULL,
    created_at REAL NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
"""

# Tables a reset empties; sessions survive it so a client under test stays logged in.
_RESET_TABLES = ("dossiers", "versions", "history", "regressions", "lost", "counters")


@dataclass(frozen=True)
class DossierState:
    """What an operation needs to know of a stored dossier before changing it."""

    status: str
    hash: str


@dataclass(frozen=True)
class Version:
    """One accepted arrival of a dossier (``received_at`` in µs since the epoch)."""

    received_at: int
    operation: str
    madonvi: str
    record: dict[str, Any]


@dataclass(frozen=True)
class Regression:
    """One backward status move of a dossier."""

    from_status: str
    to_status: str
    received_at: int


@dataclass(frozen=True)
class Change:
    """One row of the changed-dossiers listing (``changed_at`` in µs since the epoch)."""

    ma_ho_so: str
    status: str
    hash: str
    changed_at: int


@dataclass(frozen=True)
class DossierTruth:
    """Everything the simulator knows of one dossier, for ``/_sim/dossiers/{MaHoSo}``."""

    current: dict[str, Any] | None
    versions: list[Version]
    regressions: list[Regression]
    history: list[Version]
    lost: list[Version]


class SimStore:
    """The SQLite store. Open once per process; ``close()`` at shutdown."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            if str(path) != ":memory:":
                path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE ... COMMIT).
            self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.execute("PRAGMA temp_store=MEMORY")
            self._db.execute("PRAGMA wal_autocheckpoint=0")
            self._db.executescript(_SCHEMA)
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is None:
                self._db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
            elif row[0] != SCHEMA_VERSION:
                raise SimStoreError(
                    f"{path}: store schema version {row[0]}, this simulator needs {SCHEMA_VERSION}"
                )
        except (sqlite3.Error, OSError) as exc:
            raise SimStoreError(f"{path}: cannot open the simulator's store: {exc}") from exc

    def close(self) -> None:
        # Fold the WAL back into the database so the file alone holds everything; best effort,
        # since SQLite replays a leftover WAL on the next open anyway.
        with contextlib.suppress(sqlite3.Error):
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[StoreTx]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise SimStoreError(f"cannot begin a transaction: {exc}") from exc
        tx = StoreTx(self._db)
        try:
            yield tx
            tx.flush_counters()
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise SimStoreError(f"{self.path}: a transaction failed: {exc}") from exc
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    # ---- reads ----------------------------------------------------------------------------

    def current(self, ma_ho_so: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT record FROM dossiers WHERE ma_ho_so = ?", (ma_ho_so,)).fetchone()
        return None if row is None else _record(row[0])

    def changes(self, since: int, until: int, after: tuple[int, str] | None, limit: int) -> list[Change]:
        """Dossiers whose content changed in ``[since, until)`` (µs), in (changed_at, MaHoSo) order,
        starting after the keyset position ``after``."""
        last_at, last_ma = after if after is not None else (-1, "")
        rows = self._db.execute(
            "SELECT ma_ho_so, status, hash, changed_at FROM dossiers"
            " WHERE changed_at >= ? AND changed_at < ? AND (changed_at, ma_ho_so) > (?, ?)"
            " ORDER BY changed_at, ma_ho_so LIMIT ?",
            (since, until, last_at, last_ma, limit),
        ).fetchall()
        return [Change(*row) for row in rows]

    def truth(self, ma_ho_so: str) -> DossierTruth | None:
        """All the simulator knows of one dossier, or None if it never saw it."""
        db = self._db
        current = self.current(ma_ho_so)
        versions = [
            Version(at, op, unit, _record(rec))
            for at, op, unit, rec in db.execute(
                "SELECT received_at, operation, madonvi, record FROM versions WHERE ma_ho_so = ? ORDER BY id",
                (ma_ho_so,),
            )
        ]
        regressions = [
            Regression(a, b, at)
            for a, b, at in db.execute(
                "SELECT from_status, to_status, received_at FROM regressions WHERE ma_ho_so = ? ORDER BY id",
                (ma_ho_so,),
            )
        ]
        history = [
            Version(at, "history", "", _record(rec))
            for at, rec in db.execute(
                "SELECT received_at, record FROM history WHERE ma_ho_so = ? ORDER BY id", (ma_ho_so,)
            )
        ]
        lost = [
            Version(at, op, "", _record(rec))
            for at, op, rec in db.execute(
                "SELECT received_at, operation, record FROM lost WHERE ma_ho_so = ? ORDER BY id", (ma_ho_so,)
            )
        ]
        if current is None and not versions and not lost:
            return None
        return DossierTruth(current, versions, regressions, history, lost)

    def dossier_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM dossiers").fetchone()[0])

    def counters(self) -> dict[str, int]:
        return {name: int(value) for name, value in self._db.execute("SELECT name, value FROM counters")}

    # ---- small writes outside batches -----------------------------------------------------

    def bump(self, counts: Mapping[str, int]) -> None:
        """Add to counters in a transaction of their own (call-level events such as faults)."""
        with self.transaction() as tx:
            for name, n in counts.items():
                tx.count(name, n)

    def reset(self) -> None:
        """Forget every dossier, version, history entry and counter (sessions survive)."""
        with self.transaction():
            for table in _RESET_TABLES:
                self._db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names

    # ---- sessions -------------------------------------------------------------------------

    def add_session(self, token_hash: str, username: str, created_at: float) -> None:
        with self.transaction():
            self._db.execute("INSERT INTO sessions VALUES (?, ?, ?)", (token_hash, username, created_at))

    def session_created_at(self, token_hash: str) -> float | None:
        row = self._db.execute(
            "SELECT created_at FROM sessions WHERE token_hash = ?", (token_hash,)
        ).fetchone()
        return None if row is None else float(row[0])

    def purge_sessions(self, created_before: float) -> int:
        with self.transaction():
            cursor = self._db.execute("DELETE FROM sessions WHERE created_at < ?", (created_before,))
            return int(cursor.rowcount)


class StoreTx:
    """The writes of one batch call, inside ``SimStore.transaction()``."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._counts: Counter[str] = Counter()

    def dossier(self, ma_ho_so: str) -> DossierState | None:
        row = self._db.execute("SELECT status, hash FROM dossiers WHERE ma_ho_so = ?", (ma_ho_so,)).fetchone()
        return None if row is None else DossierState(row[0], row[1])

    def insert_dossier(
        self, ma_ho_so: str, madonvi: str, record: bytes, digest: str, status: str, at: int
    ) -> None:
        self._db.execute(
            "INSERT INTO dossiers (ma_ho_so, madonvi, status, hash, record, created_at, changed_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (ma_ho_so, madonvi, status, digest, record, at, at),
        )
        self._version(ma_ho_so, at, "insert", madonvi, digest, record)

    def update_dossier(
        self,
        ma_ho_so: str,
        madonvi: str,
        record: bytes,
        digest: str,
        status: str,
        at: int,
        regression_from: str | None,
    ) -> None:
        """Store a new current version; ``changed_at`` moves only when the content changed."""
        self._db.execute(
            "UPDATE dossiers SET madonvi = ?, status = ?,"
            " changed_at = CASE WHEN hash = ? THEN changed_at ELSE ? END, hash = ?, record = ?,"
            " regressions = regressions + ? WHERE ma_ho_so = ?",
            (madonvi, status, digest, at, digest, record, int(regression_from is not None), ma_ho_so),
        )
        if regression_from is not None:
            self._db.execute(
                "INSERT INTO regressions (ma_ho_so, from_status, to_status, received_at) VALUES (?, ?, ?, ?)",
                (ma_ho_so, regression_from, status, at),
            )
        self._version(ma_ho_so, at, "update", madonvi, digest, record)

    def add_history(self, ma_ho_so: str, record: bytes, digest: str, at: int) -> bool:
        """Append a history entry; False (and nothing stored) if the same entry is already there."""
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO history (ma_ho_so, hash, received_at, record) VALUES (?, ?, ?, ?)",
            (ma_ho_so, digest, at, record),
        )
        return cursor.rowcount == 1

    def add_lost(self, ma_ho_so: str, operation: str, record: bytes, at: int) -> None:
        self._db.execute(
            "INSERT INTO lost (ma_ho_so, operation, received_at, record) VALUES (?, ?, ?, ?)",
            (ma_ho_so, operation, at, record),
        )

    def count(self, name: str, n: int = 1) -> None:
        """Add ``n`` to a counter when the transaction commits."""
        self._counts[name] += n

    def flush_counters(self) -> None:
        if self._counts:
            self._db.executemany(
                "INSERT INTO counters VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
                list(self._counts.items()),
            )
            self._counts.clear()

    def _version(
        self, ma_ho_so: str, at: int, operation: str, madonvi: str, digest: str, record: bytes
    ) -> None:
        self._db.execute(
            "INSERT INTO versions (ma_ho_so, received_at, operation, madonvi, hash, record)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (ma_ho_so, at, operation, madonvi, digest, record),
        )


class Checkpointer:
    """Checkpoints a store's WAL from a thread of its own, every ``interval_s`` seconds."""

    def __init__(self, path: Path, interval_s: float = 1.0) -> None:
        self._path = path
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="portal-sim-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        db = sqlite3.connect(str(self._path), isolation_level=None, check_same_thread=True)
        try:
            db.execute("PRAGMA busy_timeout=5000")
            while not self._stop.wait(self._interval_s):
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error:
                    continue  # the next round retries; the WAL only grows meanwhile
        finally:
            db.close()


def _record(blob: bytes) -> dict[str, Any]:
    value = orjson.loads(blob)
    assert isinstance(value, dict)
    return value
