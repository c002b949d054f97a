"""The simulator's SOAP binding: ``POST /soap``, with the WSDL at ``GET /soap?wsdl``.

SOAP 1.1, document/literal, as described by ``schemas/dvcqg.wsdl`` (which includes
``schemas/dvcqg.xsd``): the same operations and records as the JSON API, as XML. Requests are
parsed with the simulator's own hardened parser (``gateway.sim.xmlinput``: no DTD, no entities,
no network, size cap) and validated against the XSD; records are read and written by
``gateway.sim.records``; each dossier or history item is validated on its own so that one bad item is refused
with its field and reason while the others go through, exactly as in JSON.

Call-level errors are SOAP faults: ``faultcode`` Client (the caller's fault) or Server, the
message in ``faultstring``, and ``detail/LoiDichVu`` with the machine-readable ``ErrorCode`` and
``Reason`` (``gateway.sim.codes``); the HTTP status is the code's (401, 400, 413, 429, 500, 503).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from copy import deepcopy
from typing import Any, cast

from lxml import etree
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gateway.sim.codes import CallRefused, ErrorCode
from gateway.sim.contract import WSDL_FILE, XSD_FILE
from gateway.sim.portal import Portal
from gateway.sim.records import NOT_XML, record_from_xml, record_to_xml
from gateway.sim.service import Item, Outcome, portal_time, summarize
from gateway.sim.wire import read_body, refusal_headers
from gateway.sim.xmlinput import RefusedXml, parse_request

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
_XS = "{http://www.w3.org/2001/XMLSchema}"
_WSDL_SOAP = "{http://schemas.xmlsoap.org/wsdl/soap/}"
_MEDIA_TYPE = "text/xml; charset=utf-8"

Element = etree._Element


class SoapApi:
    """The SOAP endpoint of one portal."""

    def __init__(self, portal: Portal) -> None:
        self._portal = portal
        self._contract = portal.contract
        schema_dir = portal.contract.schema_dir
        self._ns = self._contract.namespace
        self._q = "{" + self._ns + "}"
        self._nsmap: dict[Any, str] = {None: self._ns}
        parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
        self._wsdl_path = schema_dir / WSDL_FILE
        self._wsdl = etree.parse(str(self._wsdl_path), parser=parser)
        self._xsd_bytes = (schema_dir / XSD_FILE).read_bytes()
        # The WSDL's own types (login, look-up, listing, responses) include dvcqg.xsd by a relative
        # path; compile them from the file's location so the include resolves on disk, offline.
        inline = self._wsdl.find(f".//{_XS}schema")
        if inline is None:
            raise ValueError(f"{self._wsdl_path}: no inline xs:schema in wsdl:types")
        document = etree.fromstring(etree.tostring(inline), parser=parser, base_url=str(self._wsdl_path))
        self._wrappers = etree.XMLSchema(document)
        self._operations: dict[str, Callable[[Element], Element]] = {
            "DangNhap": self._login,
            "DongBoHoSoMC": self._sync_dossiers,
            "CapNhatTienDoHoSoMC": self._add_history,
            "TraCuuHoSo": self._look_up,
            "DanhSachHoSoThayDoi": self._changes,
        }

    def routes(self) -> list[BaseRoute]:
        return [Route("/soap", self.endpoint, methods=["GET", "POST"])]

    async def endpoint(self, request: Request) -> Response:
        if request.method == "GET":
            return self._describe(request)
        portal = self._portal
        try:
            body = await read_body(request, portal.max_body_bytes)
            decision = await portal.admit(request)
            operation = self._operation(body)
            handler = self._operations[etree.QName(operation).localname]
            reply = handler(operation)
            await portal.finish(request, decision)
        except CallRefused as exc:
            portal.note_refusal(exc)
            return self._fault(exc)
        return _envelope(reply, 200)

    # ---- WSDL and XSD ---------------------------------------------------------------------

    def _describe(self, request: Request) -> Response:
        """``?wsdl``: the WSDL, pointing at this server; ``?xsd=dvcqg.xsd``: the schema it includes."""
        base = str(request.base_url).rstrip("/")
        if "wsdl" in request.query_params:
            wsdl = deepcopy(self._wsdl.getroot())
            for address in wsdl.iter(f"{_WSDL_SOAP}address"):
                address.set("location", f"{base}/soap")
            for include in wsdl.iter(f"{_XS}include"):
                include.set("schemaLocation", f"{base}/soap?xsd={XSD_FILE}")
            return Response(
                etree.tostring(wsdl, xml_declaration=True, encoding="UTF-8"), media_type=_MEDIA_TYPE
            )
        if request.query_params.get("xsd") == XSD_FILE:
            return Response(self._xsd_bytes, media_type=_MEDIA_TYPE)
        return Response(
            b"GET /soap?wsdl for the WSDL; POST SOAP 1.1 envelopes here\n", 404, media_type="text/plain"
        )

    # ---- request parsing ------------------------------------------------------------------

    def _operation(self, body: bytes) -> Element:
        try:
            root = parse_request(body, max_bytes=self._portal.max_body_bytes)
        except RefusedXml as exc:
            raise CallRefused(ErrorCode.BAD_REQUEST, f"request refused: {exc}") from exc
        if root.tag == f"{{{SOAP12_ENV}}}Envelope":
            raise CallRefused(ErrorCode.BAD_REQUEST, "SOAP 1.2 envelopes are not supported; use SOAP 1.1")
        if root.tag != f"{{{SOAP_ENV}}}Envelope":
            raise CallRefused(ErrorCode.BAD_REQUEST, "the body is not a SOAP 1.1 Envelope")
        body_el = root.find(f"{{{SOAP_ENV}}}Body")
        children = _elements(body_el) if body_el is not None else []
        if len(children) != 1:
            raise CallRefused(ErrorCode.BAD_REQUEST, "the SOAP Body must hold exactly one operation element")
        operation = children[0]
        name = etree.QName(operation)
        if name.namespace != self._ns or name.localname not in self._operations:
            known = ", ".join(self._operations)
            raise CallRefused(
                ErrorCode.BAD_REQUEST, f"unknown operation {operation.tag}; known in {self._ns}: {known}"
            )
        return operation

    def _validated(self, operation: Element) -> None:
        """Refuse a request element that breaks the WSDL's types (non-batch operations)."""
        if not self._wrappers.validate(operation):
            errors = "; ".join(
                [f"{e.path}: {e.message}" for e in cast(Iterable[Any], self._wrappers.error_log)][:5]
            )
            raise CallRefused(ErrorCode.BAD_REQUEST, f"invalid request: {errors}")

    def _text(self, element: Element, name: str) -> str:
        return element.findtext(self._q + name) or ""

    def _batch(
        self, operation: Element, header: tuple[str, ...], item_tag: str, type_name: str
    ) -> list[Item]:
        """Check a batch envelope (session first), then validate each item on its own."""
        portal = self._portal
        portal.authenticate(self._text(operation, "Session"))
        children = _elements(operation)
        items = children[len(header) :]
        if len(items) > portal.batch_max:
            raise CallRefused(
                ErrorCode.BATCH_TOO_LARGE,
                f"batch of {len(items)} items is over the maximum of {portal.batch_max}; split it",
            )
        if self._contract.xml_violations(operation):
            # Something is wrong: the envelope (a call error) or some items (item errors)?
            names = tuple(etree.QName(c).localname for c in children)
            if (
                names[: len(header)] != header
                or not items
                or any(n != item_tag for n in names[len(header) :])
            ):
                raise CallRefused(
                    ErrorCode.BAD_REQUEST,
                    f"{etree.QName(operation).localname} must hold {', '.join(header)}"
                    f" then one or more {item_tag}",
                )
            self._check_header(operation)
            return [self._item(element, type_name) for element in items]
        return [Item(self._text(e, "MaHoSo"), record_from_xml(e, type_name, self._contract)) for e in items]

    def _check_header(self, operation: Element) -> None:
        madonvi = self._text(operation, "MaDonVi")
        if self._contract.json_violations(madonvi, "MaDonVi"):
            raise CallRefused(
                ErrorCode.BAD_REQUEST, f"MaDonVi must be an agency code like 000.00.22.H33, got {madonvi!r}"
            )
        updating = operation.find(self._q + "IsUpdating")
        if updating is not None and updating.text not in ("True", "False"):
            raise CallRefused(
                ErrorCode.BAD_REQUEST, f'IsUpdating must be "True" or "False", got {updating.text!r}'
            )

    def _item(self, element: Element, type_name: str) -> Item:
        violations = self._contract.xml_violations(element)
        ma_ho_so = self._text(element, "MaHoSo")
        if violations:
            return Item(ma_ho_so, None, tuple(violations))
        return Item(ma_ho_so, record_from_xml(element, type_name, self._contract))

    # ---- operations -----------------------------------------------------------------------

    def _login(self, operation: Element) -> Element:
        self._validated(operation)
        login = self._portal.sessions.login(
            self._text(operation, "TenDangNhap"), self._text(operation, "MatKhau")
        )
        if login is None:
            raise CallRefused(ErrorCode.AUTH_FAILED, "wrong username or password")
        return self._reply(
            "DangNhapResponse",
            ErrorCode.OK,
            "logged in",
            Session=login.session,
            ExpiresIn=str(login.expires_in),
        )

    def _sync_dossiers(self, operation: Element) -> Element:
        items = self._batch(operation, ("Session", "MaDonVi", "IsUpdating"), "HoSo", "HoSo")
        is_updating = self._text(operation, "IsUpdating") == "True"
        outcomes = self._portal.service.sync_dossiers(self._text(operation, "MaDonVi"), is_updating, items)
        return self._batch_reply("DongBoHoSoMCResponse", outcomes)

    def _add_history(self, operation: Element) -> Element:
        items = self._batch(operation, ("Session", "MaDonVi"), "QuaTrinhXuLy", "BuocXuLy")
        outcomes = self._portal.service.add_history(self._text(operation, "MaDonVi"), items)
        return self._batch_reply("CapNhatTienDoHoSoMCResponse", outcomes)

    def _look_up(self, operation: Element) -> Element:
        self._portal.authenticate(self._text(operation, "Session"))
        self._validated(operation)
        ma_ho_so = self._text(operation, "MaHoSo")
        record = self._portal.service.look_up(ma_ho_so)
        if record is None:
            return self._reply("TraCuuHoSoResponse", ErrorCode.OK, f"dossier {ma_ho_so} not found")
        reply = self._reply("TraCuuHoSoResponse", ErrorCode.OK, "found")
        record_to_xml(reply, "HoSo", record, "HoSo", self._contract)
        # A record accepted in tolerant mode may lack a field the XSD requires (KenhThucHien, which
        # older clients never send). No XSD-valid HoSo can carry it: an empty element breaks the
        # field's pattern, a missing one the sequence. Say so, rather than answer invalid XML.
        if not self._wrappers.validate(reply):
            errors = [e.message for e in cast(Iterable[Any], self._wrappers.error_log)][:3]
            raise CallRefused(
                ErrorCode.NOT_EXPRESSIBLE,
                f"dossier {ma_ho_so} is held in a form the SOAP binding cannot carry"
                f" ({'; '.join(errors).replace(self._q, '')}): it was accepted from a client that"
                " does not send every field this binding requires; look it up with the JSON API",
            )
        return reply

    def _changes(self, operation: Element) -> Element:
        self._portal.authenticate(self._text(operation, "Session"))
        self._validated(operation)
        size = operation.findtext(self._q + "PageSize")
        page = self._portal.service.changes(
            self._text(operation, "TuNgay") or None,
            self._text(operation, "DenNgay") or None,
            self._text(operation, "Cursor") or None,
            int(size) if size else None,
        )
        reply = self._reply("DanhSachHoSoThayDoiResponse", ErrorCode.OK, f"{len(page.items)} dossier(s)")
        for change in page.items:
            row = etree.SubElement(reply, self._q + "ThayDoi")
            for name, value in (
                ("MaHoSo", change.ma_ho_so),
                ("TrangThaiHoSo", change.status),
                ("ThoiDiemThayDoi", portal_time(change.changed_at)),
                ("MaBam", change.hash),
            ):
                etree.SubElement(row, self._q + name).text = value
        if page.next_cursor is not None:
            etree.SubElement(reply, self._q + "NextCursor").text = page.next_cursor
        return reply

    # ---- replies --------------------------------------------------------------------------

    def _reply(self, tag: str, code: ErrorCode, message: str, **fields: str) -> Element:
        reply = etree.Element(self._q + tag, nsmap=self._nsmap)
        etree.SubElement(reply, self._q + "ErrorCode").text = str(int(code))
        etree.SubElement(reply, self._q + "Message").text = message
        for name, value in fields.items():
            etree.SubElement(reply, self._q + name).text = value
        return reply

    def _batch_reply(self, tag: str, outcomes: list[Outcome]) -> Element:
        code, message = summarize(outcomes)
        reply = self._reply(tag, code, message)
        for outcome in outcomes:
            row = etree.SubElement(reply, self._q + "KetQua")
            etree.SubElement(row, self._q + "MaHoSo").text = outcome.ma_ho_so
            etree.SubElement(row, self._q + "ErrorCode").text = str(int(outcome.code))
            etree.SubElement(row, self._q + "Message").text = _xml_text(outcome.message)
        return reply

    def _fault(self, exc: CallRefused) -> Response:
        fault = etree.Element(f"{{{SOAP_ENV}}}Fault", nsmap={"soap": SOAP_ENV})
        etree.SubElement(fault, "faultcode").text = "soap:Client" if exc.status < 500 else "soap:Server"
        etree.SubElement(fault, "faultstring").text = _xml_text(exc.message)
        detail = etree.SubElement(etree.SubElement(fault, "detail"), self._q + "LoiDichVu", nsmap=self._nsmap)
        etree.SubElement(detail, self._q + "ErrorCode").text = str(int(exc.code))
        etree.SubElement(detail, self._q + "Reason").text = exc.code.reason
        return _envelope(fault, exc.status, refusal_headers(exc))


def _xml_text(message: str) -> str:
    """A message made safe for an XML text node (a character XML cannot carry becomes U+FFFD)."""
    return NOT_XML.sub("\ufffd", message)


def _elements(parent: Element) -> list[Element]:
    """Element children only: comments and processing instructions are not content."""
    return [child for child in parent if isinstance(child.tag, str)]


def _envelope(content: Element, status: int, headers: dict[str, Any] | None = None) -> Response:
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body").append(content)
    body = etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
    return Response(body, status_code=status, media_type=_MEDIA_TYPE, headers=headers)
