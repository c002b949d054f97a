"""What the gateway did hour by hour: the operator console's dashboard.

For the console's dashboard (``gateway.web.console``): how many messages the portal acknowledged
and how many died in each of the last hours. This module chooses the hours; the store counts them
(``Store.hourly_outcomes``: read-only, one short read transaction).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gateway.store import HourCount, Store

HOUR = timedelta(hours=1)

__all__ = ["HOUR", "HourCount", "hour_starts", "hourly"]


def hour_starts(now: datetime, hours: int) -> list[datetime]:
    """The starts of the last ``hours`` hours, oldest first; the last one is the hour ``now`` is in."""
    current = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return [current - HOUR * back for back in range(hours - 1, -1, -1)]


def hourly(store: Store, *, hours: int, now: datetime | None = None) -> list[HourCount]:
    """Acknowledged and dead messages in each of the last ``hours`` hours, oldest first."""
    return store.hourly_outcomes(hour_starts(now or datetime.now(UTC), hours))
