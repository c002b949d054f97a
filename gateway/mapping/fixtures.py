"""The fixture test runner behind ``dvcgw mapping test``: a mapping proven against examples.

Layout (JOLT's input/expected shape)::

    fixtures/<mapping name>/<case>/input.<ext>     one or more files named input*
    fixtures/<mapping name>/<case>/expected.json   {"packets": [...], "rejections": [...],
                                                    "file_errors": [...], "notes": [...]}

``packets`` hold the packets' JSON form without ``Meta.MappingHash`` (which changes with every edit
of the mapping file); ``rejections`` one entry per problem: file, record, line, ma_ho_so, field,
reason. Every case runs with the clock at ``FIXTURE_NOW`` so "in the future" is reproducible.

Each case is translated twice: as production translates (the generated fast path of
``compiled.py`` first) and by the rules alone (with the coverage tracker). The first is compared
with ``expected.json``; any difference between the two fails the case, naming the field.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from gateway.errors import InputError
from gateway.mapping.coverage import CaseCoverage, CoverageReport, CoverageTracker
from gateway.mapping.rules import FieldRule
from gateway.mapping.spec import SourceMapping
from gateway.packets import SchemaSet
from gateway.packets.render import to_json
from gateway.translate import Rejection, Translated, Translator

FIXTURE_NOW = datetime.fromisoformat("2026-01-01T00:00:00+07:00")
EXPECTED = "expected.json"


@dataclass(frozen=True)
class CaseResult:
    name: str
    differences: tuple[str, ...]
    updated: bool = False

    @property
    def passed(self) -> bool:
        return not self.differences


@dataclass
class MappingResult:
    mapping: str
    cases: list[CaseResult] = field(default_factory=list)
    coverage: CoverageReport | None = None

    @property
    def passed(self) -> bool:
        return all(case.passed for case in self.cases)


def case_dirs(fixtures: Path) -> list[Path]:
    """The cases of one mapping's fixture folder: sub-folders holding at least one input file."""
    if not fixtures.is_dir():
        return []
    return sorted(d for d in fixtures.iterdir() if d.is_dir() and any(d.glob("input*")))


def run_case(case: Path, translator: Translator) -> dict[str, Any]:
    """Translate every input file of ``case``; the result in the shape of ``expected.json``."""
    actual: dict[str, Any] = {"packets": [], "rejections": [], "file_errors": [], "notes": []}
    for path in sorted(case.glob("input*")):
        try:
            outcomes = list(translator.translate_bytes(path.read_bytes(), path.name))
        except InputError as exc:
            actual["file_errors"].append({"file": path.name, "line": exc.location.line, "reason": exc.reason})
            continue
        for outcome in outcomes:
            if isinstance(outcome, Translated):
                packet = to_json(outcome.packet)
                del packet["Meta"]["MappingHash"]
                actual["packets"].append(packet)
                actual["notes"].extend(outcome.notes)
            else:
                actual["rejections"].extend(_rejection_entries(outcome))
    return actual


def _rejection_entries(rejection: Rejection) -> Iterator[dict[str, Any]]:
    for problem in rejection.problems:
        entry = {
            "file": rejection.provenance.file,
            "record": rejection.provenance.index,
            "line": rejection.provenance.line,
            "ma_ho_so": rejection.ma_ho_so,
            "field": problem.field,
            "source": problem.source,
            "reason": problem.reason,
        }
        if rejection.record_id is not None:  # only mappings that name record_id: have one
            entry["record_id"] = rejection.record_id
        yield entry


def differences(expected: Any, actual: Any, where: str = "") -> Iterator[str]:
    """Field-level differences between two JSON values: ``path: expected X, got Y``."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in list(expected) + [k for k in actual if k not in expected]:
            sub = f"{where}.{key}" if where else str(key)
            if key not in actual:
                yield f"{sub}: expected {_show(expected[key])}, missing"
            elif key not in expected:
                yield f"{sub}: not expected, got {_show(actual[key])}"
            else:
                yield from differences(expected[key], actual[key], sub)
    elif isinstance(expected, list) and isinstance(actual, list):
        for index in range(max(len(expected), len(actual))):
            sub = f"{where}[{index}]{_named(expected, actual, index)}"
            if index >= len(actual):
                yield f"{sub}: expected {_show(expected[index])}, missing"
            elif index >= len(expected):
                yield f"{sub}: not expected, got {_show(actual[index])}"
            else:
                yield from differences(expected[index], actual[index], sub)
    elif expected != actual:
        yield f"{where}: expected {_show(expected)}, got {_show(actual)}"


def _named(expected: list[Any], actual: list[Any], index: int) -> str:
    """`` (000.00.22.H33-210604-0001)`` for a packet or rejection: the dossier code an
    integrator searches for, rather than a position in a list."""
    for items in (expected, actual):
        item = items[index] if index < len(items) else None
        if isinstance(item, dict):
            dossier = item.get("HoSo")
            code = item.get("ma_ho_so") or (dossier.get("MaHoSo") if isinstance(dossier, dict) else None)
            if isinstance(code, str) and code:
                return f" ({code})"
    return ""


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."


def run_fixtures(
    mapping: SourceMapping, fixtures: Path, schemas: SchemaSet, *, update: bool = False
) -> MappingResult:
    """Run every case of ``fixtures`` (one mapping's folder); with ``update``, rewrite expectations."""
    tracker = CoverageTracker()
    cases: list[tuple[str, str]] = []
    # Translation as it runs in production (the generated fast path first), and the rules alone,
    # which a coverage tracker asks for: each case runs both ways, and they must agree.
    translator = Translator(mapping, schemas, future_skew=timedelta(minutes=10), clock=lambda: FIXTURE_NOW)
    result = MappingResult(mapping.name)
    for case in case_dirs(fixtures):
        case_tracker = CoverageTracker()
        interpreter = Translator(
            mapping,
            schemas,
            future_skew=timedelta(minutes=10),
            clock=lambda: FIXTURE_NOW,
            tracker=case_tracker,
        )
        actual = run_case(case, translator)
        disagreements = tuple(
            f"fast path and rules disagree: {line}"
            for line in differences(run_case(case, interpreter), actual)
        )
        tracker.merge(case_tracker)
        cases.append((case.name, case_coverage(mapping, case_tracker).summary()))
        if disagreements:
            result.cases.append(CaseResult(case.name, disagreements))
            continue
        expected_file = case / EXPECTED
        if update:
            expected_file.write_text(
                json.dumps(actual, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
            result.cases.append(CaseResult(case.name, (), updated=True))
            continue
        if not expected_file.exists():
            result.cases.append(
                CaseResult(case.name, (f"{EXPECTED} is missing (run with --update to write it)",))
            )
            continue
        expected = json.loads(expected_file.read_text(encoding="utf-8"))
        result.cases.append(CaseResult(case.name, tuple(differences(expected, actual))))
    result.coverage = replace(coverage_report(mapping, tracker), cases=tuple(cases))
    return result


def _unmapped(mapping: SourceMapping, tracker: CoverageTracker) -> list[str]:
    """Source fields the tracker saw that no rule of ``mapping`` reads."""
    seen = {p.replace("[]", "") for p in tracker.source_fields}
    mapped = mapping.mapped_patterns()
    # A null object ("agency": null) is seen as a leaf named like its parent; it is mapped when
    # its children are.
    return sorted(p for p in seen - mapped if not any(m.startswith(p + ".") for m in mapped))


def case_coverage(mapping: SourceMapping, tracker: CoverageTracker) -> CaseCoverage:
    """What one case exercised (its own tracker)."""
    rules = [rule.rule_id for rule in mapping.rules()]
    return CaseCoverage(
        rules_hit=sum(1 for rule in rules if rule in tracker.rules_hit),
        rules=len(rules),
        table_entries_hit=len(tracker.tables_hit),
        unmapped_fields=tuple(_unmapped(mapping, tracker)),
    )


def coverage_report(mapping: SourceMapping, tracker: CoverageTracker) -> CoverageReport:
    unmapped = _unmapped(mapping, tracker)
    rules = list(mapping.rules())
    never = sorted(f"{r.name} (line {r.line})" for r in rules if r.rule_id not in tracker.rules_hit)
    entries = {
        (rule.table.name, key)
        for rule in rules
        if isinstance(rule, FieldRule) and rule.table is not None
        for key in rule.table.entries
    }
    unhit = sorted(f"{table}: {key}" for table, key in entries - tracker.tables_hit)
    return CoverageReport(mapping.name, tuple(unmapped), tuple(never), tuple(unhit))
