"""A portal client that times and counts its calls, for the daemon's metrics.

``MeasuredPortalClient`` wraps any ``PortalClient`` (the envelope API over JSON or SOAP, or the
coordination generation) and, around each call, observes
``dvcgw_portal_call_duration_seconds{operation}`` and counts ``dvcgw_portal_calls_total{operation,
outcome}``: ``ok`` when the portal answered (item verdicts are the delivery's business, counted as
acknowledged / retried / dead), else the class of the error (``PortalUnavailable``,
``PortalRejected``, ...). The duration is the call as the caller sees it: the client's short
retries and a re-login included. The sync workers and the daemon's reconciliation use it.

``operation`` is the name of the portal operation the client really calls (``operations_of``):

- the envelope API (JSON or SOAP binding): ``DongBoHoSoMC`` (``sync_dossiers``, insert and update),
  ``CapNhatTienDoHoSoMC`` (``push_history``), ``TraCuuHoSo`` (``lookup``),
  ``DanhSachHoSoThayDoi`` (``changed``);
- the coordination generation: ``ThemMoiHoSo`` (``sync_dossiers`` insert), ``CapNhatHoSo``
  (update), ``DongBoTienTrinh`` (``push_history``: possibly several batches, measured as one
  call); ``lookup`` and ``changed`` keep the envelope API's names, since that API answers them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from gateway.observe.metrics import PORTAL_CALL_SECONDS, PORTAL_CALLS
from gateway.portal import ChangedPage, CoordinationPortalClient, ItemResult, PortalClient
from gateway.portal import coordination as coordination_api
from gateway.portal.binding import CHANGES, HISTORY, LOOKUP, SYNC

T = TypeVar("T")
OK = "ok"


@dataclass(frozen=True)
class Operations:
    """The portal operation behind each method of a client: the ``operation`` label values."""

    insert: str
    update: str
    history: str
    lookup: str = LOOKUP
    changes: str = CHANGES


ENVELOPE = Operations(insert=SYNC, update=SYNC, history=HISTORY)
COORDINATION = Operations(
    insert=coordination_api.INSERT, update=coordination_api.UPDATE, history=coordination_api.PROGRESS
)


def operations_of(client: PortalClient) -> Operations:
    """The operations ``client`` calls: the coordination generation's, else the envelope API's."""
    return COORDINATION if isinstance(client, CoordinationPortalClient) else ENVELOPE


class MeasuredPortalClient:
    """``PortalClient`` around another one, measuring every call (see the module)."""

    def __init__(self, inner: PortalClient) -> None:
        self.inner = inner
        self.operations = operations_of(inner)

    def sync_dossiers(
        self, records: Sequence[Mapping[str, Any]], *, update: bool, madonvi: str
    ) -> list[ItemResult]:
        operation = self.operations.update if update else self.operations.insert
        return _measured(operation, lambda: self.inner.sync_dossiers(records, update=update, madonvi=madonvi))

    def push_history(self, entries: Sequence[Mapping[str, Any]], *, madonvi: str) -> list[ItemResult]:
        return _measured(self.operations.history, lambda: self.inner.push_history(entries, madonvi=madonvi))

    def lookup(self, ma_ho_so: str) -> dict[str, Any] | None:
        return _measured(self.operations.lookup, lambda: self.inner.lookup(ma_ho_so))

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
            self.operations.changes,
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
