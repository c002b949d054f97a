"""Compiled mapping rules and how they turn a source tree into national records.

A ``FieldRule`` produces one national field; an ``EachRule`` produces a list of records (fees,
attachments, history) from a repeated source element. Rules are compiled once from the YAML
(``gateway.mapping.spec``) and then applied to every record; all per-rule decisions (date form,
code table, transforms, regular expressions) are made at compile time.

Applying a rule never raises for bad data, whatever its shape: it records a ``Problem`` (national
field, source path, reason) in the ``Run`` and goes on, so one rejection lists every fault of the
record. Data of another shape than a path expects (``applicant: expected an object, got a list``)
is said once per place, however many rules read below it.

These rules are the reference meaning of a mapping: the generated fast path (``compiled.py``) must
give the same result for every record, or hand the record back to them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from gateway.mapping.checks import masked
from gateway.mapping.coverage import CoverageTracker
from gateway.mapping.dates import BadDate, DateForm, DateForms, to_national
from gateway.mapping.paths import Path, PathError, as_list, kind_of, resolve, scalar
from gateway.mapping.templates import PlaceholderError, Template


@dataclass(frozen=True)
class Problem:
    """Why a record cannot become a packet: the national field, where it came from, the reason."""

    field: str
    source: str | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.field} (from {self.source})" if self.source else self.field
        return f"{where}: {self.reason}"


@dataclass
class Run:
    """The state of mapping one record: its root, the clock, what went wrong, what was noted."""

    root: Any
    now: datetime
    future_skew: timedelta
    tracker: CoverageTracker | None = None
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dossier: dict[str, Any] = field(default_factory=dict)
    shapes_reported: set[tuple[int, str]] = field(default_factory=set)

    def shape_problem(self, path: Path, context: Any, problem: Problem) -> None:
        """Record a problem with the data's shape once for the data it is about: every rule that
        reads below ``applicant`` meets the same list, and one line says so. (Reasons name the
        place relative to where the path starts, the record or one item, hence the key.)"""
        start = self.root if path.from_root else context
        key = (id(start), problem.reason)
        if key not in self.shapes_reported:
            self.shapes_reported.add(key)
            self.problems.append(problem)


class Missing:
    """No value: absent, null or blank in the source."""


# A whole number as exports write it: ASCII digits, maybe a sign. int() alone would also take
# "1_000", other scripts' digits and a runaway length (ValueError past 4300 digits).
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,30}")


def whole_number(text: str) -> int | None:
    """``text`` as an integer, or None when it is not a whole number written in ASCII digits."""
    return int(text) if _WHOLE_NUMBER.fullmatch(text) else None


MISSING = Missing()


def table_key(value: Any) -> str:
    """How a source value is looked up in a code table (JSON booleans become true/false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class CodeTable:
    name: str
    entries: Mapping[str, str]

    def describe_keys(self) -> str:
        keys = list(self.entries)
        shown = ", ".join(keys[:12]) + (", …" if len(keys) > 12 else "")
        return shown


@dataclass(frozen=True)
class FieldRule:
    """How one national field is produced. See docs/mapping-language.md for each option."""

    name: str
    line: int
    path: Path | None = None
    value: Any = None
    copy: str | None = None
    template: Template | None = None
    transforms: tuple[Callable[[str], str], ...] = ()
    extract: re.Pattern[str] | None = None
    date: DateForm | DateForms | None = None
    not_future: bool = False
    table: CodeTable | None = None
    integer: bool = False
    required: bool = False
    default: Any = None
    max_length: int | None = None
    truncate: bool = False
    check: Callable[[Any], str | None] | None = None
    pick: str | None = None
    sensitive: bool = False
    reason: str | None = None
    """The words of a rejection when the value does not fit (extract, code table)."""
    if_missing: str | None = None
    """The words of a rejection when a required value is missing."""
    empty: Any = ""
    """What the field holds when there is no value: "" for text, None for numbers and the revision."""
    plain: bool = False
    """Set by the compiler when the text is taken as it is (no transform, table, date...)."""

    @property
    def rule_id(self) -> str:
        return f"{self.name}@{self.line}"

    def at(self, parent: str) -> str:
        """The national field's path, e.g. ``HoSo.DinhDanhCHS[0].SoDinhDanh`` (built only for problems)."""
        return f"{parent}.{self.name}" if parent else self.name

    def apply(self, context: Any, run: Run, parent: str) -> Any:
        """The field's value for ``context``; ``empty`` when absent or after recording a problem.

        ``parent`` is the path of the record being built, for the words of a problem."""
        path = self.path
        source = path.text if path is not None else None
        problems_before = len(run.problems)
        try:
            if path is not None:
                raw: Any = resolve(path, context, run.root)
            elif self.copy is not None:
                raw = run.dossier.get(self.copy)
            elif self.template is not None:
                source = self.template.text
                raw = self.template.compose(context, run.root)
            else:
                raw = self.value
        except PlaceholderError as exc:
            run.shape_problem(exc.path, context, Problem(self.at(parent), source, str(exc)))
            return self.empty
        except PathError as exc:
            # The path could not be followed: the field has no value, and no second complaint
            # (required, default) is added to the one that says why.
            assert path is not None  # only paths are followed
            run.shape_problem(path, context, Problem(self.at(parent), source, str(exc)))
            return self.empty
        if path is not None and path.fans_out:
            value = self._reduce(raw, run, parent, source)
        else:
            value = self._convert(raw, run, parent, source)
        if value is MISSING:
            if self.default is not None:
                value = self.default  # already a national value: no table, no transforms
            else:
                if self.required and len(run.problems) == problems_before:
                    run.problems.append(
                        Problem(self.at(parent), source, self.if_missing or "required value is missing")
                    )
                return self.empty
        if run.tracker is not None:
            run.tracker.rule_hit(self.rule_id)
        if self.max_length is None and self.check is None:
            return value
        return self._finish(value, run, parent, source)

    def _reduce(self, values: list[Any], run: Run, parent: str, source: str | None) -> Any:
        converted = [self._convert(v, run, parent, source) for v in values]
        present = [v for v in converted if v is not MISSING and v != ""]
        if not present:
            return MISSING
        if self.pick == "max":
            return max(present)
        if self.pick == "min":
            return min(present)
        if self.pick == "join":
            return ", ".join(str(v) for v in present)
        return present[0]

    def _convert(self, raw: Any, run: Run, parent: str, source: str | None) -> Any:
        if raw is None:
            return MISSING
        if type(raw) is str:
            text = raw.strip()
            if self.plain:
                return text or MISSING
        else:
            value = scalar(raw)
            if value is None:
                if isinstance(raw, dict) and any(not str(key).startswith("@") for key in raw):
                    # A JSON object where one value belongs (an XML element with attributes only
                    # simply has no text).
                    run.problems.append(
                        Problem(self.at(parent), source, "expected a single value, got an object")
                    )
                return MISSING
            if isinstance(value, dict | list):
                run.problems.append(
                    Problem(self.at(parent), source, f"expected a single value, got {kind_of(value)}")
                )
                return MISSING
            text = table_key(value).strip()
        if text == "":
            return MISSING
        if self.transforms:
            for transform in self.transforms:
                text = transform(text)
            if text == "":
                return MISSING  # nothing left (``digits`` of "n/a"): no value, as if absent
        if self.extract is not None:
            match = self.extract.match(text)
            if not match:
                shown = masked(text) if self.sensitive else repr(text)
                run.problems.append(
                    Problem(
                        self.at(parent),
                        source,
                        f"{shown}: {self.reason}"
                        if self.reason
                        else f"{shown} does not match {self.extract.pattern}",
                    )
                )
                return MISSING
            kept = match.group(1) if match.groups() else match.group(0)
            if not kept:
                return MISSING  # the group did not take part in the match, or matched nothing
            text = kept
        if self.date is not None:
            try:
                moment = self.date.parse(text)
            except BadDate as exc:
                run.problems.append(Problem(self.at(parent), source, self._hidden(str(exc), text)))
                return MISSING
            if self.not_future and moment > run.now + run.future_skew:
                reason = self._hidden(f"{text!r} lies in the future", text)
                run.problems.append(Problem(self.at(parent), source, reason))
                return MISSING
            text = to_national(moment)
        if self.table is not None:
            mapped = self.table.entries.get(text)
            if mapped is None:
                shown = masked(text) if self.sensitive else repr(text)
                known = f"table {self.table.name}: {self.table.describe_keys()}"
                reason = (
                    f"{shown}: {self.reason}" if self.reason else f"{shown} is not a known value ({known})"
                )
                run.problems.append(Problem(self.at(parent), source, reason))
                return MISSING
            if run.tracker is not None:
                run.tracker.table_hit(self.table.name, text)
            return MISSING if mapped == "" else mapped
        if self.integer:
            number = whole_number(text)
            if number is None:
                reason = self._hidden(f"{text!r} is not a whole number", text)
                run.problems.append(Problem(self.at(parent), source, reason))
                return MISSING
            return number
        return text

    def _hidden(self, reason: str, text: str) -> str:
        """``reason`` with the value masked when the rule is ``sensitive``."""
        return reason.replace(repr(text), masked(text)) if self.sensitive else reason

    def _finish(self, value: Any, run: Run, parent: str, source: str | None) -> Any:
        if self.max_length is not None and isinstance(value, str) and len(value) > self.max_length:
            if not self.truncate:
                run.problems.append(
                    Problem(
                        self.at(parent),
                        source,
                        f"{len(value)} characters, over the limit of {self.max_length}",
                    )
                )
                return self.empty
            run.notes.append(
                f"{self.at(parent)}: truncated from {len(value)} to {self.max_length} characters"
            )
            value = value[: self.max_length]
        if self.check is not None:
            reason = self.check(value)
            if reason is not None:
                run.problems.append(Problem(self.at(parent), source, reason))
                return self.empty
        return value


def _blank(value: Any) -> bool:
    """No value: absent, empty, or white space only (as a spreadsheet cell often is)."""
    value = scalar(value)
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


@dataclass(frozen=True)
class Unpack:
    """Splits a flat string item (``LP01:75000:1``) into named parts."""

    separator: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class EachRule:
    """A list of national records made from a repeated source value."""

    name: str
    line: int
    each: Path
    fields: RecordRules
    split: str | None = None
    unpack: Unpack | None = None
    when: Path | None = None
    check: Callable[[Any], str | None] | None = None

    @property
    def rule_id(self) -> str:
        return f"{self.name}@{self.line}"

    def items(self, context: Any, run: Run, where: str) -> list[tuple[int, Any]]:
        try:
            found = resolve(self.each, context, run.root)
        except PathError as exc:
            run.shape_problem(self.each, context, Problem(where, self.each.text, str(exc)))
            return []
        values = found if self.each.fans_out else as_list(found)
        if self.split is not None:
            texts = [v for v in values if isinstance(v, str)]
            if len(texts) != len(values):
                odd = next(v for v in values if not isinstance(v, str))
                run.problems.append(Problem(where, self.each.text, f"expected text, got {kind_of(odd)}"))
                return []
            values = [part.strip() for v in texts for part in v.split(self.split)]
            values = [v for v in values if v]
        items: list[tuple[int, Any]] = []
        for index, value in enumerate(values):
            if self.unpack is not None:
                expected = self.unpack.separator.join(self.unpack.names)
                if not isinstance(value, str):
                    reason = f"expected text of the form {expected}, got {kind_of(value)}"
                    run.problems.append(Problem(f"{where}[{index}]", self.each.text, reason))
                    continue
                parts = value.split(self.unpack.separator)
                if len(parts) != len(self.unpack.names):
                    run.problems.append(
                        Problem(
                            f"{where}[{index}]", self.each.text, f"{value!r} is not of the form {expected}"
                        )
                    )
                    continue
                value = dict(zip(self.unpack.names, parts, strict=True))
            if self.when is not None:
                try:
                    condition = resolve(self.when, value, run.root)
                except PathError as exc:
                    problem = Problem(f"{where}[{index}]", self.when.text, str(exc))
                    run.shape_problem(self.when, value, problem)
                    continue
                if _blank(condition):
                    continue
            items.append((index, value))
        return items

    def apply(self, context: Any, run: Run, parent: str) -> list[dict[str, Any]]:
        where = f"{parent}.{self.name}" if parent else self.name
        out = []
        for index, item in self.items(context, run, where):
            item_where = f"{where}[{index}]"
            problems_before = len(run.problems)
            record = self.fields.apply(item, run, item_where)
            # An item whose fields already failed would only get a second, vaguer complaint.
            if self.check is not None and len(run.problems) == problems_before:
                reason = self.check(record)
                if reason is not None:
                    run.problems.append(Problem(item_where, self.each.text, reason))
            out.append(record)
        if out and run.tracker is not None:
            run.tracker.rule_hit(self.rule_id)
        return out


@dataclass(frozen=True)
class RecordRules:
    """The rules of one national record type, and the record's empty shape.

    Applying them yields a complete record in schema order: fields no rule maps are present and
    empty (``""`` or ``[]``), so packets need no second pass to be complete.
    """

    rules: tuple[FieldRule | EachRule, ...]
    template: dict[str, Any]
    unmapped_lists: tuple[str, ...]

    def apply(self, context: Any, run: Run, where: str) -> dict[str, Any]:
        record = dict(self.template)
        for name in self.unmapped_lists:
            record[name] = []
        for rule in self.rules:
            record[rule.name] = rule.apply(context, run, where)
        return record
