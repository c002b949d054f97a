"""What the gateway did hour by hour, and its newest reconciliation run: the operator console's dashboard.

For the console's dashboard (``gateway.web.console``): how many messages the portal acknowledged
(``acked_at``) and how many died (``dead_at``) in each of the last hours, and the newest
reconciliation run, whose report gives the Decision 766 sync rate. Read-only; one short read
transaction each, one SELECT with a filtered count per hour (the same on SQLite and PostgreSQL), so
the cost does not depend on how the hours are grouped in SQL dialects.

The two queries are functions of a connection, as the store's own are: they belong to
``gateway.store.Store`` (``hourly_outcomes``, ``latest_reconcile_run``), which the console may not
change yet; ``hourly`` and ``latest_run`` reach the store's read transaction until they move there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, and_, func, select

from gateway.store import ReconcileRunRow, Store
from gateway.store._reconcile import run_row
from gateway.store.schema import messages, reconcile_runs

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class HourCount:
    """One hour (``start``, aware UTC, on the hour) and what ended in it."""

    start: datetime
    acked: int
    dead: int


def hour_starts(now: datetime, hours: int) -> list[datetime]:
    """The starts of the last ``hours`` hours, oldest first; the last one is the hour ``now`` is in."""
    current = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return [current - HOUR * back for back in range(hours - 1, -1, -1)]


def hourly_counts(connection: Connection, starts: list[datetime]) -> list[HourCount]:
    """Messages acknowledged and messages dead in each hour beginning at ``starts`` (a single SELECT)."""
    columns = []
    for start in starts:
        end = start + HOUR
        for column in (messages.c.acked_at, messages.c.dead_at):
            columns.append(func.count().filter(and_(column >= start, column < end)))
    earliest = starts[0]
    statement = select(*columns).where((messages.c.acked_at >= earliest) | (messages.c.dead_at >= earliest))
    row = connection.execute(statement).one()
    return [
        HourCount(start, int(row[2 * i] or 0), int(row[2 * i + 1] or 0)) for i, start in enumerate(starts)
    ]


def newest_run(connection: Connection) -> ReconcileRunRow | None:
    """The newest reconciliation run that finished, else the newest one at all (None: never run)."""
    for condition in (reconcile_runs.c.state == "done", reconcile_runs.c.id.is_not(None)):
        statement = select(reconcile_runs).where(condition).order_by(reconcile_runs.c.id.desc()).limit(1)
        row = connection.execute(statement).first()
        if row is not None:
            return run_row(row)
    return None


def hourly(store: Store, *, hours: int, now: datetime | None = None) -> list[HourCount]:
    """Acknowledged and dead messages in each of the last ``hours`` hours, oldest first."""
    starts = hour_starts(now or datetime.now(UTC), hours)
    with store._read("counting deliveries per hour") as connection:
        return hourly_counts(connection, starts)


def latest_run(store: Store) -> ReconcileRunRow | None:
    """The newest finished reconciliation run (else the newest one); None when none was ever run."""
    with store._read("reading the newest reconciliation run") as connection:
        return newest_run(connection)
