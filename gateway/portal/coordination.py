"""The portal client of the coordination generation ("hệ thống điều phối"), over httpx.

For the sync workers, through ``gateway.portal.make_client`` (``portal.api: coordination``). The
generation (docs/national-portal.md; docs/portal-sim.md, "Coordination API") posts **bare JSON
arrays** of records to three URLs, with no login, session or ``madonvi``:

* ``sync_dossiers(update=False)`` → ``portal.coordination_insert_path`` (``ThemMoiHoSo``);
* ``sync_dossiers(update=True)`` → ``portal.coordination_update_path`` (``CapNhatHoSo``);
* ``push_history`` → ``portal.coordination_progress_path`` (``DongBoTienTrinh``), in calls of at
  most ``portal.coordination_progress_batch`` entries (10: what the Thanh Hóa client sends).

Each path is taken relative to ``portal.url``, or as it is when it is a full URL. Answers are judged
by their Vietnamese words in ``classify`` (``coordination_items``, ``coordination_dossier_item``,
``coordination_history_item``): an insert answered "đã tồn tại" is ``EXISTS``, so the worker's
insert → update fallback runs as with the envelope API. Each call runs under the retry policy
(``retry.py``) and is bounded by ``httpx.Timeout(portal.timeout_s)``; one ``httpx.Client`` keeps
its connections alive.

The generation has no look-up and no change listing, which reconciliation, the readiness probe and
``dvcgw trace`` need. ``lookup`` and ``changed`` therefore go to the **envelope API** at the same
``portal.url`` (``portal.binding``, ``portal.username``, ``DVCGW_PORTAL_PASSWORD``), through a
client of that API made on first use. Without a password they raise ``PortalRejected``: the
coordination generation does not offer them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Self

import httpx
import structlog

from gateway.config import PortalConfig
from gateway.errors import ConfigError
from gateway.portal import classify
from gateway.portal.binding import CHANGES, LOOKUP, check_limits, log_batch, sent_codes
from gateway.portal.classify import CallRejected, ItemJudge
from gateway.portal.interface import ChangedPage, ItemResult, PortalClient
from gateway.portal.retry import retry_policy

INSERT = "ThemMoiHoSo"
UPDATE = "CapNhatHoSo"
PROGRESS = "DongBoTienTrinh"
_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}

log = structlog.get_logger(__name__)


class CoordinationPortalClient:
    """``PortalClient`` over the coordination generation. One per thread (its httpx client and
    its envelope client are not shared).

    ``envelope`` makes the envelope-API client that answers ``lookup`` and ``changed``;
    ``transport`` replaces httpx's network transport (tests: ``httpx.MockTransport``).
    """

    binding = "coordination"

    def __init__(
        self,
        config: PortalConfig,
        *,
        envelope: Callable[[], PortalClient],
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        check_limits(config)
        if (size := config.coordination_progress_batch) < 1:
            raise ConfigError(f"portal.coordination_progress_batch must be at least 1, got {size}")
        self.config = config
        self._make_envelope = envelope
        self._envelope: PortalClient | None = None
        self._policies = {op: retry_policy(config, op) for op in (INSERT, UPDATE, PROGRESS)}
        # trust_env=False: the portal's address is the configuration's, never an unasked proxy.
        self._http = httpx.Client(
            base_url=config.url.rstrip("/"),
            timeout=httpx.Timeout(config.timeout_s),
            transport=transport,
            trust_env=False,
            headers=_HEADERS,
        )

    # ---- PortalClient ---------------------------------------------------------------------------

    def sync_dossiers(
        self, records: Sequence[Mapping[str, Any]], *, update: bool, madonvi: str
    ) -> list[ItemResult]:
        del madonvi  # no envelope: the records' own MaHoSo say whose they are
        if not records:
            return []
        operation = UPDATE if update else INSERT
        path = self.config.coordination_update_path if update else self.config.coordination_insert_path
        results = self._batch(operation, path, records, classify.coordination_dossier_item)
        log_batch(operation, self.binding, results, update=update)
        return results

    def push_history(self, entries: Sequence[Mapping[str, Any]], *, madonvi: str) -> list[ItemResult]:
        del madonvi
        size = self.config.coordination_progress_batch
        results: list[ItemResult] = []
        for start in range(0, len(entries), size):
            chunk = entries[start : start + size]
            answered = self._batch(
                PROGRESS, self.config.coordination_progress_path, chunk, classify.coordination_history_item
            )
            log_batch(PROGRESS, self.binding, answered)
            results += answered
        return results

    def lookup(self, ma_ho_so: str) -> dict[str, Any] | None:
        return self._lookups(LOOKUP).lookup(ma_ho_so)

    def changed(
        self,
        *,
        since: str | None,
        until: str | None,
        cursor: str | None,
        page_size: int = 100,
        madonvi: str | None = None,
    ) -> ChangedPage:
        return self._lookups(CHANGES).changed(
            since=since, until=until, cursor=cursor, page_size=page_size, madonvi=madonvi
        )

    def close(self) -> None:
        self._http.close()
        envelope, self._envelope = self._envelope, None
        if envelope is not None:
            envelope.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ---- the wire -------------------------------------------------------------------------------

    def _batch(
        self, operation: str, path: str, records: Sequence[Mapping[str, Any]], judge: ItemJudge
    ) -> list[ItemResult]:
        sent = sent_codes(records)
        content = classify.encode_json(operation, list(records))

        def call() -> list[ItemResult]:
            with classify.httpx_errors(operation):
                response = self._http.post(path, content=content)
            answers = classify.coordination_items(operation, response, len(sent))
            return classify.item_results(operation, sent, answers, judge)

        return self._policies[operation](call)

    def _lookups(self, operation: str) -> PortalClient:
        if self._envelope is None:
            if self.config.password is None:
                raise CallRejected(
                    f"{operation}: not offered by the coordination API generation; set "
                    "DVCGW_PORTAL_PASSWORD to answer it from the envelope API at portal.url"
                )
            self._envelope = self._make_envelope()
        return self._envelope
