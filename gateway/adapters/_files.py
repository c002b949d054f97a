"""Reading a source file under its size cap, pointing at a byte inside it, and the characters
the national XML cannot carry.

Private machinery shared by the adapters: the size check that happens before a byte is loaded,
and the wording of "this byte cannot be decoded" and "this character cannot be carried" so that
every format says it the same way.
"""

from __future__ import annotations

import codecs
import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from gateway.adapters.base import ReadResult, SourceFormat
from gateway.errors import InputError, Location

# The characters an XML 1.0 document cannot hold, whatever the escaping: C0 controls other than
# tab, LF and CR, the noncharacters U+FFFE and U+FFFF, and lone surrogates (which are not even
# Unicode; surrogateescape turns an undecodable byte into one). lxml refuses to serialise them
# ("All strings must be XML compatible"), so a record holding one could never become a packet
# file. C1 controls and the other noncharacters are allowed by XML 1.0 and lxml alike.
XML_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# The longest value quoted in a reason: enough to recognise it, never a whole runaway field.
SHOWN_CHARS = 40

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


BLOCK_BYTES = 1024 * 1024
"""How much of a file a streaming adapter reads at a time."""

Cut = Callable[[bytes], int]
"""Where a block may end: the length of its longest prefix that ends on a safe boundary (after a
line break, before a tag), 0 when there is none in it yet."""


def after_last_line_break(block: bytes) -> int:
    """A ``Cut`` after the last LF: whole lines, which every allowed encoding decodes alone."""
    return block.rfind(b"\n") + 1


def after_last_ascii(block: bytes) -> int:
    """A ``Cut`` after the last ASCII byte: never inside a UTF-8 sequence."""
    end = len(block)
    while end and block[end - 1] >= 0x80:
        end -= 1
    return end


def before_last_tag(block: bytes) -> int:
    """A ``Cut`` just before the last ``<``: between two pieces of text that normalise alone."""
    return max(block.rfind(b"<"), 0)


def blocks(
    stream: BinaryIO,
    where: Location,
    max_bytes: int,
    cut: Cut,
    *,
    prefix: bytes = b"",
    size: int | None = None,
) -> Iterator[tuple[int, bytes]]:
    """The bytes of ``stream`` as ``(offset, block)`` pieces, each ending where ``cut`` allows (the
    last one at the end of the file), so that memory holds a block at a time, not the file.

    A piece grows past ``size`` only while no safe boundary is found (one very long line). The
    file is refused (``InputError``) as soon as more than ``max_bytes`` have been read; a read
    error is an ``InputError`` too. ``prefix`` holds the first bytes, already read from the stream
    (to see what kind of file it is).
    """
    size = size or BLOCK_BYTES
    carried = prefix
    offset, total = 0, len(prefix)
    if total > max_bytes:
        raise InputError(where, too_big(total, max_bytes))
    while True:
        try:
            chunk = stream.read(size)
        except OSError as exc:
            raise InputError(where, f"cannot read the file: {exc.strerror or exc}") from exc
        total += len(chunk)
        if total > max_bytes:
            raise InputError(where, too_big(total, max_bytes))
        if not chunk:
            if carried:
                yield offset, carried
            return
        data = carried + chunk if carried else chunk
        end = cut(data)
        if end == 0:
            carried = data
            continue
        yield offset, data[:end]
        offset += end
        carried = data[end:]


class FileAdapter:
    """What every adapter does the same way: remember its source and format, open a file (refused
    from its size before reading) and hand its stream to ``read_stream``, the format's own part;
    content already in memory goes the same way."""

    def __init__(self, source: str, fmt: SourceFormat) -> None:
        self.source = source
        self.fmt = fmt

    def read(self, path: Path) -> Iterator[ReadResult]:
        """Yield each record of the file at ``path`` (refused from its size before reading)."""
        where = Location(self.source, str(path))
        try:
            size = path.stat().st_size
            if size > self.fmt.max_file_bytes:
                raise InputError(where, too_big(size, self.fmt.max_file_bytes))
            stream = path.open("rb")
        except OSError as exc:
            raise InputError(where, f"cannot read the file: {exc.strerror or exc}") from exc
        with stream:
            yield from self.read_stream(stream, str(path))

    def read_bytes(self, data: bytes, file: str) -> Iterator[ReadResult]:
        """Yield each record of a file's content; ``file`` names it in provenance and errors."""
        check_size(data, Location(self.source, file), self.fmt.max_file_bytes)
        return self.read_stream(io.BytesIO(data), file)

    def read_stream(self, stream: BinaryIO, file: str) -> Iterator[ReadResult]:
        """Yield each record of a file open for reading (a file, a pipe, standard input),
        reading it a block at a time; ``file`` names it in provenance and errors."""
        raise NotImplementedError


def sniff(head: bytes) -> str | None:
    """The kind of file its first non-blank bytes show: ``xml`` (``<``), ``json`` (``[``, ``{``),
    or None (anything else, such as a CSV header)."""
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if first == b"<":
        return "xml"
    if first in (b"[", b"{"):
        return "json"
    return None


_KIND_NAMES = {"json": "a JSON", "xml": "an XML", "csv": "a CSV"}


def wrong_kind(where: Location, found: str, expected: str) -> InputError:
    """The one file error for a file of another format than the mapping reads (a wrong
    ``--source``), instead of a rejection of every record."""
    return InputError(
        where,
        f"this looks like {_KIND_NAMES[found]} file, but mapping {where.source!r} reads "
        f"{_KIND_NAMES[expected].split()[1]}: is the source (--source) right?",
    )


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


def utf8_noncharacter(data: bytes) -> bool:
    """Whether UTF-8 ``data`` holds U+FFFE or U+FFFF (EF BF BE, EF BF BF).

    A ``memchr`` for their lead byte, which is rare in Vietnamese text: far cheaper than a
    regular expression over the whole file.
    """
    lead = data.find(b"\xef")
    while lead != -1:
        if data[lead + 1 : lead + 3] in (b"\xbf\xbe", b"\xbf\xbf"):
            return True
        lead = data.find(b"\xef", lead + 1)
    return False


def not_xml_character(char: str, where: str) -> str:
    """The reason given for a character (found by ``XML_UNSAFE``) in ``where`` (a field name,
    already quoted, or a phrase such as ``a key of the record``)."""
    code = ord(char)
    if code < 0x20:
        what = "control character"
    elif 0xD800 <= code <= 0xDFFF:
        what = "unpaired surrogate"
    else:
        what = "noncharacter"
    return f"{what} U+{code:04X} in {where} cannot be carried by the national XML"


def shown(value: str, limit: int = SHOWN_CHARS) -> str:
    """``value`` in double quotes for a reason, cut to ``limit`` characters (``…`` marks the
    cut), with control characters, quotes and backslashes escaped as in JSON."""
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return json.dumps(value, ensure_ascii=False)
