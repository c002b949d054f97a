"""Reading a source file under its size cap, and pointing at a byte inside it.

Private machinery shared by the adapters: the size check that happens before a byte is loaded,
and the wording of "this byte cannot be decoded" so that every format says it the same way.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from gateway.errors import InputError, Location

# Human names for the codecs the provinces use, as an integrator would write them.
_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "cp1258": "windows-1258"}


def encoding_label(encoding: str) -> str:
    """The name to show an integrator for a Python codec name (``cp1258`` -> ``windows-1258``)."""
    name = codecs.lookup(encoding).name
    return _LABELS.get(name, name)


def too_big(size: int, max_bytes: int) -> str:
    """The reason given for a file over its size cap."""
    return f"file is {size} bytes, over the limit of {max_bytes} bytes"


def check_size(data: bytes, where: Location, max_bytes: int) -> None:
    """Refuse content already in memory that is over the cap."""
    if len(data) > max_bytes:
        raise InputError(where, too_big(len(data), max_bytes))


def read_capped(path: Path, where: Location, max_bytes: int) -> bytes:
    """The bytes of ``path``; an oversize file is refused from its ``stat``, before any read."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(where, too_big(size, max_bytes))
        with path.open("rb") as stream:
            # Read one byte past the cap: a file that grows after the stat (or a device that
            # reports size 0) is still refused without loading more than the cap.
            data = stream.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(where, f"cannot read the file: {exc.strerror or exc}") from exc
    check_size(data, where, max_bytes)
    return data


def line_at(data: bytes, offset: int) -> int:
    """The 1-based line of byte ``offset`` in ``data``."""
    return data.count(b"\n", 0, offset) + 1


def bad_byte(byte: int, offset: int, encoding: str) -> str:
    """The reason given for a byte that ``encoding`` cannot decode."""
    return f"byte 0x{byte:02X} at offset {offset} is not valid {encoding_label(encoding)}"


def undecodable(data: bytes, offset: int, encoding: str, where: Location) -> InputError:
    """The file-level error for the byte at ``offset`` of ``data`` (the whole file), which
    ``encoding`` cannot decode."""
    located = Location(where.source, where.file, line=line_at(data, offset))
    return InputError(located, bad_byte(data[offset], offset, encoding))
