"""Named text transforms a mapping rule can chain (``transform: [strip, upper]``).

Each is a pure ``str -> str`` function; they run after the value is read and before code tables,
dates and checks. Values are already NFC (the adapters see to it) and stripped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

_SPACES = re.compile(r"\s+")


def digits(text: str) -> str:
    """Keep only the digits: ``"091 203-004567"`` → ``"091203004567"``."""
    return "".join(ch for ch in text if ch.isdigit())


def tax_code_branch(text: str) -> str:
    """A 13-digit tax code written as digits only gets its branch dash: ``NNNNNNNNNN-NNN``."""
    return f"{text[:10]}-{text[10:]}" if len(text) == 13 and text.isdigit() else text


TRANSFORMS: Mapping[str, Callable[[str], str]] = {
    "upper": str.upper,
    "lower": str.lower,
    "digits": digits,
    "length": lambda text: str(len(text)),
    "collapse_spaces": lambda text: _SPACES.sub(" ", text),
    "tax_code_branch": tax_code_branch,
}
