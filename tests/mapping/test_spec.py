"""A wrong mapping file is refused when loaded, with the file and the line of the fault."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.errors import MappingError
from gateway.mapping import load_mapping

HEADER = """\
name: test
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
    file.write_text("name: x\nsource: {kind: json}\n", encoding="utf-8")
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
