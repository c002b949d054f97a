"""What the fixtures of a mapping exercise, and what they leave untouched.

The fixture runner feeds every fixture through the mapping with a ``CoverageTracker``; the report
then lists source fields seen in fixtures that no rule reads, rules that never produced a value,
and code-table entries no fixture hit. Outside the runner no tracker is passed and the mapping
pays nothing for this.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


def leaf_patterns(tree: Any, prefix: str = "") -> Iterable[str]:
    """Every leaf path of a source tree, list indexes folded: ``fees[].code``, ``LinhVuc.@Ma``."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key == "@@root":
                continue
            name = f"{prefix}.{key}" if prefix else key
            if key == "#text":
                yield prefix
            else:
                yield from leaf_patterns(value, name)
    elif isinstance(tree, list):
        for item in tree:
            yield from leaf_patterns(item, f"{prefix}[]")
    elif prefix:
        yield prefix


@dataclass
class CoverageTracker:
    """Counts what a mapping exercised over many records."""

    rules_hit: set[str] = field(default_factory=set)
    tables_hit: set[tuple[str, str]] = field(default_factory=set)
    source_fields: set[str] = field(default_factory=set)

    def rule_hit(self, rule_id: str) -> None:
        self.rules_hit.add(rule_id)

    def table_hit(self, table: str, key: str) -> None:
        self.tables_hit.add((table, key))

    def saw_record(self, tree: Any) -> None:
        self.source_fields.update(p.replace("[][]", "[]") for p in leaf_patterns(tree))

    def merge(self, other: CoverageTracker) -> None:
        """Count what ``other`` (one fixture case's tracker) exercised too."""
        self.rules_hit |= other.rules_hit
        self.tables_hit |= other.tables_hit
        self.source_fields |= other.source_fields


@dataclass(frozen=True)
class CoverageReport:
    mapping: str
    unmapped_fields: tuple[str, ...]
    rules_never_used: tuple[str, ...]
    table_entries_never_hit: tuple[str, ...]
    cases: tuple[tuple[str, str], ...] = ()
    """Each fixture case and what it alone exercised, in words (``CaseCoverage.summary``)."""

    def lines(self) -> list[str]:
        out = [f"coverage of {self.mapping}:"]
        for title, items in (
            ("source fields seen in fixtures but never mapped", self.unmapped_fields),
            ("rules never exercised", self.rules_never_used),
            ("code-table entries never hit", self.table_entries_never_hit),
        ):
            out.append(f"  {title}: {len(items)}")
            out.extend(f"    - {item}" for item in items)
        if self.cases:
            out.append("  per case:")
            out.extend(f"    - {case}: {summary}" for case, summary in self.cases)
        return out


@dataclass(frozen=True)
class CaseCoverage:
    """What one fixture case exercised: so an integrator sees which case tests what, and which
    cases add nothing."""

    rules_hit: int
    rules: int
    table_entries_hit: int
    unmapped_fields: tuple[str, ...]

    def summary(self) -> str:
        """``24 of 31 rules, 9 code-table entries; fields no rule reads: GhiChu``."""
        text = f"{self.rules_hit} of {self.rules} rules, {self.table_entries_hit} code-table entries"
        if self.unmapped_fields:
            text += f"; fields no rule reads: {', '.join(self.unmapped_fields)}"
        return text
