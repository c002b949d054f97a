"""The store as a watcher reads it: a reachability check and the figures, read-only, never migrating.

For the daemon's web server (``gateway.observe``: ``/metrics`` and ``/readyz``), which keeps a
``StoreWatch`` on a thread of its own and bounds every read with its own deadline. The figures, in
one read-only transaction (on SQLite a deferred ``BEGIN``, which never waits for the writers),
each a short, index-friendly query:

- messages per state (the backlog: pending, queued, retrying; and acked, superseded, dead);
- replays recorded (``dvcgw replay`` runs in its own process, so only the store sees them all);
- the time of the newest acknowledgement (the newest ``acked`` attempt, found walking the attempts
  backwards by id: it stops at the first acknowledgement, so it is cheap while deliveries flow);
- the newest finished reconciliation over every source: its findings per class and when it
  finished (what the classes mean, and the sync rate, are ``gateway.reconcile``'s business).

A ``StoreWatch`` never migrates (the daemon did at its start) and never creates a SQLite file: to
``ping`` a file that does not exist yet counts as reachable, since the daemon creates it when it
starts; there are no figures to read from it yet (``StoreUnavailable``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, func, select, text

from gateway.errors import StoreUnavailable
from gateway.store._engine import connected, create_store_engine, parse_url, shown, translated_errors
from gateway.store._reconcile import DONE
from gateway.store.model import MessageState, Result, RunFigures, StoreFigures
from gateway.store.schema import attempts, messages, reconcile_findings, reconcile_runs, replays


def read_figures(connection: Connection) -> StoreFigures:
    """Every figure, in the transaction of ``connection``."""
    counted = {
        state: int(count)
        for state, count in connection.execute(
            select(messages.c.state, func.count()).group_by(messages.c.state)
        )
    }
    states = {state.value: counted.get(state.value, 0) for state in MessageState}
    replayed = int(connection.execute(select(func.count()).select_from(replays)).scalar_one())
    last_ack_at = connection.execute(
        select(attempts.c.at)
        .where(attempts.c.outcome == Result.ACKED.value)
        .order_by(attempts.c.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return StoreFigures(states, replayed, last_ack_at, _newest_run(connection))


def _newest_run(connection: Connection) -> RunFigures | None:
    run = connection.execute(
        select(reconcile_runs.c.id, reconcile_runs.c.finished_at)
        .where(reconcile_runs.c.state == DONE, reconcile_runs.c.source.is_(None))
        .order_by(reconcile_runs.c.id.desc())
        .limit(1)
    ).first()
    if run is None:
        return None
    counts = {
        str(kind): int(count)
        for kind, count in connection.execute(
            select(reconcile_findings.c.kind, func.count())
            .where(reconcile_findings.c.run_id == run.id)
            .group_by(reconcile_findings.c.kind)
        )
    }
    return RunFigures(int(run.id), run.finished_at, counts)


class StoreWatch:
    """Read-only access to the store at ``url`` for one thread, with an engine of its own.

    The engine is made at the first read, on the thread that reads (store engines belong to one
    thread), and dropped after a failed read, so the next read connects again: a store that went
    away and came back is read again. ``StoreError`` for a URL the store does not speak (at once),
    ``StoreUnavailable``/``StoreError`` from a read.
    """

    def __init__(self, url: str) -> None:
        self._url = parse_url(url)
        self._engine: Engine | None = None

    @property
    def url(self) -> str:
        """The store's URL, without its password."""
        return shown(self._url)

    def ping(self) -> str:
        """Raises unless the store answers a trivial query; says what answered (a SQLite file that
        does not exist yet counts as reachable and is not created)."""
        missing = self._missing_file()
        if missing is not None:
            return f"{missing}: the daemon creates it at its start"
        with self._reading("checking the store") as connection:
            connection.execute(text("SELECT 1"))
        return "answered"

    def figures(self) -> StoreFigures:
        """The store's figures (see the module), in one read-only transaction."""
        with self._reading("reading figures for the metrics") as connection:
            return read_figures(connection)

    def close(self) -> None:
        """Close the engine's connections (a later read opens a new engine)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def _missing_file(self) -> str | None:
        """Why there is nothing to read yet: a SQLite file that does not exist (None: there is)."""
        database = self._url.database
        if self._url.get_backend_name() == "sqlite" and database and not Path(database).exists():
            return f"the SQLite file {database} does not exist yet"
        return None

    @contextmanager
    def _reading(self, doing: str) -> Iterator[Connection]:
        """One read-only transaction; a SQLite file is never created here (``StoreUnavailable``)."""
        missing = self._missing_file()
        if missing is not None:
            raise StoreUnavailable(f"cannot read the store while {doing}: {missing}")
        if self._engine is None:
            self._engine = create_store_engine(self._url)
        try:
            with (
                connected(self._engine, self._url, read_only=True) as connection,
                translated_errors(self._url, doing),
                connection.begin(),
            ):
                yield connection
        except BaseException:
            self.close()
            raise
