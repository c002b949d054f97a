"""Unicode normalisation of record trees: every string leaves an adapter in NFC.

For the adapters, and for anyone who builds a tree by hand (tests, the mapping layer's tools).
Provincial text arrives in three shapes that look the same on screen: precomposed (NFC), fully
decomposed (NFD, e.g. from macOS tools), and Windows-1258, whose Vietnamese letters decode to a
base letter plus a combining tone mark. Comparing codes, matching names and measuring lengths
against the national limits only work on one shape, so the gateway settles on NFC at the edge.
"""

from __future__ import annotations

import unicodedata
from typing import Any

__all__ = ["nfc", "nfc_tree"]


def nfc(text: str) -> str:
    """``text`` in Unicode normal form C."""
    # ASCII is always NFC, and str.isascii() is O(1) in CPython: most codes, dates and keys
    # skip the normaliser entirely.
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", text)


def nfc_tree(value: Any) -> Any:
    """A copy of ``value`` (dicts, lists, scalars) with every string, keys included, in NFC.

    Recursive: meant for adapter trees, whose depth is already bounded by the adapter.
    """
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, dict):
        return {nfc(key): nfc_tree(item) for key, item in value.items()}
    if isinstance(value, list):
        return [nfc_tree(item) for item in value]
    return value
