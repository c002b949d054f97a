"""The portal's JSON binding over httpx: ``POST /api/v1/login`` and ``POST /api/v1/integration``.

For the sync workers and the reconciler, through ``gateway.portal.make_client`` (``portal.binding:
json``). One ``httpx.Client`` per portal client keeps its connections alive between calls; every
call is bounded by ``httpx.Timeout(portal.timeout_s)`` (connect, read, write and pool alike).

Wire format (docs/portal-sim.md, "JSON API"): login with ``{"username", "password"}`` gives a
``session``; every integration call is ``{"session", "madonvi", "service", ...}`` and every answer
``{"error_code", "message", "result"}``. Bodies are encoded and decoded with orjson. Judging the
answers is ``classify``'s job; retry and re-login are ``Binding``'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from gateway.config import PortalConfig
from gateway.errors import ConfigError
from gateway.portal import classify
from gateway.portal.binding import CHANGES, HISTORY, LOOKUP, SYNC, Binding
from gateway.portal.classify import ItemAnswer
from gateway.portal.interface import ChangedItem, ChangedPage

LOGIN_PATH = "/api/v1/login"
INTEGRATION_PATH = "/api/v1/integration"
_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


class JsonPortalClient(Binding):
    """``PortalClient`` over the JSON API. One per thread (see ``Binding``).

    ``transport`` replaces httpx's network transport (tests: ``httpx.MockTransport``).
    """

    binding = "json"

    def __init__(self, config: PortalConfig, *, transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(config)
        # trust_env=False: the portal's address is the configuration's, never a proxy from the
        # environment that nobody configured for it.
        self._http = httpx.Client(
            base_url=config.url.rstrip("/"),
            timeout=httpx.Timeout(config.timeout_s),
            transport=transport,
            trust_env=False,
            headers=_HEADERS,
        )

    # ---- calls ----------------------------------------------------------------------------------

    def _login(self) -> str:
        body = {"username": self.config.username, "password": self.config.password}
        document = self._post("login", LOGIN_PATH, body)
        session = document.get("session")
        if not isinstance(session, str):
            result = document.get("result")
            session = result.get("session") if isinstance(result, dict) else None
        if not isinstance(session, str) or not session:
            raise classify.invalid_answer("login", "no session in the login answer", status=200)
        return session

    def _sync(
        self, session: str, records: Sequence[Mapping[str, Any]], update: bool, madonvi: str
    ) -> list[ItemAnswer]:
        document = self._integration(
            SYNC, session, madonvi, isUpdating="True" if update else "False", data=list(records)
        )
        return _items(SYNC, document)

    def _history(self, session: str, entries: Sequence[Mapping[str, Any]], madonvi: str) -> list[ItemAnswer]:
        document = self._integration(HISTORY, session, madonvi, data=list(entries))
        return _items(HISTORY, document)

    def _lookup(self, session: str, ma_ho_so: str, madonvi: str) -> dict[str, Any] | None:
        result = self._integration(LOOKUP, session, madonvi, mahoso=ma_ho_so).get("result")
        if result == []:
            return None
        if isinstance(result, list) and len(result) == 1 and isinstance(result[0], dict):
            return result[0]
        raise classify.invalid_answer(LOOKUP, "result is not [] or [record]", status=200)

    def _changed(
        self,
        session: str,
        since: str | None,
        until: str | None,
        cursor: str | None,
        page_size: int,
        madonvi: str | None,
    ) -> ChangedPage:
        if madonvi is None:
            raise ConfigError(
                f"{CHANGES} over JSON needs the sending agency: set portal.madonvi "
                "(DVCGW_PORTAL_MADONVI) or pass madonvi="
            )
        result = self._integration(
            CHANGES, session, madonvi, tu_ngay=since, den_ngay=until, cursor=cursor, page_size=page_size
        ).get("result")
        items = result.get("items") if isinstance(result, dict) else None
        next_cursor = result.get("next_cursor") if isinstance(result, dict) else None
        if not isinstance(items, list) or not (next_cursor is None or isinstance(next_cursor, str)):
            raise classify.invalid_answer(CHANGES, "result is not {items, next_cursor}", status=200)
        return ChangedPage([_changed_item(item) for item in items], next_cursor or None)

    def _close(self) -> None:
        self._http.close()

    # ---- the wire -------------------------------------------------------------------------------

    def _integration(self, service: str, session: str, madonvi: str, **fields: Any) -> dict[str, Any]:
        body = {"session": session, "madonvi": madonvi, "service": service, **fields}
        return self._post(service, INTEGRATION_PATH, body)

    def _post(self, operation: str, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        content = classify.encode_json(operation, body)
        with classify.httpx_errors(operation):
            response = self._http.post(path, content=content)
        return classify.json_answer(operation, response)


def _items(operation: str, document: Mapping[str, Any]) -> list[ItemAnswer]:
    result = document.get("result")
    if not isinstance(result, list):
        raise classify.invalid_answer(operation, "result is not a list of item outcomes", status=200)
    answers = []
    for item in result:
        code = item.get("error_code") if isinstance(item, dict) else None
        if isinstance(code, bool) or not isinstance(code, int):
            raise classify.invalid_answer(operation, "an item outcome has no integer error_code", status=200)
        ma_ho_so, message = item.get("MaHoSo"), item.get("message")
        answers.append(
            ItemAnswer(
                ma_ho_so if isinstance(ma_ho_so, str) else "",
                code,
                message if isinstance(message, str) else "",
            )
        )
    return answers


def _changed_item(item: Any) -> ChangedItem:
    values = [item.get(key) if isinstance(item, dict) else None for key in _CHANGE_KEYS]
    texts = [value for value in values if isinstance(value, str)]
    if len(texts) != len(_CHANGE_KEYS):
        raise classify.invalid_answer(CHANGES, f"a change is not {{{', '.join(_CHANGE_KEYS)}}}", status=200)
    ma_ho_so, status, changed_at, record_hash = texts
    return ChangedItem(ma_ho_so=ma_ho_so, status=status, changed_at=changed_at, record_hash=record_hash)


_CHANGE_KEYS = ("MaHoSo", "TrangThaiHoSo", "ThoiDiemThayDoi", "MaBam")
