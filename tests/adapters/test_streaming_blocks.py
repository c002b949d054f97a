"""Adapters read files a block at a time: what they yield (records, bad records, file errors)
does not depend on where the blocks end. Every fixture input of every dialect, read with blocks of
a few bytes (cut inside records, lines, UTF-8 sequences), gives what one block gives."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import gateway.adapters._files as files
import gateway.adapters.csv_records as csv_records
import gateway.adapters.json_records as json_records
from gateway.adapters import make_adapter
from gateway.errors import InputError
from gateway.mapping import load_mapping
from gateway.synthetic import igate_file

ROOT = Path(__file__).resolve().parents[2]
INPUTS = sorted(
    (dialect, path)
    for dialect in ("igate-json", "legacy-csv", "motcua-xml")
    for path in (ROOT / "fixtures" / dialect).glob("*/input*")
)


def read_all(dialect: str, data: bytes, name: str) -> list[object]:
    adapter = make_adapter(dialect, load_mapping(ROOT / "mappings" / f"{dialect}.yaml").source)
    results: list[object] = []
    try:
        results.extend(adapter.read_stream(io.BytesIO(data), name))
    except InputError as exc:
        results.append(("file error", str(exc)))
    return results


@pytest.mark.parametrize(("dialect", "path"), INPUTS, ids=lambda v: str(v).rpartition("fixtures/")[2])
@pytest.mark.parametrize("block", [3, 17])
def test_small_blocks_read_a_file_as_one_block_does(
    monkeypatch: pytest.MonkeyPatch, dialect: str, path: Path, block: int
) -> None:
    data = path.read_bytes()
    whole = read_all(dialect, data, path.name)
    monkeypatch.setattr(files, "BLOCK_BYTES", block)
    monkeypatch.setattr(json_records, "BLOCK_BYTES", block)
    monkeypatch.setattr(csv_records, "BLOCK_BYTES", block)
    assert read_all(dialect, data, path.name) == whole


def test_a_json_array_longer_than_many_blocks_is_read_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = igate_file(range(40)).splitlines()
    data = b"[\n" + b",\n".join(lines) + b"\n]\n"
    monkeypatch.setattr(files, "BLOCK_BYTES", 100)
    monkeypatch.setattr(json_records, "BLOCK_BYTES", 100)
    records = read_all("igate-json", data, "export.json")
    assert [r.provenance.line for r in records] == list(range(2, 42))  # type: ignore[attr-defined]
