"""The half of a portal client that does not depend on the wire: session, retry, outcomes, logs.

``Binding`` implements ``PortalClient``'s public methods once for both bindings. A subclass
(``rest.JsonPortalClient``, ``soap.SoapPortalClient``) supplies the calls themselves: log in, send
a batch and return the items as the portal wrote them, look up, list changes, close. Around them,
``Binding``

* logs in lazily, on the first call, and keeps the session;
* when the portal says the session is no longer valid (401 / 11), logs in again once and repeats
  the call at once: an expired session is routine, not a failed attempt;
* runs each public method under the retry policy (``retry.py``), one layer, login included;
* turns item answers into ``ItemResult``s (``classify.item_results``) and logs one line per batch
  with counts and codes (never record contents).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from types import TracebackType
from typing import Any, Self, TypeVar

import structlog
from tenacity import Retrying

from gateway.config import PortalConfig
from gateway.errors import ConfigError
from gateway.portal import classify
from gateway.portal.classify import ItemAnswer, LoginRefused, SessionInvalid
from gateway.portal.interface import ChangedPage, ItemOutcome, ItemResult
from gateway.portal.retry import retry_policy

T = TypeVar("T")

SYNC = "DongBoHoSoMC"
HISTORY = "CapNhatTienDoHoSoMC"
LOOKUP = "TraCuuHoSo"
CHANGES = "DanhSachHoSoThayDoi"
OPERATIONS = (SYNC, HISTORY, LOOKUP, CHANGES)

log = structlog.get_logger(__name__)


def check_config(config: PortalConfig) -> None:
    """Refuse a portal configuration no client can work with, naming the key to fix."""
    if config.password is None:
        raise ConfigError(
            "portal.password is not set: set the environment variable DVCGW_PORTAL_PASSWORD "
            "(the portal password is read from the environment only)"
        )
    check_limits(config)


def check_limits(config: PortalConfig) -> None:
    """Refuse timeouts and retry bounds no client can work with (every API generation)."""
    if config.timeout_s <= 0:
        raise ConfigError(f"portal.timeout_s must be more than 0, got {config.timeout_s}")
    if config.call_attempts < 1:
        raise ConfigError(f"portal.call_attempts must be at least 1, got {config.call_attempts}")
    if config.backoff_initial_s < 0 or config.backoff_max_s < 0 or config.max_retry_after_s < 0:
        raise ConfigError("portal.backoff_initial_s, backoff_max_s and max_retry_after_s must be 0 or more")


class Binding(ABC):
    """``PortalClient`` over one wire binding; subclasses implement the ``_`` calls.

    Not thread-safe: a client keeps one session and one connection pool (and, for SOAP, a zeep
    client whose requests.Session is not documented as thread-safe). Use one per thread.
    """

    binding = "?"

    def __init__(self, config: PortalConfig) -> None:
        check_config(config)
        self.config = config
        self._session: str | None = None
        self._policies: dict[str, Retrying] = {op: retry_policy(config, op) for op in OPERATIONS}

    # ---- PortalClient ---------------------------------------------------------------------------

    def sync_dossiers(
        self, records: Sequence[Mapping[str, Any]], *, update: bool, madonvi: str
    ) -> list[ItemResult]:
        if not records:
            return []
        sent = sent_codes(records)

        def call(session: str) -> list[ItemResult]:
            return classify.item_results(SYNC, sent, self._sync(session, records, update, madonvi))

        results = self._call(SYNC, call)
        log_batch(SYNC, self.binding, results, update=update)
        return results

    def push_history(self, entries: Sequence[Mapping[str, Any]], *, madonvi: str) -> list[ItemResult]:
        if not entries:
            return []
        sent = sent_codes(entries)

        def call(session: str) -> list[ItemResult]:
            return classify.item_results(HISTORY, sent, self._history(session, entries, madonvi))

        results = self._call(HISTORY, call)
        log_batch(HISTORY, self.binding, results)
        return results

    def lookup(self, ma_ho_so: str) -> dict[str, Any] | None:
        # The sending agency of a look-up: the configured one, else the dossier's own agency prefix.
        madonvi = self.config.madonvi or ma_ho_so.split("-", 1)[0]
        return self._call(LOOKUP, lambda session: self._lookup(session, ma_ho_so, madonvi))

    def changed(
        self,
        *,
        since: str | None,
        until: str | None,
        cursor: str | None,
        page_size: int = 100,
        madonvi: str | None = None,
    ) -> ChangedPage:
        agency = madonvi or self.config.madonvi
        page = self._call(
            CHANGES, lambda session: self._changed(session, since, until, cursor, page_size, agency)
        )
        log.info(
            "portal changes listed",
            operation=CHANGES,
            binding=self.binding,
            items=len(page.items),
            more=page.next_cursor is not None,
        )
        return page

    def close(self) -> None:
        self._session = None
        self._close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ---- what a binding implements ----------------------------------------------------------------

    @abstractmethod
    def _login(self) -> str:
        """Log in; return the session token."""

    @abstractmethod
    def _sync(
        self, session: str, records: Sequence[Mapping[str, Any]], update: bool, madonvi: str
    ) -> list[ItemAnswer]:
        """Send one ``DongBoHoSoMC`` call; return the item answers as written."""

    @abstractmethod
    def _history(self, session: str, entries: Sequence[Mapping[str, Any]], madonvi: str) -> list[ItemAnswer]:
        """Send one ``CapNhatTienDoHoSoMC`` call; return the item answers as written."""

    @abstractmethod
    def _lookup(self, session: str, ma_ho_so: str, madonvi: str) -> dict[str, Any] | None:
        """One ``TraCuuHoSo`` call: the complete record, or None."""

    @abstractmethod
    def _changed(
        self,
        session: str,
        since: str | None,
        until: str | None,
        cursor: str | None,
        page_size: int,
        madonvi: str | None,
    ) -> ChangedPage:
        """One ``DanhSachHoSoThayDoi`` call."""

    @abstractmethod
    def _close(self) -> None:
        """Release the connections."""

    # ---- session and retry ----------------------------------------------------------------------

    def _call(self, operation: str, call: Callable[[str], T]) -> T:
        return self._policies[operation](partial(self._with_session, operation, call))

    def _with_session(self, operation: str, call: Callable[[str], T]) -> T:
        session = self._session or self._log_in()
        try:
            return call(session)
        except SessionInvalid:
            self._session = None
            log.info(
                "portal session no longer valid; logging in again", operation=operation, binding=self.binding
            )
        try:
            return call(self._log_in())
        except SessionInvalid:
            # Refused right after a fresh login: the portal is not honouring its own sessions.
            self._session = None
            raise

    def _log_in(self) -> str:
        try:
            self._session = self._login()
        except LoginRefused as exc:
            # Loud on purpose: nothing reaches the portal until an operator fixes the credentials.
            log.error(
                "portal login refused: check portal.username and DVCGW_PORTAL_PASSWORD",
                url=self.config.url,
                binding=self.binding,
                status=exc.status,
                error_code=exc.error_code,
            )
            raise
        return self._session


def sent_codes(records: Sequence[Mapping[str, Any]]) -> list[str]:
    """The MaHoSo of each record sent (``""`` where it has none), to line the answers up with."""
    return [value if isinstance(value := record.get("MaHoSo"), str) else "" for record in records]


def log_batch(operation: str, binding: str, results: list[ItemResult], **extra: Any) -> None:
    """The one log line of an answered batch: counts per outcome and refused codes, no contents."""
    outcomes = Counter(result.outcome for result in results)
    refused_codes = sorted({r.code for r in results if r.outcome is ItemOutcome.REFUSED})
    log.info(
        "portal batch answered",
        operation=operation,
        binding=binding,
        items=len(results),
        ok=outcomes[ItemOutcome.OK],
        exists=outcomes[ItemOutcome.EXISTS],
        not_found=outcomes[ItemOutcome.NOT_FOUND],
        refused=outcomes[ItemOutcome.REFUSED],
        refused_codes=refused_codes,
        **extra,
    )
