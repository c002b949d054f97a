"""The newer generation of the portal's dossier API ("hệ thống điều phối"), as the Thanh Hóa
one-stop client (``SyncLocalDataToDVCQGService``) uses it.

Three URLs, each taking a **bare JSON array** of records, with no ``session``/``service`` envelope
and no authentication (that client sends none: only ``Accept`` and ``Content-Type``; the
coordination system is reached over the provincial sharing platform's network):

* ``POST /api/dieuphoi/ThemMoiHoSo``: insert dossiers (``HoSo``);
* ``POST /api/dieuphoi/CapNhatHoSo``: update dossiers;
* ``POST /api/dieuphoi/DongBoTienTrinh``: append processing-history entries (``BuocXuLy``).

Answers are ``{"error_code", "message", "result"}`` where clients judge ``message`` by its
Vietnamese words: success says "thành công"; an insert of a dossier the portal holds answers
``error_code`` 3 with "đã tồn tại" (the client also accepts 0 and -3 there, then sends the update).
No failure message contains "thành công" (not even as "không thành công"). ``result`` holds one
``{"MaHoSo", "error_code", "message"}`` per item; the call's code and message are the first refused
item's, or 0 and a success message when every item was accepted. The same records, tolerance,
catalogue check, faults, counters and truth API as the envelope API (``gateway.sim.rest``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gateway.sim.codes import CallRefused, ErrorCode
from gateway.sim.portal import Portal
from gateway.sim.rest import judge_item
from gateway.sim.service import Item, Outcome
from gateway.sim.wire import json_response, parse_json, read_body, refusal

PREFIX = "/api/dieuphoi"
INSERT_PATH = f"{PREFIX}/ThemMoiHoSo"
UPDATE_PATH = f"{PREFIX}/CapNhatHoSo"
PROGRESS_PATH = f"{PREFIX}/DongBoTienTrinh"

ITEM_CODES = {
    ErrorCode.OK: 0,
    ErrorCode.INVALID_RECORD: -1,
    ErrorCode.NOT_FOUND: -2,
    ErrorCode.ALREADY_EXISTS: 3,
    ErrorCode.UNKNOWN_PROCEDURE: -4,
}
"""This generation's item codes for each of our outcomes (docs/portal-sim.md)."""


class CoordinationApi:
    """The three bare-array routes of one portal."""

    def __init__(self, portal: Portal) -> None:
        self._portal = portal

    def routes(self) -> list[BaseRoute]:
        return [
            Route(INSERT_PATH, self.insert, methods=["POST"]),
            Route(UPDATE_PATH, self.update, methods=["POST"]),
            Route(PROGRESS_PATH, self.progress, methods=["POST"]),
        ]

    async def insert(self, request: Request) -> Response:
        return await self._call(request, "HoSo", lambda items: self._sync(items, updating=False))

    async def update(self, request: Request) -> Response:
        return await self._call(request, "HoSo", lambda items: self._sync(items, updating=True))

    async def progress(self, request: Request) -> Response:
        return await self._call(request, "BuocXuLy", self._history)

    async def _call(
        self, request: Request, type_name: str, handle: Callable[[list[Item]], list[Outcome]]
    ) -> Response:
        portal = self._portal
        try:
            body = await read_body(request, portal.max_body_bytes)
            decision = await portal.admit(request)
            document = parse_json(body)
            if not isinstance(document, list) or not document:
                raise CallRefused(
                    ErrorCode.BAD_REQUEST, "Dữ liệu phải là một mảng JSON có ít nhất một phần tử"
                )
            if len(document) > portal.batch_max:
                raise CallRefused(
                    ErrorCode.BATCH_TOO_LARGE,
                    f"Lô {len(document)} phần tử vượt quá tối đa {portal.batch_max}; hãy chia nhỏ",
                )
            outcomes = handle([judge_item(portal, value, type_name) for value in document])
            await portal.finish(request, decision)
        except CallRefused as exc:
            portal.note_refusal(exc)
            return refusal(exc)
        return _answer(outcomes, type_name)

    def _sync(self, items: list[Item], *, updating: bool) -> list[Outcome]:
        # No envelope, no madonvi: a version records the agency that prefixes the first MaHoSo.
        agency = items[0].ma_ho_so.split("-", 1)[0] if items and items[0].ma_ho_so else ""
        return self._portal.service.sync_dossiers(agency, updating, items)

    def _history(self, items: list[Item]) -> list[Outcome]:
        return self._portal.service.add_history("", items)


def _answer(outcomes: Sequence[Outcome], type_name: str) -> Response:
    results = [_item_result(o, type_name) for o in outcomes]
    refused = [r for r in results if r["error_code"] != 0]
    if refused:
        first = refused[0]
        message = f"{len(refused)}/{len(results)} phần tử bị từ chối. {first['message']}"
        body: dict[str, Any] = {"error_code": first["error_code"], "message": message, "result": results}
    else:
        done = "Đồng bộ tiến trình" if type_name == "BuocXuLy" else "Đồng bộ hồ sơ"
        body = {"error_code": 0, "message": f"{done} thành công ({len(results)})", "result": results}
    return json_response(body, 200)


def _item_result(outcome: Outcome, type_name: str) -> dict[str, Any]:
    ma = outcome.ma_ho_so
    code = outcome.code
    if code == ErrorCode.OK:
        message = "Cập nhật tiến trình thành công" if type_name == "BuocXuLy" else "Thành công"
        if outcome.message == "already recorded":
            message = "Tiến trình đã được ghi nhận trước đó; thành công"
    elif code == ErrorCode.ALREADY_EXISTS:
        message = f"Hồ sơ {ma} đã tồn tại"
    elif code == ErrorCode.NOT_FOUND:
        message = f"Hồ sơ {ma} chưa có trên hệ thống"
    elif code == ErrorCode.UNKNOWN_PROCEDURE:
        message = f"Thủ tục của hồ sơ {ma} không có trong danh mục thủ tục hành chính"
    else:
        # The reason (English, naming the field and the rule) follows the Vietnamese words.
        message = f"Dữ liệu hồ sơ {ma} không hợp lệ: {outcome.message}"
    return {"MaHoSo": ma, "error_code": ITEM_CODES.get(code, -1), "message": message}
