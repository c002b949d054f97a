"""Field paths of the mapping language: where a value sits in a source record tree.

Syntax, as integrators write it in ``mappings/*.yaml``:

- ``applicant.identity.number``: keys separated by dots, from the current context (the record,
  or the list item inside an ``each`` rule).
- ``/code``: a leading slash starts from the record's root, even inside an ``each`` item.
- ``fees[*].paidVia``: ``[*]`` fans out over a list; the path then yields every match, and the
  rule must say how to reduce them (``pick``).
- ``fees[paid=true].paidVia``: a filter fans out like ``[*]`` over the items whose ``paid`` is
  the text after ``=`` (``true``/``false`` for JSON booleans, numbers as written); the key is one
  step (``Khoan[@DaNop=1]``), the text is compared after stripping white space.
- ``LinhVuc.@Ma``: XML attributes are keys spelled ``@name``; an element's text is ``#text``, and
  a path that stops on an element with text yields the text.
- ``.``: the context itself.

A single XML child and a repeated one look different in a tree (a dict, a list); ``[*]`` and
``each`` accept both, so a mapping need not know how many children a given file happens to have.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_STEP = re.compile(r"^(?P<key>[^.\[\]]+)(?:(?P<star>\[\*\])|\[(?P<fkey>[^.\[\]=]+)=(?P<fvalue>[^\[\]]*)\])?$")

TEXT_KEY = "#text"


class PathSyntaxError(ValueError):
    """A path string is not valid; the message says why."""


@dataclass(frozen=True)
class Step:
    key: str
    fan_out: bool
    filter: tuple[str, str] | None = None
    """``(key, text)`` of a ``[key=text]`` step: only the items whose ``key`` reads ``text``."""

    @property
    def text(self) -> str:
        if self.filter is not None:
            return f"{self.key}[{self.filter[0]}={self.filter[1]}]"
        return self.key + ("[*]" if self.fan_out else "")


@dataclass(frozen=True)
class Path:
    """A compiled path. ``text`` is what the integrator wrote, used in error messages."""

    text: str
    from_root: bool
    steps: tuple[Step, ...]
    fans_out: bool = False
    keys: tuple[str, ...] = ()

    def pattern(self) -> str:
        """The path as a coverage key: ``fees[].code`` (no root marker)."""
        return ".".join(s.key + ("[]" if s.fan_out else "") for s in self.steps)

    def read_patterns(self) -> list[str]:
        """Every coverage key the path reads: its own, and each filter's key (``fees[].paid``)."""
        found = [self.pattern()]
        for depth, step in enumerate(self.steps):
            if step.filter is not None:
                before = ".".join(s.key + ("[]" if s.fan_out else "") for s in self.steps[: depth + 1])
                found.append(f"{before}.{step.filter[0]}")
        return found


def parse_path(text: str) -> Path:
    """Compile a path string, or raise ``PathSyntaxError``."""
    if not isinstance(text, str) or not text.strip():
        raise PathSyntaxError("a path must be a non-empty string")
    body = text.strip()
    from_root = body.startswith("/")
    body = body.lstrip("/")
    if body in ("", "."):
        return Path(text=text, from_root=from_root, steps=())
    steps = []
    for part in _split_steps(body):
        match = _STEP.match(part)
        if not match:
            raise PathSyntaxError(
                f"bad path step {part!r} in {text!r} (expected name, name[*] or name[key=text])"
            )
        if match["fkey"] is not None:
            steps.append(
                Step(key=match["key"], fan_out=True, filter=(match["fkey"], match["fvalue"].strip()))
            )
        else:
            steps.append(Step(key=match["key"], fan_out=match["star"] is not None))
    return Path(
        text=text,
        from_root=from_root,
        steps=tuple(steps),
        fans_out=any(step.fan_out for step in steps),
        keys=tuple(step.key for step in steps),
    )


def _split_steps(body: str) -> list[str]:
    """The steps of a path: split on the dots outside brackets (a filter's text may hold dots)."""
    parts, depth, start = [], 0, 0
    for position, char in enumerate(body):
        if char == "[":
            depth += 1
        elif char == "]":
            depth = max(depth - 1, 0)
        elif char == "." and depth == 0:
            parts.append(body[start:position])
            start = position + 1
    parts.append(body[start:])
    return parts


def _filter_text(value: Any) -> str | None:
    """A filtered item's value as the filter compares it: text stripped, JSON booleans as
    true/false, numbers as written; None for no value or a structure."""
    value = scalar(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or isinstance(value, dict | list):
        return None
    return str(value).strip()


def as_list(value: Any) -> list[Any]:
    """A repeated value as a list: None is empty, a single value is a list of one."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def scalar(value: Any) -> Any:
    """An element-with-text dict yields its text; a bare element with only attributes, None."""
    if isinstance(value, dict):
        return value.get(TEXT_KEY)
    return value


class PathError(ValueError):
    """A path met a shape of data it cannot follow; the message says where and what was found."""


class AmbiguousPath(PathError):
    """A path without ``[*]`` met a list where it needed one value."""


class UnexpectedShape(PathError):
    """A path met a value of the wrong kind where it needed an object (``applicant: expected an
    object, got a list``)."""


def kind_of(value: Any) -> str:
    """A value's kind in an integrator's words: ``a list``, ``a string``, ``a number``..."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return f"a {type(value).__name__}"


def _step(node: Any, key: str, path: Path, depth: int) -> Any:
    """``node[key]`` where ``node`` is what the first ``depth`` steps of ``path`` reached; None when
    there is no such value, ``PathError`` when ``node`` cannot hold one."""
    if type(node) is dict:
        return node.get(key)
    if type(node) is list:
        if len(node) == 1 and type(node[0]) is dict:
            return node[0].get(key)  # a single XML child and a repeated one are read alike
        if not node:
            return None
        if len(node) > 1:
            raise AmbiguousPath(f"{path.text!r} meets {len(node)} values at {key!r}; use [*]")
    elif type(node) is str:
        if key == TEXT_KEY:
            return node  # an element without attributes is its text already
        if key.startswith("@") or not node.strip():
            return None  # an element holding only text has no attributes; a blank one, nothing
    steps = path.steps[:depth]
    where = ".".join(s.text for s in steps) if steps else "the item"
    raise UnexpectedShape(f"{where}: expected an object, got {kind_of(node)}")


def resolve(path: Path, context: Any, root: Any) -> Any:
    """Follow ``path`` from ``context`` (or ``root``). A fan-out path returns a list of matches;
    a plain path returns one value or None when any step is missing.

    Raises ``PathError`` when the data has another shape than the path expects: a list of several
    values where one belongs (``AmbiguousPath``), or a list, text, number or boolean where an
    object belongs (``UnexpectedShape``). Text where an attribute (``@Ma``) is asked for is no
    error: an XML element without attributes is read as its text.
    """
    start = root if path.from_root else context
    if path.fans_out:
        current = [start]
        for depth, step in enumerate(path.steps):
            nxt: list[Any] = []
            for node in current:
                value = _step(node, step.key, path, depth)
                if step.filter is not None:
                    key, wanted = step.filter
                    nxt.extend(
                        item
                        for item in as_list(value)
                        if _filter_text(_step(item, key, path, depth + 1)) == wanted
                    )
                elif step.fan_out:
                    nxt.extend(as_list(value))
                elif value is not None:
                    nxt.append(value)
            current = nxt
        return current
    node = start
    for depth, key in enumerate(path.keys):
        node = node.get(key) if type(node) is dict else _step(node, key, path, depth)
        if node is None:
            return None
    return node
