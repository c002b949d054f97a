"""CsvAdapter: legacy CSV in the declared encoding, one tree per row, bad rows kept apart."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.adapters import BadRecord, CsvAdapter, SourceFormat, SourceRecord
from gateway.errors import InputError

BOM = b"\xef\xbb\xbf"


def read(adapter: CsvAdapter, data: bytes) -> list[SourceRecord | BadRecord]:
    return list(adapter.read_bytes(data, "export.csv"))


def trees(results: list[SourceRecord | BadRecord]) -> list[dict[str, object]]:
    return [r.tree for r in results if isinstance(r, SourceRecord)]


def bad(results: list[SourceRecord | BadRecord]) -> list[BadRecord]:
    return [r for r in results if isinstance(r, BadRecord)]


@pytest.fixture
def cp1258_adapter() -> CsvAdapter:
    return CsvAdapter("legacy-csv", SourceFormat(kind="csv", encoding="cp1258"))


def test_each_row_becomes_a_dict_by_column_with_empty_values_as_none(
    csv_adapter: CsvAdapter,
) -> None:
    data = b"SO_HO_SO;KENH;NGAY_TRA\r\nA-1;2;\r\nA-2;;01-01-2021 10:00\r\n"
    assert trees(read(csv_adapter, data)) == [
        {"SO_HO_SO": "A-1", "KENH": "2", "NGAY_TRA": None},
        {"SO_HO_SO": "A-2", "KENH": None, "NGAY_TRA": "01-01-2021 10:00"},
    ]


def test_header_cells_are_stripped_and_values_are_kept_as_written(
    csv_adapter: CsvAdapter,
) -> None:
    assert trees(read(csv_adapter, b" SO_HO_SO ; KENH\nA-1; 2 \n")) == [{"SO_HO_SO": "A-1", "KENH": " 2 "}]


def test_a_utf8_byte_order_mark_is_not_part_of_the_first_column(
    csv_adapter: CsvAdapter,
) -> None:
    (result,) = read(csv_adapter, BOM + b"SO_HO_SO;KENH\nA-1;2\n")
    assert isinstance(result, SourceRecord)
    assert result.tree == {"SO_HO_SO": "A-1", "KENH": "2"}
    assert result.raw == b"A-1;2"


def test_quoted_fields_keep_delimiters_and_line_breaks_and_rows_keep_their_first_line(
    csv_adapter: CsvAdapter,
) -> None:
    data = b'SO_HO_SO;TRICH_YEU\r\nA-1;"Xin; cap\r\nphep ""moi"""\r\nA-2;x\r\n'
    results = read(csv_adapter, data)
    assert trees(results) == [
        {"SO_HO_SO": "A-1", "TRICH_YEU": 'Xin; cap\r\nphep "moi"'},
        {"SO_HO_SO": "A-2", "TRICH_YEU": "x"},
    ]
    assert [(r.provenance.index, r.provenance.line) for r in results] == [(0, 2), (1, 4)]
    assert results[0].raw == b'A-1;"Xin; cap\r\nphep ""moi"""'


def test_blank_lines_are_skipped(csv_adapter: CsvAdapter) -> None:
    results = read(csv_adapter, b"A;B\n\n1;2\n   \n3;4")
    assert trees(results) == [{"A": "1", "B": "2"}, {"A": "3", "B": "4"}]
    assert [(r.provenance.index, r.provenance.line) for r in results] == [(0, 3), (1, 5)]


def test_a_windows_1258_file_comes_out_nfc_and_equal_to_the_original(
    cp1258_adapter: CsvAdapter, vietnamese: str, windows_1258: Callable[[str], bytes]
) -> None:
    text = f'HO_TEN;TRICH_YEU\r\nLê Thị Cúc;"{vietnamese}"\r\n'
    data = windows_1258(text)
    (result,) = read(cp1258_adapter, data)
    assert isinstance(result, SourceRecord)
    assert result.tree == {"HO_TEN": "Lê Thị Cúc", "TRICH_YEU": vietnamese}
    assert result.raw == data.split(b"\r\n")[1]


def test_decomposed_utf8_comes_out_nfc(csv_adapter: CsvAdapter) -> None:
    text = unicodedata.normalize("NFD", "HỌ_TÊN\nNguyễn Văn An\n")
    assert trees(read(csv_adapter, text.encode())) == [{"HỌ_TÊN": "Nguyễn Văn An"}]


def test_a_row_with_too_many_or_too_few_fields_is_a_bad_record_among_good_ones(
    csv_adapter: CsvAdapter,
) -> None:
    results = read(csv_adapter, b"A;B;C\n1;2;3\n1;2\n1;2;3;4\n7;8;9\n")
    assert trees(results) == [{"A": "1", "B": "2", "C": "3"}, {"A": "7", "B": "8", "C": "9"}]
    assert [(r.reason, r.provenance.index, r.provenance.line, r.raw) for r in bad(results)] == [
        ("row has 2 fields, header has 3", 1, 3, b"1;2"),
        ("row has 4 fields, header has 3", 2, 4, b"1;2;3;4"),
    ]


def test_an_undecodable_byte_spoils_only_its_row_and_names_the_column_and_byte(
    csv_adapter: CsvAdapter,
) -> None:
    data = b"SO_HO_SO;HO_TEN\nA-1;L\xc3\xaa\nA-2;L\xff\nA-3;x\n"
    results = read(csv_adapter, data)
    assert [t["SO_HO_SO"] for t in trees(results)] == ["A-1", "A-3"]
    (rejected,) = bad(results)
    assert rejected.field == "HO_TEN"
    assert rejected.reason == "byte 0xFF at offset 29 is not valid UTF-8 (column HO_TEN)"
    assert data[29] == 0xFF
    assert rejected.raw == b"A-2;L\xff"
    assert (rejected.provenance.index, rejected.provenance.line) == (1, 3)


def test_a_byte_windows_1258_does_not_define_spoils_only_its_row(
    cp1258_adapter: CsvAdapter,
) -> None:
    data = b"SO_HO_SO;HO_TEN\r\nA-1;L\xea\r\nA-2;\x81x\r\n"
    results = read(cp1258_adapter, data)
    assert trees(results) == [{"SO_HO_SO": "A-1", "HO_TEN": "Lê"}]
    (rejected,) = bad(results)
    assert rejected.reason == "byte 0x81 at offset 29 is not valid windows-1258 (column HO_TEN)"
    assert data[29] == 0x81


def test_a_nul_byte_spoils_only_its_row_and_names_the_column(csv_adapter: CsvAdapter) -> None:
    results = read(csv_adapter, b"A;B\n1;2\n3;x\x00y\n5;6\n")
    assert trees(results) == [{"A": "1", "B": "2"}, {"A": "5", "B": "6"}]
    (rejected,) = bad(results)
    assert (rejected.reason, rejected.field, rejected.raw) == ("NUL byte in column B", "B", b"3;x\x00y")


def test_columns_without_a_name_are_counted_but_left_out_of_the_tree(
    csv_adapter: CsvAdapter,
) -> None:
    assert trees(read(csv_adapter, b"A;B;\n1;2;\n")) == [{"A": "1", "B": "2"}]


def test_a_header_naming_a_column_twice_is_refused(csv_adapter: CsvAdapter) -> None:
    with pytest.raises(InputError) as caught:
        read(csv_adapter, b"A;B;A\n1;2;3\n")
    assert caught.value.reason == "column A appears twice in the header"
    assert caught.value.location.line == 1


def test_an_undecodable_header_is_refused(csv_adapter: CsvAdapter) -> None:
    with pytest.raises(InputError, match="header cell 2 has a NUL or undecodable byte"):
        read(csv_adapter, b"A;B\xff\n1;2\n")


def test_an_empty_file_yields_nothing(csv_adapter: CsvAdapter) -> None:
    assert read(csv_adapter, b"") == []
    assert read(csv_adapter, BOM + b"A;B\r\n") == []


def test_the_delimiter_comes_from_the_source_format() -> None:
    adapter = CsvAdapter("x", SourceFormat(kind="csv", delimiter=","))
    assert trees(read(adapter, b'A,B\n"1,5",2\n')) == [{"A": "1,5", "B": "2"}]


def test_an_unknown_encoding_is_refused_when_the_adapter_is_made() -> None:
    with pytest.raises(ValueError, match="unknown CSV encoding 'x-nope'"):
        CsvAdapter("x", SourceFormat(kind="csv", encoding="x-nope"))


def test_an_oversized_file_is_refused_from_its_size(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(b"A;B\n" + b"1;2\n" * 100)
    adapter = CsvAdapter("legacy-csv", SourceFormat(kind="csv", max_file_bytes=100))
    with pytest.raises(InputError) as caught:
        list(adapter.read(path))
    assert caught.value.reason == "file is 404 bytes, over the limit of 100 bytes"


def test_read_parses_the_file_at_a_path(csv_adapter: CsvAdapter, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(BOM + b"A;B\r\n1;2\r\n")
    (result,) = csv_adapter.read(path)
    assert isinstance(result, SourceRecord)
    assert (result.tree, result.provenance.file) == ({"A": "1", "B": "2"}, str(path))


def test_a_byte_order_mark_under_a_plain_utf8_declaration_is_not_part_of_the_header() -> None:
    adapter = CsvAdapter("legacy-csv", SourceFormat(kind="csv", encoding="utf-8"))
    results = read(adapter, BOM + b"A;B\n1;2\n3;\xff\n")
    assert trees(results) == [{"A": "1", "B": "2"}]
    assert bad(results)[0].reason == "byte 0xFF at offset 13 is not valid UTF-8 (column B)"
