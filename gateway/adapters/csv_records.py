"""Reading legacy-csv exports: delimited text, a header row, then one row per record.

For the translate path: ``CsvAdapter`` turns one export file into ``SourceRecord`` trees, one
``{column: value}`` dict per row (header cells stripped; an empty value is None; every string in
NFC), and ``BadRecord``s. Parsing is the stdlib ``csv`` module's: quoted fields may hold the
delimiter and line breaks.

The encoding is not in the file; ``SourceFormat.encoding`` declares it (``utf-8-sig`` by default,
since Excel writes a BOM; ``cp1258`` for the oldest exports). A file that starts with a UTF-8
byte-order mark under any other declaration is refused: it is a UTF-8 file, and decoding it as
declared would garble every letter. The file is decoded with ``surrogateescape`` so that an
undecodable byte spoils only its own row: that row becomes a ``BadRecord`` naming the column and
the byte, and the rows around it are read as usual. A row with a NUL byte or another character
XML cannot carry (a C0 control other than tab, LF and CR, U+FFFE, U+FFFF: the national packet is
XML), or with more or fewer fields than the header, is a ``BadRecord`` too. Blank lines, and rows
whose cells are all empty (a line of delimiters, as spreadsheets export), are skipped.

A quoted field whose quote is never closed runs to the end of the file: the csv module (not
strict) would return the rest of the file as one field and the rows in it would vanish. That row
is a ``BadRecord`` saying on which line the quote opens and how many lines to the end of the file
cannot be split into rows; its bytes are all of them, so nothing is lost without a word.

A file that is too big, has no header row (empty, or only blank lines), a header that cannot be
read, a header of one column that holds another delimiter (a comma- or tab-separated file), or no
record after its header is refused as a whole (``InputError``): a file that yields nothing must
say so, never pass as an export of zero records.

A mapping may list several encodings (``encoding: [utf-8-sig, cp1258]``): each file is read in
the first that decodes it whole (``gateway.adapters._guess`` says how a UTF-8 file with a bad
byte is told from a Windows-1258 one).

The declared encoding must be on the allow-list of ``gateway.adapters.encodings`` (UTF-8, UTF-8
with BOM, windows-1258).

Columns with an empty header cell are counted (a trailing delimiter is common in spreadsheet
exports) but their values are left out of the tree, as unknown columns are ignored anyway.
"""

from __future__ import annotations

import csv
import io
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import BinaryIO

from gateway.adapters._files import (
    BLOCK_BYTES,
    SHOWN_CHARS,
    XML_UNSAFE,
    FileAdapter,
    after_last_line_break,
    bad_byte,
    blocks,
    encoding_label,
    not_xml_character,
    shown,
    sniff,
    utf8_noncharacter,
    wrong_kind,
)
from gateway.adapters._guess import choose_encoding, seekable
from gateway.adapters.base import (
    BadRecord,
    Provenance,
    ReadResult,
    SourceFormat,
    SourceRecord,
    Tree,
)
from gateway.adapters.encodings import codec_for
from gateway.adapters.text import nfc
from gateway.errors import InputError, Location

__all__ = ["CsvAdapter"]

DEFAULT_ENCODING = "utf-8-sig"
_BOM = b"\xef\xbb\xbf"
# What surrogateescape makes of an undecodable byte: U+DC80..U+DCFF, one per byte.
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
# The bytes of the C0 controls XML cannot carry. In the codecs of ``_BYTE_CHECKED`` such a byte is
# such a character and nothing else is, so the file's bytes can be checked at C speed (``translate``
# with ``delete``) instead of its text with a regular expression.
_C0_BYTES = bytes(b for b in range(0x20) if b not in b"\t\n\r")
_BYTE_CHECKED = frozenset({"utf-8", "utf-8-sig", "cp1258"})
_UTF8 = frozenset({"utf-8", "utf-8-sig"})
# Other delimiters a one-column header may hold when the file is not in this dialect.
_OTHER_DELIMITERS = (",", "\t", ";", "|")
_QUOTE = '"'


def _without_terminator(text: str) -> str:
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith(("\n", "\r")):
        return text[:-1]
    return text


def _unclosed_quote(text: str, pos: int, field_end: re.Pattern[str]) -> tuple[int, int] | None:
    """Where the record starting at ``text[pos]`` opens a quoted field that is never closed:
    the offset of the quote in ``text`` and the 0-based index of the field; None if the record
    ends.

    The csv module's own reading (default dialect, not strict), jumping from quote to quote and
    from delimiter to delimiter (``field_end`` finds the delimiter or a line break) rather than
    going character by character: a runaway field is as long as the rest of the file. It reads
    one record only, so it costs no more than that record.
    """
    field, length = 0, len(text)
    while pos < length:
        if text[pos] == _QUOTE:
            opened = pos
            pos += 1
            while True:
                close = text.find(_QUOTE, pos)
                if close == -1:
                    return opened, field
                pos = close + 1
                if not text.startswith(_QUOTE, pos):
                    break
                pos += 1  # a doubled quote stands for one
            # After the closing quote, anything up to the next delimiter joins the field.
        end = field_end.search(text, pos)
        if end is None or end.group() in "\r\n":
            return None
        field += 1
        pos = end.end()
    return None


@dataclass(frozen=True)
class _Unclosed:
    """A quoted field never closed: the line its quote is on, its field index, how it starts,
    and the last line of the file, which it runs to."""

    line: int
    field: int
    start: str
    last_line: int

    def reason(self) -> str:
        lines = self.last_line - self.line + 1
        head = f" (starting {shown(self.start)})" if self.start else ""
        if lines == 1:
            return f"quoted field opened on line {self.line}{head} is never closed: the file ends there"
        return (
            f"quoted field opened on line {self.line}{head} is never closed: it runs to the end of "
            f"the file, so lines {self.line} to {self.last_line} ({lines} lines) cannot be split into rows"
        )


@dataclass(slots=True)
class _Row:
    """One CSV row: its fields (None if the csv module refused it, saying why in
    ``complaint``), the text of the physical lines it came from, its first line and the byte
    offset of its first byte in the file; ``unclosed`` when a quoted field in it is never
    closed (then the row runs to the end of the file).

    Not frozen: one is made per row, and a frozen dataclass pays ``object.__setattr__`` for
    each field."""

    fields: list[str] | None
    complaint: str | None
    text: str
    line: int
    offset: int
    data: bytes
    unclosed: _Unclosed | None = None

    @property
    def blank(self) -> bool:
        """A blank line, or a row whose cells are all empty or white space."""
        fields = self.fields
        if fields is None or self.unclosed is not None:
            return False
        if fields and fields[0] and not fields[0].isspace():
            return False  # most rows: a dossier code in the first cell settles it
        return not "".join(fields).strip()

    @property
    def raw(self) -> bytes:
        """The row's bytes as in the file, without its final line terminator."""
        cut = len(self.text) - len(_without_terminator(self.text))
        return self.data[: len(self.data) - cut]


class _Rows:
    """The csv module's rows, each with the physical lines and bytes it was read from, read from
    the file a block of whole lines at a time (a line break is one byte, LF, in every allowed
    encoding, so each block decodes alone).

    ``clean`` stays True while no block read holds an undecodable byte or a character XML cannot
    carry: then no row needs its fields scanned. ``any_text`` and ``any_visible`` say whether the
    file held anything but a BOM, and anything but white space (for the "no header" error).
    """

    def __init__(self, pieces: Iterator[tuple[int, bytes]], adapter: CsvAdapter, offset: int) -> None:
        self._pieces = pieces
        self._adapter = adapter
        self._field_end = re.compile(f"[{re.escape(adapter.fmt.delimiter)}\r\n]")
        self._encoding = adapter._row_encoding
        # Lines handed to the csv module and not yet part of a row returned: ``_given[0]`` is
        # line ``_consumed + 1``. ``_pending``: lines decoded and not yet handed over.
        self._given: list[str] = []
        self._pending: deque[str] = deque()
        # newline="" keeps line ends as written, which the csv module needs to keep line
        # breaks inside quoted fields; unlike str.splitlines it splits only on CR and LF.
        self._reader = csv.reader(self._feed(), delimiter=adapter.fmt.delimiter)
        self._exhausted = False
        self._consumed = 0
        self._offset = offset
        self._done = False
        self.clean = True
        self.any_text = False
        self.any_visible = False

    def _read_piece(self) -> bool:
        piece = next(self._pieces, None)
        if piece is None:
            self._exhausted = True
            return False
        offset, data = piece
        adapter = self._adapter
        codec = adapter.encoding if offset == 0 else adapter._row_encoding
        try:
            text = data.decode(codec)
            self.clean = self.clean and adapter._carriable(data, text)
        except UnicodeDecodeError:
            text = data.decode(codec, "surrogateescape")
            self.clean = False
        if not self.any_visible:
            self.any_text = self.any_text or bool(text.strip("\ufeff"))
            self.any_visible = bool(text.replace("\ufeff", "").strip())
        self._pending.extend(io.StringIO(text, newline="").readlines())
        return True

    def _feed(self) -> Iterator[str]:
        while True:
            while not self._pending:
                if not self._read_piece():
                    return
            line = self._pending.popleft()
            self._given.append(line)
            yield line

    def __iter__(self) -> Iterator[_Row]:
        return self

    def __next__(self) -> _Row:
        if self._done:
            raise StopIteration
        fields: list[str] | None
        complaint: str | None = None
        unclosed: tuple[int, int] | None = None
        try:
            fields = next(self._reader)
        except csv.Error as exc:
            fields, complaint = None, str(exc)
        end = self._reader.line_num
        taken = end - self._consumed
        text = "".join(self._given[:taken])
        rest: list[str] = []
        if (fields is None or self._exhausted) and _QUOTE in text:
            # Only the row that reaches the end of the file can hold a quote never closed; or
            # one the reader gave up on before, when the field outgrew the csv module's limit.
            while self._read_piece():
                pass
            rest = self._given + list(self._pending)
            unclosed = _unclosed_quote("".join(rest), 0, self._field_end)
        problem = None
        if unclosed is not None:
            self._done = True
            end = self._consumed + len(rest)
            text = "".join(rest)
            problem = self._unclosed(rest, text, unclosed[0], unclosed[1])
            taken = len(rest)
        # Re-encoding gives back the file's bytes exactly: surrogateescape restores the
        # undecodable ones, and the codecs used here are stateless.
        data = text.encode(self._encoding, "surrogateescape")
        row = _Row(fields, complaint, text, self._consumed + 1, self._offset, data, problem)
        del self._given[:taken]
        self._consumed = end
        self._offset += len(data)
        return row

    def _unclosed(self, lines: list[str], text: str, offset: int, field: int) -> _Unclosed:
        """The never-closed quote at ``offset`` of the row ``text`` (its ``lines`` to the end of
        the file)."""
        line, seen = self._consumed + 1, 0
        for physical in lines:
            if seen + len(physical) > offset:
                break
            seen += len(physical)
            line += 1
        start = text[offset + 1 : offset + 1 + 2 * SHOWN_CHARS].splitlines()
        return _Unclosed(line, field, start[0] if start else "", self._consumed + len(lines))


class CsvAdapter(FileAdapter):
    """Reads legacy-csv export files in the declared encoding into record trees."""

    def __init__(self, source: str, fmt: SourceFormat) -> None:
        super().__init__(source, fmt)
        self.encoding = fmt.encoding or DEFAULT_ENCODING
        # The allow-list, not Python's codec registry: see gateway.adapters.encodings.
        name = codec_for(self.encoding)
        # Re-encoding a row must not put a BOM in front of it; the BOM the decoder drops still
        # counts in byte offsets.
        self._row_encoding = "utf-8" if name == "utf-8-sig" else name
        self._drops_bom = name == "utf-8-sig"
        self._utf8 = name in _UTF8
        self._bytes_checked = name in _BYTE_CHECKED

    def read_stream(self, stream: BinaryIO, file: str) -> Iterator[ReadResult]:
        """Yield each record of an open file, a block of lines at a time; ``file`` names it in
        provenance and errors."""
        where = Location(self.source, file)
        if len(self.fmt.encodings) > 1:
            with seekable(stream, where, self.fmt.max_file_bytes) as readable:
                label = choose_encoding(readable, self.fmt.encodings)
                chosen = CsvAdapter(self.source, replace(self.fmt, encoding=label, encodings=()))
                yield from chosen.read_stream(readable, file)
            return
        head = stream.read(BLOCK_BYTES)
        if head.startswith(_BOM) and not self._utf8:
            at = Location(self.source, file, line=1)
            label = encoding_label(self.encoding)
            raise InputError(at, f"file starts with a UTF-8 byte-order mark but the mapping declares {label}")
        kind = sniff(head[:64])
        if kind is not None:
            raise wrong_kind(where, kind, "csv")
        bom = len(_BOM) if self._drops_bom and head.startswith(_BOM) else 0
        pieces = blocks(stream, where, self.fmt.max_file_bytes, after_last_line_break, prefix=head)
        rows = _Rows(pieces, self, bom)
        header = self._header(rows, where)
        index = 0
        for row in rows:
            if row.blank:
                continue
            provenance = Provenance(self.source, file, index, row.line)
            index += 1
            if row.unclosed is not None:
                column = row.unclosed.field
                name = (header[column] or None) if column < len(header) else None
                yield BadRecord(provenance, row.unclosed.reason(), row.raw, name)
            elif row.fields is None:
                yield BadRecord(provenance, f"row cannot be parsed: {row.complaint}", row.raw)
            elif len(row.fields) != len(header):
                reason = f"row has {len(row.fields)} fields, header has {len(header)}"
                yield BadRecord(provenance, reason, row.raw)
            else:
                # A file without undecodable bytes or characters XML cannot carry (nearly all)
                # skips the field scan.
                problem = None if rows.clean else self._unreadable(row.fields, header, row)
                if problem is not None:
                    cells = self._tree(header, row.fields)
                    yield BadRecord(provenance, problem[1], row.raw, problem[0], cells)
                else:
                    yield SourceRecord(provenance, self._tree(header, row.fields), row.raw)
        if index == 0:
            raise InputError(where, "no records: the file holds a header row and nothing else")

    def _carriable(self, data: bytes, text: str) -> bool:
        """Whether the whole file is free of characters XML cannot carry (NUL included): then
        no row needs its fields scanned. One pass over the bytes where the codec allows it."""
        if not self._bytes_checked:
            return XML_UNSAFE.search(text) is None
        if len(data.translate(None, _C0_BYTES)) != len(data):
            return False
        return not (self._utf8 and utf8_noncharacter(data))

    @staticmethod
    def _tree(header: list[str], fields: list[str]) -> Tree:
        return {
            name: nfc(value) if value else None for name, value in zip(header, fields, strict=True) if name
        }

    def _header(self, rows: _Rows, where: Location) -> list[str]:
        """The column names, stripped and in NFC; a missing or unreadable header, or one that
        is not this dialect's, spoils the file."""
        for row in rows:
            if row.blank:
                continue
            at = Location(where.source, where.file, line=row.line)
            if row.unclosed is not None:
                raise InputError(at, f"header row cannot be read: {row.unclosed.reason()}")
            if row.fields is None:
                raise InputError(at, f"header row cannot be parsed: {row.complaint}")
            # A BOM left by a plain "utf-8" declaration is no part of the first name.
            cells = [cell.replace("\ufeff", "") for cell in row.fields]
            for position, cell in enumerate(cells, start=1):
                if "\x00" in cell or _ESCAPED_BYTE.search(cell):
                    # Also what a file in another encoding (UTF-16) looks like: said first.
                    raise InputError(at, f"header cell {position} has a NUL or undecodable byte")
                found = XML_UNSAFE.search(cell)
                if found is not None:
                    raise InputError(at, not_xml_character(found.group(), f"header cell {position}"))
            self._check_delimiter(cells, at)
            names = [nfc(cell.strip()) for cell in cells]
            for position, name in enumerate(names, start=1):
                if name and names.index(name) != position - 1:
                    raise InputError(at, f"column {name} appears twice in the header")
            return names
        if not rows.any_text:
            what = "the file is empty"
        elif not rows.any_visible:
            what = "the file has only blank lines"
        else:
            what = "every row of the file is empty"
        raise InputError(where, f"no header row: {what}")

    def _check_delimiter(self, cells: list[str], at: Location) -> None:
        """Refuse a header of one column that holds another delimiter: the file is not in this
        dialect (a comma- or tab-separated export), and every row would be one field."""
        if len(cells) != 1:
            return
        counts = {other: cells[0].count(other) for other in _OTHER_DELIMITERS if other != self.fmt.delimiter}
        other = max(counts, key=counts.__getitem__) if counts else None
        if other is None or not counts[other]:
            return
        raise InputError(
            at,
            f"header has one column {shown(cells[0])}; the delimiter is {shown(self.fmt.delimiter)}, "
            f"but the header is separated by {shown(other)}",
        )

    def _unreadable(self, fields: list[str], header: list[str], row: _Row) -> tuple[str, str] | None:
        """The first column of a row holding a NUL, an undecodable byte or another character
        XML cannot carry, and why."""
        for position, (name, value) in enumerate(zip(header, fields, strict=True), start=1):
            found = XML_UNSAFE.search(value)
            if found is None:
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
            return column, not_xml_character(found.group(), f"column {column}")
        return None
