"""HTML for the console, built so that every value is escaped unless it is markup the console made.

The console has no template engine (Jinja2 is not a dependency): pages are Python functions that
fill small templates with ``html(template, name=value)``. A value is escaped (``html.escape``,
quotes included, so it is safe in text and in quoted attributes alike) unless it is ``Markup``:
HTML the console built itself, the result of ``html`` or ``join``. Dossier codes, a portal's reason,
a packet, an original record's bytes and a source file name all come from outside and are treated
as hostile.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape


class Markup(str):
    """Text that is HTML already (built by this module): inserted as it is."""

    __slots__ = ()


def esc(value: object) -> Markup:
    """``value`` as HTML: itself if it is ``Markup``, else its text escaped (``None``: empty)."""
    if isinstance(value, Markup):
        return value
    return Markup(escape("" if value is None else str(value), quote=True))


def html(template: str, /, **values: object) -> Markup:
    """``template`` (``str.format`` fields by name) filled with ``values``, each escaped by ``esc``.

    Templates are the console's own literals; only the values come from elsewhere.
    """
    return Markup(template.format_map({name: esc(value) for name, value in values.items()}))


def join(parts: Iterable[object], separator: str = "") -> Markup:
    """The parts, each escaped unless ``Markup``, joined by ``separator`` (markup)."""
    return Markup(separator.join(esc(part) for part in parts))
