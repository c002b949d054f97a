"""Mapping language v2: dates in epoch form and as lists of forms, filters in paths, composed
values, the vendor's record id, lists of encodings; each on both paths (fast and rules)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from gateway.adapters import SourceFormat, SourceRecord, make_adapter
from gateway.errors import MappingError
from gateway.mapping import load_mapping
from gateway.mapping.coverage import CoverageTracker
from gateway.mapping.dates import BadDate, compile_form
from gateway.mapping.fixtures import FIXTURE_NOW, run_fixtures
from gateway.mapping.paths import UnexpectedShape, parse_path, resolve
from gateway.packets import SchemaSet
from gateway.translate import Rejection, Translator

EXAMPLE = Path(__file__).parent / "language-v2"
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
SKEW = timedelta(minutes=10)


def test_the_v2_example_mapping_passes_its_cases_on_both_paths(schemas: SchemaSet) -> None:
    result = run_fixtures(load_mapping(EXAMPLE / "language-v2.yaml"), EXAMPLE / "cases", schemas)
    assert result.cases
    assert {case.name: case.differences for case in result.cases if not case.passed} == {}


def test_epoch_seconds_and_milliseconds_are_told_apart_in_a_list_of_forms() -> None:
    forms = compile_form(["epoch-ms", "epoch"], ZONE)
    assert forms.parse("1622769300").isoformat() == "2021-06-04T01:15:00+00:00"
    assert forms.parse("1622769300000").isoformat() == "2021-06-04T01:15:00+00:00"
    assert forms.parse("1622769300123").microsecond == 123000


def test_a_date_in_its_form_that_does_not_exist_is_said_so() -> None:
    with pytest.raises(BadDate, match="not a date that exists"):
        compile_form("dd/MM/yyyy", ZONE).parse("30/02/2021")
    with pytest.raises(BadDate, match="not a date in any of the forms: epoch milliseconds"):
        compile_form(["epoch-ms", "dd/MM/yyyy"], ZONE).parse("2021-02-03")


def test_a_filter_keeps_the_items_whose_key_reads_its_text() -> None:
    path = parse_path("fees[paid=true].via")
    tree = {"fees": [{"paid": False, "via": "A"}, {"paid": True, "via": "B"}, {"paid": "true", "via": "C"}]}
    assert resolve(path, tree, tree) == ["B", "C"]


def test_a_filter_over_items_of_another_shape_names_the_place() -> None:
    tree = {"fees": [3]}
    with pytest.raises(UnexpectedShape, match=r"fees\[paid=true\]: expected an object, got a number"):
        resolve(parse_path("fees[paid=true].via"), tree, tree)


def _mapping(tmp_path: Path, name: str, body: str) -> Path:
    file = tmp_path / f"{name}.yaml"
    file.write_text(
        f"name: {name}\nsource: {{kind: json}}\nrevision: {{path: u, date: iso}}\n{body}", encoding="utf-8"
    )
    return file


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ('{template: "https://x{"}', "lone '{'"),
        ('{template: "no placeholder"}', "has no placeholder"),
        ('{template: "{a[*]}"}', "must name one value"),
        ('{path: "fees[paid=true].via"}', "needs pick"),
        ("{path: v, date: [epoch-ms, dd/MM]}", "needs yyyy, MM and dd"),
        ("{path: v, date: []}", "at least one form"),
    ],
)
def test_a_v2_option_written_wrong_is_refused_at_load_with_its_line(
    tmp_path: Path, rule: str, words: str
) -> None:
    file = _mapping(tmp_path, "t", f"dossier:\n  TrichYeuHoSo: {rule}\n")
    with pytest.raises(MappingError, match=words) as caught:
        load_mapping(file)
    assert caught.value.line == 5


def test_a_template_placeholder_without_value_leaves_the_field_to_its_default(tmp_path: Path) -> None:
    file = _mapping(tmp_path, "t", 'dossier:\n  GhiChu: {template: "{a}/{b}", default: "-"}\n')
    mapping = load_mapping(file)
    for tree in ({"a": "x", "b": None}, {"a": "x", "b": " "}):
        fast = mapping.map(tree, now=FIXTURE_NOW, future_skew=SKEW)
        slow = mapping.map(tree, now=FIXTURE_NOW, future_skew=SKEW, tracker=CoverageTracker())
        assert fast.dossier["GhiChu"] == slow.dossier["GhiChu"] == "-"
    assert mapping.map({"a": 1, "b": True}, now=FIXTURE_NOW, future_skew=SKEW).dossier["GhiChu"] == "1/true"


def test_every_rejection_names_the_vendor_record_id(tmp_path: Path) -> None:
    file = _mapping(tmp_path, "t", "record_id: meta.ref\ndossier:\n  MaHoSo: {path: code, required: true}\n")
    translator = Translator(load_mapping(file), SchemaSet(), clock=lambda: FIXTURE_NOW)
    data = b'{"meta": {"ref": "V-77"}, "u": "2021-06-05T10:00:00+07:00"}\n'
    [outcome] = list(translator.translate_bytes(data, "x.ndjson"))
    assert isinstance(outcome, Rejection)
    assert outcome.record_id == "V-77"
    assert outcome.lines()[0].startswith("x.ndjson, record 0 (id V-77), line 1, field HoSo.MaHoSo")


def _names(adapter: Any, data: bytes) -> list[Any]:
    return [
        r.tree["NAME"] if isinstance(r, SourceRecord) else r.reason for r in adapter.read_bytes(data, "f.csv")
    ]


def test_a_list_of_encodings_reads_each_file_in_the_first_that_decodes_it_whole() -> None:
    fmt = SourceFormat(kind="csv", encoding="utf-8-sig", encodings=("utf-8-sig", "cp1258"))
    adapter = make_adapter("t", fmt)
    assert _names(adapter, "NAME\nLê\n".encode("utf-8-sig")) == ["Lê"]
    assert _names(adapter, "NAME\nLê\n".encode("cp1258")) == ["Lê"]
    # UTF-8 letters before a stray byte: a UTF-8 file, the row with the byte rejected, not garbled.
    assert _names(adapter, "NAME\nLê\n".encode() + b"L\xea\n") == [
        "Lê",
        "byte 0xEA at offset 10 is not valid UTF-8 (column NAME)",
    ]


def test_a_list_of_encodings_reads_a_pipe_too() -> None:
    import io

    fmt = SourceFormat(kind="csv", encoding="utf-8-sig", encodings=("utf-8-sig", "cp1258"))
    adapter = make_adapter("t", fmt)

    class Pipe(io.BytesIO):
        def seekable(self) -> bool:
            return False

    records = list(adapter.read_stream(Pipe("NAME\nLê\n".encode("cp1258")), "-"))
    assert [r.tree["NAME"] for r in records if isinstance(r, SourceRecord)] == ["Lê"]
