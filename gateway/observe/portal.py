"""A portal client that times and counts its calls, for the sync workers' metrics.

``MeasuredPortalClient`` wraps any ``PortalClient`` (JSON or SOAP) and, around each call, observes
``dvcgw_portal_call_duration_seconds{operation}`` and counts ``dvcgw_portal_calls_total{operation,
outcome}``: ``ok`` when the portal answered (item verdicts are the delivery's business, counted as
acknowledged / retried / dead), else the class of the error (``PortalUnavailable``,
``PortalRejected``, ...). The duration is the call as the worker sees it: the client's short
retries and a re-login included. Operations are the portal's own names (``DongBoHoSoMC``,
``CapNhatTienDoHoSoMC``, ``TraCuuHoSo``, ``DanhSachHoSoThayDoi``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from gateway.observe.metrics import PORTAL_CALL_SECONDS, PORTAL_CALLS
from gateway.portal import ChangedPage, ItemResult, PortalClient
from gateway.portal.binding import CHANGES, HISTORY, LOOKUP, SYNC

T = TypeVar("T")
OK = "ok"


class MeasuredPortalClient:
    """``PortalClient`` around another one, measuring every call (see the module)."""

    def __init__(self, inner: PortalClient) -> None:
        self.inner = inner

    def sync_dossiers(
        self, records: Sequence[Mapping[str, Any]], *, update: bool, madonvi: str
    ) -> list[ItemResult]:
        return _measured(SYNC, lambda: self.inner.sync_dossiers(records, update=update, madonvi=madonvi))

    def push_history(self, entries: Sequence[Mapping[str, Any]], *, madonvi: str) -> list[ItemResult]:
        return _measured(HISTORY, lambda: self.inner.push_history(entries, madonvi=madonvi))

    def lookup(self, ma_ho_so: str) -> dict[str, Any] | None:
        return _measured(LOOKUP, lambda: self.inner.lookup(ma_ho_so))

    def changed(
        self,
        *,
        since: str | None,
        until: str | None,
        cursor: str | None,
        page_size: int = 100,
        madonvi: str | None = None,
    ) -> ChangedPage:
        return _measured(
            CHANGES,
            lambda: self.inner.changed(
                since=since, until=until, cursor=cursor, page_size=page_size, madonvi=madonvi
            ),
        )

    def close(self) -> None:
        self.inner.close()


def _measured(operation: str, call: Callable[[], T]) -> T:
    started = time.perf_counter()
    outcome = OK
    try:
        return call()
    except Exception as exc:
        outcome = type(exc).__name__
        raise
    finally:
        PORTAL_CALL_SECONDS.labels(operation).observe(time.perf_counter() - started)
        PORTAL_CALLS.labels(operation, outcome).inc()
