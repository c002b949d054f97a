"""The portal's SOAP binding over zeep, built offline from ``schemas/dvcqg.wsdl``.

For the sync workers and the reconciler, through ``gateway.portal.make_client`` (``portal.binding:
soap``). Each ``SoapPortalClient`` builds its zeep ``Client`` once (parsing the WSDL is the expensive
part) from the local WSDL, which includes ``dvcqg.xsd`` by a relative path, with
``Settings(strict=True, forbid_dtd=True, forbid_external=True, xml_huge_tree=False)``: building it
never touches the network, and the service address is set with ``create_service`` from
``portal.url``. zeep's defaults have no call timeout; ours are ``portal.timeout_s``.

zeep's ``Client`` and its ``requests.Session`` are not documented as thread-safe: a
``SoapPortalClient`` belongs to one thread (the sync worker makes one per worker thread).

Records travel as zeep values: optional fields with no value (``""``, None, ``[]``) are left out of
the XML, as ``gateway.packets.render`` does, since the XSD refuses ``""`` for some types; a required
field with no value is sent empty so that the portal refuses that item by field, not the batch.
Answers are read back into complete records (``gateway.packets.model.complete``), the same shape
the JSON binding returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import requests
import zeep
import zeep.helpers
from requests.structures import CaseInsensitiveDict
from zeep.transports import Transport

from gateway.config import PortalConfig
from gateway.packets import SCHEMA_DIR
from gateway.packets.layout import Layout
from gateway.packets.model import DOSSIER_TYPE, HISTORY_TYPE, complete
from gateway.packets.schemas import default_layout
from gateway.portal import classify
from gateway.portal.binding import CHANGES, HISTORY, LOOKUP, SYNC, Binding
from gateway.portal.classify import NS, CallRejected, ItemAnswer
from gateway.portal.interface import ChangedItem, ChangedPage

WSDL = SCHEMA_DIR / "dvcqg.wsdl"
BINDING = f"{{{NS}}}DichVuCongBinding"
SOAP_PATH = "/soap"
LOGIN = "DangNhap"


class ReplyRecordingTransport(Transport):
    """zeep's transport, remembering the HTTP status and headers of the last reply.

    zeep's ``Fault`` carries neither; ``classify.soap_errors`` needs the status (a fault's HTTP
    status is its code's) and ``Retry-After`` (a 429's wait).
    """

    def __init__(self, *, session: requests.Session, timeout_s: float) -> None:
        # timeout: loading documents (none here: the WSDL is local); operation_timeout: each call.
        super().__init__(session=session, timeout=timeout_s, operation_timeout=timeout_s)  # type: ignore[no-untyped-call]
        self.status: int | None = None
        self.headers: Mapping[str, str] | None = None

    def forget(self) -> None:
        self.status, self.headers = None, None

    def post(self, address: str, message: Any, headers: Any) -> requests.Response:
        response: requests.Response = super().post(address, message, headers)  # type: ignore[no-untyped-call]
        self.status, self.headers = response.status_code, CaseInsensitiveDict(response.headers)
        return response


class SoapPortalClient(Binding):
    """``PortalClient`` over the SOAP binding. One per thread: zeep's Client is not thread-safe."""

    binding = "soap"

    def __init__(self, config: PortalConfig) -> None:
        super().__init__(config)
        self._layout: Layout = default_layout()
        self._http = requests.Session()
        # The portal's address is the configuration's, never a proxy from the environment.
        self._http.trust_env = False
        try:
            self._transport = ReplyRecordingTransport(session=self._http, timeout_s=config.timeout_s)
            client = zeep.Client(  # type: ignore[no-untyped-call]
                str(WSDL),
                settings=zeep.Settings(
                    strict=True, forbid_dtd=True, forbid_external=True, xml_huge_tree=False
                ),
                transport=self._transport,
            )
            self._service: Any = client.create_service(  # type: ignore[no-untyped-call]
                BINDING, config.url.rstrip("/") + SOAP_PATH
            )
        except BaseException:
            self._http.close()
            raise

    # ---- calls ----------------------------------------------------------------------------------

    def _login(self) -> str:
        with classify.soap_errors(LOGIN, self._transport):
            reply = self._service.DangNhap(TenDangNhap=self.config.username, MatKhau=self.config.password)
        classify.check_soap_reply(LOGIN, reply.ErrorCode, reply.Message)
        if not isinstance(reply.Session, str) or not reply.Session:
            raise classify.invalid_answer(
                LOGIN, "no Session in the login answer", status=self._transport.status
            )
        return reply.Session

    def _sync(
        self, session: str, records: Sequence[Mapping[str, Any]], update: bool, madonvi: str
    ) -> list[ItemAnswer]:
        items = [self._value(record, DOSSIER_TYPE, SYNC) for record in records]
        with classify.soap_errors(SYNC, self._transport):
            reply = self._service.DongBoHoSoMC(
                Session=session, MaDonVi=madonvi, IsUpdating="True" if update else "False", HoSo=items
            )
        return _items(SYNC, reply)

    def _history(self, session: str, entries: Sequence[Mapping[str, Any]], madonvi: str) -> list[ItemAnswer]:
        items = [self._value(entry, HISTORY_TYPE, HISTORY) for entry in entries]
        with classify.soap_errors(HISTORY, self._transport):
            reply = self._service.CapNhatTienDoHoSoMC(Session=session, MaDonVi=madonvi, QuaTrinhXuLy=items)
        return _items(HISTORY, reply)

    def _lookup(self, session: str, ma_ho_so: str, madonvi: str) -> dict[str, Any] | None:
        with classify.soap_errors(LOOKUP, self._transport):
            reply = self._service.TraCuuHoSo(Session=session, MaHoSo=ma_ho_so)
        classify.check_soap_reply(LOOKUP, reply.ErrorCode, reply.Message)
        if reply.HoSo is None:
            return None
        record = zeep.helpers.serialize_object(reply.HoSo, dict)  # type: ignore[no-untyped-call]
        return complete(record, DOSSIER_TYPE, self._layout)

    def _changed(
        self,
        session: str,
        since: str | None,
        until: str | None,
        cursor: str | None,
        page_size: int,
        madonvi: str | None,
    ) -> ChangedPage:
        # The SOAP operation carries no MaDonVi; absent (None) optional elements are left out.
        with classify.soap_errors(CHANGES, self._transport):
            reply = self._service.DanhSachHoSoThayDoi(
                Session=session,
                TuNgay=since or None,
                DenNgay=until or None,
                Cursor=cursor,
                PageSize=page_size,
            )
        classify.check_soap_reply(CHANGES, reply.ErrorCode, reply.Message)
        items = [
            ChangedItem(
                ma_ho_so=str(change.MaHoSo),
                status=str(change.TrangThaiHoSo),
                changed_at=str(change.ThoiDiemThayDoi),
                record_hash=str(change.MaBam),
            )
            for change in reply.ThayDoi or []
        ]
        return ChangedPage(items, reply.NextCursor or None)

    def _close(self) -> None:
        self._http.close()

    # ---- records as zeep values -----------------------------------------------------------------

    def _value(self, record: Mapping[str, Any], type_name: str, operation: str) -> dict[str, Any]:
        """``record`` as zeep's value of ``type_name``: no-value optional fields left out."""
        out: dict[str, Any] = {}
        known = set()
        for spec in self._layout.fields(type_name):
            known.add(spec.name)
            value = record.get(spec.name)
            if spec.repeated:
                items = (
                    value if isinstance(value, list) else ([] if value is None or value == "" else [value])
                )
                if items:
                    out[spec.name] = [
                        self._value(item, spec.type_name, operation)
                        if spec.record and isinstance(item, Mapping)
                        else item
                        for item in items
                    ]
            elif spec.record and isinstance(value, Mapping):
                out[spec.name] = self._value(value, spec.type_name, operation)
            elif value is None or value == "":
                if spec.required:
                    out[spec.name] = ""  # sent empty: the portal refuses this item, by field
            else:
                out[spec.name] = value
        unknown = sorted(set(record) - known)
        if unknown:
            # Packets are validated against the XSD before they are stored, so this is a contract
            # breach upstream; zeep could not send the batch anyway.
            raise CallRejected(
                f"{operation}: {type_name} record {record.get('MaHoSo', '')!s} has field(s) the national "
                f"schema does not know: {', '.join(unknown)}; the batch was not sent"
            )
        return out


def _items(operation: str, reply: Any) -> list[ItemAnswer]:
    classify.check_soap_reply(operation, reply.ErrorCode, reply.Message)
    return [
        ItemAnswer(str(item.MaHoSo or ""), int(item.ErrorCode), str(item.Message or ""))
        for item in reply.KetQua or []
    ]
