"""The XSD and the JSON Schema say the same thing: one corpus, the same verdict from both."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import pytest
from lxml import etree

from gateway.packets import DossierPacket, SchemaSet
from gateway.packets.render import to_json, to_xml
from gateway.packets.schemas import JSON_SCHEMA_FILE, SCHEMA_DIR, XSD_FILE
from tests.conftest import sample_dossier, sample_history, sample_meta

NS = "{urn:dvc-gateway:dvcqg:1}"

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        key: Any = int(last) if last.isdigit() else last
        if value is _DELETE:
            del node[key]
        else:
            node[key] = value

    return mutate


_DELETE = object()


def _fill(path: str, **values: Any) -> Mutation:
    """Set several fields of the record at ``path``."""

    def mutate(doc: dict[str, Any]) -> None:
        for name, value in values.items():
            _set(f"{path}.{name}", value)(doc)

    return mutate


_SUPPLEMENT: dict[str, Any] = {
    "HoSoBoSungId": "bs-1",
    "NoiDungBoSung": "Bổ sung bản vẽ",
    "NgayBoSung": "20210607090000",
    "NguoiYeuCauBoSung": "Trần Thị Bình",
    "NguoiTiepNhanBoSung": "Lê Văn Cường",
    "ThongTinTiepNhan": "Đã nhận đủ",
    "DanhSachGiayToBoSung": [{"TepDinhKemId": "b-1", "TenTepDinhKem": "Bản vẽ.pdf", "IsDeleted": "0"}],
    "DanhSachLePhiBoSung": [{"MaPhiLePhi": "LP02", "Gia": 20000, "LoaiPhiLePhi": "2"}],
}

VALID: dict[str, Mutation] = {
    "the sample": lambda doc: None,
    "a leap day in a leap year": _set("HoSo.NgayTiepNhan", "20240229120000"),
    "29 February 2000 (divisible by 400)": _set("HoSo.NgayTiepNhan", "20000229000000"),
    "the last second of a day": _set("HoSo.NgayTiepNhan", "20211231235959"),
    "an empty optional date": _set("HoSo.NgayHenTra", ""),
    "status 10": _set("HoSo.TrangThaiHoSo", "10"),
    "a summary of exactly 1000 characters": _set("HoSo.TrichYeuHoSo", "ệ" * 1000),
    "a processor name of exactly 50 characters": _set("QuaTrinhXuLy.0.NguoiXuLy", "x" * 50),
    "a 13-character tax code with branch": _set(
        "HoSo.DinhDanhCHS.0", {"LoaiDinhDanh": "3", "SoDinhDanh": "0100233488-001"}
    ),
    "no identity at all": _set("HoSo.DinhDanhCHS", []),
    "a fee of zero": _set("HoSo.DanhSachLePhi.0.Gia", 0),
    "the largest amount": _set("HoSo.DanhSachLePhi.0.Gia", 999_999_999_999),
    "an agency code of a ministry": _set("HoSo.MaHoSo", "000.00.01.G12-251231-12"),
    "an empty optional flag": _set("HoSo.HoSoCoThanhPhanSoHoa", ""),
    # Fields real clients send that the record gained later (issue 8): all optional.
    "where and when it was filed, refused, the applicant's document": _fill(
        "HoSo",
        NoiNopHoSo="2",
        NgayNopHoSo="20210604080000",
        NgayTuChoi="",
        SoGiayToChuHoSo="091203004567",
    ),
    "national databases checked": _set("HoSo.DSKetNoiCSDL", [{"MaCSDL": "7"}, {"MaCSDL": "1"}]),
    "a reused document taken from the national store": _fill(
        "HoSo.TaiLieuNop.0", DuocTaiSuDung="2", DuocLayTuKhoDMQG="1", MaKetQuaThayThe="KQ-01"
    ),
    "a result document with its result code": _set(
        "HoSo.DanhSachGiayToKetQua",
        [{"GiayToId": "kq-1", "TenGiayTo": "Giấy phép.pdf", "MaGiayToKetQua": "KQ.1.004889"}],
    ),
    "a supplement round with who asked, who received, documents and fees": _set(
        "HoSo.DanhSachHoSoBoSung", [_SUPPLEMENT]
    ),
}

INVALID: dict[str, Mutation] = {
    "30 February": _set("HoSo.NgayTiepNhan", "20210230081500"),
    "29 February in a common year": _set("HoSo.NgayTiepNhan", "20210229081500"),
    "29 February 1900 (not a leap year)": _set("HoSo.NgayTiepNhan", "19000229081500"),
    "31 April": _set("HoSo.NgayTiepNhan", "20210431081500"),
    "month 13": _set("HoSo.NgayTiepNhan", "20211301081500"),
    "hour 24": _set("HoSo.NgayTiepNhan", "20210604240000"),
    "minute 60": _set("HoSo.NgayTiepNhan", "20210604086000"),
    "a year before 1900": _set("HoSo.NgayTiepNhan", "18991231000000"),
    "an ISO date instead of yyyyMMddHHmmss": _set("HoSo.NgayTiepNhan", "2021-06-04T08:15:00"),
    "a date with non-ASCII digits": _set("HoSo.NgayTiepNhan", "٢٠٢١0604081500"),
    "an empty received date": _set("HoSo.NgayTiepNhan", ""),
    "a missing received date": _set("HoSo.NgayTiepNhan", _DELETE),
    "a bad optional date": _set("HoSo.NgayHenTra", "20210631170000"),
    "a dossier code without serial": _set("HoSo.MaHoSo", "000.00.22.H33-210604"),
    "a dossier code with a bad date part": _set("HoSo.MaHoSo", "000.00.22.H33-211304-0001"),
    "a lower-case agency code": _set("HoSo.MaHoSo", "000.00.22.h33-210604-0001"),
    "a local procedure code": _set("HoSo.MaTTHC", "1.004889.000.00.00.H33"),
    "status 0": _set("HoSo.TrangThaiHoSo", "0"),
    "status 11": _set("HoSo.TrangThaiHoSo", "11"),
    "applicant type 5": _set("HoSo.LoaiDoiTuong", "5"),
    "channel 4": _set("HoSo.KenhThucHien", "4"),
    "delivery 2": _set("HoSo.HinhThuc", "2"),
    "a summary of 1001 characters": _set("HoSo.TrichYeuHoSo", "ệ" * 1001),
    "a processor name of 51 characters": _set("QuaTrinhXuLy.0.NguoiXuLy", "x" * 51),
    "a history entry without time": _set("QuaTrinhXuLy.0.ThoiDiemXuLy", ""),
    "an identity of 11 digits": _set("HoSo.DinhDanhCHS.0.SoDinhDanh", "09120300456"),
    "identity kind 4": _set("HoSo.DinhDanhCHS.0.LoaiDinhDanh", "4"),
    "a negative fee": _set("HoSo.DanhSachLePhi.0.Gia", -1),
    # JSON Schema alone counts 75000.0 as an integer; the XSD refuses its text (issue 9, item 5).
    "a fee written with a fraction": _set("HoSo.DanhSachLePhi.0.Gia", 75000.0),
    "a fee written with an exponent": _set("HoSo.DanhSachLePhi.0.Gia", 7.5e4),
    "a fee over the largest amount": _set("HoSo.DanhSachLePhi.0.Gia", 10**12),
    "a fee beyond 64 bits": _set("HoSo.DanhSachLePhi.0.Gia", 2**64),
    "a supplement fee written with a fraction": _set(
        "HoSo.DanhSachHoSoBoSung",
        [{**_SUPPLEMENT, "DanhSachLePhiBoSung": [{"MaPhiLePhi": "LP", "Gia": 1.5, "LoaiPhiLePhi": "1"}]}],
    ),
    "a file link that is not http(s)": _set("HoSo.TaiLieuNop.0.DuongDanTaiTepTin", "file:///etc/passwd"),
    "a flag of 2": _set("HoSo.TaiKhoanDuocXacThucVoiVNeID", "2"),
    "paid online 3": _set("HoSo.DuocThanhToanTrucTuyen", "3"),
    "a revision that is not a date": _set("Meta.Revision", "yesterday"),
    "a content hash that is not hex": _set("Meta.ContentHash", "z" * 64),
    "a field the schema does not know": _set("HoSo.MaBuuChinh", "70000"),
    "a filing date that is not a date": _set("HoSo.NgayNopHoSo", "2021-06-04"),
    "a refusal date of 31 June": _set("HoSo.NgayTuChoi", "20210631080000"),
    "an applicant document number of 51 characters": _set("HoSo.SoGiayToChuHoSo", "9" * 51),
    "a national database code of 101 characters": _set("HoSo.DSKetNoiCSDL", [{"MaCSDL": "7" * 101}]),
    "21 national databases": _set("HoSo.DSKetNoiCSDL", [{"MaCSDL": str(i)} for i in range(21)]),
    "reuse 3": _set("HoSo.TaiLieuNop.0.DuocTaiSuDung", "3"),
    "taken from the national store True": _set("HoSo.TaiLieuNop.0.DuocLayTuKhoDMQG", "True"),
    "deleted False (a wire variant the strict form refuses)": _set("HoSo.TaiLieuNop.0.IsDeleted", "False"),
    "a supplement document with a link that is not http(s)": _set(
        "HoSo.DanhSachHoSoBoSung",
        [
            {
                **_SUPPLEMENT,
                "DanhSachGiayToBoSung": [
                    {"TepDinhKemId": "b", "TenTepDinhKem": "x.pdf", "DuongDanTaiTepTin": "ftp://x/y"}
                ],
            }
        ],
    ),
    "a supplement fee of -1": _set(
        "HoSo.DanhSachHoSoBoSung",
        [{**_SUPPLEMENT, "DanhSachLePhiBoSung": [{"MaPhiLePhi": "LP", "Gia": -1, "LoaiPhiLePhi": "1"}]}],
    ),
    "a supplement requester of 256 characters": _set(
        "HoSo.DanhSachHoSoBoSung", [{**_SUPPLEMENT, "NguoiYeuCauBoSung": "x" * 256}]
    ),
}


def _documents(mutation: Mutation, layout_schemas: SchemaSet) -> tuple[dict[str, Any], etree._Element]:
    packet = DossierPacket.build(sample_meta(), sample_dossier(), sample_history())
    document = copy.deepcopy(to_json(packet))
    mutation(document)
    element = to_xml(packet)
    _apply_to_xml(element, document, layout_schemas)
    return document, element


def _apply_to_xml(element: etree._Element, document: dict[str, Any], schemas: SchemaSet) -> None:
    """Re-render the mutated JSON document as XML, keeping unknown keys as elements."""
    from gateway.packets.render import record_to_xml

    for child in list(element):
        element.remove(child)
    meta = etree.SubElement(element, NS + "Meta")
    for key, value in document["Meta"].items():
        etree.SubElement(meta, NS + key).text = str(value)
    hoso = record_to_xml(element, "HoSo", document["HoSo"], "HoSo", schemas.layout)
    known = {spec.name for spec in schemas.layout.fields("HoSo")}
    for key, value in document["HoSo"].items():
        if key not in known:
            etree.SubElement(hoso, NS + key).text = str(value)
    for step in document["QuaTrinhXuLy"]:
        record_to_xml(element, "QuaTrinhXuLy", step, "BuocXuLy", schemas.layout)


def _verdicts(schemas: SchemaSet, mutation: Mutation) -> tuple[bool, bool]:
    document, element = _documents(mutation, schemas)
    return not schemas.json_violations(document), not schemas.xml_violations(element)


@pytest.mark.parametrize("case", sorted(VALID))
def test_both_schemas_accept_valid_packet(schemas: SchemaSet, case: str) -> None:
    assert _verdicts(schemas, VALID[case]) == (True, True)


@pytest.mark.parametrize("case", sorted(INVALID))
def test_both_schemas_refuse_invalid_packet(schemas: SchemaSet, case: str) -> None:
    assert _verdicts(schemas, INVALID[case]) == (False, False)


def test_invalid_date_violation_names_the_field_and_the_expected_form(schemas: SchemaSet) -> None:
    document, _ = _documents(INVALID["30 February"], schemas)
    [violation] = schemas.json_violations(document)
    assert violation.path == "$.HoSo.NgayTiepNhan"
    assert "yyyyMMddHHmmss" in violation.message


def test_schemas_refer_to_nothing_that_would_be_fetched() -> None:
    xsd = (SCHEMA_DIR / XSD_FILE).read_text(encoding="utf-8")
    assert "schemaLocation" not in xsd
    refs = re.findall(r'"\$ref": "([^"]*)"', (SCHEMA_DIR / JSON_SCHEMA_FILE).read_text(encoding="utf-8"))
    assert refs
    assert all(ref.startswith("#/") for ref in refs)


def test_a_fractional_number_is_named_with_its_path(schemas: SchemaSet) -> None:
    document, _ = _documents(INVALID["a fee written with a fraction"], schemas)
    assert [v.path for v in schemas.json_violations(document)] == ["$.HoSo.DanhSachLePhi[0].Gia"]


def test_json_schema_refuses_a_status_sent_as_a_number(schemas: SchemaSet) -> None:
    # Enumerations travel as strings on the wire; XML text cannot tell 4 from "4", JSON can.
    document, _ = _documents(_set("HoSo.TrangThaiHoSo", 4), schemas)
    assert schemas.json_violations(document)
