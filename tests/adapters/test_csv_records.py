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


@pytest.mark.parametrize("data", [BOM + b"A;B\r\n", b"\r\nA;B", b"A;B\n\n;\n"])
def test_a_header_only_file_is_refused_as_holding_no_records(csv_adapter: CsvAdapter, data: bytes) -> None:
    with pytest.raises(InputError) as caught:
        read(csv_adapter, data)
    assert caught.value.reason == "no records: the file holds a header row and nothing else"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "no header row: the file is empty"),
        (BOM, "no header row: the file is empty"),
        (b"\r\n\r\n", "no header row: the file has only blank lines"),
        (BOM + b"  \n\t\n", "no header row: the file has only blank lines"),
        (b";;;;\r\n;;\r\n", "no header row: every row of the file is empty"),
    ],
)
def test_a_file_without_a_header_row_is_refused(csv_adapter: CsvAdapter, data: bytes, reason: str) -> None:
    with pytest.raises(InputError) as caught:
        read(csv_adapter, data)
    assert caught.value.reason == reason
    assert caught.value.location.file == "export.csv"


HEADER = "SO_HO_SO;MA_TTHC;TEN_TTHC;MA_LINH_VUC;TEN_LINH_VUC;HO_TEN;NGAY_CAP_NHAT"


@pytest.mark.parametrize(
    ("separator", "shown"),
    [
        (",", '"SO_HO_SO,MA_TTHC,TEN_TTHC,MA_LINH_VUC,T…"; the delimiter is ";"'),
        ("\t", '"SO_HO_SO\\tMA_TTHC\\tTEN_TTHC\\tMA_LINH_VUC\\tT…"; the delimiter is ";"'),
    ],
)
def test_a_one_column_header_holding_another_delimiter_is_refused_saying_the_delimiter_looks_wrong(
    csv_adapter: CsvAdapter, separator: str, shown: str
) -> None:
    header = HEADER.replace(";", separator)
    row = "A-1,1.004889,x,y,z,An,01-01-2025 10:00".replace(",", separator)
    data = (header + "\r\n" + row + "\r\n").encode()
    with pytest.raises(InputError) as caught:
        read(csv_adapter, BOM + data)
    separated = "\\t" if separator == "\t" else separator
    expected = f'header has one column {shown}, but the header is separated by "{separated}"'
    assert caught.value.reason == expected
    assert caught.value.location.line == 1


def test_a_one_column_header_without_another_delimiter_is_a_one_column_file(csv_adapter: CsvAdapter) -> None:
    assert trees(read(csv_adapter, b"SO_HO_SO\nA-1\n")) == [{"SO_HO_SO": "A-1"}]


def test_a_comma_in_a_header_of_several_columns_is_no_delimiter_problem(csv_adapter: CsvAdapter) -> None:
    assert trees(read(csv_adapter, b"A,B;C\n1;2\n")) == [{"A,B": "1", "C": "2"}]


@pytest.mark.parametrize("encoding", ["cp1258", "windows-1258", "Windows_1258"])
def test_a_utf8_byte_order_mark_under_another_declared_encoding_is_refused(encoding: str) -> None:
    adapter = CsvAdapter("legacy-csv", SourceFormat(kind="csv", encoding=encoding))
    with pytest.raises(InputError) as caught:
        read(adapter, BOM + "A;B\r\n1;Lê\r\n".encode())
    reason = "file starts with a UTF-8 byte-order mark but the mapping declares windows-1258"
    assert caught.value.reason == reason
    assert caught.value.location.line == 1


def test_a_windows_1258_file_without_a_byte_order_mark_is_read_as_declared(
    cp1258_adapter: CsvAdapter,
) -> None:
    assert trees(read(cp1258_adapter, b"A;B\r\n1;L\xea\r\n")) == [{"A": "1", "B": "Lê"}]


@pytest.mark.parametrize(
    "row",
    [
        b";" * 20,
        b";;;",
        b" ; ;\t; ",
        b'"";""',
        b'"  "',
    ],
)
def test_a_row_whose_cells_are_all_empty_is_skipped_like_a_blank_line(
    csv_adapter: CsvAdapter, row: bytes
) -> None:
    header = b";".join(b"C%d" % n for n in range(21))
    data = (
        header + b"\r\n" + b";".join([b"1"] * 21) + b"\r\n" + row + b"\r\n" + b";".join([b"2"] * 21) + b"\r\n"
    )
    results = read(csv_adapter, data)
    assert [r.tree["C0"] for r in results if isinstance(r, SourceRecord)] == ["1", "2"]
    assert [(r.provenance.index, r.provenance.line) for r in results] == [(0, 2), (1, 4)]


UNCLOSED_FILE = b'A;B;C\r\n1;2;3\r\n4;"Xin cap phep;5\r\n6;7;8\r\n9;10;11\r\n'


def test_an_unclosed_quote_is_one_bad_record_at_the_line_it_opens_saying_how_many_lines_it_spoils(
    csv_adapter: CsvAdapter,
) -> None:
    results = read(csv_adapter, UNCLOSED_FILE)
    assert trees(results) == [{"A": "1", "B": "2", "C": "3"}]
    (rejected,) = bad(results)
    assert rejected.reason == (
        'quoted field opened on line 3 (starting "Xin cap phep;5") is never closed: it runs to the end of '
        "the file, so lines 3 to 5 (3 lines) cannot be split into rows"
    )
    assert (rejected.field, rejected.provenance.index, rejected.provenance.line) == ("B", 1, 3)
    # The rows it swallowed are kept in its bytes: nothing vanishes without a word.
    assert rejected.raw == b'4;"Xin cap phep;5\r\n6;7;8\r\n9;10;11'


def test_a_quoted_field_never_closed_on_the_last_line_says_the_file_ends_there(
    csv_adapter: CsvAdapter,
) -> None:
    (good, rejected) = read(csv_adapter, b'A;B\n1;2\n3;"abc')
    assert isinstance(good, SourceRecord)
    assert isinstance(rejected, BadRecord)
    assert (
        rejected.reason
        == 'quoted field opened on line 3 (starting "abc") is never closed: the file ends there'
    )
    assert rejected.raw == b'3;"abc'


def test_a_quote_never_closed_after_a_closed_multi_line_field_names_its_own_line(
    csv_adapter: CsvAdapter,
) -> None:
    (rejected,) = read(csv_adapter, b'A;B;C\n1;"two\nlines";"x\n2;3;4\n')
    assert isinstance(rejected, BadRecord)
    assert rejected.reason.startswith('quoted field opened on line 3 (starting "x") is never closed: ')
    assert rejected.reason.endswith("lines 3 to 4 (2 lines) cannot be split into rows")
    assert (rejected.field, rejected.provenance.line) == ("C", 2)


def test_the_reason_for_a_quote_never_closed_shows_at_most_40_characters_of_the_field(
    csv_adapter: CsvAdapter,
) -> None:
    data = b'A;B\n1;"' + b"x" * 200_000 + b"\n" + b"2;3\n" * 1000
    (rejected,) = read(csv_adapter, data)  # past the csv module's field limit: still one unclosed field
    assert isinstance(rejected, BadRecord)
    assert rejected.reason == (
        f'quoted field opened on line 2 (starting "{"x" * 39}…") is never closed: it runs to the end of '
        "the file, so lines 2 to 1002 (1001 lines) cannot be split into rows"
    )
    assert rejected.raw == data[len(b"A;B\n") : -1]


@pytest.mark.parametrize(
    "data",
    [
        b'A;B\n1;x"y\n2;3\n',  # a quote inside an unquoted value is a character
        b'A;B\n1;"y"\n',  # a quoted last field, closed
        b'A;B\n1;"y ""z"""',  # doubled quotes, closed at the end of the file
        b'A;B\n1;"y"z\n',  # text after a closing quote joins the field
    ],
)
def test_quotes_that_close_or_never_open_are_not_reported(csv_adapter: CsvAdapter, data: bytes) -> None:
    assert bad(read(csv_adapter, data)) == []


def test_a_field_over_the_csv_limit_that_does_close_is_not_reported_as_unclosed(
    csv_adapter: CsvAdapter,
) -> None:
    results = read(csv_adapter, b'A;B\n1;"' + b"x" * 200_000 + b'"\n2;3\n')
    assert bad(results)[0].reason == "row cannot be parsed: field larger than field limit (131072)"
    assert trees(results) == [{"A": "2", "B": "3"}]


def test_a_quote_never_closed_in_the_header_is_refused(csv_adapter: CsvAdapter) -> None:
    with pytest.raises(InputError) as caught:
        read(csv_adapter, b'A;"B\n1;2\n')
    assert caught.value.reason.startswith("header row cannot be read: quoted field opened on line 1")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"Nguyen\x01An", "control character U+0001"),
        (b"x\x08", "control character U+0008"),
        (b"\x0bx", "control character U+000B"),
        (b"x\x0cy", "control character U+000C"),
        (b"x\x1b", "control character U+001B"),
        (b"x\x1f", "control character U+001F"),
        ("x\ufffe".encode(), "noncharacter U+FFFE"),
        ("Lê\uffff".encode(), "noncharacter U+FFFF"),
        (b'"multi\r\nline\x07"', "control character U+0007"),
    ],
)
def test_a_character_xml_cannot_carry_makes_the_row_bad_naming_the_column_and_the_code_point(
    csv_adapter: CsvAdapter, value: bytes, reason: str
) -> None:
    data = b"SO_HO_SO;HO_TEN;NGAY\r\nA-1;An;x\r\nA-2;" + value + b";y\r\nA-3;Binh;z\r\n"
    results = read(csv_adapter, data)
    assert [t["SO_HO_SO"] for t in trees(results)] == ["A-1", "A-3"]
    (rejected,) = bad(results)
    assert rejected.reason == f"{reason} in column HO_TEN cannot be carried by the national XML"
    assert (rejected.field, rejected.provenance.index, rejected.provenance.line) == ("HO_TEN", 1, 3)


def test_a_control_byte_in_a_windows_1258_file_makes_the_row_bad(cp1258_adapter: CsvAdapter) -> None:
    results = read(cp1258_adapter, b"A;B\r\n1;L\xea\r\n2;L\xea\x01\r\n")
    assert trees(results) == [{"A": "1", "B": "Lê"}]
    assert (
        bad(results)[0].reason == "control character U+0001 in column B cannot be carried by the national XML"
    )


def test_a_control_character_in_a_column_without_a_name_still_makes_the_row_bad(
    csv_adapter: CsvAdapter,
) -> None:
    (rejected,) = read(csv_adapter, b"A;;B\n1;\x02;3\n")
    assert isinstance(rejected, BadRecord)
    assert (rejected.reason, rejected.field) == (
        "control character U+0002 in column #2 cannot be carried by the national XML",
        "#2",
    )


def test_tabs_and_c1_controls_inside_values_are_carried(csv_adapter: CsvAdapter) -> None:
    assert trees(read(csv_adapter, "A;B\n1;x\ty\x85\x7f\ufffd\n".encode())) == [
        {"A": "1", "B": "x\ty\x85\x7f\ufffd"}
    ]


def test_a_character_xml_cannot_carry_in_a_header_cell_is_refused(csv_adapter: CsvAdapter) -> None:
    with pytest.raises(InputError) as caught:
        read(csv_adapter, b"A;B\x01\n1;2\n")
    assert (
        caught.value.reason
        == "control character U+0001 in header cell 2 cannot be carried by the national XML"
    )


def test_a_nul_byte_still_has_its_own_wording(csv_adapter: CsvAdapter) -> None:
    (rejected,) = read(csv_adapter, b"A;B\n1;\x01x\x00\n")
    assert isinstance(rejected, BadRecord)
    assert rejected.reason == "NUL byte in column B"


@pytest.mark.parametrize("encoding", ["cp1258", "windows-1258"])
def test_control_characters_are_found_in_a_windows_1258_file_too(encoding: str) -> None:
    adapter = CsvAdapter("legacy-csv", SourceFormat(kind="csv", encoding=encoding))
    results = read(adapter, b"A;B\n1;L\xea\n3;\x01\n")
    assert trees(results) == [{"A": "1", "B": "Lê"}]
    assert (
        bad(results)[0].reason == "control character U+0001 in column B cannot be carried by the national XML"
    )


def test_the_delimiter_comes_from_the_source_format() -> None:
    adapter = CsvAdapter("x", SourceFormat(kind="csv", delimiter=","))
    assert trees(read(adapter, b'A,B\n"1,5",2\n')) == [{"A": "1,5", "B": "2"}]


@pytest.mark.parametrize(
    "encoding", ["x-nope", "utf-7", "utf-16", "latin-1", "rot13", "base64", "unicode_escape"]
)
def test_an_encoding_outside_the_allow_list_is_refused_when_the_adapter_is_made(encoding: str) -> None:
    with pytest.raises(ValueError, match=f"encoding '{encoding}' is not supported"):
        CsvAdapter("x", SourceFormat(kind="csv", encoding=encoding))


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
