"""Every shipped mapping passes its fixtures, and what it produces is valid in both renderings."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from gateway.errors import InputError
from gateway.mapping import load_mapping
from gateway.mapping.fixtures import case_dirs, differences, run_fixtures
from gateway.mapping.rules import Run
from gateway.packets import SchemaSet
from gateway.packets.render import to_json, to_xml
from gateway.translate import Translated, Translator

MAPPINGS = ["igate-json", "motcua-xml", "legacy-csv"]
FIXTURES = Path("fixtures")


@pytest.mark.parametrize("name", MAPPINGS)
def test_every_fixture_case_of_the_mapping_passes(name: str, schemas: SchemaSet) -> None:
    result = run_fixtures(load_mapping(Path("mappings") / f"{name}.yaml"), FIXTURES / name, schemas)
    failures = {case.name: case.differences[:5] for case in result.cases if not case.passed}
    assert failures == {}


@pytest.mark.parametrize("name", MAPPINGS)
def test_each_mapping_has_at_least_fifteen_cases(name: str) -> None:
    assert len(case_dirs(FIXTURES / name)) >= 15


@pytest.mark.parametrize("name", MAPPINGS)
def test_every_code_table_entry_is_exercised_by_the_fixtures(name: str, schemas: SchemaSet) -> None:
    result = run_fixtures(load_mapping(Path("mappings") / f"{name}.yaml"), FIXTURES / name, schemas)
    assert result.coverage is not None
    assert result.coverage.table_entries_never_hit == ()


@pytest.mark.parametrize("name", MAPPINGS)
def test_every_packet_from_the_fixtures_is_valid_in_both_renderings(name: str, schemas: SchemaSet) -> None:
    translator = Translator(load_mapping(Path("mappings") / f"{name}.yaml"), schemas)
    packets = 0
    for case in case_dirs(FIXTURES / name):
        for file in sorted(case.glob("input*")):
            try:
                outcomes = list(translator.translate_file(file))
            except InputError:
                continue
            for outcome in outcomes:
                if isinstance(outcome, Translated):
                    packets += 1
                    assert schemas.json_violations(to_json(outcome.packet)) == []
                    assert schemas.xml_violations(to_xml(outcome.packet)) == []
    assert packets > 0


def test_differences_are_reported_field_by_field() -> None:
    expected = {"packets": [{"HoSo": {"TrangThaiHoSo": "4", "DinhDanhCHS": []}}]}
    actual = {"packets": [{"HoSo": {"TrangThaiHoSo": "5", "DinhDanhCHS": [{"x": 1}]}}]}
    assert list(differences(expected, actual)) == [
        'packets[0].HoSo.TrangThaiHoSo: expected "4", got "5"',
        'packets[0].HoSo.DinhDanhCHS[0]: not expected, got {"x": 1}',
    ]


def test_a_case_without_expectations_fails_and_says_how_to_write_them(
    tmp_path: Path, schemas: SchemaSet
) -> None:
    case = tmp_path / "01-only-input"
    case.mkdir()
    (case / "input.json").write_text("[]", encoding="utf-8")
    result = run_fixtures(load_mapping(Path("mappings/igate-json.yaml")), tmp_path, schemas)
    [outcome] = result.cases
    assert outcome.differences == ("expected.json is missing (run with --update to write it)",)


def test_update_writes_expectations_that_then_pass(tmp_path: Path, schemas: SchemaSet) -> None:
    case = tmp_path / "01-empty"
    case.mkdir()
    (case / "input.json").write_text("[]", encoding="utf-8")
    mapping = load_mapping(Path("mappings/igate-json.yaml"))
    run_fixtures(mapping, tmp_path, schemas, update=True)
    assert run_fixtures(mapping, tmp_path, schemas).passed


def test_the_runner_holds_the_fast_path_to_the_rules(schemas: SchemaSet) -> None:
    mapping = load_mapping(Path("mappings/igate-json.yaml"))
    assert mapping.fast is not None
    fast_dossier = mapping.fast.dossier

    def drifted(context: Any, root: Any, run: Run) -> dict[str, Any]:
        dossier = fast_dossier(context, root, run)
        return {**dossier, "TenTTHC": dossier["TenTTHC"].upper()}

    drifting = dataclasses.replace(mapping, fast=dataclasses.replace(mapping.fast, dossier=drifted))
    result = run_fixtures(drifting, FIXTURES / "igate-json", schemas)
    first = next(case for case in result.cases if case.name == "01-array-documented-example")
    assert any(
        line.startswith(
            "fast path and rules disagree: packets[0] (000.00.22.H33-210604-0001).HoSo.TenTTHC: expected"
        )
        for line in first.differences
    )


def test_a_fixture_difference_names_the_dossier_code() -> None:
    expected = {"packets": [{"HoSo": {"MaHoSo": "000.00.22.H33-210604-0005", "TenTTHC": "a"}}]}
    actual = {"packets": [{"HoSo": {"MaHoSo": "000.00.22.H33-210604-0005", "TenTTHC": "b"}}]}
    assert list(differences(expected, actual)) == [
        'packets[0] (000.00.22.H33-210604-0005).HoSo.TenTTHC: expected "a", got "b"'
    ]
