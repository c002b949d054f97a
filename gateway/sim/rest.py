"""The simulator's JSON API, at the fixed paths real clients use.

* ``POST /api/v1/login`` ``{"username", "password"}`` → ``{"error_code": 0, "session", "expires_in"}``
  (also under ``result``); wrong credentials → HTTP 401, ``error_code`` 10.
* ``POST /api/v1/integration`` ``{"session", "madonvi", "service", ...}``, dispatching on ``service``:
  ``DongBoHoSoMC`` (``isUpdating``, ``data``), ``CapNhatTienDoHoSoMC`` (``data``), ``TraCuuHoSo``
  (``mahoso``), ``DanhSachHoSoThayDoi`` (``tu_ngay``, ``den_ngay``, ``cursor``, ``page_size``) and
  ``LayDanhSachTTHC`` (nothing more: the procedures listed, from the catalogue in force or the
  built-in one) and ``LayThuTuc`` (``maTTHC``: one procedure, as OpenCPS reads it; ``[]`` when
  unlisted).
  The session may also come as ``Authorization: Bearer <session>``.

Every answer is ``{"error_code", "message", "result"}``; a batch answers one outcome per item.
Each record is first normalised from the wire variants real clients send
(``gateway.sim.tolerance``; not with ``--strict``), then validated against the contract's JSON
Schema (``schemas/dvcqg.schema.json``), then checked for what its XML form could not carry
(``gateway.sim.records.binding_problems``), and held complete. Lone surrogates (``"\\ud800"``
escapes) are refused: in the envelope the whole call (400), in a record that item.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gateway.sim.catalogue import procedure_record
from gateway.sim.codes import CallRefused, ErrorCode
from gateway.sim.portal import Portal
from gateway.sim.records import binding_problems, complete
from gateway.sim.service import Item, portal_time, summarize
from gateway.sim.tolerance import national_procedure_code, normalise
from gateway.sim.wire import answer, parse_json, parse_text_json, read_body, refusal, unicode_problem

Document = dict[str, Any]

_ENVELOPE_KEYS = {
    "DongBoHoSoMC": {"session", "madonvi", "service", "isUpdating", "data"},
    "CapNhatTienDoHoSoMC": {"session", "madonvi", "service", "data"},
    "TraCuuHoSo": {"session", "madonvi", "service", "mahoso"},
    "DanhSachHoSoThayDoi": {"session", "madonvi", "service", "tu_ngay", "den_ngay", "cursor", "page_size"},
    "LayDanhSachTTHC": {"session", "madonvi", "service"},
    "LayThuTuc": {"session", "madonvi", "service", "maTTHC"},
}


class JsonApi:
    """The JSON routes of one portal."""

    def __init__(self, portal: Portal) -> None:
        self._portal = portal
        self._services: dict[str, Callable[[Document], Response]] = {
            "DongBoHoSoMC": self._sync_dossiers,
            "CapNhatTienDoHoSoMC": self._add_history,
            "TraCuuHoSo": self._look_up,
            "DanhSachHoSoThayDoi": self._changes,
            "LayDanhSachTTHC": self._procedures,
            "LayThuTuc": self._procedure,
        }

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/api/v1/login", self.login, methods=["POST"]),
            Route("/api/v1/integration", self.integration, methods=["POST"]),
        ]

    async def login(self, request: Request) -> Response:
        portal = self._portal
        try:
            body = await read_body(request, portal.max_body_bytes)
            decision = await portal.admit(request)
            document = parse_text_json(body)
            if not isinstance(document, dict) or not all(
                isinstance(document.get(k), str) for k in ("username", "password")
            ):
                raise CallRefused(ErrorCode.BAD_REQUEST, 'login needs {"username": "...", "password": "..."}')
            login = portal.sessions.login(document["username"], document["password"])
            if login is None:
                raise CallRefused(ErrorCode.AUTH_FAILED, "wrong username or password")
            await portal.finish(request, decision)
        except CallRefused as exc:
            portal.note_refusal(exc)
            return refusal(exc)
        result = {"session": login.session, "expires_in": login.expires_in}
        return answer(ErrorCode.OK, "logged in", result, **result)

    async def integration(self, request: Request) -> Response:
        portal = self._portal
        try:
            body = await read_body(request, portal.max_body_bytes)
            decision = await portal.admit(request)
            document = parse_json(body)
            if not isinstance(document, dict):
                raise CallRefused(ErrorCode.BAD_REQUEST, "the body must be a JSON object")
            # Records are judged one by one (below); the rest of the call must be text.
            problem = unicode_problem({k: v for k, v in document.items() if k != "data"})
            if problem:
                raise CallRefused(ErrorCode.BAD_REQUEST, f"body refused: {problem}")
            portal.authenticate(_bearer(request) or document.get("session"))
            service = document.get("service")
            handler = self._services.get(service) if isinstance(service, str) else None
            if handler is None:
                known = ", ".join(self._services)
                raise CallRefused(ErrorCode.BAD_REQUEST, f"unknown service {service!r}; known: {known}")
            _check_envelope(document, str(service), portal)
            response = handler(document)
            await portal.finish(request, decision)
        except CallRefused as exc:
            portal.note_refusal(exc)
            return refusal(exc)
        return response

    # ---- services -------------------------------------------------------------------------

    def _sync_dossiers(self, document: Document) -> Response:
        is_updating = document.get("isUpdating")
        if is_updating not in ("True", "False"):
            raise CallRefused(
                ErrorCode.BAD_REQUEST, f'isUpdating must be "True" or "False", got {is_updating!r}'
            )
        items = [self._item(value, "HoSo") for value in self._batch(document)]
        outcomes = self._portal.service.sync_dossiers(document["madonvi"], is_updating == "True", items)
        code, message = summarize(outcomes)
        return answer(code, message, [o.to_json() for o in outcomes])

    def _add_history(self, document: Document) -> Response:
        items = [self._item(value, "BuocXuLy") for value in self._batch(document)]
        outcomes = self._portal.service.add_history(document["madonvi"], items)
        code, message = summarize(outcomes)
        return answer(code, message, [o.to_json() for o in outcomes])

    def _look_up(self, document: Document) -> Response:
        ma_ho_so = document.get("mahoso")
        if not isinstance(ma_ho_so, str):
            raise CallRefused(ErrorCode.BAD_REQUEST, "mahoso must be a string")
        record = self._portal.service.look_up(ma_ho_so)
        if record is None:
            return answer(ErrorCode.OK, f"dossier {ma_ho_so} not found", [])
        return answer(ErrorCode.OK, "found", [record])

    def _changes(self, document: Document) -> Response:
        bounds = {}
        for key in ("tu_ngay", "den_ngay", "cursor"):
            value = document.get(key)
            if value is not None and not isinstance(value, str):
                raise CallRefused(ErrorCode.BAD_REQUEST, f"{key} must be a string")
            bounds[key] = value
        page_size = document.get("page_size")
        if page_size is not None and (isinstance(page_size, bool) or not isinstance(page_size, int)):
            raise CallRefused(ErrorCode.BAD_REQUEST, "page_size must be an integer")
        page = self._portal.service.changes(
            bounds["tu_ngay"], bounds["den_ngay"], bounds["cursor"], page_size
        )
        items = [
            {
                "MaHoSo": c.ma_ho_so,
                "TrangThaiHoSo": c.status,
                "ThoiDiemThayDoi": portal_time(c.changed_at),
                "MaBam": c.hash,
            }
            for c in page.items
        ]
        return answer(
            ErrorCode.OK, f"{len(items)} dossier(s)", {"items": items, "next_cursor": page.next_cursor}
        )

    def _procedures(self, document: Document) -> Response:
        procedures = self._portal.service.procedures()
        return answer(ErrorCode.OK, f"{len(procedures)} procedure(s)", procedures)

    def _procedure(self, document: Document) -> Response:
        code = document.get("maTTHC")
        if not isinstance(code, str):
            raise CallRefused(ErrorCode.BAD_REQUEST, "maTTHC must be a string")
        procedure = self._portal.service.procedure(national_procedure_code(code.strip()))
        if procedure is None:
            return answer(ErrorCode.OK, f"procedure {code} is not listed", [])
        return answer(ErrorCode.OK, "found", [procedure_record(procedure)])

    # ---- helpers --------------------------------------------------------------------------

    def _batch(self, document: Document) -> list[Any]:
        data = document.get("data")
        if not isinstance(data, list) or not data:
            raise CallRefused(ErrorCode.BAD_REQUEST, "data must be a non-empty array")
        if len(data) > self._portal.batch_max:
            raise CallRefused(
                ErrorCode.BATCH_TOO_LARGE,
                f"batch of {len(data)} items is over the maximum of {self._portal.batch_max}; split it",
            )
        return data

    def _item(self, value: Any, type_name: str) -> Item:
        return judge_item(self._portal, value, type_name)


def judge_item(portal: Portal, value: Any, type_name: str) -> Item:
    """One JSON record of a batch, judged: complete and valid (normalised first unless the portal
    is strict), or refused with its violations. Shared by both JSON API generations."""
    contract = portal.contract
    ma = value.get("MaHoSo") if isinstance(value, dict) else None
    # Echoed in the outcome: a code that is not text is shown escaped, never sent back as is.
    ma_ho_so = ma.encode("utf-8", "backslashreplace").decode("utf-8") if isinstance(ma, str) else ""
    problem = unicode_problem(value)
    if problem:
        return Item(ma_ho_so, None, (problem,))
    tolerant = not portal.strict
    if tolerant:
        value = normalise(value, type_name, contract)
    violations = contract.json_violations(value, type_name, tolerant=tolerant) or binding_problems(
        value, type_name, contract
    )
    if violations:
        return Item(ma_ho_so, None, tuple(violations))
    return Item(ma_ho_so, complete(value, type_name, contract))


def _check_envelope(document: Document, service: str, portal: Portal) -> None:
    unknown = sorted(set(document) - _ENVELOPE_KEYS[service])
    if unknown:
        raise CallRefused(ErrorCode.BAD_REQUEST, f"unknown key(s) for {service}: {', '.join(unknown)}")
    madonvi = document.get("madonvi")
    if not isinstance(madonvi, str) or portal.contract.json_violations(madonvi, "MaDonVi"):
        raise CallRefused(
            ErrorCode.BAD_REQUEST, f"madonvi must be an agency code like 000.00.22.H33, got {madonvi!r}"
        )


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
