"""A SOAP ``TraCuuHoSo`` of any stored record answers XML the WSDL's schema (with dvcqg.xsd) accepts.

A record accepted in tolerant mode without ``KenhThucHien`` has no XSD-valid ``HoSo`` form (the field
is required and patterned ``[1-3]``): the look-up answers a SOAP fault saying so (ErrorCode 23,
HTTP 409), itself valid per the WSDL, instead of a ``HoSo`` with an empty ``KenhThucHien``.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from lxml import etree

from gateway.sim import samples
from gateway.sim.contract import SCHEMA_DIR

NS = "urn:dvc-gateway:dvcqg:1"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XS = "http://www.w3.org/2001/XMLSchema"


@pytest.fixture(scope="module")
def wsdl_types() -> etree.XMLSchema:
    """The WSDL's inline schema (response wrappers, LoiDichVu), including dvcqg.xsd from disk."""
    wsdl = SCHEMA_DIR / "dvcqg.wsdl"
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    inline = etree.parse(str(wsdl), parser=parser).find(f".//{{{XS}}}schema")
    assert inline is not None
    return etree.XMLSchema(etree.fromstring(etree.tostring(inline), parser=parser, base_url=str(wsdl)))


def soap_look_up(http: httpx.Client, session: str, ma_ho_so: str) -> httpx.Response:
    body = (
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body><TraCuuHoSo xmlns="{NS}">'
        f"<Session>{session}</Session><MaHoSo>{ma_ho_so}</MaHoSo>"
        "</TraCuuHoSo></soap:Body></soap:Envelope>"
    ).encode()
    return http.post("/soap", content=body, headers={"Content-Type": "text/xml; charset=utf-8"})


def body_child(response: httpx.Response) -> etree._Element:
    root = etree.fromstring(response.content)
    [child] = list(root.find(f"{{{SOAP_ENV}}}Body"))
    return child


def without(record: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in names}


def test_a_record_stored_without_kenhthuchien_is_answered_with_a_valid_fault_naming_it(
    sim_client, wsdl_types
):
    record = without(samples.dossier(1), "KenhThucHien")
    assert sim_client.sync([record]).json()["result"][0]["error_code"] == 0
    response = soap_look_up(sim_client.http, sim_client.session, record["MaHoSo"])
    assert response.status_code == 409
    fault = body_child(response)
    assert fault.tag == f"{{{SOAP_ENV}}}Fault"
    assert "KenhThucHien" in fault.findtext("faultstring")
    detail = fault.find(f"detail/{{{NS}}}LoiDichVu")
    assert wsdl_types.validate(detail), wsdl_types.error_log
    assert (detail.findtext(f"{{{NS}}}ErrorCode"), detail.findtext(f"{{{NS}}}Reason")) == (
        "23",
        "not_expressible",
    )
    # Over JSON the same record is answered as stored.
    assert sim_client.look_up(record["MaHoSo"]).json()["result"][0]["KenhThucHien"] == ""


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"KenhThucHien": "2", "NgayHenTra": None, "MaDoiTuong": None},
        {"DuocThanhToanTrucTuyen": "0", "TaiKhoanDuocXacThucVoiVNeID": "", "GhiChu": ""},
        {"DanhSachLePhi": [], "TaiLieuNop": [], "DinhDanhCHS": []},
    ],
    ids=["sample", "nulls", "empty-optional-texts", "no-repeats"],
)
def test_a_lookup_of_a_record_with_its_required_fields_is_a_valid_hoso(sim_client, wsdl_types, change):
    record = samples.dossier(2) | change
    assert sim_client.sync([record]).json()["result"][0]["error_code"] == 0, record
    response = soap_look_up(sim_client.http, sim_client.session, record["MaHoSo"])
    assert response.status_code == 200
    reply = body_child(response)
    assert wsdl_types.validate(reply), wsdl_types.error_log
    assert reply.findtext(f"{{{NS}}}HoSo/{{{NS}}}MaHoSo") == record["MaHoSo"]


def test_the_refused_lookup_is_counted_by_its_reason(sim_client):
    record = without(samples.dossier(3), "KenhThucHien")
    sim_client.sync([record])
    soap_look_up(sim_client.http, sim_client.session, record["MaHoSo"])
    assert sim_client.stats()["calls_refused_by_reason"]["not_expressible"] == 1
