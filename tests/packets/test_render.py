"""The packet's JSON and XML renderings carry the same data and the same content hash."""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from gateway.packets import DossierPacket, SchemaSet
from gateway.packets.model import content_hash
from gateway.packets.render import from_json, from_xml, to_json, to_xml, to_xml_bytes
from tests.conftest import sample_dossier, sample_history, sample_meta

NS = "{urn:dvc-gateway:dvcqg:1}"


def test_xml_rendering_reads_back_to_the_same_packet(make_packet: Callable[..., DossierPacket]) -> None:
    packet = make_packet()
    assert from_xml(to_xml(packet)) == packet


def test_json_rendering_reads_back_to_the_same_packet(make_packet: Callable[..., DossierPacket]) -> None:
    packet = make_packet()
    assert from_json(to_json(packet)) == packet


def test_both_renderings_of_a_packet_are_schema_valid(
    schemas: SchemaSet, make_packet: Callable[..., DossierPacket]
) -> None:
    packet = make_packet()
    assert schemas.json_violations(to_json(packet)) == []
    assert schemas.xml_violations(to_xml(packet)) == []


def test_content_hash_ignores_key_order() -> None:
    dossier = sample_dossier()
    reordered = dict(reversed(list(dossier.items())))
    first = DossierPacket.build(sample_meta(), dossier, sample_history())
    second = DossierPacket.build(sample_meta(), reordered, sample_history())
    assert first.content_hash == second.content_hash


def test_content_hash_treats_absent_and_empty_optional_fields_alike() -> None:
    with_empty = DossierPacket.build(
        sample_meta(), {**sample_dossier(), "ThongTinKhac": ""}, sample_history()
    )
    without = DossierPacket.build(sample_meta(), sample_dossier(), sample_history())
    assert with_empty.content_hash == without.content_hash


def test_content_hash_ignores_provenance() -> None:
    a = DossierPacket.build(sample_meta(source_file="a.json"), sample_dossier(), sample_history())
    b = DossierPacket.build(
        sample_meta(source_file="b.json", record_index=7), sample_dossier(), sample_history()
    )
    assert a.content_hash == b.content_hash


def test_content_hash_changes_with_content(make_packet: Callable[..., DossierPacket]) -> None:
    assert make_packet().content_hash != make_packet(TrangThaiHoSo="9").content_hash


def test_content_hash_is_the_hash_of_the_xml_rendering_read_back(
    make_packet: Callable[..., DossierPacket],
) -> None:
    packet = make_packet()
    reread = from_xml(etree.fromstring(to_xml_bytes(packet)))
    assert content_hash(reread.dossier, reread.history) == packet.content_hash


def test_xml_leaves_out_empty_optional_fields(make_packet: Callable[..., DossierPacket]) -> None:
    element = to_xml(make_packet(ThongTinKhac=""))
    assert element.find(f"{NS}HoSo/{NS}ThongTinKhac") is None
    assert element.find(f"{NS}HoSo/{NS}MaHoSo") is not None


def test_json_rendering_keeps_every_field_of_the_record(make_packet: Callable[..., DossierPacket]) -> None:
    document = to_json(make_packet())
    assert document["HoSo"]["ThongTinKhac"] == ""
    assert document["HoSo"]["DanhSachHoSoBoSung"] == []


def test_xml_is_written_in_schema_order(
    schemas: SchemaSet, make_packet: Callable[..., DossierPacket]
) -> None:
    element = to_xml(make_packet())
    written = [etree.QName(child).localname for child in element.find(f"{NS}HoSo")]
    order = [spec.name for spec in schemas.layout.fields("HoSo")]
    assert written == sorted(written, key=order.index)


def test_vietnamese_text_survives_both_renderings(make_packet: Callable[..., DossierPacket]) -> None:
    packet = make_packet(ChuHoSo="Đặng Thị Ngọc Ánh")
    assert from_xml(etree.fromstring(to_xml_bytes(packet))).dossier["ChuHoSo"] == "Đặng Thị Ngọc Ánh"


def test_the_fields_added_for_real_clients_survive_both_renderings(
    schemas: SchemaSet, make_packet: Callable[..., DossierPacket]
) -> None:
    # Issue 8: filing place and date, refusal date, the applicant's document, the national
    # databases checked, reuse flags of a document, a result code, a supplement round in full.
    document = {
        "TepDinhKemId": "f-9",
        "TenTepDinhKem": "Tờ khai.pdf",
        "DuocTaiSuDung": "1",
        "DuocLayTuKhoDMQG": "1",
        "MaKetQuaThayThe": "KQ-7",
    }
    packet = make_packet(
        NoiNopHoSo="2",
        NgayNopHoSo="20240105080000",
        NgayTuChoi="20240106090000",
        SoGiayToChuHoSo="001203000001",
        DSKetNoiCSDL=[{"MaCSDL": "7"}],
        TaiLieuNop=[document],
        DanhSachGiayToKetQua=[{"GiayToId": "kq", "TenGiayTo": "GP.pdf", "MaGiayToKetQua": "KQ.1"}],
        DanhSachHoSoBoSung=[
            {
                "HoSoBoSungId": "bs-1",
                "NgayBoSung": "20240107090000",
                "NguoiYeuCauBoSung": "Trần Thị Bình",
                "NguoiTiepNhanBoSung": "Lê Văn Cường",
                "ThongTinTiepNhan": "Đủ",
                "DanhSachGiayToBoSung": [document],
                "DanhSachLePhiBoSung": [{"MaPhiLePhi": "LP2", "Gia": 20000, "LoaiPhiLePhi": "2"}],
            }
        ],
    )
    assert schemas.json_violations(to_json(packet)) == []
    assert schemas.xml_violations(to_xml(packet)) == []
    back = from_xml(to_xml(packet))
    assert back == packet
    supplement = back.dossier["DanhSachHoSoBoSung"][0]
    assert supplement["DanhSachLePhiBoSung"][0]["Gia"] == 20000
    assert supplement["DanhSachGiayToBoSung"][0]["MaKetQuaThayThe"] == "KQ-7"
    assert back.dossier["DSKetNoiCSDL"] == [{"MaCSDL": "7"}]
