"""What a national-portal client is, for the sync workers and the reconciler that use one.

``PortalClient`` is the one interface every client implements (the envelope API's JSON binding over
httpx in ``rest.py`` and SOAP binding over zeep in ``soap.py``; the coordination generation over
httpx in ``coordination.py``); ``gateway.portal.make_client`` picks one from the configuration. Its
answers are plain values:

* a batch call (``DongBoHoSoMC``, ``CapNhatTienDoHoSoMC``) answers one ``ItemResult`` per sent item,
  in the order sent: the portal's verdict on that item (``ItemOutcome``), its code and its message;
* ``lookup`` (``TraCuuHoSo``) answers the portal's complete record or None;
* ``changed`` (``DanhSachHoSoThayDoi``) answers one ``ChangedPage`` of dossiers changed in a window.

A failure of the whole call is an exception of ``gateway.errors``: ``PortalUnavailable`` (transient:
send again later; ``retry_after`` carries a 429's wait) or ``PortalRejected`` (this call can never
succeed as it is). Each call has already been retried briefly inside the client when it raises.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol


class ItemOutcome(StrEnum):
    """The portal's verdict on one item of a batch."""

    OK = "ok"
    """Accepted (inserted, updated, recorded, or an identical history entry already recorded)."""
    EXISTS = "exists"
    """An insert of a MaHoSo the portal already holds."""
    NOT_FOUND = "not_found"
    """An update of a MaHoSo the portal does not hold, or history for a dossier it does not hold."""
    REFUSED = "refused"
    """Refused for good: an invalid record, an unknown procedure, or any code this client does not
    know; ``ItemResult.message`` is the portal's reason."""


@dataclass(frozen=True)
class ItemResult:
    """The fate of one sent item: its MaHoSo, the verdict, the portal's code and message."""

    ma_ho_so: str
    outcome: ItemOutcome
    code: int
    message: str


@dataclass(frozen=True)
class ChangedItem:
    """One dossier the portal saw change: its current status, when, and the hash of its record
    (``gateway.packets.model.record_hash`` of the complete stored record)."""

    ma_ho_so: str
    status: str
    changed_at: str
    record_hash: str


@dataclass(frozen=True)
class ChangedPage:
    """One page of ``DanhSachHoSoThayDoi``; pass ``next_cursor`` back until it is None."""

    items: list[ChangedItem]
    next_cursor: str | None


class PortalClient(Protocol):
    """A logged-in conversation with the national portal. Not thread-safe: one per thread.

    Records are complete national records as ``DossierPacket`` holds them (every field present,
    ``""`` when empty, ``[]`` when nothing repeats).
    """

    def sync_dossiers(
        self, records: Sequence[Mapping[str, Any]], *, update: bool, madonvi: str
    ) -> list[ItemResult]:
        """``DongBoHoSoMC``: insert (``update`` False) or update dossiers; one result per record.

        An insert is not idempotent: when an attempt timed out after the portal stored the record,
        the retried attempt answers EXISTS for it (MaHoSo is the only idempotency key there is).
        """
        ...

    def push_history(self, entries: Sequence[Mapping[str, Any]], *, madonvi: str) -> list[ItemResult]:
        """``CapNhatTienDoHoSoMC``: append processing-history entries; one result per entry."""
        ...

    def lookup(self, ma_ho_so: str) -> dict[str, Any] | None:
        """``TraCuuHoSo``: the portal's complete current record, or None if it does not hold it."""
        ...

    def changed(
        self,
        *,
        since: str | None,
        until: str | None,
        cursor: str | None,
        page_size: int = 100,
        madonvi: str | None = None,
    ) -> ChangedPage:
        """``DanhSachHoSoThayDoi``: dossiers changed between ``since`` and ``until``
        (``yyyyMMddHHmmss``, portal local time, inclusive; None = open), one page."""
        ...

    def close(self) -> None:
        """Release the connections."""
        ...
