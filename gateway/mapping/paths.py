"""Field paths of the mapping language: where a value sits in a source record tree.

Syntax, as integrators write it in ``mappings/*.yaml``:

- ``applicant.identity.number``: keys separated by dots, from the current context (the record,
  or the list item inside an ``each`` rule).
- ``/code``: a leading slash starts from the record's root, even inside an ``each`` item.
- ``fees[*].paidVia``: ``[*]`` fans out over a list; the path then yields every match, and the
  rule must say how to reduce them (``pick``).
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

_STEP = re.compile(r"^(?P<key>[^.\[\]]+)(?P<star>\[\*\])?$")

TEXT_KEY = "#text"


class PathSyntaxError(ValueError):
    """A path string is not valid; the message says why."""


@dataclass(frozen=True)
class Step:
    key: str
    fan_out: bool


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
    for part in body.split("."):
        match = _STEP.match(part)
        if not match:
            raise PathSyntaxError(f"bad path step {part!r} in {text!r} (expected name or name[*])")
        steps.append(Step(key=match["key"], fan_out=match["star"] is not None))
    return Path(
        text=text,
        from_root=from_root,
        steps=tuple(steps),
        fans_out=any(step.fan_out for step in steps),
        keys=tuple(step.key for step in steps),
    )


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


class AmbiguousPath(ValueError):
    """A path without ``[*]`` met a list where it needed one value."""


def resolve(path: Path, context: Any, root: Any) -> Any:
    """Follow ``path`` from ``context`` (or ``root``). A fan-out path returns a list of matches;
    a plain path returns one value or None when any step is missing."""
    if path.fans_out:
        current = [root if path.from_root else context]
        for step in path.steps:
            nxt: list[Any] = []
            for node in current:
                value = node.get(step.key) if isinstance(node, dict) else None
                if step.fan_out:
                    nxt.extend(as_list(value))
                elif value is not None:
                    nxt.append(value)
            current = nxt
        return current
    node = root if path.from_root else context
    for key in path.keys:
        if key == TEXT_KEY and type(node) is str:
            return node  # an element without attributes is its text already
        if type(node) is not dict:
            if isinstance(node, list) and len(node) == 1:
                node = node[0]
            elif isinstance(node, list):
                raise AmbiguousPath(f"{path.text!r} meets {len(node)} values at {key!r}; use [*]")
            else:
                return None
        node = node.get(key)
        if node is None:
            return None
    return node
