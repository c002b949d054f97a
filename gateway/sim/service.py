"""What the simulated portal's operations do, whatever the transport (JSON or SOAP).

The transports parse and validate; this module decides each item's fate and keeps the truth:

* ``DongBoHoSoMC`` (``sync_dossiers``): while a procedure catalogue is in force, a dossier whose
  ``MaTTHC`` it does not list fails for good with "unknown procedure", insert or update alike; then
  insert (``isUpdating`` "False") fails with "already exists" for a MaHoSo the portal holds, update
  ("True") fails with "not found" for one it does not; every accepted item becomes a new version, a
  backward status move is accepted but counted as a regression, and accept-then-lose (fault spec
  ``lose_rate``) answers success without storing.
* ``CapNhatTienDoHoSoMC`` (``add_history``): entries for a held dossier are appended; the same entry
  sent twice is stored once (and answered as accepted, so a retry is harmless).
* ``TraCuuHoSo`` (``look_up``): the current record, or None.
* ``LayDanhSachTTHC`` (``procedures``) and ``LayThuTuc`` (``procedure``): the catalogue in force,
  or the built-in one when there is none (lookups only: it refuses no dossier).
* ``DanhSachHoSoThayDoi`` (``changes``, our addition for reconciliation): codes of the dossiers whose
  content changed in a window, with status and content hash, paged by an opaque keyset cursor.

Items are processed in order, each seeing the ones before it (the same MaHoSo twice in one insert
batch: the second "already exists"), all in one store transaction per call.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import structlog

from gateway.sim.catalogue import Catalogue, Procedure
from gateway.sim.codes import CallRefused, ErrorCode
from gateway.sim.contract import Violation
from gateway.sim.faults import FaultInjector
from gateway.sim.records import record_hash
from gateway.sim.store import Change, SimStore, StoreTx
from gateway.sim.transitions import is_regression

Record = dict[str, Any]

PORTAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PORTAL_TIME_FORMAT = "%Y%m%d%H%M%S"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Item:
    """One item of a batch as a transport received it: a complete valid record, or violations."""

    ma_ho_so: str
    record: Record | None
    violations: tuple[Violation, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """The fate of one item: MaHoSo, ``code`` (OK when accepted) and a message for people."""

    ma_ho_so: str
    code: ErrorCode
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"MaHoSo": self.ma_ho_so, "error_code": int(self.code), "message": self.message}


@dataclass(frozen=True)
class ChangesPage:
    """One page of the changed-dossiers listing, and the cursor of the next (None: last page)."""

    items: list[Change]
    next_cursor: str | None


def summarize(outcomes: Sequence[Outcome]) -> tuple[ErrorCode, str]:
    """The call-level code and message of a processed batch."""
    refused = sum(1 for o in outcomes if o.code != ErrorCode.OK)
    if refused:
        return ErrorCode.SOME_ITEMS_REFUSED, f"{refused} of {len(outcomes)} item(s) refused; see each item"
    return ErrorCode.OK, f"{len(outcomes)} item(s) accepted"


def invalid_message(violations: Sequence[Violation]) -> str:
    """How a refused record's violations read in its outcome: field path and reason, up to five."""
    shown = "; ".join(str(v) for v in violations[:5])
    more = f" (+{len(violations) - 5} more)" if len(violations) > 5 else ""
    return f"invalid record: {shown}{more}"


class PortalService:
    """The operations, over one store, one fault injector (for accept-then-lose) and the procedure
    catalogue in force (``catalogue()``, None when every well-formed code is accepted); lookups
    answer from ``listing()`` (that catalogue, or the built-in one)."""

    def __init__(
        self,
        store: SimStore,
        faults: FaultInjector,
        catalogue: Callable[[], Catalogue | None] = lambda: None,
        clock_us: Callable[[], int] = lambda: time.time_ns() // 1000,
        listing: Callable[[], Catalogue | None] | None = None,
    ) -> None:
        self._store = store
        self._faults = faults
        self._catalogue = catalogue
        self._listing = listing or catalogue
        self._clock_us = clock_us

    def sync_dossiers(self, madonvi: str, is_updating: bool, items: Sequence[Item]) -> list[Outcome]:
        """``DongBoHoSoMC``: insert or update each dossier; one outcome per item, in order."""
        catalogue = self._catalogue()  # read once: one batch, one catalogue
        outcomes: list[Outcome] = []
        with self._store.transaction() as tx:
            for item in items:
                if item.record is None:
                    outcomes.append(
                        _refuse(tx, item.ma_ho_so, ErrorCode.INVALID_RECORD, invalid_message(item.violations))
                    )
                    continue
                ma_tthc = str(item.record["MaTTHC"])
                if catalogue is not None and ma_tthc not in catalogue:
                    outcomes.append(
                        _refuse(
                            tx,
                            item.ma_ho_so,
                            ErrorCode.UNKNOWN_PROCEDURE,
                            f"procedure {ma_tthc} is not in the portal's catalogue of procedures;"
                            " its dossiers are not accepted",
                        )
                    )
                    continue
                outcomes.append(self._sync_one(tx, madonvi, is_updating, item.ma_ho_so, item.record))
        return outcomes

    def _sync_one(self, tx: StoreTx, madonvi: str, is_updating: bool, ma: str, record: Record) -> Outcome:
        state = tx.dossier(ma)
        if not is_updating and state is not None:
            tx.count("duplicates_refused")
            return _refuse(
                tx, ma, ErrorCode.ALREADY_EXISTS, f"dossier {ma} already exists; send it with isUpdating True"
            )
        if is_updating and state is None:
            return _refuse(
                tx, ma, ErrorCode.NOT_FOUND, f"dossier {ma} not found; send it with isUpdating False"
            )
        at = self._clock_us()
        blob = orjson.dumps(record)
        operation = "update" if is_updating else "insert"
        if self._faults.lose(ma):
            # Accept-then-lose: the caller hears success, the store keeps only the evidence.
            tx.add_lost(ma, operation, blob, at)
            tx.count("lost")
            tx.count("faults_injected")
            tx.count("faults.lost")
            return Outcome(ma, ErrorCode.OK, "accepted")
        digest = record_hash(record)
        status = str(record["TrangThaiHoSo"])
        if state is None:
            tx.insert_dossier(ma, madonvi, blob, digest, status, at)
            tx.count("inserts")
            return Outcome(ma, ErrorCode.OK, "inserted")
        regression_from = state.status if is_regression(state.status, status) else None
        tx.update_dossier(ma, madonvi, blob, digest, status, at, regression_from)
        tx.count("updates")
        if digest == state.hash:
            tx.count("unchanged_updates")
        if regression_from is not None:
            tx.count("regressions")
            log.warning("status regression", ma_ho_so=ma, from_status=regression_from, to_status=status)
        return Outcome(ma, ErrorCode.OK, "updated")

    def add_history(self, madonvi: str, items: Sequence[Item]) -> list[Outcome]:
        """``CapNhatTienDoHoSoMC``: append each history entry to its (held) dossier."""
        del madonvi  # carried for the record of the call; entries belong to their dossier
        outcomes: list[Outcome] = []
        with self._store.transaction() as tx:
            for item in items:
                ma = item.ma_ho_so
                if item.record is None:
                    outcomes.append(
                        _refuse(tx, ma, ErrorCode.INVALID_RECORD, invalid_message(item.violations))
                    )
                elif tx.dossier(ma) is None:
                    outcomes.append(
                        _refuse(tx, ma, ErrorCode.NOT_FOUND, f"dossier {ma} not found; sync it first")
                    )
                elif tx.add_history(
                    ma, orjson.dumps(item.record), record_hash(item.record), self._clock_us()
                ):
                    tx.count("history_entries")
                    outcomes.append(Outcome(ma, ErrorCode.OK, "recorded"))
                else:
                    tx.count("history_duplicates")
                    outcomes.append(Outcome(ma, ErrorCode.OK, "already recorded"))
        return outcomes

    def procedures(self) -> list[dict[str, str]]:
        """``LayDanhSachTTHC``: the procedures listed (the catalogue in force, else the built-in one)."""
        catalogue = self._listing()
        return [] if catalogue is None else catalogue.to_json()

    def procedure(self, ma_tthc: str) -> Procedure | None:
        """``LayThuTuc``: the listed procedure of national code ``ma_tthc``, None when unlisted."""
        catalogue = self._listing()
        return None if catalogue is None else catalogue.find(ma_tthc)

    def look_up(self, ma_ho_so: str) -> Record | None:
        """``TraCuuHoSo``: the current record of a dossier, None when the portal does not hold it."""
        return self._store.current(ma_ho_so)

    def changes(
        self, tu_ngay: str | None, den_ngay: str | None, cursor: str | None, page_size: int | None
    ) -> ChangesPage:
        """``DanhSachHoSoThayDoi``: dossiers whose content changed from ``tu_ngay`` to ``den_ngay``.

        Both bounds are inclusive, ``yyyyMMddHHmmss`` portal local time, empty or None for open.
        ``cursor`` is the previous page's ``next_cursor`` (with the same bounds).
        """
        since = parse_portal_time(tu_ngay, "tu_ngay") if tu_ngay else 0
        until = parse_portal_time(den_ngay, "den_ngay") + 1_000_000 if den_ngay else 2**62
        size = DEFAULT_PAGE_SIZE if page_size is None else page_size
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise CallRefused(ErrorCode.BAD_REQUEST, f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        after = decode_cursor(cursor) if cursor else None
        rows = self._store.changes(since, until, after, size + 1)
        page = rows[:size]
        next_cursor = encode_cursor(page[-1].changed_at, page[-1].ma_ho_so) if len(rows) > size else None
        return ChangesPage(page, next_cursor)


def _refuse(tx: StoreTx, ma: str, code: ErrorCode, message: str) -> Outcome:
    tx.count("refused")
    tx.count(f"refused.{code.reason}")
    return Outcome(ma, code, message)


def parse_portal_time(text: str, name: str) -> int:
    """``yyyyMMddHHmmss`` in portal local time → µs since the epoch."""
    refusal = CallRefused(ErrorCode.BAD_REQUEST, f"{name} must be yyyyMMddHHmmss, got {text!r}")
    # strptime alone would take "2024151" (no zero padding): insist on 14 digits first.
    if len(text) != 14 or not text.isdigit():
        raise refusal
    try:
        moment = datetime.strptime(text, PORTAL_TIME_FORMAT).replace(tzinfo=PORTAL_TZ)
    except ValueError as exc:
        raise refusal from exc
    return (moment - _EPOCH) // timedelta(microseconds=1)


def portal_time(us: int) -> str:
    """µs since the epoch → ``yyyyMMddHHmmss`` in portal local time."""
    return (_EPOCH + timedelta(microseconds=us)).astimezone(PORTAL_TZ).strftime(PORTAL_TIME_FORMAT)


def iso_time(us: int) -> str:
    """µs since the epoch → ISO 8601 in portal local time, with offset and microseconds."""
    return (_EPOCH + timedelta(microseconds=us)).astimezone(PORTAL_TZ).isoformat(timespec="microseconds")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def encode_cursor(changed_at: int, ma_ho_so: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([changed_at, ma_ho_so])).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = orjson.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise CallRefused(ErrorCode.BAD_REQUEST, "cursor is not one this portal issued") from exc
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], int)
        or isinstance(value[0], bool)
        or not isinstance(value[1], str)
    ):
        raise CallRefused(ErrorCode.BAD_REQUEST, "cursor is not one this portal issued")
    return value[0], value[1]
