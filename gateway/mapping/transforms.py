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


TRANSFORMS: Mapping[str, Callable[[str], str]] = {
    "upper": str.upper,
    "lower": str.lower,
    "digits": digits,
    "length": lambda text: str(len(text)),
    "collapse_spaces": lambda text: _SPACES.sub(" ", text),
}
