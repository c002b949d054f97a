"""What the metrics read from the store at scrape time, and the store's reachability for ``/readyz``.

The figures the store already holds are read from it rather than counted in memory, so they survive
restarts and include what happens outside the daemon (a ``dvcgw replay``, a ``dvcgw reconcile``):
messages per state, replays recorded, the newest acknowledgement, and the newest finished
reconciliation over every source: its counts per class (every class present) and its 766 sync
rate (``gateway.reconcile.report.sync_rate``). The store reads them (``gateway.store.StoreWatch``:
read-only, one transaction, never migrating); ``LedgerWatch`` keeps that watch on its own
``Bounded`` thread (a watch's engine belongs to one thread) and waits for it with a deadline.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime

from gateway.observe.bounded import Bounded
from gateway.reconcile.classify import Kind
from gateway.reconcile.report import sync_rate
from gateway.store import StoreFigures, StoreWatch


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

    @classmethod
    def of(cls, read: StoreFigures) -> LedgerFigures:
        """The figures as the metrics show them: every reconciliation class present."""
        run = read.reconcile
        reconcile = None
        if run is not None:
            counts = {kind.value: run.counts.get(kind.value, 0) for kind in Kind}
            reconcile = ReconcileFigures(run.run_id, run.finished_at, counts)
        return cls(read.states, read.replayed, read.last_ack_at, reconcile)


class LedgerWatch:
    """The store as the web server reads it: figures and a reachability check, each bounded."""

    def __init__(self, store_url: str, timeout_s: float) -> None:
        self._store = StoreWatch(store_url)
        self.bounded = Bounded("store", timeout_s)

    def figures(self) -> LedgerFigures:
        """The store's figures (``TimeoutError`` past the deadline; ``StoreError`` from the store)."""
        return self.bounded.result("figures", self._figures)

    def start_figures(self) -> Future[LedgerFigures]:
        """Begin reading the figures now (a scrape starts every service's reads before waiting)."""
        return self.bounded.start("figures", self._figures)

    def start_ping(self) -> Future[str]:
        """Begin a reachability check now; the future says what answered, or raises."""
        return self.bounded.start("ping", self._store.ping)

    def ping(self) -> str:
        """Raises unless the store answers a trivial query; says what answered (a SQLite file that
        does not exist yet counts as reachable: the daemon creates it at its start)."""
        return self.bounded.result("ping", self._store.ping)

    def close(self) -> None:
        self.bounded.close(self._store.close)

    def _figures(self) -> LedgerFigures:
        """On the store's thread."""
        return LedgerFigures.of(self._store.figures())
