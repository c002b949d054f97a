"""Applying mapping rules to record trees: values, dates, tables, lists, truncation, problems."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from gateway.mapping import MappedRecord, SourceMapping, load_mapping

NOW = datetime.fromisoformat("2026-01-01T00:00:00+07:00")

MAPPING = """\
name: t
source: {kind: json}
timezone: Asia/Ho_Chi_Minh
revision: {path: updatedAt, date: iso, required: true}
tables:
  status: {NEW: "1", DONE: "9"}
  yes_no: {true: "1", false: "0"}
  paid: {PORTAL: "1", CASH: null}
dossier:
  MaHoSo: {path: code, required: true, check: ma_ho_so}
  NgayTiepNhan: {path: received, date: "dd/MM/yyyy HH:mm:ss", not_future: true, required: true}
  NgayHenTra: {path: due, date: iso}
  TrangThaiHoSo: {path: status, table: status, required: true}
  TaiKhoanDuocXacThucVoiVNeID: {path: verified, table: yes_no, default: "0"}
  DuocThanhToanTrucTuyen: {path: "fees[*].via", table: paid, pick: first}
  TrichYeuHoSo: {path: summary, max_length: 10, truncate: true}
  ThongTinKhac: {path: other, max_length: 5}
  DinhDanhCHS:
    each: "."
    when: idno
    check: identity
    fields:
      LoaiDinhDanh: {path: idno, transform: [digits, length], table: {"12": "1", "9": "2"}, sensitive: true}
      SoDinhDanh: {path: idno, transform: digits, sensitive: true}
  DanhSachLePhi:
    each: fees_flat
    split: "|"
    unpack: {separator: ":", names: [code, amount]}
    fields:
      MaPhiLePhi: code
      Gia: amount
      LoaiPhiLePhi: {value: "1"}
"""


@pytest.fixture(scope="module")
def mapping(tmp_path_factory: pytest.TempPathFactory) -> SourceMapping:
    file = tmp_path_factory.mktemp("m") / "t.yaml"
    file.write_text(MAPPING, encoding="utf-8")
    return load_mapping(file)


def _map(mapping: SourceMapping, **fields: Any) -> MappedRecord:
    tree: dict[str, Any] = {
        "code": "000.00.22.H33-210604-0001",
        "received": "04/06/2021 08:15:00",
        "status": "NEW",
        "updatedAt": "2021-06-05T10:00:00+07:00",
    }
    tree.update(fields)
    return mapping.map(tree, now=NOW, future_skew=timedelta(minutes=10))


def _reasons(result: MappedRecord) -> list[str]:
    return [f"{p.field}: {p.reason}" for p in result.problems]


def _described(result: MappedRecord) -> list[str]:
    return [str(p) for p in result.problems]


def test_mapped_records_are_complete_and_in_schema_order(mapping: SourceMapping) -> None:
    dossier = _map(mapping).dossier
    assert list(dossier)[:3] == ["MaHoSo", "MaTTHC", "TenTTHC"]
    assert dossier["MaTTHC"] == ""
    assert dossier["TaiLieuNop"] == []


def test_a_local_date_becomes_the_national_form(mapping: SourceMapping) -> None:
    assert _map(mapping).dossier["NgayTiepNhan"] == "20210604081500"


def test_an_iso_date_with_another_offset_is_converted_to_vietnam_time(mapping: SourceMapping) -> None:
    assert _map(mapping, due="2021-06-18T10:00:00Z").dossier["NgayHenTra"] == "20210618170000"


def test_a_date_in_the_wrong_form_is_a_problem(mapping: SourceMapping) -> None:
    [reason] = _reasons(_map(mapping, received="2021-06-04 08:15"))
    assert reason.startswith("HoSo.NgayTiepNhan: '2021-06-04 08:15' is not a date in the form dd/MM/yyyy")


def test_a_date_beyond_the_skew_is_in_the_future(mapping: SourceMapping) -> None:
    [reason] = _reasons(_map(mapping, received="01/01/2026 00:11:00"))
    assert "lies in the future" in reason


def test_a_date_within_the_skew_is_accepted(mapping: SourceMapping) -> None:
    assert _reasons(_map(mapping, received="01/01/2026 00:09:00")) == []


def test_the_revision_is_the_national_form_of_the_update_time(mapping: SourceMapping) -> None:
    assert _map(mapping).revision == "20210605100000"


def test_an_unknown_code_lists_the_known_ones(mapping: SourceMapping) -> None:
    [reason] = _reasons(_map(mapping, status="LOST"))
    assert reason == "HoSo.TrangThaiHoSo: 'LOST' is not a known value (table status: NEW, DONE)"


def test_a_missing_required_field_is_a_problem(mapping: SourceMapping) -> None:
    assert _reasons(_map(mapping, code=None)) == ["HoSo.MaHoSo: required value is missing"]


def test_a_blank_value_counts_as_missing(mapping: SourceMapping) -> None:
    assert _reasons(_map(mapping, code="   ")) == ["HoSo.MaHoSo: required value is missing"]


def test_a_json_boolean_is_looked_up_as_true_or_false(mapping: SourceMapping) -> None:
    assert _map(mapping, verified=True).dossier["TaiKhoanDuocXacThucVoiVNeID"] == "1"


def test_a_default_fills_a_missing_value(mapping: SourceMapping) -> None:
    assert _map(mapping).dossier["TaiKhoanDuocXacThucVoiVNeID"] == "0"


def test_pick_first_skips_values_the_table_maps_to_nothing(mapping: SourceMapping) -> None:
    result = _map(mapping, fees=[{"via": "CASH"}, {"via": "PORTAL"}])
    assert result.dossier["DuocThanhToanTrucTuyen"] == "1"


def test_truncation_declared_by_the_mapping_is_applied_and_noted(mapping: SourceMapping) -> None:
    result = _map(mapping, summary="x" * 12)
    assert result.dossier["TrichYeuHoSo"] == "x" * 10
    assert result.notes == ["HoSo.TrichYeuHoSo: truncated from 12 to 10 characters"]


def test_a_value_over_the_limit_without_truncation_is_a_problem(mapping: SourceMapping) -> None:
    assert _reasons(_map(mapping, other="abcdef")) == ["HoSo.ThongTinKhac: 6 characters, over the limit of 5"]


def test_an_identity_is_built_from_a_flat_column(mapping: SourceMapping) -> None:
    result = _map(mapping, idno="091 203 004 567")
    assert result.dossier["DinhDanhCHS"] == [{"LoaiDinhDanh": "1", "SoDinhDanh": "091203004567"}]


def test_no_identity_column_means_no_identity_entry(mapping: SourceMapping) -> None:
    assert _map(mapping).dossier["DinhDanhCHS"] == []


def test_an_identity_failing_its_check_is_a_problem_without_the_number(mapping: SourceMapping) -> None:
    [reason] = _reasons(_map(mapping, idno="000203004567"))
    assert reason.startswith("HoSo.DinhDanhCHS[0]: citizen ID (CCCD) starts with province code 000")


def test_an_identity_of_unknown_length_is_masked_in_the_reason(mapping: SourceMapping) -> None:
    reasons = _reasons(_map(mapping, idno="12345"))
    assert reasons
    assert all("12345" not in r for r in reasons)


def test_split_and_unpack_make_a_list_of_records(mapping: SourceMapping) -> None:
    result = _map(mapping, fees_flat="LP01:75000|LP02:0")
    assert result.dossier["DanhSachLePhi"] == [
        {"TenPhiLePhi": "", "MaPhiLePhi": "LP01", "HinhThucThu": "", "Gia": 75000, "LoaiPhiLePhi": "1"},
        {"TenPhiLePhi": "", "MaPhiLePhi": "LP02", "HinhThucThu": "", "Gia": 0, "LoaiPhiLePhi": "1"},
    ]


def test_an_item_that_does_not_unpack_is_a_problem(mapping: SourceMapping) -> None:
    assert _reasons(_map(mapping, fees_flat="LP01")) == [
        "HoSo.DanhSachLePhi[0]: 'LP01' is not of the form code:amount"
    ]


def test_every_problem_of_a_record_is_reported(mapping: SourceMapping) -> None:
    result = _map(mapping, code="bad", status="LOST", received="yesterday")
    assert [p.field for p in result.problems] == ["HoSo.MaHoSo", "HoSo.NgayTiepNhan", "HoSo.TrangThaiHoSo"]


def test_a_fee_amount_that_is_not_a_whole_number_is_a_problem(mapping: SourceMapping) -> None:
    assert _described(_map(mapping, fees_flat="LP01:75.000")) == [
        "HoSo.DanhSachLePhi[0].Gia (from amount): '75.000' is not a whole number"
    ]


SHAPES = """\
name: s
source: {kind: json}
revision: {path: updatedAt, date: iso, required: true}
dossier:
  MaHoSo: {path: code, required: true}
  ChuHoSo: applicant.fullName
  LoaiDoiTuong: {path: applicant.type, required: true}
  Email: applicant.email
  SoDienThoai: {path: phone, transform: digits, default: "none"}
  SoBienNhan: {path: receipt, transform: digits, required: true}
  MaTTHC: {path: procedure, extract: '^(?:([0-9]\\.[0-9]{6})|x)$', default: "1.000000", required: true}
  MaDoiTuong: {path: account, extract: '^(?:([0-9]\\.[0-9]{6})|x)$', date: iso}
  HinhThuc: {value: " ", default: "0"}
  GhiChu: {value: " "}
  DinhDanhCHS:
    each: applicant.identity
    fields:
      LoaiDinhDanh: {path: kind, required: true}
      SoDinhDanh: {path: number, required: true}
  DanhSachLePhi:
    each: flat
    split: "|"
    fields:
      MaPhiLePhi: "."
"""


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> SourceMapping:
    file = tmp_path_factory.mktemp("s") / "s.yaml"
    file.write_text(SHAPES, encoding="utf-8")
    return load_mapping(file)


def _shaped(mapping: SourceMapping, **fields: Any) -> MappedRecord:
    tree: dict[str, Any] = {
        "code": "X-1",
        "updatedAt": "2021-06-05T10:00:00+07:00",
        "applicant": {"type": "citizen"},
        "receipt": "R-1",
        "procedure": "1.004889",
    }
    tree.update(fields)
    return mapping.map(tree, now=NOW, future_skew=timedelta(minutes=10))


def test_a_list_where_an_object_belongs_is_one_problem_naming_the_kinds(shapes: SourceMapping) -> None:
    assert _described(_shaped(shapes, applicant=["x"])) == [
        "HoSo.ChuHoSo (from applicant.fullName): applicant: expected an object, got a list"
    ]


@pytest.mark.parametrize(("value", "kind"), [(5, "a number"), (False, "a boolean"), ("citizen", "a string")])
def test_a_scalar_where_an_object_belongs_is_a_problem_naming_its_kind(
    shapes: SourceMapping, value: object, kind: str
) -> None:
    assert _reasons(_shaped(shapes, applicant=value)) == [
        f"HoSo.ChuHoSo: applicant: expected an object, got {kind}"
    ]


def test_each_list_item_of_the_wrong_kind_is_named(shapes: SourceMapping) -> None:
    result = _shaped(shapes, applicant={"type": "citizen", "identity": ["x", 5]})
    assert _reasons(result) == [
        "HoSo.DinhDanhCHS[0].LoaiDinhDanh: the item: expected an object, got a string",
        "HoSo.DinhDanhCHS[1].LoaiDinhDanh: the item: expected an object, got a number",
    ]


@pytest.mark.parametrize(("flat", "kind"), [([5], "a number"), ({"a": "b"}, "an object")])
def test_a_split_list_of_something_other_than_text_is_a_problem(
    shapes: SourceMapping, flat: object, kind: str
) -> None:
    assert _reasons(_shaped(shapes, flat=flat)) == [f"HoSo.DanhSachLePhi: expected text, got {kind}"]


def test_a_structure_where_one_value_belongs_is_named_with_its_kind(shapes: SourceMapping) -> None:
    assert _reasons(_shaped(shapes, code=["a", "b"])) == ["HoSo.MaHoSo: expected a single value, got a list"]


def test_a_transform_that_leaves_nothing_gives_way_to_the_default(shapes: SourceMapping) -> None:
    assert _shaped(shapes, phone="n/a").dossier["SoDienThoai"] == "none"


def test_a_transform_that_leaves_nothing_of_a_required_value_is_a_problem(shapes: SourceMapping) -> None:
    assert _reasons(_shaped(shapes, receipt="R-")) == ["HoSo.SoBienNhan: required value is missing"]


def test_an_extract_group_that_takes_no_part_is_no_value(shapes: SourceMapping) -> None:
    result = _shaped(shapes, procedure="x", account="x")
    assert (result.problems, result.dossier["MaTTHC"], result.dossier["MaDoiTuong"]) == ([], "1.000000", "")


def test_a_blank_constant_is_no_value(shapes: SourceMapping) -> None:
    dossier = _shaped(shapes).dossier
    assert (dossier["HinhThuc"], dossier["GhiChu"]) == ("0", "")


@pytest.mark.parametrize("amount", ["1_000", "٣", "²", "1" * 31, "0x10"])
def test_a_whole_number_is_written_in_ascii_digits(mapping: SourceMapping, amount: str) -> None:
    assert _reasons(_map(mapping, fees_flat=f"LP01:{amount}")) == [
        f"HoSo.DanhSachLePhi[0].Gia: {amount!r} is not a whole number"
    ]
