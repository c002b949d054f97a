"""JsonAdapter: JSON arrays and NDJSON in, NFC record trees and bad records out."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from gateway.adapters import BadRecord, JsonAdapter, ReadResult, SourceFormat, SourceRecord
from gateway.errors import InputError

NFD_NAME = unicodedata.normalize("NFD", "Nguyễn Văn An")


def read(adapter: JsonAdapter, data: bytes, file: str = "export.json") -> list[ReadResult]:
    return list(adapter.read_bytes(data, file))


def records(results: list[ReadResult]) -> list[SourceRecord]:
    return [r for r in results if isinstance(r, SourceRecord)]


def bad(results: list[ReadResult]) -> list[BadRecord]:
    return [r for r in results if isinstance(r, BadRecord)]


def test_an_array_yields_one_record_per_item_with_its_line_and_exact_bytes(
    json_adapter: JsonAdapter,
) -> None:
    data = b'[\n  {"code": "A-1",\n   "status": "NEW"},\n  {"code": "A-2"}\n]\n'
    results = read(json_adapter, data)
    assert [r.tree for r in records(results)] == [{"code": "A-1", "status": "NEW"}, {"code": "A-2"}]
    assert [r.provenance.index for r in records(results)] == [0, 1]
    assert [r.provenance.line for r in records(results)] == [2, 4]
    assert records(results)[0].raw == b'{"code": "A-1",\n   "status": "NEW"}'
    assert records(results)[0].provenance.source == "igate-json"
    assert records(results)[0].provenance.file == "export.json"


def test_ndjson_yields_one_record_per_line_with_its_line_number_and_bytes(
    json_adapter: JsonAdapter,
) -> None:
    data = b'{"code": "A-1"}\r\n\n   \n{"code": "A-2", "fees": [1, 2]}\n'
    results = read(json_adapter, data, "export.ndjson")
    assert [r.tree for r in records(results)] == [{"code": "A-1"}, {"code": "A-2", "fees": [1, 2]}]
    assert [(r.provenance.index, r.provenance.line) for r in records(results)] == [(0, 1), (1, 4)]
    assert records(results)[0].raw == b'{"code": "A-1"}'


def test_a_file_whose_first_byte_is_not_a_bracket_is_read_as_ndjson(
    json_adapter: JsonAdapter,
) -> None:
    results = read(json_adapter, b'{"code": "A-1"}\n{"code": "A-2"}\n', "export.json")
    assert [r.tree["code"] for r in records(results)] == ["A-1", "A-2"]


def test_a_ndjson_file_name_wins_over_a_leading_bracket(json_adapter: JsonAdapter) -> None:
    results = read(json_adapter, b'["not", "a record"]\n{"code": "A-2"}\n', "export.ndjson")
    assert bad(results)[0].reason == "record is a JSON array, expected an object"
    assert records(results)[0].tree == {"code": "A-2"}


@pytest.mark.parametrize(
    ("data", "file"),
    [(b'\xef\xbb\xbf[{"code": "A-1"}]', "export.json"), (b'\xef\xbb\xbf{"code": "A-1"}\n', "x.ndjson")],
)
def test_a_utf8_byte_order_mark_is_tolerated(json_adapter: JsonAdapter, data: bytes, file: str) -> None:
    assert [r.tree for r in records(read(json_adapter, data, file))] == [{"code": "A-1"}]


@pytest.mark.parametrize("data", [b" [ ] \n", b"[]", b"\xef\xbb\xbf[\n]"])
def test_an_empty_array_is_refused_as_holding_no_records(json_adapter: JsonAdapter, data: bytes) -> None:
    with pytest.raises(InputError) as caught:
        read(json_adapter, data)
    assert caught.value.reason == "the JSON array is empty: no records"


@pytest.mark.parametrize(
    ("data", "file"),
    [
        (b"", "export.json"),
        (b" \r\n\t\n", "export.json"),
        (b"\xef\xbb\xbf", "export.json"),
        (b"", "export.ndjson"),
        (b"\n\n   \n", "export.ndjson"),
        (b"\x0c\n", "export.ndjson"),  # white space to NDJSON's blank-line test, not to JSON
    ],
)
def test_an_empty_or_white_space_only_file_is_refused_as_holding_no_records(
    json_adapter: JsonAdapter, data: bytes, file: str
) -> None:
    with pytest.raises(InputError) as caught:
        read(json_adapter, data, file)
    assert caught.value.reason == "file is empty: no records"
    assert caught.value.location.file == file


def test_a_json_file_holding_one_pretty_printed_object_is_one_record(json_adapter: JsonAdapter) -> None:
    record = {"code": "A-1", "applicant": {"fullName": NFD_NAME, "identity": {"number": "1"}}, "fees": [1]}
    text = json.dumps(record, ensure_ascii=False, indent=2)
    data = b"\n" + text.encode() + b"\n\n"
    (result,) = read(json_adapter, data, "export.json")
    assert isinstance(result, SourceRecord)
    expected = unicodedata.normalize("NFC", NFD_NAME)
    assert result.tree == {
        "code": "A-1",
        "applicant": {"fullName": expected, "identity": {"number": "1"}},
        "fees": [1],
    }
    assert (result.provenance.index, result.provenance.line) == (0, 2)
    assert result.raw == text.encode()


def test_a_single_object_file_with_a_byte_order_mark_is_one_record(json_adapter: JsonAdapter) -> None:
    (result,) = read(json_adapter, b'\xef\xbb\xbf{\n  "code": "A-1"\n}\n', "export.json")
    assert isinstance(result, SourceRecord)
    assert result.tree == {"code": "A-1"}


@pytest.mark.parametrize(
    ("body", "reason", "field"),
    [
        ('"code": "A-1",\n  "code": "A-2"', 'duplicate key "code"', "code"),
        ('"amount": NaN', "NaN is not a valid JSON number", None),
        ('"a": ' + '{"a": ' * 70 + "1" + "}" * 70, "nesting deeper than 64 levels", None),
        (
            '"note": "x\\u0007y"',
            'control character U+0007 in "note" cannot be carried by the national XML',
            "note",
        ),
    ],
)
def test_a_single_object_file_is_checked_like_any_record_and_is_one_bad_record(
    json_adapter: JsonAdapter, body: str, reason: str, field: str | None
) -> None:
    data = ("{\n  " + body + ',\n  "status": "NEW"\n}\n').encode()
    (result,) = read(json_adapter, data, "export.json")
    assert isinstance(result, BadRecord)
    assert (result.reason, result.field) == (reason, field)
    assert (result.provenance.index, result.provenance.line) == (0, 1)
    assert result.raw == data.rstrip(b"\n")


def test_a_single_object_file_with_an_undecodable_byte_is_one_bad_record(json_adapter: JsonAdapter) -> None:
    data = b'{\n  "code": "A-1",\n  "note": "L\xea"\n}\n'
    (result,) = read(json_adapter, data, "export.json")
    assert isinstance(result, BadRecord)
    assert result.reason == f"byte 0xEA at offset {data.index(0xEA)} is not valid UTF-8"
    assert result.raw == data.rstrip(b"\n")


def test_a_single_object_too_deep_for_the_decoder_is_one_bad_record(json_adapter: JsonAdapter) -> None:
    data = b'{\n  "a": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_000 + b"\n}\n"
    (result,) = read(json_adapter, data, "export.json")
    assert isinstance(result, BadRecord)
    assert result.reason == "nesting deeper than 64 levels"


@pytest.mark.parametrize(
    "data", [b'{"code": "A-1"}\n{"code": "A-2"}\n', b'{"code": "A-1"}\n\n{"code": "A-2"}']
)
def test_a_json_file_of_one_object_per_line_is_still_read_as_ndjson(
    json_adapter: JsonAdapter, data: bytes
) -> None:
    results = read(json_adapter, data, "export.json")
    assert [r.tree["code"] for r in records(results)] == ["A-1", "A-2"]


def test_two_objects_on_the_one_line_of_a_json_file_are_a_bad_ndjson_line(json_adapter: JsonAdapter) -> None:
    (rejected,) = read(json_adapter, b'{"code": "A-1"} {"code": "A-2"}\n', "export.json")
    assert isinstance(rejected, BadRecord)
    assert rejected.reason == "invalid JSON at line 1 column 17: extra data after the record"


def test_ndjson_in_a_json_file_whose_first_line_is_bad_or_too_deep_is_read_line_by_line(
    json_adapter: JsonAdapter,
) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    for first in (b'{"code": "A-1",}', b'{"a": ' + deep + b"}"):
        results = read(json_adapter, first + b'\n{"code": "A-2"}\n', "export.json")
        assert [type(r).__name__ for r in results] == ["BadRecord", "SourceRecord"]
        assert records(results)[0].provenance.line == 2


def test_a_ndjson_file_name_wins_over_a_single_object(json_adapter: JsonAdapter) -> None:
    results = read(json_adapter, b'{\n  "code": "A-1"\n}\n', "export.ndjson")
    assert [r.provenance.line for r in bad(results)] == [1, 2, 3]


@pytest.mark.parametrize("file", ["export.json", "export.ndjson"])
def test_decomposed_keys_and_strings_come_out_nfc(json_adapter: JsonAdapter, file: str) -> None:
    record = {"applicant": {"fullName": NFD_NAME, "tags": [[NFD_NAME]]}, NFD_NAME: 1}
    line = json.dumps(record, ensure_ascii=False).encode()
    data = b"[" + line + b"]" if file.endswith(".json") else line + b"\n"
    (result,) = read(json_adapter, data, file)
    assert isinstance(result, SourceRecord)
    expected = unicodedata.normalize("NFC", NFD_NAME)
    assert result.tree == {"applicant": {"fullName": expected, "tags": [[expected]]}, expected: 1}
    assert result.raw == line


def test_decomposed_text_next_to_escapes_comes_out_nfc(json_adapter: JsonAdapter) -> None:
    line = json.dumps({"note": f'"{NFD_NAME}"\n{NFD_NAME}'}, ensure_ascii=False).encode()
    (result,) = read(json_adapter, line, "x.ndjson")
    assert isinstance(result, SourceRecord)
    name = unicodedata.normalize("NFC", NFD_NAME)
    assert result.tree == {"note": f'"{name}"\n{name}'}


def test_unicode_escapes_of_decomposed_text_come_out_nfc(json_adapter: JsonAdapter) -> None:
    line = json.dumps({"fullName": NFD_NAME}).encode()  # ensure_ascii: \u escapes
    assert b"\\u0302" in line
    (result,) = read(json_adapter, line, "x.ndjson")
    assert isinstance(result, SourceRecord)
    assert result.tree == {"fullName": "Nguyễn Văn An"}


def test_a_bad_ndjson_line_is_a_bad_record_and_the_lines_around_it_are_read(
    json_adapter: JsonAdapter,
) -> None:
    data = b'{"code": "A-1"}\n{"code": "A-2",}\n{"code": "A-3"}\n'
    results = read(json_adapter, data, "x.ndjson")
    assert [type(r).__name__ for r in results] == ["SourceRecord", "BadRecord", "SourceRecord"]
    (rejected,) = bad(results)
    assert (rejected.provenance.index, rejected.provenance.line) == (1, 2)
    assert rejected.raw == b'{"code": "A-2",}'
    assert rejected.reason.startswith("invalid JSON at line 2 column 16: ")


def test_an_array_item_that_is_not_an_object_is_a_bad_record_among_good_ones(
    json_adapter: JsonAdapter,
) -> None:
    results = read(json_adapter, b'[{"code": "A-1"}, "A-2", {"code": "A-3"}]')
    assert [r.tree["code"] for r in records(results)] == ["A-1", "A-3"]
    (rejected,) = bad(results)
    assert rejected.provenance.index == 1
    assert rejected.reason == "record is a JSON string, expected an object"
    assert rejected.raw == b'"A-2"'


@pytest.mark.parametrize("file", ["export.json", "export.ndjson"])
def test_a_duplicate_key_makes_the_record_bad_naming_the_key(json_adapter: JsonAdapter, file: str) -> None:
    items = [b'{"code": "A-1"}', b'{"code": "A-2", "agency": {"status": 1, "status": 2}}']
    data = b"[" + b",\n".join(items) + b"]" if file.endswith(".json") else b"\n".join(items)
    results = read(json_adapter, data, file)
    assert records(results)[0].tree == {"code": "A-1"}
    (rejected,) = bad(results)
    assert rejected.reason == 'duplicate key "status"'
    assert rejected.field == "status"
    assert (rejected.provenance.index, rejected.provenance.line) == (1, 2)


def test_keys_that_differ_only_in_normal_form_are_duplicates(json_adapter: JsonAdapter) -> None:
    nfc_name = unicodedata.normalize("NFC", NFD_NAME)
    line = json.dumps({NFD_NAME: 1, nfc_name: 2}, ensure_ascii=False).encode()
    (rejected,) = read(json_adapter, line, "x.ndjson")
    assert isinstance(rejected, BadRecord)
    assert rejected.field == nfc_name


@pytest.mark.parametrize(
    ("literal", "reason"),
    [
        ("NaN", "NaN is not a valid JSON number"),
        ("Infinity", "Infinity is not a valid JSON number"),
        ("-Infinity", "-Infinity is not a valid JSON number"),
        ("1e400", "number 1e400 is out of range"),
    ],
)
def test_non_finite_numbers_make_the_record_bad(json_adapter: JsonAdapter, literal: str, reason: str) -> None:
    data = f'[{{"fees": [{{"amount": {literal}}}]}}, {{"code": "A-2"}}]'.encode()
    results = read(json_adapter, data)
    assert [r.reason for r in bad(results)] == [reason]
    assert records(results)[0].tree == {"code": "A-2"}


def nested(depth: int) -> bytes:
    """A record whose containers nest ``depth`` levels, the record itself being one."""
    return b'{"a": ' * (depth - 1) + b"{}" + b"}" * (depth - 1)


def test_nesting_up_to_max_depth_is_accepted_and_deeper_makes_the_record_bad(
    json_adapter: JsonAdapter,
) -> None:
    data = b"\n".join([nested(64), nested(65), b'{"code": "A-3"}'])
    results = read(json_adapter, data, "x.ndjson")
    assert [type(r).__name__ for r in results] == ["SourceRecord", "BadRecord", "SourceRecord"]
    assert bad(results)[0].reason == "nesting deeper than 64 levels"


def test_max_depth_comes_from_the_source_format() -> None:
    adapter = JsonAdapter("igate-json", SourceFormat(kind="json", max_depth=3))
    results = read(adapter, b"\n".join([nested(3), nested(4)]), "x.ndjson")
    assert [type(r).__name__ for r in results] == ["SourceRecord", "BadRecord"]
    assert bad(results)[0].reason == "nesting deeper than 3 levels"


def test_a_100k_deep_ndjson_line_is_a_bad_record_not_a_recursion_error(
    json_adapter: JsonAdapter,
) -> None:
    data = b"[" * 100_000 + b"]" * 100_000 + b'\n{"code": "A-2"}\n'
    results = read(json_adapter, data, "x.ndjson")
    assert bad(results)[0].reason == "nesting deeper than 64 levels"
    assert records(results)[0].tree == {"code": "A-2"}


def test_a_100k_deep_array_is_refused_as_a_file_not_a_recursion_error(
    json_adapter: JsonAdapter,
) -> None:
    data = b'[{"code": "A-1"}, ' + b'{"a": ' * 100_000 + b"{}" + b"}" * 100_000 + b"]"
    with pytest.raises(InputError) as caught:
        read(json_adapter, data)
    assert "nesting deeper than 64 levels" in str(caught.value)
    assert (caught.value.location.record, caught.value.location.line) == (1, 1)


def test_invalid_utf8_in_an_ndjson_line_is_a_bad_record_with_its_file_offset(
    json_adapter: JsonAdapter,
) -> None:
    data = b'{"code": "A-1"}\n{"code": "A-\xff"}\n{"code": "A-3"}\n'
    results = read(json_adapter, data, "x.ndjson")
    (rejected,) = bad(results)
    assert rejected.reason == "byte 0xFF at offset 28 is not valid UTF-8"
    assert rejected.provenance.line == 2
    assert [r.tree["code"] for r in records(results)] == ["A-1", "A-3"]


def test_invalid_utf8_in_an_array_is_refused_with_its_offset_and_line(
    json_adapter: JsonAdapter,
) -> None:
    data = b'[{"code": "A-1"},\n {"code": "A-\xc3\x28"}]'
    with pytest.raises(InputError) as caught:
        read(json_adapter, data)
    assert caught.value.reason == "byte 0xC3 at offset 31 is not valid UTF-8"
    assert caught.value.location.line == 2
    assert str(caught.value) == "export.json, line 2: byte 0xC3 at offset 31 is not valid UTF-8"


def test_a_nul_byte_in_an_ndjson_line_is_a_bad_record(json_adapter: JsonAdapter) -> None:
    data = b'{"code": "A-1"}\n{"code": "A\x00"}\n{"code": "A-3"}\n'
    results = read(json_adapter, data, "x.ndjson")
    (rejected,) = bad(results)
    assert rejected.reason == "invalid JSON at line 2 column 12: a NUL byte is not allowed in JSON"
    assert len(records(results)) == 2


def test_a_nul_byte_in_an_array_is_refused_naming_it(json_adapter: JsonAdapter) -> None:
    with pytest.raises(InputError) as caught:
        read(json_adapter, b'[{"code": "A-1"},\x00{"code": "A-2"}]')
    assert caught.value.reason == "invalid JSON at line 1 column 18: a NUL byte is not allowed in JSON"


def test_an_array_that_does_not_parse_is_refused_with_line_and_column(
    json_adapter: JsonAdapter,
) -> None:
    with pytest.raises(InputError) as caught:
        read(json_adapter, b'[\n{"code": "A-1"}\n{"code": "A-2"}\n]')
    assert caught.value.reason == "invalid JSON at line 3 column 1: expected ',' or ']' after a record"
    assert caught.value.location.line == 3


def test_a_truncated_array_is_refused_before_any_record_is_yielded(
    json_adapter: JsonAdapter,
) -> None:
    results = json_adapter.read_bytes(b'[{"code": "A-1"},\n{"code": "A-2"', "export.json")
    with pytest.raises(InputError) as caught:
        next(results)
    assert "the JSON array is not closed" in caught.value.reason
    assert caught.value.location.line == 2


def test_data_after_the_array_is_refused(json_adapter: JsonAdapter) -> None:
    with pytest.raises(InputError) as caught:
        read(json_adapter, b'[{"code": "A-1"}] {"code": "A-2"} ]')
    assert caught.value.reason == "invalid JSON at line 1 column 19: unexpected data after the JSON array"


def test_an_unpaired_surrogate_escape_makes_the_record_bad(json_adapter: JsonAdapter) -> None:
    (rejected,) = read(json_adapter, b'{"name": "\\ud800 x"}', "x.ndjson")
    assert isinstance(rejected, BadRecord)
    assert rejected.reason == 'unpaired surrogate U+D800 in "name" cannot be carried by the national XML'
    assert rejected.field == "name"


def test_a_surrogate_pair_escape_is_one_character_and_accepted(json_adapter: JsonAdapter) -> None:
    (result,) = read(json_adapter, b'{"name": "\\ud83d\\ude00"}', "x.ndjson")
    assert isinstance(result, SourceRecord)
    assert result.tree == {"name": "\U0001f600"}


def in_every_layout(record: bytes) -> list[tuple[bytes, str]]:
    """``record`` as an array item (after a good record), an NDJSON line (after a good one) and
    a pretty-printed single-object file."""
    good = b'{"code": "A-0"}'
    return [
        (b"[" + good + b",\n" + record + b"]", "export.json"),
        (good + b"\n" + record + b"\n", "export.ndjson"),
        (b"{\n  " + record[1:-1] + b"\n}\n", "export.json"),
    ]


@pytest.mark.parametrize(
    ("data", "file"), in_every_layout(b'{"code": "A-1", "applicant": {"fullName": "Nguyen\\u0001An"}}')
)
def test_a_control_character_escape_makes_the_record_bad_naming_the_field_and_the_code_point(
    json_adapter: JsonAdapter, data: bytes, file: str
) -> None:
    results = read(json_adapter, data, file)
    rejected = bad(results)[0]
    assert (
        rejected.reason
        == 'control character U+0001 in "applicant.fullName" cannot be carried by the national XML'
    )
    assert rejected.field == "applicant.fullName"
    assert [r.tree["code"] for r in records(results)] == (["A-0"] if len(results) == 2 else [])


@pytest.mark.parametrize(
    ("escape", "reason"),
    [
        *(
            (f"\\u{code:04X}", f"control character U+{code:04X}")
            for code in range(0x20)
            if code not in (9, 10, 13)
        ),
        ("\\u000b", "control character U+000B"),
        ("\\uFFFE", "noncharacter U+FFFE"),
        ("\\uffff", "noncharacter U+FFFF"),
        ("\\udfff", "unpaired surrogate U+DFFF"),
        ("\\ud800\\u0041", "unpaired surrogate U+D800"),
        ("\ufffe", "noncharacter U+FFFE"),  # raw, not escaped: JSON allows it
        ("\uffff", "noncharacter U+FFFF"),
        ("Lê \\u0001", "control character U+0001"),  # in a string that is not ASCII
    ],
)
@pytest.mark.parametrize("file", ["export.json", "export.ndjson"])
def test_every_character_xml_cannot_carry_makes_the_record_bad(
    json_adapter: JsonAdapter, escape: str, reason: str, file: str
) -> None:
    line = ('{"code": "A-1", "fees": [{"name": "x"}, {"name": "a' + escape + 'b"}]}').encode()
    data = b"[" + line + b"]" if file == "export.json" else line
    (rejected,) = read(json_adapter, data, file)
    assert isinstance(rejected, BadRecord)
    assert rejected.reason == f'{reason} in "fees[1].name" cannot be carried by the national XML'
    assert rejected.field == "fees[1].name"


@pytest.mark.parametrize("file", ["export.json", "export.ndjson"])
def test_tab_line_feed_carriage_return_c1_controls_and_their_escapes_are_carried(
    json_adapter: JsonAdapter, file: str
) -> None:
    line = b'{"note": "a\\tb\\nc\\rd\\u0009e\\u000Af\\u000dg\\u007f\\u0085\xc2\x85\xef\xbf\xbd"}'
    data = b"[" + line + b"]" if file == "export.json" else line
    (result,) = read(json_adapter, data, file)
    assert isinstance(result, SourceRecord)
    assert result.tree == {"note": "a\tb\nc\rd\te\nf\rg\x7f\x85\x85\ufffd"}


def test_a_backslash_written_before_u0001_is_text_not_a_control_character(json_adapter: JsonAdapter) -> None:
    (result,) = read(json_adapter, b'{"path": "C:\\\\u0001\\\\ho-so"}', "x.ndjson")
    assert isinstance(result, SourceRecord)
    assert result.tree == {"path": "C:\\u0001\\ho-so"}


@pytest.mark.parametrize(
    ("line", "reason", "field"),
    [
        (b'{"a\\u0001b": 1}', "control character U+0001 in a key of the record", None),
        (b'{"x": {"y": [{"a\\u001fb": 1}]}}', 'control character U+001F in a key of "x.y[0]"', "x.y[0]"),
    ],
)
def test_a_control_character_in_a_key_makes_the_record_bad_naming_the_object_that_holds_it(
    json_adapter: JsonAdapter, line: bytes, reason: str, field: str | None
) -> None:
    (rejected,) = read(json_adapter, line, "x.ndjson")
    assert isinstance(rejected, BadRecord)
    assert (rejected.reason, rejected.field) == (f"{reason} cannot be carried by the national XML", field)


def test_only_the_record_holding_a_control_character_is_bad_in_a_file_that_has_one(
    json_adapter: JsonAdapter,
) -> None:
    lines = [
        b'{"code": "A-1", "note": "\\u00e0\\u0110"}',
        b'{"code": "A-2", "note": "\\u0002"}',
        b'{"code": "A-3"}',
    ]
    for data, file in ((b"[" + b",\n".join(lines) + b"]", "x.json"), (b"\n".join(lines), "x.ndjson")):
        results = read(json_adapter, data, file)
        assert [r.tree for r in records(results)] == [{"code": "A-1", "note": "àĐ"}, {"code": "A-3"}]
        assert [r.provenance.index for r in bad(results)] == [1]


def test_a_raw_control_character_is_still_invalid_json(json_adapter: JsonAdapter) -> None:
    (rejected,) = read(json_adapter, b'{"name": "a\x01b"}', "x.ndjson")
    assert isinstance(rejected, BadRecord)
    assert rejected.reason == "invalid JSON at line 1 column 12: Invalid control character at"


def test_an_oversized_file_is_refused_from_its_size_before_it_is_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "export.json"
    path.write_bytes(b"[" + b" " * 200 + b"]")
    adapter = JsonAdapter("igate-json", SourceFormat(kind="json", max_file_bytes=100))

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was opened")

    monkeypatch.setattr(Path, "open", never)
    with pytest.raises(InputError) as caught:
        list(adapter.read(path))
    assert caught.value.reason == "file is 202 bytes, over the limit of 100 bytes"
    assert caught.value.location.file == str(path)


def test_oversized_content_in_memory_is_refused() -> None:
    adapter = JsonAdapter("igate-json", SourceFormat(kind="json", max_file_bytes=10))
    with pytest.raises(InputError, match="over the limit of 10 bytes"):
        read(adapter, b'[{"code": "A-1"}]')


def test_read_gives_the_path_as_the_file_of_every_record(json_adapter: JsonAdapter, tmp_path: Path) -> None:
    path = tmp_path / "export.ndjson"
    path.write_bytes(b'{"code": "A-1"}\n')
    (result,) = json_adapter.read(path)
    assert result.provenance.file == str(path)


def test_a_missing_file_is_an_input_error_when_iteration_starts(
    json_adapter: JsonAdapter, tmp_path: Path
) -> None:
    results = json_adapter.read(tmp_path / "absent.json")  # a generator: nothing happens yet
    with pytest.raises(InputError, match="cannot read the file"):
        next(results)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nesting deeper than 64 levels; the array cannot be read past it"),
        (b"[" * 100_000, "the JSON array is not closed: the file ends on line 1 without ']' (truncated?)"),
    ],
)
def test_a_file_of_100k_brackets_is_refused_with_a_clean_error(
    json_adapter: JsonAdapter, data: bytes, reason: str
) -> None:
    with pytest.raises(InputError) as caught:
        read(json_adapter, data)
    assert caught.value.reason == reason


@pytest.mark.parametrize("number", ["1" * 4301, "-" + "9" * 5000])
def test_an_integer_too_long_to_convert_makes_its_record_bad_not_the_array(
    json_adapter: JsonAdapter, number: str
) -> None:
    results = read(json_adapter, f'[{{"a": {number}}}, {{"a": 1}}]'.encode())
    assert isinstance(results[0], BadRecord)
    assert results[0].reason == f"number of {len(number.lstrip('-'))} digits is out of range"
    assert isinstance(results[1], SourceRecord)


def test_an_integer_of_the_longest_convertible_length_is_a_number(json_adapter: JsonAdapter) -> None:
    [result] = read(json_adapter, b'[{"a": -' + b"9" * 4300 + b"}]")
    assert isinstance(result, SourceRecord)
