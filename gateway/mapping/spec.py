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
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
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
from gateway.mapping.paths import Path, PathError, PathSyntaxError, parse_path, resolve, scalar
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
from gateway.mapping.templates import TemplateSyntaxError, parse_template
from gateway.mapping.transforms import TRANSFORMS
from gateway.packets.layout import Layout
from gateway.packets.schemas import default_layout

_TOP_KEYS = {
    "name",
    "description",
    "source",
    "timezone",
    "record_id",
    "revision",
    "tables",
    "dossier",
    "history",
}
# One step of a national field's path as schema violations name it: ``DanhSachLePhi[0]``.
_FIELD_STEP = re.compile(r"(?P<name>[^.\[\]]+)(?:\[(?P<index>[0-9]+)\])?")
# A vendor record id longer than this is cut in rejections (it is a label, not data).
_RECORD_ID_CHARS = 100
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
    "template",
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
    record_id: Path | None = None
    """``record_id:``: where the vendor's own id of a record is, shown in its rejections."""

    def record_id_of(self, tree: Tree) -> str | None:
        """The vendor's id of a record (``record_id:``), for the words of a rejection; None when
        the mapping names none or the record has none (a record's faults never hide its id)."""
        if self.record_id is None:
            return None
        try:
            value = scalar(resolve(self.record_id, tree, tree))
        except PathError:
            return None
        if value is None or isinstance(value, dict | list | bool):
            return None
        text = " ".join(str(value).split())
        return (text[: _RECORD_ID_CHARS - 1] + "…" if len(text) > _RECORD_ID_CHARS else text) or None

    def dossier_code_of(self, tree: Tree) -> str | None:
        """The dossier code (``MaHoSo``) of a record the adapter could read only in part (a
        ``BadRecord``'s ``readable``), for the words of its rejection: the mapping's own rule,
        checks included, on what was read; None when it gives no clean value."""
        rule = next((r for r in self.dossier.rules if r.name == "MaHoSo"), None)
        if not isinstance(rule, FieldRule):
            return None
        run = Run(root=tree, now=datetime.now(UTC), future_skew=timedelta(0))
        try:
            value = rule.apply(tree, run, "HoSo")
        except Exception:  # what was read of a bad record may have any shape: no code, no crash
            return None
        if run.problems or not isinstance(value, str) or not value.isprintable():
            return None
        return value or None

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

    def source_of(self, field: str) -> str | None:
        """Where the national ``field`` (``HoSo.DanhSachLePhi[0].Gia``, as a schema violation
        names it) comes from in the source record (``fees[0].amount``); None when no rule maps it
        or its value is the mapping's own (``value:``)."""
        steps = [(m["name"], m["index"]) for m in _FIELD_STEP.finditer(field)]
        rules: tuple[FieldRule | EachRule, ...]
        if steps and steps[0][0] == "HoSo":
            rules, steps = self.dossier.rules, steps[1:]
            parts: list[str] = []
        elif steps and steps[0][0] == "QuaTrinhXuLy" and self.history is not None:
            index = steps[0][1]
            parts = [self.history.each.text + (f"[{index}]" if index is not None else "")]
            rules, steps = self.history.fields.rules, steps[1:]
        else:
            return None
        for name, index in steps:
            rule = next((r for r in rules if r.name == name), None)
            if rule is None:
                return None
            if isinstance(rule, EachRule):
                if rule.each.steps:  # not "." (items made from the record itself)
                    parts.append(rule.each.text + (f"[{index}]" if index is not None else ""))
                rules = rule.fields.rules
                continue
            if rule.path is not None:
                parts.append(rule.path.text)
            elif rule.template is not None:
                parts.append(f"template {rule.template.text}")
            elif rule.copy is not None:
                return f"HoSo.{rule.copy}"
            else:
                return None
            return ".".join(parts)
        return ".".join(parts) or None

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
                    found.update(_join(prefix, rule.each, extra) for extra in rule.each.read_patterns()[1:])
                    if rule.when is not None:
                        found.add(_join(base, rule.when))
                    walk(rule.fields.rules, base)
                elif rule.path is not None:
                    found.update(_join(prefix, rule.path, p) for p in rule.path.read_patterns())
                elif rule.template is not None:
                    found.update(_join(prefix, path) for path in rule.template.paths)

        walk((self.revision, *self.dossier.rules, *([self.history] if self.history else [])), "")
        return {p.replace("[]", "") for p in found}


def _join(prefix: str, path: Path, pattern: str | None = None) -> str:
    pattern = path.pattern() if pattern is None else pattern
    if path.from_root or not prefix:
        return pattern
    return f"{prefix}.{pattern}" if pattern else prefix


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
        self.errors: list[MappingError] = []

    def fail(self, node: Any, key: Any, reason: str) -> MappingError:
        return MappingError(self.file, _line(node, key), reason)

    def compile(self, doc: Any, sha256: str) -> SourceMapping:
        """The compiled mapping, or ``MappingErrors``: every fault of the file, in line order
        (each rule, table and section is checked even after another one failed)."""
        if not isinstance(doc, dict):
            raise MappingError(
                self.file, 1, "a mapping file must be a YAML mapping (name:, source:, dossier: ...)"
            )
        with self.collecting():
            self._keys(doc, _TOP_KEYS, "the mapping", every=True)
        for key in ("name", "source", "revision", "dossier"):
            if key not in doc:
                self.errors.append(MappingError(self.file, 1, f"missing required section {key!r}"))
        if "name" in doc:
            with self.collecting():
                self._name(doc)
        if "timezone" in doc:
            with self.collecting():
                try:
                    self.zone = ZoneInfo(str(doc["timezone"]))
                except (ZoneInfoNotFoundError, ValueError) as exc:
                    raise self.fail(doc, "timezone", f"unknown time zone {doc['timezone']!r}") from exc
        self._tables(doc)
        source = revision = rules = history = record_id = None
        if "source" in doc:
            with self.collecting():
                source = self._source(doc["source"], doc)
        if "revision" in doc:
            with self.collecting():
                revision = replace(
                    self._field("revision", doc["revision"], doc, "revision", None), empty=None
                )
        if "dossier" in doc:
            with self.collecting():
                rules = self._record(doc["dossier"], "HoSo", doc, "dossier")
        self.in_history = True
        if doc.get("history") is not None:
            with self.collecting():
                history = self._each("QuaTrinhXuLy", doc["history"], doc, "history", "BuocXuLy")
        if "record_id" in doc:
            with self.collecting():
                record_id = self._record_id(doc)
        if self.errors or source is None or revision is None or rules is None:
            raise MappingErrors(self.errors)  # each part missing or wrong is among the errors
        return SourceMapping(
            record_id=record_id,
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

    @contextmanager
    def collecting(self) -> Iterator[None]:
        """Note a ``MappingError`` raised in the block and go on with the next part of the file."""
        try:
            yield
        except MappingErrors as exc:
            if not exc.noted:  # noted: already in self.errors, from a record's rules
                self.errors.extend(exc.errors)
        except MappingError as exc:
            self.errors.append(exc)

    def _name(self, doc: Any) -> None:
        """The name packets carry (``Meta.Source``, ``Meta.Mapping``) is the file's: a copied
        mapping that kept the old name would label its packets as another source's."""
        name = doc["name"]
        stem = FilePath(self.file).stem
        if not isinstance(name, str) or name != stem:
            raise self.fail(
                doc, "name", f"name: {name!r} must be the file's name {stem!r} (mappings/{stem}.yaml)"
            )

    def _tables(self, doc: Any) -> None:
        tables = doc.get("tables") or {}
        if not isinstance(tables, dict):
            self.errors.append(self.fail(doc, "tables", "tables: must map table names to code tables"))
            return
        for name, entries in tables.items():
            if not isinstance(entries, dict) or not entries:
                self.errors.append(
                    self.fail(doc["tables"], name, f"code table {name!r} must be a non-empty mapping")
                )
                entries = {}  # known, so that rules using it are not refused a second time
            self.tables[str(name)] = CodeTable(
                str(name), {table_key(k): "" if v is None else str(v) for k, v in entries.items()}
            )

    def _record_id(self, doc: Any) -> Path:
        record_id = self._path(doc, "record_id")
        if record_id.fans_out:
            raise self.fail(doc, "record_id", "record_id: must name one value, not a list ([*] or a filter)")
        return record_id

    def _keys(self, node: Any, allowed: set[str], what: str, *, every: bool = False) -> None:
        """Refuse unknown keys: the first one raised, or with ``every`` each one noted."""
        for key in node:
            if key not in allowed:
                error = self.fail(
                    node, key, f"unknown key {key!r} in {what} (allowed: {', '.join(sorted(allowed))})"
                )
                if not every:
                    raise error
                self.errors.append(error)

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
        if isinstance(node.get("encoding"), list):
            labels = node["encoding"]
            if not labels or not all(isinstance(label, str) and label.strip() for label in labels):
                raise self.fail(node, "encoding", "encoding: must be a text or a non-empty list of texts")
            for label in labels:
                try:
                    codec_for(label)
                except UnsupportedEncoding as exc:
                    raise self.fail(node, "encoding", str(exc)) from exc
            options["encoding"] = labels[0]
            if len(labels) > 1:
                options["encodings"] = tuple(labels)
        for key in ("encoding", "root_element", "record_element", "delimiter"):
            if key in options:
                continue
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
        errors = len(self.errors)
        for name, rule in node.items():
            with self.collecting():
                rules.append(self._rule(node, name, rule, specs, type_name))
        if len(self.errors) > errors:
            # Every rule of the record was checked; the caller goes on to the next part.
            raise MappingErrors(self.errors[errors:], noted=True)
        mapped = {rule.name for rule in rules}
        template = {spec.name: None if spec.integer else "" for spec in specs.values()}
        lists = tuple(spec.name for spec in specs.values() if spec.repeated and spec.name not in mapped)
        return RecordRules(rules=tuple(rules), template=template, unmapped_lists=lists)

    def _rule(
        self, node: Any, name: Any, rule: Any, specs: dict[str, Any], type_name: str
    ) -> FieldRule | EachRule:
        spec = specs.get(name)
        if spec is None:
            raise self.fail(
                node, name, f"{name!r} is not a field of {type_name} (fields: {', '.join(specs)})"
            )
        if spec.record:
            if not spec.repeated:
                raise self.fail(node, name, f"{name} is a nested record; it cannot be mapped")
            return self._each(name, rule, node, name, spec.type_name)
        if spec.repeated:
            raise self.fail(node, name, f"{name} repeats; map it with each:")
        return self._field(name, rule, node, name, spec)

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
        sources = [k for k in ("path", "value", "copy", "template") if k in node]
        if len(sources) != 1:
            raise self.fail(parent, key, f"{name}: give exactly one of path:, value:, copy:, template:")
        options: dict[str, Any] = {"name": name, "line": _line(parent, key) or 0}
        if "path" in node:
            options["path"] = self._path(node, "path")
            if options["path"].fans_out and "pick" not in node:
                raise self.fail(
                    node_for_lines,
                    "path",
                    f"{name}: a path with [*] or a [key=text] filter needs pick: first|max|min|join",
                )
        if "value" in node:
            if isinstance(node["value"], dict | list):
                raise self.fail(node, "value", f"{name}: value: must be one text or number, not a structure")
            options["value"] = node["value"]
        if "copy" in node:
            options["copy"] = self._copy(node, name)
        if "template" in node:
            try:
                options["template"] = parse_template(node["template"])
            except TemplateSyntaxError as exc:
                raise self.fail(node, "template", f"{name}: {exc}") from exc
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
                form = node["date"]
                if isinstance(form, list) and not all(isinstance(one, str) for one in form):
                    raise DateFormatError("date: must be a form or a list of forms (texts)")
                options["date"] = compile_form(form if isinstance(form, list) else str(form), self.zone)
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


class MappingErrors(MappingError):
    """Every fault of a mapping file, in line order: an integrator fixes them all in one go."""

    def __init__(self, errors: list[MappingError], *, noted: bool = False) -> None:
        ordered = sorted(errors, key=lambda e: (e.line is None, e.line or 0))
        first = ordered[0]
        super().__init__(first.file, first.line, first.reason)
        self.errors = ordered
        self.noted = noted
        # One line per fault, each naming file and line, as a single error does.
        self.args = ("\n".join(str(MappingError(e.file, e.line, e.reason)) for e in ordered),)

    def __str__(self) -> str:
        return str(self.args[0])


def _line(node: Any, key: Any) -> int | None:
    try:
        return int(node.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError):
        try:
            return int(node.lc.line) + 1
        except AttributeError:
            return None
