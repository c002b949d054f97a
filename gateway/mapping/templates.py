"""Composed values of the mapping language: ``template: "https://dvc.example.gov.vn{url}"``.

A template is text with placeholders, each a path of the record (``{url}``, ``{/code}``, from the
current context like any path); ``{{`` and ``}}`` stand for literal braces. It is a source of a
field's value, like ``path:``: the composed text then goes through the rule's other options
(transforms, extract, table, max_length...). A placeholder with no value (absent, null, blank)
leaves the whole template without a value, so ``default:`` and ``required:`` apply as for a
missing path: half a link is no link. A structure where a placeholder's single value belongs is a
problem with the record, said like any path's.

Both the rules (``rules.py``) and the generated fast path (``compiled.py``) call ``compose``: one
meaning, one implementation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from gateway.mapping.paths import Path, PathError, PathSyntaxError, kind_of, parse_path, resolve, scalar

_PIECE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]|[^{}]+")


class TemplateSyntaxError(ValueError):
    """A template in a mapping file is not valid; the message says why."""


class PlaceholderError(PathError):
    """A placeholder met data of another shape than one value; ``path`` is the placeholder's."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(reason)
        self.path = path


@dataclass(frozen=True)
class Template:
    """A compiled template: literal texts and placeholder paths, in order."""

    text: str
    parts: tuple[str | Path, ...]

    @property
    def paths(self) -> tuple[Path, ...]:
        return tuple(part for part in self.parts if isinstance(part, Path))

    def compose(self, context: Any, root: Any) -> str | None:
        """The composed text, or None when a placeholder has no value.

        Raises ``PlaceholderError`` when a placeholder meets a structure (or a path meets data
        it cannot follow)."""
        out: list[str] = []
        for part in self.parts:
            if type(part) is str:
                out.append(part)
                continue
            assert isinstance(part, Path)
            try:
                raw = resolve(part, context, root)
            except PathError as exc:
                raise PlaceholderError(part, str(exc)) from exc
            text = _placeholder_text(raw, part)
            if text is None:
                return None
            out.append(text)
        return "".join(out)


def _placeholder_text(raw: Any, path: Path) -> str | None:
    value = scalar(raw)
    if value is None:
        if isinstance(raw, dict) and any(not str(key).startswith("@") for key in raw):
            raise PlaceholderError(path, f"{{{path.text}}}: expected a single value, got an object")
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        raise PlaceholderError(path, f"{{{path.text}}}: expected a single value, got {kind_of(value)}")
    text = str(value).strip()
    return text or None


def parse_template(text: Any) -> Template:
    """Compile a template, or raise ``TemplateSyntaxError``."""
    if not isinstance(text, str) or not text.strip():
        raise TemplateSyntaxError("template: must be a non-empty text")
    parts: list[str | Path] = []
    for match in _PIECE.finditer(text):
        piece = match.group(0)
        if piece in ("{{", "}}"):
            parts.append(piece[0])
        elif piece in ("{", "}"):
            raise TemplateSyntaxError(
                f"template {text!r} has a lone {piece!r}; write {piece * 2} for a literal brace"
            )
        elif match.group(1) is not None:
            try:
                path = parse_path(match.group(1))
            except PathSyntaxError as exc:
                raise TemplateSyntaxError(f"template {text!r}: {exc}") from exc
            if path.fans_out:
                raise TemplateSyntaxError(
                    f"template {text!r}: placeholder {{{match.group(1)}}} must name one value, "
                    "not a list ([*] or a filter)"
                )
            parts.append(path)
        else:
            parts.append(piece)
    merged: list[str | Path] = []
    for part in parts:
        if merged and isinstance(part, str) and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    if not any(isinstance(part, Path) for part in merged):
        raise TemplateSyntaxError(f"template {text!r} has no placeholder {{path}}; a constant is value:")
    return Template(text=text, parts=tuple(merged))
