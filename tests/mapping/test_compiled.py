"""The generated fast path maps every record exactly as the interpreted rules do.

On every fixture record; on the fixture records of every shipped mapping with mutated structure
and values (``tests/mapping/mutations.py``); and on one field whose rule combines the options of
the language at random, fed values of every kind. A record the fast path cannot map cleanly is
handed to the rules (``Divert``): what must never happen is a different result, or an exception.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st

from gateway.adapters import SourceRecord, make_adapter
from gateway.errors import InputError
from gateway.mapping import MappedRecord, SourceMapping, compiled, load_mapping
from gateway.mapping.coverage import CoverageTracker
from gateway.mapping.fixtures import FIXTURE_NOW, case_dirs
from gateway.mapping.paths import parse_path
from gateway.mapping.rules import FieldRule, Run
from gateway.mapping.transforms import TRANSFORMS
from tests.mapping import mutations
from tests.mapping.mutations import PROPERTIES, Sample, igate_json_files, legacy_csv_files, motcua_xml_files

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


def _both_ways(mapping: SourceMapping, tree: Any) -> tuple[MappedRecord, MappedRecord]:
    """The record mapped as translation maps it (the fast path first) and by the rules alone."""
    fast = mapping.map(tree, now=FIXTURE_NOW, future_skew=SKEW)
    slow = mapping.map(tree, now=FIXTURE_NOW, future_skew=SKEW, tracker=CoverageTracker())
    return fast, slow


def _assert_agree_on_every_record(name: str, sample: Sample) -> None:
    try:
        records = [r for r in mutations.translator(name).adapter.read_bytes(sample.data, sample.file)]
    except InputError:
        event("the file is refused")
        return
    for record in records:
        if isinstance(record, SourceRecord):
            fast, slow = _both_ways(mutations.mapping(name), record.tree)
            assert fast == slow
            event("clean" if not slow.problems else "with problems")


@PROPERTIES
@given(igate_json_files(ndjson=True))
def test_fast_path_and_rules_agree_on_mutated_igate_json_records(sample: Sample) -> None:
    _assert_agree_on_every_record("igate-json", sample)


@PROPERTIES
@given(motcua_xml_files(encoding="utf-8"))
def test_fast_path_and_rules_agree_on_mutated_motcua_xml_records(sample: Sample) -> None:
    _assert_agree_on_every_record("motcua-xml", sample)


@PROPERTIES
@given(legacy_csv_files())
def test_fast_path_and_rules_agree_on_mutated_legacy_csv_records(sample: Sample) -> None:
    _assert_agree_on_every_record("legacy-csv", sample)


# Rules of every combination of options, and values of every kind, for one text field.
_PATTERNS = [
    r"^([0-9]+)?[a-z]*$",
    r"^(a)|b$",
    r"[0-9]*",
    r"^([0-9]\.[0-9]{6})(\..*)?$",
    r"^(?:x|([0-9]{2}))$",
]
_TABLE = {"1": "A", "12": "B", "0": None, "a": "C", "true": "T", "20210604000000": "D"}
_TEXTS = ["", " ", "abc", "123", "a", "b", "x", "12", "n/a", "A B  C", "1.004889.000", "٣", "1_000", "1" * 40]
_MORE_TEXTS = [
    "2021-06-04T08:15:00+07:00",
    "04/06/2021",
    "30/02/2021",
    "1622769300",
    "1622769300000",
    "-99999999999",
    "4102444800",
    "2099-01-01T00:00:00Z",
    "091203004567",
    "0100233488",
]
_OTHERS = [
    None,
    5,
    0,
    True,
    1.5,
    1622769300000,
    ["1"],
    ["1", "2"],
    {"#text": "12"},
    {"@a": "1"},
    {"k": 1},
    {"k": 1, "v": "12"},
    [{"k": "1", "v": "a"}, {"k": True, "v": "b"}, {"k": 0, "v": "c"}],
]
_VALUES = st.sampled_from([*_OTHERS, *_TEXTS, *_MORE_TEXTS])


@st.composite
def field_rules(draw: st.DrawFn) -> dict[str, Any]:
    """A rule of the mapping language, as YAML would hold it."""
    rule: dict[str, Any] = {}
    origin = draw(st.sampled_from(["path", "path", "fan-out", "filter", "template", "value"]))
    if origin == "path":
        rule["path"] = "v"
    elif origin in ("fan-out", "filter"):
        # A filter keeps the items of ``os`` whose ``k`` reads the text after "=".
        rule["path"] = (
            "vs[*]" if origin == "fan-out" else draw(st.sampled_from(["os[k=1].v", "os[k=true].v"]))
        )
        rule["pick"] = draw(st.sampled_from(["first", "max", "min", "join"]))
    elif origin == "template":
        rule["template"] = draw(st.sampled_from(["{v}", "x-{v}", "{v}/{w}", "{{{v}}}", "{/v}{os.v}"]))
    else:
        rule["value"] = draw(_VALUES.filter(lambda v: not isinstance(v, list | dict)))
    if draw(st.booleans()):
        rule["transform"] = draw(st.lists(st.sampled_from(sorted(TRANSFORMS)), min_size=1, max_size=2))
    if draw(st.booleans()):
        rule["extract"] = draw(st.sampled_from(_PATTERNS))
    if draw(mutations.rarely(4)):
        rule["date"] = draw(
            st.sampled_from(
                [
                    "iso",
                    "dd/MM/yyyy",
                    "epoch",
                    "epoch-ms",
                    ["epoch-ms", "epoch"],
                    ["epoch", "dd/MM/yyyy", "iso"],
                ]
            )
        )
        rule["not_future"] = draw(st.booleans())
    if draw(mutations.rarely(3)):
        rule["table"] = _TABLE
    integer = draw(mutations.rarely(4))
    if integer:
        rule["integer"] = True
    elif draw(st.booleans()):
        rule["max_length"] = draw(st.sampled_from([1, 3]))
        rule["truncate"] = draw(st.booleans())
    rule["required"] = draw(st.booleans())
    if draw(st.booleans()):
        rule["default"] = draw(st.sampled_from(["7"] if integer else ["0", "D", "1.000000"]))
    if draw(mutations.rarely(4)):
        rule["check"] = draw(st.sampled_from(["ma_tthc", "cccd", "mst"]))
    return rule


@pytest.fixture(scope="module")
def rule_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("rules")


@PROPERTIES
@given(
    rule=field_rules(),
    value=_VALUES,
    values=st.lists(_VALUES, max_size=3),
    other=_VALUES,
    objects=st.one_of(_VALUES, st.lists(st.fixed_dictionaries({"k": _VALUES, "v": _VALUES}), max_size=3)),
)
# Where the two disagreed: a transform that empties the value, then a default (or required); an
# extract group that takes no part in the match; a blank or null constant (an AssertionError when
# the mapping was loaded).
@example(
    rule={"path": "v", "transform": ["digits"], "default": "0"},
    value="n/a",
    values=[],
    other=None,
    objects=None,
)
@example(
    rule={"path": "v", "transform": ["digits"], "required": True},
    value="n/a",
    values=[],
    other=None,
    objects=None,
)
@example(
    rule={"path": "v", "extract": r"^(a)|b$", "default": "D"}, value="b", values=[], other=None, objects=None
)
@example(
    rule={"path": "v", "extract": r"^(a)|b$", "date": "iso"}, value="b", values=[], other=None, objects=None
)
@example(rule={"value": " ", "default": "0"}, value=None, values=[], other=None, objects=None)
@example(rule={"value": None, "required": True}, value=None, values=[], other=None, objects=None)
@example(rule={"template": "{v}/{w}", "required": True}, value="a", values=[], other=["x"], objects=None)
@example(
    rule={"path": "os[k=1].v", "pick": "first", "date": ["epoch-ms", "epoch"]},
    value=None,
    values=[],
    other=None,
    objects=[{"k": 1, "v": 1622769300}, {"k": "1", "v": "x"}],
)
def test_fast_path_and_rules_agree_on_every_combination_of_options(
    rule_folder: Path, rule: dict[str, Any], value: Any, values: list[Any], other: Any, objects: Any
) -> None:
    file = rule_folder / "t.yaml"
    file.write_text(
        "name: t\nsource: {kind: json}\nrevision: {path: u, date: iso}\n"
        f"dossier:\n  TrichYeuHoSo: {json.dumps(rule)}\n",
        encoding="utf-8",
    )
    mapping = load_mapping(file)
    tree = {"u": "2021-06-05T10:00:00+07:00", "v": value, "vs": values, "w": other, "os": objects}
    fast, slow = _both_ways(mapping, tree)
    assert fast == slow
    event("clean" if not slow.problems else "with problems")


def test_fast_path_and_rules_agree_on_an_integer_with_a_length_limit() -> None:
    # The loader refuses max_length on a number; a rule built without it must still agree (the
    # fast path took len() of the number: TypeError).
    rule = FieldRule(name="Gia", line=1, path=parse_path("v"), integer=True, max_length=3, empty=None)
    tree = {"v": "75000"}
    fast = compiled.compile_field(rule)(tree, tree, Run(tree, FIXTURE_NOW, SKEW))
    run = Run(tree, FIXTURE_NOW, SKEW)
    assert (fast, run.problems) == (rule.apply(tree, run, ""), [])
