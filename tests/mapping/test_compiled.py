"""The generated fast path maps every record exactly as the interpreted rules do."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from gateway.adapters import SourceRecord, make_adapter
from gateway.errors import InputError
from gateway.mapping import load_mapping
from gateway.mapping.coverage import CoverageTracker
from gateway.mapping.fixtures import FIXTURE_NOW, case_dirs

SKEW = timedelta(minutes=10)


def _records(name: str) -> list[SourceRecord]:
    mapping = load_mapping(Path("mappings") / f"{name}.yaml")
    adapter = make_adapter(name, mapping.source)
    found = []
    for case in case_dirs(Path("fixtures") / name):
        for file in sorted(case.glob("input*")):
            try:
                found.extend(r for r in adapter.read(file) if isinstance(r, SourceRecord))
            except InputError:
                continue
    return found


@pytest.mark.parametrize("name", ["igate-json", "motcua-xml", "legacy-csv"])
def test_fast_path_and_rules_agree_on_every_fixture_record(name: str) -> None:
    mapping = load_mapping(Path("mappings") / f"{name}.yaml")
    records = _records(name)
    assert records
    for record in records:
        fast = mapping.map(record.tree, now=FIXTURE_NOW, future_skew=SKEW)
        # A tracker makes the mapping interpret its rules, the reference behaviour.
        slow = mapping.map(record.tree, now=FIXTURE_NOW, future_skew=SKEW, tracker=CoverageTracker())
        assert fast == slow, f"{record.provenance.file} record {record.provenance.index}"


def test_the_fast_path_serves_clean_records(monkeypatch: pytest.MonkeyPatch) -> None:
    mapping = load_mapping(Path("mappings/igate-json.yaml"))
    [record] = [
        r
        for r in _records("igate-json")
        if r.provenance.file.endswith("01-array-documented-example/input.json")
    ][:1]
    calls: list[str] = []
    original = type(mapping.dossier).apply

    def spy(self: object, *args: object) -> object:
        calls.append("interpreted")
        return original(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(type(mapping.dossier), "apply", spy)
    result = mapping.map(record.tree, now=FIXTURE_NOW, future_skew=SKEW)
    assert result.problems == []
    assert calls == []
