"""Reading legacy-csv exports: delimited text, a header row, then one row per record.

For the translate path: ``CsvAdapter`` turns one export file into ``SourceRecord`` trees, one
``{column: value}`` dict per row (header cells stripped; an empty value is None; every string in
NFC), and ``BadRecord``s. Parsing is the stdlib ``csv`` module's: quoted fields may hold the
delimiter and line breaks.

The encoding is not in the file; ``SourceFormat.encoding`` declares it (``utf-8-sig`` by default,
since Excel writes a BOM; ``cp1258`` for the oldest exports). The file is decoded with
``surrogateescape`` so that an undecodable byte spoils only its own row: that row becomes a
``BadRecord`` naming the column and the byte, and the rows around it are read as usual. A row
with a NUL byte, or with more or fewer fields than the header, is a ``BadRecord`` too. Blank
lines are skipped. Only a file that is too big, or whose header cannot be read, is refused as a
whole (``InputError``).

Columns with an empty header cell are counted (a trailing delimiter is common in spreadsheet
exports) but their values are left out of the tree, as unknown columns are ignored anyway.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gateway.adapters._files import bad_byte, check_size, read_capped
from gateway.adapters.base import (
    BadRecord,
    Provenance,
    ReadResult,
    SourceFormat,
    SourceRecord,
    Tree,
)
from gateway.adapters.text import nfc
from gateway.errors import InputError, Location

__all__ = ["CsvAdapter"]

DEFAULT_ENCODING = "utf-8-sig"
_BOM = b"\xef\xbb\xbf"
# What surrogateescape makes of an undecodable byte: U+DC80..U+DCFF, one per byte.
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


def _without_terminator(text: str) -> str:
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith(("\n", "\r")):
        return text[:-1]
    return text


@dataclass(frozen=True)
class _Row:
    """One CSV row: its fields (None if the csv module refused it, saying why in
    ``complaint``), the text of the physical lines it came from, its first line and the byte
    offset of its first byte in the file."""

    fields: list[str] | None
    complaint: str | None
    text: str
    line: int
    offset: int
    data: bytes

    @property
    def blank(self) -> bool:
        return self.fields is not None and len(self.fields) <= 1 and not "".join(self.fields).strip()

    @property
    def raw(self) -> bytes:
        """The row's bytes as in the file, without its final line terminator."""
        cut = len(self.text) - len(_without_terminator(self.text))
        return self.data[: len(self.data) - cut]


class _Rows:
    """The csv module's rows, each with the physical lines and bytes it was read from."""

    def __init__(self, text: str, delimiter: str, encoding: str, offset: int) -> None:
        # newline="" keeps line ends as written, which the csv module needs to keep line
        # breaks inside quoted fields; unlike str.splitlines it splits only on CR and LF.
        self._lines = io.StringIO(text, newline="").readlines()
        self._reader = csv.reader(self._lines, delimiter=delimiter)
        self._encoding = encoding
        self._consumed = 0
        self._offset = offset

    def __iter__(self) -> Iterator[_Row]:
        return self

    def __next__(self) -> _Row:
        fields: list[str] | None
        complaint: str | None = None
        try:
            fields = next(self._reader)
        except csv.Error as exc:
            fields, complaint = None, str(exc)
        end = self._reader.line_num
        text = "".join(self._lines[self._consumed : end])
        # Re-encoding gives back the file's bytes exactly: surrogateescape restores the
        # undecodable ones, and the codecs used here are stateless.
        data = text.encode(self._encoding, "surrogateescape")
        row = _Row(fields, complaint, text, self._consumed + 1, self._offset, data)
        self._consumed = end
        self._offset += len(data)
        return row


class CsvAdapter:
    """Reads legacy-csv export files in the declared encoding into record trees."""

    def __init__(self, source: str, fmt: SourceFormat) -> None:
        self.source = source
        self.fmt = fmt
        self.encoding = fmt.encoding or DEFAULT_ENCODING
        try:
            name = codecs.lookup(self.encoding).name
        except LookupError:
            raise ValueError(f"unknown CSV encoding {self.encoding!r}") from None
        # Re-encoding a row must not put a BOM in front of it; the BOM the decoder drops still
        # counts in byte offsets.
        self._row_encoding = "utf-8" if name == "utf-8-sig" else name
        self._drops_bom = name == "utf-8-sig"

    def read(self, path: Path) -> Iterator[ReadResult]:
        """Yield each record of the file at ``path`` (refused from its size before reading)."""
        data = read_capped(path, Location(self.source, str(path)), self.fmt.max_file_bytes)
        yield from self.read_bytes(data, file=str(path))

    def read_bytes(self, data: bytes, file: str) -> Iterator[ReadResult]:
        """Yield each record of a file's content; ``file`` names it in provenance and errors."""
        where = Location(self.source, file)
        check_size(data, where, self.fmt.max_file_bytes)
        try:
            text = data.decode(self.encoding)
            clean = "\x00" not in text
        except UnicodeDecodeError:
            text = data.decode(self.encoding, "surrogateescape")
            clean = False
        bom = len(_BOM) if self._drops_bom and data.startswith(_BOM) else 0
        rows = _Rows(text, self.fmt.delimiter, self._row_encoding, bom)
        header = self._header(rows, where)
        index = 0
        for row in rows:
            if row.blank:
                continue
            provenance = Provenance(self.source, file, index, row.line)
            index += 1
            if row.fields is None:
                yield BadRecord(provenance, f"row cannot be parsed: {row.complaint}", row.raw)
            elif len(row.fields) != len(header):
                reason = f"row has {len(row.fields)} fields, header has {len(header)}"
                yield BadRecord(provenance, reason, row.raw)
            else:
                # A file without undecodable bytes or NULs (nearly all) skips the field scan.
                problem = None if clean else self._unreadable(row.fields, header, row)
                if problem is not None:
                    yield BadRecord(provenance, problem[1], row.raw, problem[0])
                else:
                    yield SourceRecord(provenance, self._tree(header, row.fields), row.raw)

    @staticmethod
    def _tree(header: list[str], fields: list[str]) -> Tree:
        return {
            name: nfc(value) if value else None for name, value in zip(header, fields, strict=True) if name
        }

    def _header(self, rows: _Rows, where: Location) -> list[str]:
        """The column names, stripped and in NFC; an unreadable header spoils the file."""
        for row in rows:
            if row.blank:
                continue
            at = Location(where.source, where.file, line=row.line)
            if row.fields is None:
                raise InputError(at, f"header row cannot be parsed: {row.complaint}")
            # A BOM left by a plain "utf-8" declaration is no part of the first name.
            names = [nfc(cell.replace("\ufeff", "").strip()) for cell in row.fields]
            for position, name in enumerate(names, start=1):
                if "\x00" in name or _ESCAPED_BYTE.search(name):
                    raise InputError(at, f"header cell {position} has a NUL or undecodable byte")
                if name and names.index(name) != position - 1:
                    raise InputError(at, f"column {name} appears twice in the header")
            return names
        return []

    def _unreadable(self, fields: list[str], header: list[str], row: _Row) -> tuple[str, str] | None:
        """The first column of a row holding a NUL or an undecodable byte, and why."""
        for position, (name, value) in enumerate(zip(header, fields, strict=True), start=1):
            if value.isascii() and "\x00" not in value:
                continue
            column = name or f"#{position}"
            if "\x00" in value:
                return column, f"NUL byte in column {column}"
            escaped = _ESCAPED_BYTE.search(value)
            if escaped is not None:
                # Columns come in file order, so the row text's first escaped byte is this
                # column's first one.
                first = _ESCAPED_BYTE.search(row.text)
                assert first is not None
                before = row.text[: first.start()].encode(self._row_encoding, "surrogateescape")
                byte = ord(escaped.group()) - 0xDC00
                reason = bad_byte(byte, row.offset + len(before), self.encoding)
                return column, f"{reason} (column {column})"
        return None
