"""The dvcgw commands, run as a user runs them: exit codes, stdout, stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SAMPLE = {
    "code": "000.00.22.H33-210604-0001",
    "procedure": {"code": "1.004889", "name": "Cấp giấy phép xây dựng"},
    "applicant": {"type": "citizen", "fullName": "Nguyễn Văn An"},
    "channel": "ONLINE",
    "status": "PROCESSING",
    "receivedAt": "2021-06-04T08:15:00+07:00",
    "updatedAt": "2021-06-05T10:00:00+07:00",
}


def dvcgw(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *map(str, args)], capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def export(tmp_path: Path) -> Path:
    """An igate-json export with one good record and one bad one."""
    bad = {**SAMPLE, "code": "000.00.22.H33-210604-0002", "status": "LOST"}
    file = tmp_path / "export.json"
    file.write_text(json.dumps([SAMPLE, bad], ensure_ascii=False), encoding="utf-8")
    return file


def test_translate_prints_packets_and_reports_rejections_with_exit_1(export: Path) -> None:
    result = dvcgw("translate", "--source", "igate-json", export)
    assert result.returncode == 1
    [packet] = json.loads(result.stdout)
    assert packet["HoSo"]["MaHoSo"] == "000.00.22.H33-210604-0001"
    assert (
        f"rejected: {export}, record 1, line 1, dossier 000.00.22.H33-210604-0002, field HoSo.TrangThaiHoSo"
        in result.stderr
    )
    assert "'LOST' is not a known value" in result.stderr


def test_translate_exits_0_when_every_record_becomes_a_packet(tmp_path: Path) -> None:
    file = tmp_path / "good.ndjson"
    file.write_text(json.dumps(SAMPLE, ensure_ascii=False) + "\n", encoding="utf-8")
    assert dvcgw("translate", "--source", "igate-json", file).returncode == 0


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_translated_packets_pass_validate(tmp_path: Path, export: Path, fmt: str) -> None:
    out = tmp_path / "out"
    dvcgw("translate", "--source", "igate-json", "--format", fmt, "--out", out, export)
    files = sorted(out.iterdir())
    assert [f.suffix for f in files] == [f".{fmt}"]
    result = dvcgw("validate", *files)
    assert result.returncode == 0, result.stderr


def test_xml_to_stdout_is_one_valid_document(tmp_path: Path, export: Path) -> None:
    result = dvcgw("translate", "--source", "igate-json", "--format", "xml", export)
    document = tmp_path / "all.xml"
    document.write_text(result.stdout, encoding="utf-8")
    assert dvcgw("validate", document).returncode == 0


def test_validate_exits_1_on_an_invalid_packet(tmp_path: Path) -> None:
    file = tmp_path / "p.json"
    file.write_text('{"Meta": {}}', encoding="utf-8")
    result = dvcgw("validate", file)
    assert result.returncode == 1
    assert "packet 0" in result.stderr


def test_an_unknown_source_is_a_usage_error(export: Path) -> None:
    result = dvcgw("translate", "--source", "nowhere", export)
    assert result.returncode == 2
    assert "no mapping named 'nowhere'" in result.stderr


def test_a_broken_mapping_is_exit_2_naming_file_and_line(tmp_path: Path, export: Path) -> None:
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    (mappings / "broken.yaml").write_text(
        "name: broken\nsource: {kind: json}\nrevision: updatedAt\ndossier:\n  Nope: x\n", encoding="utf-8"
    )
    config = tmp_path / "config.yaml"
    config.write_text(f"paths:\n  mappings: {mappings}\n", encoding="utf-8")
    result = dvcgw("--config", config, "translate", "--source", "broken", export)
    assert result.returncode == 2
    assert f"{mappings / 'broken.yaml'}:5:" in result.stderr


def test_a_bad_configuration_is_exit_2(tmp_path: Path, export: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("intake: {skew: 1}\n", encoding="utf-8")
    result = dvcgw("--config", config, "translate", "--source", "igate-json", export)
    assert result.returncode == 2
    assert "unknown key intake.skew" in result.stderr


def test_help_ends_with_examples() -> None:
    result = dvcgw("translate", "--help")
    assert result.returncode == 0
    assert "Examples:" in result.stdout


def dvcgw_with_defect(defect: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """dvcgw with a defect planted first (``defect`` is Python run before the command line)."""
    program = f"{defect}\nfrom gateway.cli import main\nmain()\n"
    return subprocess.run(
        [sys.executable, "-c", program, *map(str, args)], capture_output=True, text=True, timeout=60
    )


def test_an_uncaught_exception_exits_70_with_one_line_asking_for_a_bug_report(tmp_path: Path) -> None:
    file = tmp_path / "p.json"
    file.write_text("{}", encoding="utf-8")
    defect = (
        "import gateway.packets.files as files\n"
        "def check_packets(*args):\n    raise RuntimeError('the checker broke')\n"
        "files.check_packets = check_packets"
    )
    result = dvcgw_with_defect(defect, "validate", file)
    assert result.returncode == 70
    [line] = result.stderr.splitlines()
    assert line.startswith("internal error: RuntimeError: the checker broke (at <string>:3).")
    assert "please report it" in line


def test_a_record_the_gateway_fails_on_is_rejected_the_others_translated_and_the_exit_is_70(
    export: Path,
) -> None:
    defect = (
        "from gateway.translate import Translator\n"
        "translate_record = Translator.translate_record\n"
        "def failing(self, record, now=None):\n"
        "    if record.provenance.index == 1:\n        raise KeyError('HoSo')\n"
        "    return translate_record(self, record, now)\n"
        "Translator.translate_record = failing"
    )
    result = dvcgw_with_defect(defect, "translate", "--source", "igate-json", export)
    assert result.returncode == 70
    [packet] = json.loads(result.stdout)
    assert packet["HoSo"]["MaHoSo"] == "000.00.22.H33-210604-0001"
    assert (
        "record 1, line 1, field record: internal error while translating this record: KeyError"
        in result.stderr
    )
    assert "1 packets, 1 rejected" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("internal error: 1 of the rejections above")


def test_an_xml_export_with_its_records_one_level_too_deep_is_a_file_error_not_zero_records(
    tmp_path: Path,
) -> None:
    file = tmp_path / "export.xml"
    file.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<DanhSachHoSo>\n<Lo>\n'
        "<HoSo><SoHoSo>1</SoHoSo></HoSo>\n</Lo>\n</DanhSachHoSo>\n",
        encoding="utf-8",
    )
    result = dvcgw("translate", "--source", "motcua-xml", file)
    assert result.returncode == 1
    assert (
        f"rejected: {file}, line 4: no <HoSo> record element under the document element <DanhSachHoSo>; "
        "found at DanhSachHoSo/Lo/HoSo (1 element, the first on line 4)"
    ) in result.stderr
    assert "0 packets, 1 rejected" in result.stderr


@pytest.mark.parametrize("label", ["rot13", "base64", "unicode_escape", "utf-7"])
def test_an_xml_prolog_naming_a_codec_off_the_allow_list_is_a_file_error(tmp_path: Path, label: str) -> None:
    file = tmp_path / "export.xml"
    prolog = f'<?xml version="1.0" encoding="{label}"?>\n'
    file.write_bytes(f"{prolog}<DanhSachHoSo><HoSo><SoHoSo>Lê</SoHoSo></HoSo></DanhSachHoSo>".encode())
    result = dvcgw("translate", "--source", "motcua-xml", file)
    assert result.returncode == 1
    assert (
        f"declared encoding '{label}' is not supported: an export is UTF-8 or windows-1258" in result.stderr
    )


def _with_mapping(tmp_path: Path, text: str) -> Path:
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    (mappings / "m.yaml").write_text(text, encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text(f"paths:\n  mappings: {mappings}\n", encoding="utf-8")
    return config


def test_a_source_option_of_another_kind_is_exit_2_naming_file_and_line(tmp_path: Path, export: Path) -> None:
    config = _with_mapping(
        tmp_path,
        "name: m\nsource:\n  kind: json\n  record_element: HoSo\nrevision: updatedAt\n"
        "dossier:\n  MaHoSo: code\n",
    )
    result = dvcgw("--config", config, "translate", "--source", "m", export)
    assert result.returncode == 2
    where = tmp_path / "mappings" / "m.yaml"
    assert f"{where}:4: record_element: does not apply to a source of kind json" in result.stderr


def test_a_mapping_with_a_blank_constant_loads_and_translates(tmp_path: Path) -> None:
    config = _with_mapping(
        tmp_path,
        "name: m\nsource: {kind: json}\nrevision: {path: updatedAt, date: iso}\ndossier:\n"
        "  MaHoSo: code\n  MaTTHC: procedure.code\n  GhiChu: {value: ' '}\n"
        "  HinhThuc: {value: ' ', default: '0'}\n"
        "  TrangThaiHoSo: status\n  KenhThucHien: {value: '2'}\n  LoaiDoiTuong: {value: '1'}\n"
        "  NgayTiepNhan: {path: receivedAt, date: iso}\n",
    )
    file = tmp_path / "good.ndjson"
    file.write_text(json.dumps({**SAMPLE, "status": "4"}, ensure_ascii=False) + "\n", encoding="utf-8")
    result = dvcgw("--config", config, "translate", "--source", "m", file)
    assert result.returncode == 0, result.stderr
    [packet] = json.loads(result.stdout)
    assert (packet["HoSo"]["GhiChu"], packet["HoSo"]["HinhThuc"]) == ("", "0")
