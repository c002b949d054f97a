"""What the metrics read from the store at scrape time: a few short, index-friendly queries.

The figures the store already holds are read from it rather than counted in memory, so they survive
restarts and include what happens outside the daemon (a ``dvcgw replay``, a ``dvcgw reconcile``):

- messages per state (the backlog: pending, queued, retrying; and acked, superseded, dead);
- replays recorded (``dvcgw replay`` runs in its own process, so only the store sees them all);
- the time of the newest acknowledgement (the newest ``acked`` attempt, found walking the attempts
  backwards by id: it stops at the first acknowledgement, so it is cheap while deliveries flow);
- the newest finished reconciliation over every source: its counts per class, its 766 sync rate
  (``gateway.reconcile.report``'s formula) and when it finished.

One read-only transaction for all of them (on SQLite a deferred ``BEGIN``, which never waits for
the writers). ``LedgerWatch`` keeps one engine on its own ``Bounded`` thread (the store's engines
belong to one thread) and never migrates: the daemon did at start.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, func, select, text

from gateway.observe.bounded import Bounded
from gateway.reconcile.classify import Kind
from gateway.reconcile.report import _rate as sync_rate
from gateway.store import MessageState, Result
from gateway.store._engine import connected, create_store_engine, parse_url, translated_errors
from gateway.store.schema import attempts, messages, reconcile_findings, reconcile_runs, replays

FINISHED = "done"


@dataclass(frozen=True)
class ReconcileFigures:
    """The newest finished reconciliation run over every source."""

    run_id: int
    finished_at: datetime | None
    counts: dict[str, int]
    """Dossiers per class, every class present (zeros included)."""

    @property
    def sync_rate(self) -> float:
        """Decision 766's figure: in sync ÷ the gateway's dossiers judged (1.0 when none)."""
        return sync_rate(self.counts)


@dataclass(frozen=True)
class LedgerFigures:
    """The store's figures at one moment."""

    states: dict[str, int]
    """Messages per state, every state present."""
    replayed: int
    last_ack_at: datetime | None
    reconcile: ReconcileFigures | None


def read_figures(connection: Connection) -> LedgerFigures:
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
    return LedgerFigures(states, replayed, last_ack_at, _reconcile(connection))


def _reconcile(connection: Connection) -> ReconcileFigures | None:
    run = connection.execute(
        select(reconcile_runs.c.id, reconcile_runs.c.finished_at)
        .where(reconcile_runs.c.state == FINISHED, reconcile_runs.c.source.is_(None))
        .order_by(reconcile_runs.c.id.desc())
        .limit(1)
    ).first()
    if run is None:
        return None
    counted: dict[str, int] = dict(
        connection.execute(
            select(reconcile_findings.c.kind, func.count())
            .where(reconcile_findings.c.run_id == run.id)
            .group_by(reconcile_findings.c.kind)
        ).all()
    )
    counts = {kind.value: int(counted.get(kind.value, 0)) for kind in Kind}
    return ReconcileFigures(int(run.id), run.finished_at, counts)


class LedgerWatch:
    """The store as the web server reads it: figures and a reachability check, each bounded."""

    def __init__(self, store_url: str, timeout_s: float) -> None:
        self._url = parse_url(store_url)
        self._engine: Engine | None = None
        self.bounded = Bounded("store", timeout_s)

    def figures(self) -> LedgerFigures:
        """The store's figures (``TimeoutError`` past the deadline; ``StoreError`` from the store)."""
        return self.bounded.result("figures", self._figures)

    def start_figures(self) -> Future[LedgerFigures]:
        """Begin reading the figures now (a scrape starts every service's reads before waiting)."""
        return self.bounded.start("figures", self._figures)

    def start_ping(self) -> Future[str]:
        """Begin a reachability check now; the future says what answered, or raises."""
        return self.bounded.start("ping", self._ping)

    def ping(self) -> str:
        """Raises unless the store answers a trivial query; says what answered."""
        return self.bounded.result("ping", self._ping)

    def close(self) -> None:
        self.bounded.close(self._dispose)

    # -- on the store's thread ------------------------------------------------------------------

    def _figures(self) -> LedgerFigures:
        with self._connection() as connection:
            return read_figures(connection)

    def _ping(self) -> str:
        database = self._url.database
        if self._url.get_backend_name() == "sqlite" and database and not Path(database).exists():
            return f"the SQLite file {database} does not exist yet: the daemon creates it at its start"
        with self._connection() as connection:
            connection.execute(text("SELECT 1"))
        return "answered"

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        """One read-only transaction; after a failure the engine is dropped, so the next read
        connects again (a store that went away and came back is read again)."""
        if self._engine is None:
            self._engine = create_store_engine(self._url)
        try:
            with (
                connected(self._engine, self._url, read_only=True) as connection,
                translated_errors(self._url, "reading figures for the metrics"),
                connection.begin(),
            ):
                yield connection
        except BaseException:
            self._dispose()
            raise

    def _dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
