"""The text encodings provincial exports may use: an allow-list, not whatever Python can decode.

For the adapters (an XML prolog's ``encoding=``) and the mapping loader (a CSV mapping's
``encoding:``). Python's codec registry holds far more than text encodings: ``rot13``, ``base64``
and ``unicode_escape`` are codecs too, and would crash a reader or silently garble a file;
``utf-7`` decodes a file of ASCII bytes as something other than what its author meant. The
provinces' exports use exactly the encodings docs/sources.md lists, so only their labels are
accepted, spelled as integrators and XML prologs spell them (case and ``-``/``_`` aside):

- UTF-8: ``UTF-8``, ``utf8``;
- UTF-8 with a byte-order mark (Excel's CSV): ``utf-8-sig``;
- Windows-1258: ``windows-1258``, ``cp1258``.
"""

from __future__ import annotations

__all__ = ["SUPPORTED", "UnsupportedEncoding", "codec_for", "describe_supported"]

# Label, normalised (lower case, "_" as "-"), -> the Python codec that decodes it.
_CODECS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "windows-1258": "cp1258",
    "cp1258": "cp1258",
}

SUPPORTED: frozenset[str] = frozenset(_CODECS.values())
"""The Python codec names an adapter may be handed."""


class UnsupportedEncoding(ValueError):
    """An encoding label outside the allow-list; the message lists what is accepted."""

    def __init__(self, label: str) -> None:
        super().__init__(f"encoding {label!r} is not supported ({describe_supported()})")
        self.label = label


def describe_supported() -> str:
    """The accepted encodings, in words for an integrator."""
    return "supported: UTF-8, UTF-8 with BOM (utf-8-sig), windows-1258 (cp1258)"


def codec_for(label: str) -> str:
    """The Python codec for an encoding label, or ``UnsupportedEncoding``."""
    codec = _CODECS.get(label.strip().lower().replace("_", "-"))
    if codec is None:
        raise UnsupportedEncoding(label)
    return codec
