"""Loading ``mappings/*.yaml`` into a compiled ``SourceMapping``.

The mapping language is described for integrators in docs/mapping-language.md. This module checks
a mapping file completely when it is loaded: unknown keys, unknown national fields, unknown code
tables, transforms or checks, bad paths, regular expressions and date forms are each a
``MappingError`` naming the file and the line, before any record is read.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path as FilePath
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from gateway.adapters.base import MIB, SourceFormat, Tree
from gateway.adapters.encodings import UnsupportedEncoding, codec_for
from gateway.errors import MappingError
from gateway.mapping import compiled
from gateway.mapping.checks import ITEM_CHECKS, VALUE_CHECKS
from gateway.mapping.coverage import CoverageTracker
from gateway.mapping.dates import DateFormatError, compile_form
from gateway.mapping.paths import Path, PathSyntaxError, parse_path
from gateway.mapping.rules import (
    CodeTable,
    EachRule,
    FieldRule,
    Problem,
    RecordRules,
    Run,
    Unpack,
    table_key,
    whole_number,
)
from gateway.mapping.transforms import TRANSFORMS
from gateway.packets.layout import Layout
from gateway.packets.schemas import default_layout

_TOP_KEYS = {"name", "description", "source", "timezone", "revision", "tables", "dossier", "history"}
# The options of ``source:`` that mean something for each kind of file; any other is refused, so
# that a mapping never carries an option that silently does nothing (record_element for JSON).
_SOURCE_KEYS_BY_KIND = {
    "json": {"kind", "max_file_mb", "max_depth"},
    "xml": {"kind", "root_element", "record_element", "max_file_mb", "max_depth"},
    "csv": {"kind", "encoding", "delimiter", "max_file_mb"},
}
_SOURCE_KEYS = set().union(*_SOURCE_KEYS_BY_KIND.values())
_FIELD_KEYS = {
    "path",
    "value",
    "copy",
    "transform",
    "extract",
    "date",
    "not_future",
    "table",
    "integer",
    "required",
    "default",
    "max_length",
    "truncate",
    "check",
    "pick",
    "sensitive",
    "reason",
    "if_missing",
}
_EACH_KEYS = {"each", "fields", "split", "unpack", "when", "check"}
_PICKS = {"first", "max", "min", "join"}


@dataclass(frozen=True)
class MappedRecord:
    """What a mapping made of one source record."""

    dossier: dict[str, Any]
    history: list[dict[str, Any]]
    revision: str | None
    problems: list[Problem]
    notes: list[str]


@dataclass(frozen=True)
class FastPath:
    """The mapping's rules as generated functions (``compiled.py``), for records without faults."""

    revision: compiled.FieldFunction
    dossier: compiled.RecordFunction
    history: Callable[[Any, Any, Run], list[dict[str, Any]]] | None

    @classmethod
    def of(cls, revision: FieldRule, dossier: RecordRules, history: EachRule | None) -> FastPath:
        return cls(
            revision=compiled.compile_field(revision),
            dossier=compiled.compile_record(dossier),
            history=None if history is None else compiled.compile_each(history),
        )


@dataclass(frozen=True)
class SourceMapping:
    """A compiled mapping: build once with ``load_mapping``, apply to any number of records."""

    name: str
    file: str
    sha256: str
    source: SourceFormat
    zone: ZoneInfo
    revision: FieldRule
    dossier: RecordRules
    history: EachRule | None
    tables: dict[str, CodeTable]
    fast: FastPath | None = None

    def map(
        self,
        tree: Tree,
        *,
        now: datetime,
        future_skew: timedelta,
        tracker: CoverageTracker | None = None,
    ) -> MappedRecord:
        """Map one source record tree to a national dossier, its history and its revision.

        Records are first mapped by the generated fast path; a record it cannot map cleanly (and
        every record when coverage is tracked) is mapped by the rules themselves, which explain
        each fault.
        """
        if tracker is None and self.fast is not None:
            run = Run(root=tree, now=now, future_skew=future_skew)
            try:
                revision = self.fast.revision(tree, tree, run)
                dossier = self.fast.dossier(tree, tree, run)
                run.dossier = dossier
                history = self.fast.history(tree, tree, run) if self.fast.history else []
                if not run.problems and not run.notes:
                    return MappedRecord(dossier, history, revision, [], [])
            except compiled.Divert:
                pass
        run = Run(root=tree, now=now, future_skew=future_skew, tracker=tracker)
        if tracker is not None:
            tracker.saw_record(tree)
        revision = self.revision.apply(tree, run, "")
        dossier = self.dossier.apply(tree, run, "HoSo")
        run.dossier = dossier
        history = self.history.apply(tree, run, "") if self.history else []
        return MappedRecord(dossier, history, revision, run.problems, run.notes)

    def rules(self) -> Iterator[FieldRule | EachRule]:
        """Every rule, depth first (the revision rule included)."""
        yield self.revision
        stack: list[FieldRule | EachRule] = [*self.dossier.rules, *([self.history] if self.history else [])]
        while stack:
            rule = stack.pop(0)
            yield rule
            if isinstance(rule, EachRule):
                stack[:0] = list(rule.fields.rules)

    def mapped_patterns(self) -> set[str]:
        """The source paths the rules read, list markers removed (for the coverage report)."""
        found: set[str] = set()

        def walk(rules: tuple[FieldRule | EachRule, ...], prefix: str) -> None:
            for rule in rules:
                if isinstance(rule, EachRule):
                    base = _join(prefix, rule.each)
                    found.add(base)
                    if rule.when is not None:
                        found.add(_join(base, rule.when))
                    walk(rule.fields.rules, base)
                elif rule.path is not None:
                    found.add(_join(prefix, rule.path))

        walk((self.revision, *self.dossier.rules, *([self.history] if self.history else [])), "")
        return {p.replace("[]", "") for p in found}


def _join(prefix: str, path: Path) -> str:
    if path.from_root or not prefix:
        return path.pattern()
    return f"{prefix}.{path.pattern()}" if path.pattern() else prefix


def load_mapping(file: FilePath, layout: Layout | None = None) -> SourceMapping:
    """Read and compile a mapping file; raise ``MappingError`` (file and line) if it is wrong."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise MappingError(str(file), None, f"cannot read the mapping: {exc.strerror}") from exc
    try:
        document = YAML(typ="rt").load(data.decode("utf-8"))
    except (YAMLError, UnicodeDecodeError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise MappingError(str(file), None if line is None else line + 1, f"not valid YAML: {exc}") from exc
    return _Compiler(str(file), layout or default_layout()).compile(
        document, hashlib.sha256(data).hexdigest()
    )


class _Compiler:
    def __init__(self, file: str, layout: Layout) -> None:
        self.file = file
        self.layout = layout
        self.tables: dict[str, CodeTable] = {}
        self.zone = ZoneInfo("Asia/Ho_Chi_Minh")
        self.in_history = False

    def fail(self, node: Any, key: Any, reason: str) -> MappingError:
        return MappingError(self.file, _line(node, key), reason)

    def compile(self, doc: Any, sha256: str) -> SourceMapping:
        if not isinstance(doc, dict):
            raise MappingError(
                self.file, 1, "a mapping file must be a YAML mapping (name:, source:, dossier: ...)"
            )
        self._keys(doc, _TOP_KEYS, "the mapping")
        for key in ("name", "source", "revision", "dossier"):
            if key not in doc:
                raise MappingError(self.file, 1, f"missing required section {key!r}")
        if "timezone" in doc:
            try:
                self.zone = ZoneInfo(str(doc["timezone"]))
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise self.fail(doc, "timezone", f"unknown time zone {doc['timezone']!r}") from exc
        tables = doc.get("tables") or {}
        if not isinstance(tables, dict):
            raise self.fail(doc, "tables", "tables: must map table names to code tables")
        for name, entries in tables.items():
            if not isinstance(entries, dict) or not entries:
                raise self.fail(doc["tables"], name, f"code table {name!r} must be a non-empty mapping")
            self.tables[str(name)] = CodeTable(
                str(name), {table_key(k): "" if v is None else str(v) for k, v in entries.items()}
            )
        dossier = doc["dossier"]
        if not isinstance(dossier, dict):
            raise self.fail(doc, "dossier", "dossier: must map national field names to rules")
        history_node = doc.get("history")
        source = self._source(doc["source"], doc)
        revision = replace(self._field("revision", doc["revision"], doc, "revision", None), empty=None)
        rules = self._record(dossier, "HoSo", doc, "dossier")
        self.in_history = True
        history = (
            None
            if history_node is None
            else self._each("QuaTrinhXuLy", history_node, doc, "history", "BuocXuLy")
        )
        return SourceMapping(
            name=str(doc["name"]),
            file=self.file,
            sha256=sha256,
            source=source,
            zone=self.zone,
            revision=revision,
            dossier=rules,
            history=history,
            tables=self.tables,
            fast=FastPath.of(revision, rules, history),
        )

    def _keys(self, node: Any, allowed: set[str], what: str) -> None:
        for key in node:
            if key not in allowed:
                raise self.fail(
                    node, key, f"unknown key {key!r} in {what} (allowed: {', '.join(sorted(allowed))})"
                )

    def _source(self, node: Any, parent: Any) -> SourceFormat:
        if not isinstance(node, dict):
            raise self.fail(parent, "source", "source: must be a mapping with at least kind:")
        self._keys(node, _SOURCE_KEYS, "source")
        kind = node.get("kind")
        if not isinstance(kind, str) or kind not in _SOURCE_KEYS_BY_KIND:
            raise self.fail(node, "kind", f"source kind must be json, xml or csv, not {kind!r}")
        allowed = _SOURCE_KEYS_BY_KIND[kind]
        for key in node:
            if key not in allowed:
                others = ", ".join(sorted(allowed - {"kind"}))
                raise self.fail(
                    node, key, f"{key}: does not apply to a source of kind {kind} (its options: {others})"
                )
        options: dict[str, Any] = {"kind": kind}
        for key in ("encoding", "root_element", "record_element", "delimiter"):
            if key in node:
                if not isinstance(node[key], str) or not node[key].strip():
                    raise self.fail(node, key, f"{key}: must be a non-empty text")
                options[key] = node[key]
        if "encoding" in options:
            try:
                codec_for(options["encoding"])
            except UnsupportedEncoding as exc:
                raise self.fail(node, "encoding", str(exc)) from exc
        if "delimiter" in options and (len(options["delimiter"]) != 1 or options["delimiter"] in '"\r\n'):
            raise self.fail(node, "delimiter", "delimiter: must be one character, not a quote or line break")
        if "max_file_mb" in node:
            options["max_file_bytes"] = self._whole(node, "max_file_mb") * MIB
        if "max_depth" in node:
            options["max_depth"] = self._whole(node, "max_depth")
        return SourceFormat(**options)

    def _whole(self, node: Any, key: str) -> int:
        """A positive whole number option."""
        value = node[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.fail(node, key, f"{key}: must be a whole number above 0, not {value!r}")
        return value

    def _record(self, node: Any, type_name: str, parent: Any, key: str) -> RecordRules:
        if not isinstance(node, dict):
            raise self.fail(parent, key, f"{key}: must map national field names of {type_name} to rules")
        specs = {spec.name: spec for spec in self.layout.fields(type_name)}
        rules: list[FieldRule | EachRule] = []
        for name, rule in node.items():
            spec = specs.get(name)
            if spec is None:
                raise self.fail(
                    node, name, f"{name!r} is not a field of {type_name} (fields: {', '.join(specs)})"
                )
            if spec.record:
                if not spec.repeated:
                    raise self.fail(node, name, f"{name} is a nested record; it cannot be mapped")
                rules.append(self._each(name, rule, node, name, spec.type_name))
            else:
                if spec.repeated:
                    raise self.fail(node, name, f"{name} repeats; map it with each:")
                rules.append(self._field(name, rule, node, name, spec))
        mapped = {rule.name for rule in rules}
        template = {spec.name: None if spec.integer else "" for spec in specs.values()}
        lists = tuple(spec.name for spec in specs.values() if spec.repeated and spec.name not in mapped)
        return RecordRules(rules=tuple(rules), template=template, unmapped_lists=lists)

    def _each(self, name: str, node: Any, parent: Any, key: str, type_name: str) -> EachRule:
        if not isinstance(node, dict) or "each" not in node or "fields" not in node:
            raise self.fail(parent, key, f"{name} repeats: write it as each: <path> with fields:")
        self._keys(node, _EACH_KEYS, f"the each rule of {name}")
        unpack = None
        if "unpack" in node:
            spec = node["unpack"]
            if (
                not isinstance(spec, dict)
                or set(spec) != {"separator", "names"}
                or not isinstance(spec["names"], list)
                or not spec["names"]
                or not str(spec["separator"])
            ):
                raise self.fail(
                    node, "unpack", "unpack: needs exactly separator: (a text) and names: (a list of names)"
                )
            unpack = Unpack(str(spec["separator"]), tuple(str(n) for n in spec["names"]))
        check = None
        if "check" in node:
            check = ITEM_CHECKS.get(str(node["check"]))
            if check is None:
                raise self.fail(
                    node, "check", f"unknown item check {node['check']!r} (known: {', '.join(ITEM_CHECKS)})"
                )
        return EachRule(
            name=name,
            line=_line(parent, key) or 0,
            each=self._path(node, "each"),
            fields=self._record(node["fields"], type_name, node, "fields"),
            split=None if node.get("split") is None else str(node["split"]),
            unpack=unpack,
            when=self._path(node, "when") if "when" in node else None,
            check=check,
        )

    def _path(self, node: Any, key: str) -> Path:
        try:
            return parse_path(node[key])
        except PathSyntaxError as exc:
            raise self.fail(node, key, str(exc)) from exc

    def _field(self, name: str, node: Any, parent: Any, key: str, spec: Any) -> FieldRule:
        if isinstance(node, str):
            node = {"path": node}
            node_for_lines = parent
        else:
            node_for_lines = node
        if not isinstance(node, dict):
            raise self.fail(parent, key, f"{name}: a rule is a path or a mapping of options")
        self._keys(node, _FIELD_KEYS, f"the rule of {name}")
        sources = [k for k in ("path", "value", "copy") if k in node]
        if len(sources) != 1:
            raise self.fail(parent, key, f"{name}: give exactly one of path:, value:, copy:")
        options: dict[str, Any] = {"name": name, "line": _line(parent, key) or 0}
        if "path" in node:
            options["path"] = self._path(node, "path")
            if options["path"].fans_out and "pick" not in node:
                raise self.fail(
                    node_for_lines, "path", f"{name}: a path with [*] needs pick: first|max|min|join"
                )
        if "value" in node:
            if isinstance(node["value"], dict | list):
                raise self.fail(node, "value", f"{name}: value: must be one text or number, not a structure")
            options["value"] = node["value"]
        if "copy" in node:
            options["copy"] = self._copy(node, name)
        if "transform" in node:
            names = node["transform"] if isinstance(node["transform"], list) else [node["transform"]]
            for t in names:
                if not isinstance(t, str) or t not in TRANSFORMS:
                    raise self.fail(
                        node, "transform", f"unknown transform {t!r} (known: {', '.join(TRANSFORMS)})"
                    )
            options["transforms"] = tuple(TRANSFORMS[t] for t in names)
        if "extract" in node:
            try:
                # Python warns of patterns whose meaning a later version will change ("possible
                # nested set"): a mapping must mean one thing, so the warning is a refusal.
                with warnings.catch_warnings():
                    warnings.simplefilter("error", FutureWarning)
                    options["extract"] = re.compile(str(node["extract"]))
            except (re.error, FutureWarning) as exc:
                raise self.fail(node, "extract", f"bad regular expression: {exc}") from exc
        if "date" in node:
            try:
                options["date"] = compile_form(str(node["date"]), self.zone)
            except DateFormatError as exc:
                raise self.fail(node, "date", str(exc)) from exc
        if "table" in node:
            options["table"] = self._table(node, name)
        if "check" in node:
            check = VALUE_CHECKS.get(str(node["check"]))
            if check is None:
                raise self.fail(
                    node, "check", f"unknown check {node['check']!r} (known: {', '.join(VALUE_CHECKS)})"
                )
            options["check"] = check
        if "pick" in node:
            if not isinstance(node["pick"], str) or node["pick"] not in _PICKS:
                raise self.fail(node, "pick", f"pick must be one of {', '.join(sorted(_PICKS))}")
            options["pick"] = str(node["pick"])
        for flag in ("not_future", "integer", "required", "truncate", "sensitive"):
            if flag in node:
                if not isinstance(node[flag], bool):
                    raise self.fail(node, flag, f"{flag} must be true or false")
                options[flag] = node[flag]
        if "max_length" in node:
            options["max_length"] = self._whole(node, "max_length")
        if options.get("truncate") and "max_length" not in options:
            raise self.fail(node, "truncate", "truncate: true needs max_length:")
        for key in ("reason", "if_missing"):
            if key in node:
                options[key] = str(node[key])
        if spec is not None and spec.integer:
            options["integer"] = True
            options["empty"] = None
        if options.get("integer") and "max_length" in options:
            # A length limit is about text; the number is checked by the national schema.
            raise self.fail(
                node, "max_length", f"{name}: max_length: applies to text, and {name} is a number"
            )
        if "default" in node:
            options["default"] = self._default(node, name, bool(options.get("integer")))
        options["plain"] = not any(
            options.get(k) for k in ("transforms", "extract", "date", "table", "integer")
        )
        return FieldRule(**options)

    def _copy(self, node: Any, name: str) -> str:
        """The dossier field a history rule copies: only history entries can, since the dossier is
        complete only after its own rules have run."""
        copied = node["copy"]
        if not self.in_history:
            raise self.fail(
                node, "copy", f"{name}: copy: is for history entries (it reads the mapped dossier)"
            )
        fields = {spec.name: spec for spec in self.layout.fields("HoSo")}
        spec = fields.get(copied) if isinstance(copied, str) else None
        if spec is None or spec.repeated:
            raise self.fail(node, "copy", f"{name}: copy: must name a single field of HoSo, not {copied!r}")
        return str(copied)

    def _default(self, node: Any, name: str, integer: bool) -> str | int:
        """The national value of ``default:``: a whole number for a number field, text otherwise."""
        value = node["default"]
        if integer:
            number = value if isinstance(value, int) and not isinstance(value, bool) else None
            if isinstance(value, str):
                number = whole_number(value.strip())
            if number is None:
                raise self.fail(node, "default", f"{name}: default: must be a whole number, not {value!r}")
            return number
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.fail(node, "default", f"{name}: default: must be a text (quote it), not {value!r}")
        return str(value)

    def _table(self, node: Any, name: str) -> CodeTable:
        table = node["table"]
        if isinstance(table, dict):
            return CodeTable(
                f"{name} (inline)", {table_key(k): "" if v is None else str(v) for k, v in table.items()}
            )
        found = self.tables.get(str(table))
        if found is None:
            raise self.fail(node, "table", f"unknown code table {table!r} (tables: {', '.join(self.tables)})")
        return found


def _line(node: Any, key: Any) -> int | None:
    try:
        return int(node.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError):
        try:
            return int(node.lc.line) + 1
        except AttributeError:
            return None
