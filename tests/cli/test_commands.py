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
