"""The SOAP binding, through a zeep client built from schemas/dvcqg.wsdl without network access."""

from __future__ import annotations

import httpx
import pytest
import requests
import zeep
from lxml import etree
from zeep.exceptions import Fault
from zeep.transports import Transport

from gateway.sim import samples
from tests.sim.expected import full_dossier, sample_hash

NS = "urn:dvc-gateway:dvcqg:1"
BINDING = f"{{{NS}}}DichVuCongBinding"


def login(soap, sim_client):
    reply = soap.DangNhap(TenDangNhap=sim_client.username, MatKhau=sim_client.password)
    assert reply.ErrorCode == 0
    return reply.Session


def fault_code(fault: Fault) -> tuple[int, str]:
    detail = fault.detail.find(f"{{{NS}}}LoiDichVu")
    return int(detail.findtext(f"{{{NS}}}ErrorCode")), detail.findtext(f"{{{NS}}}Reason")


def test_a_dossier_synced_over_soap_is_read_back_over_soap(soap, sim_client):
    session = login(soap, sim_client)
    record = samples.dossier(1, status="4")
    reply = soap.DongBoHoSoMC(Session=session, MaDonVi=samples.AGENCY, IsUpdating="False", HoSo=[record])
    assert reply.ErrorCode == 0
    assert [(r.MaHoSo, r.ErrorCode) for r in reply.KetQua] == [(record["MaHoSo"], 0)]
    found = soap.TraCuuHoSo(Session=session, MaHoSo=record["MaHoSo"])
    assert found.ErrorCode == 0
    assert found.HoSo.MaHoSo == record["MaHoSo"]
    assert found.HoSo.TrangThaiHoSo == "4"
    assert found.HoSo.ChuHoSo == record["ChuHoSo"]
    assert found.HoSo.DinhDanhCHS[0].SoDinhDanh == record["DinhDanhCHS"][0]["SoDinhDanh"]
    assert [t.TepDinhKemId for t in found.HoSo.TaiLieuNop] == [
        t["TepDinhKemId"] for t in record["TaiLieuNop"]
    ]
    assert found.HoSo.DanhSachLePhi[0].Gia == 75000


def test_a_dossier_sent_over_soap_is_the_same_record_as_over_json(soap, sim_client):
    session = login(soap, sim_client)
    record = samples.dossier(2)
    soap.DongBoHoSoMC(Session=session, MaDonVi=samples.AGENCY, IsUpdating="False", HoSo=[record])
    assert sim_client.look_up(record["MaHoSo"]).json()["result"] == [full_dossier(record)]
    [change] = sim_client.changes().json()["result"]["items"]
    assert change["MaBam"] == sample_hash(2)


def test_tracuuhoso_over_soap_of_an_unknown_dossier_has_no_record(soap, sim_client):
    found = soap.TraCuuHoSo(Session=login(soap, sim_client), MaHoSo=samples.ma_ho_so(404))
    assert found.ErrorCode == 0
    assert found.HoSo is None


def test_soap_insert_of_an_existing_dossier_and_update_of_a_missing_one_fail_per_item(soap, sim_client):
    session = login(soap, sim_client)
    soap.DongBoHoSoMC(Session=session, MaDonVi=samples.AGENCY, IsUpdating="False", HoSo=[samples.dossier(3)])
    again = soap.DongBoHoSoMC(
        Session=session, MaDonVi=samples.AGENCY, IsUpdating="False", HoSo=[samples.dossier(3)]
    )
    assert again.ErrorCode == 5
    assert again.KetQua[0].ErrorCode == 2
    missing = soap.DongBoHoSoMC(
        Session=session, MaDonVi=samples.AGENCY, IsUpdating="True", HoSo=[samples.dossier(4)]
    )
    assert missing.KetQua[0].ErrorCode == 3
    update = soap.DongBoHoSoMC(
        Session=session, MaDonVi=samples.AGENCY, IsUpdating="True", HoSo=[samples.dossier(3, status="4")]
    )
    assert update.ErrorCode == 0
    assert sim_client.look_up(samples.ma_ho_so(3)).json()["result"][0]["TrangThaiHoSo"] == "4"


def test_a_soap_batch_refuses_an_invalid_item_by_field_and_stores_the_others(soap, sim_client):
    session = login(soap, sim_client)
    bad = samples.dossier(6)
    bad["NgayTiepNhan"] = "20240231083000"  # 31 February
    reply = soap.DongBoHoSoMC(
        Session=session, MaDonVi=samples.AGENCY, IsUpdating="False", HoSo=[samples.dossier(5), bad]
    )
    assert reply.ErrorCode == 5
    assert [r.ErrorCode for r in reply.KetQua] == [0, 1]
    assert "NgayTiepNhan" in reply.KetQua[1].Message
    assert sim_client.truth(samples.ma_ho_so(6)).status_code == 404
    assert sim_client.truth(samples.ma_ho_so(5)).status_code == 200


def test_soap_history_entries_are_recorded(soap, sim_client):
    session = login(soap, sim_client)
    soap.DongBoHoSoMC(Session=session, MaDonVi=samples.AGENCY, IsUpdating="False", HoSo=[samples.dossier(7)])
    reply = soap.CapNhatTienDoHoSoMC(
        Session=session, MaDonVi=samples.AGENCY, QuaTrinhXuLy=[samples.history_entry(7, 0)]
    )
    assert reply.ErrorCode == 0
    history = sim_client.truth(samples.ma_ho_so(7)).json()["history"]
    assert [h["record"]["NoiDungXuLy"] for h in history] == ["Bước xử lý 0"]


def test_the_soap_changes_listing_pages_with_a_cursor(soap, sim_client):
    session = login(soap, sim_client)
    records = [samples.dossier(n) for n in range(10, 15)]
    soap.DongBoHoSoMC(Session=session, MaDonVi=samples.AGENCY, IsUpdating="False", HoSo=records)
    first = soap.DanhSachHoSoThayDoi(Session=session, PageSize=3)
    assert len(first.ThayDoi) == 3
    assert first.NextCursor
    second = soap.DanhSachHoSoThayDoi(Session=session, PageSize=3, Cursor=first.NextCursor)
    assert second.NextCursor is None
    codes = [c.MaHoSo for c in first.ThayDoi + second.ThayDoi]
    assert sorted(codes) == [r["MaHoSo"] for r in records]
    assert first.ThayDoi[0].MaBam == sample_hash(10)


def test_a_bad_session_is_a_soap_fault_with_a_machine_readable_code(soap, sim_client):
    with pytest.raises(Fault) as caught:
        soap.TraCuuHoSo(Session="forged", MaHoSo=samples.ma_ho_so(1))
    assert caught.value.code.endswith("Client")
    assert fault_code(caught.value) == (11, "session_invalid")


def test_wrong_credentials_are_a_soap_fault(soap, sim_client):
    with pytest.raises(Fault) as caught:
        soap.DangNhap(TenDangNhap=sim_client.username, MatKhau="wrong")
    assert fault_code(caught.value) == (10, "auth_failed")


def test_a_soap_batch_over_the_maximum_is_a_fault_and_stores_nothing(soap, sim_client):
    session = login(soap, sim_client)
    records = [samples.dossier(n) for n in range(101)]
    with pytest.raises(Fault) as caught:
        soap.DongBoHoSoMC(Session=session, MaDonVi=samples.AGENCY, IsUpdating="False", HoSo=records)
    assert fault_code(caught.value) == (21, "batch_too_large")
    assert sim_client.stats()["dossiers"] == 0


def test_an_envelope_that_breaks_the_xsd_is_a_client_fault(sim_client, portal_sim):
    envelope = f"""<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
      <d:DongBoHoSoMC xmlns:d="{NS}"><d:Session>{sim_client.session}</d:Session>
      <d:MaDonVi>not-a-unit</d:MaDonVi><d:IsUpdating>False</d:IsUpdating></d:DongBoHoSoMC>
    </soap:Body></soap:Envelope>"""
    response = sim_client.http.post("/soap", content=envelope.encode(), headers={"Content-Type": "text/xml"})
    assert response.status_code == 400
    fault = etree.fromstring(response.content).find(".//{http://schemas.xmlsoap.org/soap/envelope/}Fault")
    assert fault.findtext("faultcode") == "soap:Client"
    assert fault.findtext(f"detail/{{{NS}}}LoiDichVu/{{{NS}}}ErrorCode") == "20"


def test_the_wsdl_is_served_at_get_soap_wsdl_and_a_zeep_client_built_from_it_works(sim_client, portal_sim):
    response = httpx.get(f"{portal_sim}/soap?wsdl")
    assert response.status_code == 200
    wsdl = etree.fromstring(response.content)
    address = wsdl.find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address")
    assert address.get("location") == f"{portal_sim}/soap"
    # Over loopback, fetching the included XSD from the sim itself is the point of this test.
    with requests.Session() as session:
        client = zeep.Client(
            f"{portal_sim}/soap?wsdl",
            settings=zeep.Settings(strict=True, forbid_dtd=True, forbid_external=False),
            transport=Transport(session=session, timeout=10, operation_timeout=10),
        )
        reply = client.create_service(BINDING, f"{portal_sim}/soap").DangNhap(
            TenDangNhap=sim_client.username, MatKhau=sim_client.password
        )
    assert reply.ErrorCode == 0
