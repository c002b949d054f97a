"""A wrong mapping file is refused when loaded, with the file and the line of the fault."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from gateway.errors import MappingError
from gateway.mapping import load_mapping
from tests.mapping.mutations import PROPERTIES, slots

HEADER = """\
name: m
source:
  kind: json
revision: {path: updatedAt, date: iso}
"""


def _load(tmp_path: Path, body: str) -> None:
    file = tmp_path / "m.yaml"
    file.write_text(HEADER + body, encoding="utf-8")
    load_mapping(file)


def _error(tmp_path: Path, body: str) -> MappingError:
    with pytest.raises(MappingError) as info:
        _load(tmp_path, body)
    return info.value


def test_a_minimal_mapping_loads(tmp_path: Path) -> None:
    _load(tmp_path, "dossier:\n  MaHoSo: code\n")


def test_unknown_national_field_names_the_line(tmp_path: Path) -> None:
    error = _error(tmp_path, "dossier:\n  MaHoSo: code\n  MaHoSoo: code\n")
    assert error.line == 7
    assert "'MaHoSoo' is not a field of HoSo" in error.reason


def test_unknown_rule_option_names_the_line(tmp_path: Path) -> None:
    error = _error(tmp_path, "dossier:\n  MaHoSo: {path: code, requird: true}\n")
    assert error.line == 6
    assert "unknown key 'requird'" in error.reason


def test_unknown_code_table_is_refused(tmp_path: Path) -> None:
    error = _error(tmp_path, "dossier:\n  TrangThaiHoSo: {path: status, table: statuses}\n")
    assert "unknown code table 'statuses'" in error.reason


def test_unknown_date_form_is_refused(tmp_path: Path) -> None:
    error = _error(tmp_path, "dossier:\n  NgayTiepNhan: {path: at, date: 'dd.MM.yyyy hh:mm'}\n")
    assert "unknown letters" in error.reason


def test_bad_regular_expression_is_refused(tmp_path: Path) -> None:
    error = _error(tmp_path, "dossier:\n  MaTTHC: {path: p, extract: '([0-9'}\n")
    assert "bad regular expression" in error.reason


def test_fan_out_without_pick_is_refused(tmp_path: Path) -> None:
    error = _error(tmp_path, "dossier:\n  DuocThanhToanTrucTuyen: 'fees[*].paidVia'\n")
    assert "needs pick" in error.reason


def test_repeated_field_without_each_is_refused(tmp_path: Path) -> None:
    error = _error(tmp_path, "dossier:\n  TaiLieuNop: attachments\n")
    assert "each:" in error.reason


def test_missing_section_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "m.yaml"
    file.write_text("name: m\nsource: {kind: json}\n", encoding="utf-8")
    with pytest.raises(MappingError, match="missing required section 'revision'"):
        load_mapping(file)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    error = _error(tmp_path, "dossier:\n  MaHoSo: [code\n")
    assert error.line is not None
    assert "not valid YAML" in error.reason


def test_the_message_names_the_file(tmp_path: Path) -> None:
    error = _error(tmp_path, "dossier:\n  Nope: code\n")
    assert str(error).startswith(str(tmp_path / "m.yaml") + ":6:")


@pytest.mark.parametrize("name", ["igate-json", "motcua-xml", "legacy-csv"])
def test_the_shipped_mappings_load(name: str) -> None:
    mapping = load_mapping(Path("mappings") / f"{name}.yaml")
    assert mapping.name == name
    assert len(mapping.sha256) == 64


def _source_error(tmp_path: Path, source: str) -> MappingError:
    file = tmp_path / "m.yaml"
    file.write_text(
        f"name: m\nsource:\n{source}revision: {{path: u, date: iso}}\ndossier:\n  MaHoSo: code\n",
        encoding="utf-8",
    )
    with pytest.raises(MappingError) as info:
        load_mapping(file)
    return info.value


@pytest.mark.parametrize(
    ("source", "line", "reason"),
    [
        (
            "  kind: json\n  record_element: HoSo\n",
            4,
            "record_element: does not apply to a source of kind json (its options: max_depth, max_file_mb)",
        ),
        ("  kind: json\n  encoding: utf-8\n", 4, "encoding: does not apply to a source of kind json"),
        ("  kind: xml\n  encoding: cp1258\n", 4, "encoding: does not apply to a source of kind xml"),
        ("  kind: xml\n  delimiter: ';'\n", 4, "delimiter: does not apply to a source of kind xml"),
        ("  kind: csv\n  root_element: X\n", 4, "root_element: does not apply to a source of kind csv"),
        ("  kind: csv\n  max_depth: 5\n", 4, "max_depth: does not apply to a source of kind csv"),
    ],
)
def test_a_source_option_that_does_not_apply_to_the_kind_is_refused_with_its_line(
    tmp_path: Path, source: str, line: int, reason: str
) -> None:
    error = _source_error(tmp_path, source)
    assert (error.line, error.reason.startswith(reason)) == (line, True), error.reason


@pytest.mark.parametrize("encoding", ["utf-7", "rot13", "base64", "unicode_escape", "latin-1", "utf-16"])
def test_a_csv_encoding_outside_the_allow_list_is_refused_with_its_line(
    tmp_path: Path, encoding: str
) -> None:
    error = _source_error(tmp_path, f"  kind: csv\n  encoding: {encoding}\n")
    assert error.line == 4
    assert error.reason.startswith(f"encoding '{encoding}' is not supported (supported: UTF-8,")


@pytest.mark.parametrize("encoding", ["utf-8", "UTF-8", "utf-8-sig", "cp1258", "windows-1258"])
def test_a_csv_encoding_on_the_allow_list_loads(tmp_path: Path, encoding: str) -> None:
    file = tmp_path / "m.yaml"
    file.write_text(
        f"name: m\nsource: {{kind: csv, encoding: {encoding}}}\nrevision: u\ndossier:\n  MaHoSo: c\n",
        encoding="utf-8",
    )
    assert load_mapping(file).source.encoding == encoding


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("  kind: json\n  max_file_mb: big\n", "max_file_mb: must be a whole number above 0, not 'big'"),
        ("  kind: xml\n  max_depth: 0\n", "max_depth: must be a whole number above 0, not 0"),
        ("  kind: csv\n  delimiter: ';;'\n", "delimiter: must be one character"),
        ("  kind: csv\n  delimiter: '\"'\n", "delimiter: must be one character"),
        ("  kind: xml\n  record_element: [HoSo]\n", "record_element: must be a non-empty text"),
    ],
)
def test_a_source_option_of_the_wrong_type_is_a_mapping_error(
    tmp_path: Path, source: str, reason: str
) -> None:
    assert _source_error(tmp_path, source).reason.startswith(reason)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("dossier:\n  TrichYeuHoSo: {value: [1, 2]}\n", "TrichYeuHoSo: value: must be one text or number"),
        ("dossier:\n  TrichYeuHoSo: {path: s, transform: [[digits]]}\n", "unknown transform ['digits']"),
        ("dossier:\n  DuocThanhToanTrucTuyen: {path: 'f[*].v', pick: {first: 1}}\n", "pick must be one of"),
        ("dossier:\n  TrichYeuHoSo: {path: s, max_length: long}\n", "max_length: must be a whole number"),
        ("dossier:\n  TrichYeuHoSo: {path: s, default: true}\n", "TrichYeuHoSo: default: must be a text"),
        ("dossier:\n  DanhSachLePhi: {each: fees, fields: [Gia]}\n", "fields: must map national field names"),
        (
            "dossier:\n  DanhSachLePhi: {each: fees, fields: {Gia: {path: a, max_length: 5}}}\n",
            "Gia: max_length: applies to text, and Gia is a number",
        ),
        (
            "dossier:\n  DanhSachLePhi: {each: fees, fields: {Gia: {path: a, default: free}}}\n",
            "Gia: default: must be a whole number, not 'free'",
        ),
        ("dossier:\n  TrichYeuHoSo: {copy: MaHoSo}\n", "TrichYeuHoSo: copy: is for history entries"),
        (
            "dossier:\n  DanhSachLePhi: {each: f, split: '|', unpack: {separator: ':', names: code},"
            " fields: {}}\n",
            "unpack: needs exactly separator: (a text) and names: (a list of names)",
        ),
    ],
)
def test_a_rule_option_of_the_wrong_shape_is_a_mapping_error_not_a_crash(
    tmp_path: Path, body: str, reason: str
) -> None:
    error = _error(tmp_path, body)
    assert error.line is not None
    assert reason in error.reason


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("name: m\nsource: {kind: [json]}\nrevision: u\ndossier: {MaHoSo: c}\n", "source kind must be json"),
        (
            "name: m\nsource: {kind: json}\nrevision: u\ntables: [a]\ndossier: {MaHoSo: c}\n",
            "tables: must map",
        ),
        (
            "name: m\nsource: {kind: json}\nrevision: u\ndossier: {MaTTHC: {path: c, extract: '[[a]'}}\n",
            "bad regular",
        ),
    ],
)
def test_a_mapping_section_of_the_wrong_shape_is_a_mapping_error_not_a_crash(
    tmp_path: Path, text: str, reason: str
) -> None:
    file = tmp_path / "m.yaml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError, match=reason):
        load_mapping(file)


def test_history_may_only_copy_a_single_field_of_the_dossier(tmp_path: Path) -> None:
    body = "dossier:\n  MaHoSo: code\nhistory:\n  each: h\n  fields:\n    MaHoSo: {copy: DinhDanhCHS}\n"
    error = _error(tmp_path, body)
    assert (error.line, error.reason) == (
        10,
        "MaHoSo: copy: must name a single field of HoSo, not 'DinhDanhCHS'",
    )


def test_a_default_of_a_text_field_written_as_a_number_is_text(tmp_path: Path) -> None:
    file = tmp_path / "m.yaml"
    file.write_text(HEADER + "dossier:\n  HinhThuc: {path: d, default: 0}\n", encoding="utf-8")
    [rule] = load_mapping(file).dossier.rules
    assert rule.default == "0"  # type: ignore[union-attr]


_OPTION_WORDS = ["path", "value", "copy", "transform", "extract", "date", "table", "integer", "required"]
_OPTION_WORDS += ["default", "max_length", "truncate", "check", "pick", "each", "fields", "split", "unpack"]
_OPTION_WORDS += ["when", "kind", "encoding", "separator", "names", "record_element", "max_depth"]
_YAML_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-5, 5000),
        st.text(max_size=10),
        st.sampled_from(["iso", "digits", "status", "first", "ma_ho_so", "x.y", "a[*].b", "[", "[[a]", "0"]),
    ),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(_OPTION_WORDS) | st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=5,
)


# Half the examples of the other properties: loading a mapping (ruamel.yaml) takes some 50 ms.
@settings(PROPERTIES, max_examples=max(1, PROPERTIES.max_examples // 2))
@given(data=st.data())
def test_a_shipped_mapping_with_any_value_replaced_loads_or_is_a_mapping_error(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(["igate-json", "motcua-xml", "legacy-csv"]))
    document = YAML(typ="safe").load((Path("mappings") / f"{name}.yaml").read_text(encoding="utf-8"))
    for _ in range(data.draw(st.integers(1, 2))):
        container, key = data.draw(st.sampled_from(slots(document)))
        container[key] = data.draw(_YAML_VALUES)
    text = io.StringIO()
    YAML(typ="safe").dump(document, text)
    file = tmp_path_factory.getbasetemp() / "mutated.yaml"
    file.write_text(text.getvalue(), encoding="utf-8")
    try:
        load_mapping(file)
    except MappingError as exc:
        assert exc.reason  # noqa: PT017 - the property: a MappingError, or nothing


def test_every_load_error_of_a_mapping_is_reported_at_once_in_line_order(tmp_path: Path) -> None:
    file = tmp_path / "m.yaml"
    file.write_text(
        "name: m\nsource: {kind: json, record_element: X}\nrevision: {path: u, date: isoo}\n"
        "dossier:\n  MaHoSo: {path: code, requird: true}\n  Nope: x\n"
        "  DanhSachLePhi:\n    each: fees\n    fields:\n      Gia: {path: 'a[*]'}\nbogus: 1\n",
        encoding="utf-8",
    )
    with pytest.raises(MappingError) as caught:
        load_mapping(file)
    lines = str(caught.value).splitlines()
    assert [int(line.split(":")[1]) for line in lines] == [2, 3, 5, 6, 10, 11]
    assert all(line.startswith(f"{file}:") for line in lines)


def test_a_mapping_named_otherwise_than_its_file_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "copy-of-igate.yaml"
    file.write_text(
        "name: igate-json\nsource: {kind: json}\nrevision: u\ndossier:\n  MaHoSo: c\n", encoding="utf-8"
    )
    with pytest.raises(MappingError, match=r":1: name: 'igate-json' must be the file's name 'copy-of-igate'"):
        load_mapping(file)
