"""A mapping's rules compiled to Python functions: the hot path of translation.

The rule objects of ``rules.py`` interpret a mapping, and they are the reference: they explain
every fault of a record in words an integrator can act on. Most records have no fault, and for
them interpreting is mostly overhead (attribute look-ups, calls, option checks repeated for every
field of every record). This module generates, once per mapping, one plain function per record
type that does only what that mapping's rules need.

The generated code handles the good path only. Anything unusual (a missing required value, an
unknown code, a bad date, a structure where one value belongs, a value over its length, a failed
check, a truncation, a path meeting a list) makes it give up by raising ``Divert``, and the record
is mapped again by the interpreter, which says precisely what is wrong. Output for a record that
maps cleanly is identical either way; ``tests/mapping/test_compiled.py`` proves it on every fixture.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.mapping.dates import BadDate, DateForm, DateForms
from gateway.mapping.paths import TEXT_KEY, Path, PathError
from gateway.mapping.rules import EachRule, FieldRule, RecordRules, Run, whole_number

RecordFunction = Callable[[Any, Any, Run], dict[str, Any]]
FieldFunction = Callable[[Any, Any, Run], Any]


class Divert(Exception):
    """The generated code met something only the interpreter can explain."""


def _date(form: DateForm | DateForms, not_future: bool, text: str, run: Run) -> str:
    try:
        moment, national = form.national(text)
    except BadDate:
        raise Divert from None
    if not_future and moment > run.now + run.future_skew:
        raise Divert
    return national


def _integer(text: str) -> int:
    number = whole_number(text)
    if number is None:
        raise Divert
    return number


class _Generator:
    """Writes the source of the functions, with their constants in one namespace."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.namespace: dict[str, Any] = {
            "Divert": Divert,
            "_date": _date,
            "_integer": _integer,
            "PathError": PathError,
        }
        self.count = 0

    def constant(self, value: Any) -> str:
        self.count += 1
        name = f"C{self.count}"
        self.namespace[name] = value
        return name

    def emit(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)

    def record_function(self, rules: RecordRules) -> str:
        """Generate the function for one record type; return its name."""
        children = {
            rule.name: self.record_function(rule.fields) for rule in rules.rules if isinstance(rule, EachRule)
        }
        self.count += 1
        name = f"record_{self.count}"
        self.emit(0, f"def {name}(ctx, root, run):")
        self.emit(1, f"rec = dict({self.constant(rules.template)})")
        for list_name in rules.unmapped_lists:
            self.emit(1, f"rec[{list_name!r}] = []")
        for rule in rules.rules:
            if isinstance(rule, EachRule):
                self.each(rule, children[rule.name])
            else:
                self.field(rule, 1)
                self.emit(1, f"rec[{rule.name!r}] = v")
        self.emit(1, "return rec")
        self.emit(0, "")
        return name

    def field_function(self, rule: FieldRule) -> str:
        self.count += 1
        name = f"field_{self.count}"
        self.emit(0, f"def {name}(ctx, root, run):")
        self.field(rule, 1)
        self.emit(1, "return v")
        self.emit(0, "")
        return name

    def each_function(self, rule: EachRule) -> str:
        child = self.record_function(rule.fields)
        self.count += 1
        name = f"each_{self.count}"
        self.emit(0, f"def {name}(ctx, root, run):")
        self.emit(1, "rec = {}")
        self.each(rule, child)
        self.emit(1, f"return rec[{rule.name!r}]")
        self.emit(0, "")
        return name

    def each(self, rule: EachRule, child: str) -> None:
        items = self.constant(rule.items)
        self.emit(1, "items = []")
        self.emit(1, f"for _, item in {items}(ctx, run, ''):")
        self.emit(2, f"r = {child}(item, root, run)")
        if rule.check is not None:
            self.emit(2, f"if {self.constant(rule.check)}(r) is not None:")
            self.emit(3, "raise Divert")
        self.emit(2, "items.append(r)")
        self.emit(1, f"rec[{rule.name!r}] = items")

    def field(self, rule: FieldRule, i: int) -> None:
        """Code leaving the field's value in ``v``."""
        if rule.path is not None and rule.path.fans_out:
            # A rare shape: the interpreter's own code, whose problems divert at the end.
            self.emit(i, f"v = {self.constant(rule)}.apply(ctx, run, '')")
            return
        if rule.path is not None:
            self.resolve(rule.path, i)
        elif rule.copy is not None:
            self.emit(i, f"v = run.dossier.get({rule.copy!r})")
        elif rule.template is not None:
            # The same composition as the rules' (templates.py); a shape they explain diverts.
            self.emit(i, "try:")
            self.emit(i + 1, f"v = {self.constant(rule.template.compose)}(ctx, root)")
            self.emit(i, "except PathError:")
            self.emit(i + 1, "raise Divert from None")
        else:
            # A constant goes through the same steps as a value read from the record: a blank one
            # is no value, and max_length, check, table apply to it as they do to any other.
            self.emit(i, f"v = {self.constant(rule.value)}")
        self.convert(rule, i)

    def resolve(self, path: Path, i: int) -> None:
        self.emit(i, f"v = {'root' if path.from_root else 'ctx'}")
        for key in path.keys:
            if key == TEXT_KEY:
                self.emit(i, "if type(v) is dict:")
                self.emit(i + 1, f"v = v.get({key!r})")
                self.emit(i, "elif v is not None and type(v) is not str:")
                self.emit(i + 1, "raise Divert")
            else:
                self.emit(i, "if type(v) is dict:")
                self.emit(i + 1, f"v = v.get({key!r})")
                self.emit(i, "elif v is not None:")
                self.emit(i + 1, "raise Divert")

    def convert(self, rule: FieldRule, i: int) -> None:
        """Code turning the raw value in ``v`` into the field's value, in the interpreter's order
        (``FieldRule._convert``, ``apply``, ``_finish``): text, transforms, extract, date, table,
        integer; then no value -> default, required or empty; then max_length and check. Every
        step that can leave nothing is followed by the same test for "no value"."""
        self.emit(i, "if v is not None:")
        self.emit(i + 1, "t = type(v)")
        self.emit(i + 1, "if t is str:")
        self.emit(i + 2, "v = v.strip()")
        self.emit(i + 1, "elif t is dict and type(v.get('#text')) is str:")
        self.emit(i + 2, "v = v['#text'].strip()")
        self.emit(i + 1, "elif t is bool:")
        self.emit(i + 2, "v = 'true' if v else 'false'")
        self.emit(i + 1, "elif t is int:")
        self.emit(i + 2, "v = str(v)")
        self.emit(i + 1, "else:")
        self.emit(i + 2, "raise Divert")
        steps: list[list[str]] = []
        if rule.transforms:
            steps.append([f"v = {self.constant(transform)}(v)" for transform in rule.transforms])
        if rule.extract is not None:
            steps.append(
                [
                    f"m = {self.constant(rule.extract)}.match(v)",
                    "if m is None:",
                    "    raise Divert",
                    # A group that took no part in the match is None: no value, like "".
                    "v = (m.group(1) if m.re.groups else m.group(0)) or ''",
                ]
            )
        if rule.date is not None:
            steps.append([f"v = _date({self.constant(rule.date)}, {rule.not_future}, v, run)"])
        if rule.table is not None:
            steps.append(
                [
                    f"v = {self.constant(rule.table.entries)}.get(v)",
                    "if v is None:",
                    "    raise Divert",
                ]
            )
        # Each step runs only on a value: ``if v:`` before each, nested as the steps go.
        j = i + 1
        for step in steps:
            self.emit(j, "if v:")
            j += 1
            for line in step:
                self.emit(j, line)
        self.emit(i, "if not v:")
        if rule.default is not None and rule.max_length is None and rule.check is None:
            self.emit(i + 1, f"v = {self.constant(rule.default)}")
        elif rule.required or rule.default is not None:
            self.emit(i + 1, "raise Divert")
        else:
            self.emit(i + 1, f"v = {self.constant(rule.empty)}")
        self.emit(i, "else:")
        self.emit(i + 1, "pass")
        if rule.integer:
            self.emit(i + 1, "v = _integer(v)")
        elif rule.max_length is not None:
            # Over the limit: a rejection, or a truncation with its note; the interpreter says which.
            self.emit(i + 1, f"if len(v) > {rule.max_length}:")
            self.emit(i + 2, "raise Divert")
        if rule.check is not None:
            self.emit(i + 1, f"if {self.constant(rule.check)}(v) is not None:")
            self.emit(i + 2, "raise Divert")


def compile_record(rules: RecordRules) -> RecordFunction:
    """The generated function mapping one record of this type: ``f(context, root, run)``."""
    generator = _Generator()
    name = generator.record_function(rules)
    return _load(generator, name)  # type: ignore[no-any-return]


def compile_each(rule: EachRule) -> Callable[[Any, Any, Run], list[dict[str, Any]]]:
    """The generated function of a list rule (the history): ``f(context, root, run)``."""
    generator = _Generator()
    name = generator.each_function(rule)
    return _load(generator, name)  # type: ignore[no-any-return]


def compile_field(rule: FieldRule) -> FieldFunction:
    """The generated function of a single field rule (the revision): ``f(context, root, run)``."""
    generator = _Generator()
    name = generator.field_function(rule)
    return _load(generator, name)  # type: ignore[no-any-return]


def _load(generator: _Generator, name: str) -> Any:
    source = "\n".join(generator.lines)
    code = compile(source, f"<mapping rules {name}>", "exec")
    exec(code, generator.namespace)  # noqa: S102 - our own generated source, from a checked mapping
    return generator.namespace[name]
