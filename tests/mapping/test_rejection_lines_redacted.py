"""``dvcgw translate`` prints rejection lines redacted as the logs are (``gateway.logging``)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from gateway.cli import main


def test_a_phone_number_quoted_in_a_rejection_is_redacted_on_stderr(tmp_path: Path) -> None:
    record = json.loads(Path("fixtures/igate-json/01-array-documented-example/input.json").read_text("utf-8"))
    record = record[0] if isinstance(record, list) else record
    record["code"] = "0912345678"  # a phone number typed where the dossier code belongs
    record["id"] = "an.nguyen@example.vn"
    export = tmp_path / "x.ndjson"
    export.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["translate", "--source", "igate-json", str(export)])
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("rejected: ")]
    assert lines
    assert "field HoSo.MaHoSo (from code): dossier code '[redacted]' is not of the form" in lines[0]
    assert "(id [redacted])" in lines[0]
    assert "0912345678" not in result.stderr
    assert "an.nguyen@example.vn" not in result.stderr
