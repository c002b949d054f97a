"""What the gateway did hour by hour, and its newest reconciliation run: the statements behind the
operator console's dashboard (``Store.hourly_outcomes``, ``Store.latest_reconcile_run``).

One SELECT with two filtered counts per hour (the same on SQLite and PostgreSQL), so the cost does
not depend on how each dialect groups times into hours; its WHERE uses the indexes on
``messages.acked_at`` and ``messages.dead_at`` (migration 0004). Everything runs inside the
caller's (read) transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, func, or_, select

from gateway.store._reconcile import DONE, run_row
from gateway.store.model import HourCount, ReconcileRunRow
from gateway.store.schema import messages, reconcile_runs

HOUR = timedelta(hours=1)


def hourly_outcomes(connection: Connection, starts: Sequence[datetime]) -> list[HourCount]:
    """Messages acknowledged and messages dead in each hour beginning at ``starts``, in their order."""
    if not starts:
        return []
    columns = []
    for start in starts:
        end = start + HOUR
        for column in (messages.c.acked_at, messages.c.dead_at):
            columns.append(func.count().filter(and_(column >= start, column < end)))
    earliest, latest = min(starts), max(starts) + HOUR
    statement = select(*columns).where(
        or_(
            and_(messages.c.acked_at >= earliest, messages.c.acked_at < latest),
            and_(messages.c.dead_at >= earliest, messages.c.dead_at < latest),
        )
    )
    row = connection.execute(statement).one()
    return [
        HourCount(start, int(row[2 * i] or 0), int(row[2 * i + 1] or 0)) for i, start in enumerate(starts)
    ]


def latest_run(connection: Connection) -> ReconcileRunRow | None:
    """The newest reconciliation run that finished, else the newest one at all (None: never run)."""
    for condition in (reconcile_runs.c.state == DONE, reconcile_runs.c.id.is_not(None)):
        statement = select(reconcile_runs).where(condition).order_by(reconcile_runs.c.id.desc()).limit(1)
        row = connection.execute(statement).first()
        if row is not None:
            return run_row(row)
    return None
