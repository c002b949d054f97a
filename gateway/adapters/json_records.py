"""Reading igate-json exports: a JSON array of records, or NDJSON with one record per line.

For the translate path: ``JsonAdapter`` turns one export file into ``SourceRecord`` trees (every
string in NFC) and ``BadRecord``s. The file is NDJSON when its name ends in ``.ndjson`` (or
``.jsonl``); otherwise it is one JSON array when its first non-blank byte is ``[``, and one
record when it is ``{`` and the whole file is that one JSON object (a record exported alone,
pretty-printed over many lines); anything else is NDJSON. A file with nothing but white space,
and an empty array, are refused: they hold no record, which is never what an export means.

The input is hostile until proven otherwise, so on top of plain JSON:

- the file size is capped before anything is parsed;
- the text must be UTF-8 (a BOM is tolerated); a bad byte is reported with its file offset;
- a duplicate key makes the record bad: the stdlib would silently keep the last value;
- ``NaN``, ``Infinity`` and ``-Infinity`` make the record bad: they are not JSON; so does an
  integer of more digits than Python converts (``sys.get_int_max_str_digits``), which would
  otherwise stop the decoder as if the text were not JSON;
- nesting deeper than ``SourceFormat.max_depth`` makes the record bad, and so does nesting so
  deep that the decoder gives up (CPython's ``RecursionError``, caught here, never passed on);
- a raw NUL byte is not JSON and is reported as such;
- a string (or key) holding a character that XML 1.0 cannot carry makes the record bad, naming
  the field and the code point: a C0 control other than tab, LF and CR (JSON lets them in as
  ``\u0001`` escapes), U+FFFE, U+FFFF, or an unpaired surrogate escape. The national packet is
  XML: such a record would be accepted here and crash every later stage.

In NDJSON every line stands alone: a bad line becomes a ``BadRecord`` and reading goes on. In an
array, an item that parses but breaks a rule, or is not an object, becomes a ``BadRecord``; an
array that does not parse cannot be resynchronised, so it is a file-level ``InputError``.

Records are streamed, not collected: holding a whole file's trees costs memory and, through the
cyclic garbage collector, more time than the parsing itself. So a syntax error in the middle of
an array is raised after the records before it have been yielded; the consumer must treat the
file as refused. The common case, a truncated file (an upload cut short), is caught before the
first record: an array that does not end in ``]`` is refused at once.

The stdlib decoder is used rather than orjson because only its hooks see duplicate keys and
non-finite numbers while parsing.
"""

from __future__ import annotations

import io
import json
import math
import re
import sys
import unicodedata
from collections.abc import Generator, Iterator
from typing import Any, BinaryIO

from gateway.adapters._files import (
    BLOCK_BYTES,
    XML_UNSAFE,
    FileAdapter,
    after_last_ascii,
    after_last_line_break,
    bad_byte,
    blocks,
    check_size,
    line_at,
    not_xml_character,
    shown,
    sniff,
    utf8_noncharacter,
    wrong_kind,
)
from gateway.adapters.base import (
    BadRecord,
    Provenance,
    ReadResult,
    SourceRecord,
    Tree,
)
from gateway.adapters.text import nfc
from gateway.errors import InputError, Location

__all__ = ["JsonAdapter"]

_BOM = b"\xef\xbb\xbf"
_NDJSON_SUFFIXES = (".ndjson", ".jsonl")
# JSON's own four whitespace characters; str.isspace() would accept more than the grammar does.
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_LEADING_WHITESPACE = re.compile(rb"[ \t\n\r]*")
# What lets a character XML cannot carry into a decoded string. Raw C0 controls cannot: the
# decoder refuses them inside strings, and only JSON's white space is allowed outside. Escapes
# of C0 controls other than \t \n \r, and raw U+FFFE / U+FFFF, can. Escapes of surrogates and of
# U+FFFE / U+FFFF produce non-ASCII strings, which the walk in ``_normalized`` checks anyway
# (such a record holds a \u escape, so it is walked). Searched for once per file in its bytes,
# then, in a file where one was found, per record in its text; the walk over the record's tree
# (``_uncarriable``) is the exact test.
_C0_ESCAPE = re.compile(rb"\\u00(?:0[0-8bBcCeEfF]|1)")
_C0_ESCAPE_TEXT = re.compile(r"\\u00(?:0[0-8bBcCeEfF]|1)")
_U_ESCAPE = re.compile(rb"\\u")  # a literal: the regex engine's prefix search beats bytes.find
# What ``_scan`` found in a file: flags.
_ESCAPES = 1  # an escape of a C0 control XML cannot carry
_NONCHARACTERS = 2  # a raw U+FFFE or U+FFFF
_U_ESCAPES = 4  # any \u escape (then records are checked for NFC one by one)
_SUSPECT = _ESCAPES | _NONCHARACTERS
_EMPTY = "file is empty: no records"
# Python refuses to convert longer digit strings (CVE-2020-10735); a sign does not count.
_MAX_INT_DIGITS = sys.get_int_max_str_digits() or 4300


class _NotCarried(Exception):
    """A string holds a character XML cannot carry; ``_uncarriable`` says which and where."""


class _Refused(Exception):
    """A record breaks a rule: ``reason``, and the offending ``field`` when it is known."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


def _too_deep(max_depth: int) -> _Refused:
    return _Refused(f"nesting deeper than {max_depth} levels")


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def _deeper_than(record: Tree, limit: int) -> bool:
    """Whether containers nest more than ``limit`` levels, the record itself being level 1.

    Iterative, so that checking a hostile tree cannot itself exhaust the stack.
    """
    stack: list[tuple[Any, int]] = [(record, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
    return False


def _scan(data: bytes) -> int:
    """What a file's bytes hold, as flags: ``_ESCAPES`` and ``_NONCHARACTERS``, what may put a
    character XML cannot carry into a string past the decoder, and ``_U_ESCAPES``.

    Nearly free on a clean file: a file without a backslash cannot hold an escape (one C
    ``memchr``), and U+FFFE and U+FFFF are found from their rare lead byte. A file with
    backslashes but no \\u escape (quotes, line breaks) pays one search, which spares every
    record its own (see ``_RecordDecoder.check``).
    """
    found = 0
    if data.find(b"\\") != -1:
        u_escape = _U_ESCAPE.search(data)
        if u_escape is not None:
            found |= _U_ESCAPES
            if _C0_ESCAPE.search(data, u_escape.start()) is not None:
                found |= _ESCAPES
    if utf8_noncharacter(data):
        found |= _NONCHARACTERS
    return found


def _may_hold_uncarriable(text: str, start: int, end: int, scanned: int) -> bool:
    """``_scan`` for one record, ``text[start:end]``, in a file where it found something:
    searches with a literal start, the cheapest first, rather than a regular expression with a
    character class, which would go character by character."""
    if (
        scanned & _ESCAPES
        and text.find("\\", start, end) != -1
        and _C0_ESCAPE_TEXT.search(text, start, end) is not None
    ):
        return True
    return bool(scanned & _NONCHARACTERS) and (
        text.find("\ufffe", start, end) != -1 or text.find("\uffff", start, end) != -1
    )


def _uncarriable(record: Tree) -> _Refused | None:
    """The problem with the first string or key of ``record`` (in document order) that holds a
    character XML cannot carry, naming its field (``applicant.fullName``, ``fees[0].name``).

    Recursive: it runs after the depth check, so the depth is bounded.
    """

    def walk(value: Any, path: str) -> _Refused | None:
        if isinstance(value, str):
            found = XML_UNSAFE.search(value)
            if found is None:
                return None
            return _Refused(not_xml_character(found.group(), shown(nfc(path))), nfc(path))
        if isinstance(value, dict):
            for key, item in value.items():
                found = XML_UNSAFE.search(key)
                if found is not None:
                    where = f"a key of {shown(nfc(path))}" if path else "a key of the record"
                    return _Refused(not_xml_character(found.group(), where), nfc(path) or None)
                problem = walk(item, f"{path}.{key}" if path else key)
                if problem is not None:
                    return problem
        elif isinstance(value, list):
            for position, item in enumerate(value):
                problem = walk(item, f"{path}[{position}]")
                if problem is not None:
                    return problem
        return None

    return walk(record, "")


def _is_nfc(text: str) -> bool:
    return text.isascii() or unicodedata.is_normalized("NFC", text)


def _normalized(value: Any) -> Any:
    """A copy of a decoded value with every string, keys included, in NFC.

    For the records whose text does not already prove it (see ``_RecordDecoder.check``).
    Recursive: it runs after the depth check, so the depth is bounded.
    """
    if isinstance(value, str):
        if value.isascii():
            return value
        # isprintable() is a quick test (C, no regular expression): false for every character
        # XML cannot carry, and for few others (line breaks, no-break spaces, format marks).
        if not value.isprintable() and XML_UNSAFE.search(value):
            # An unpaired surrogate (only a \uD800-style escape can produce one) or an escaped
            # U+FFFE / U+FFFF: the caller finds which, and where.
            raise _NotCarried
        return nfc(value)
    if isinstance(value, dict):
        normalized: dict[str, Any] = {}
        for key, item in value.items():
            name = _normalized(key)
            if name in normalized:
                raise _Refused(f'duplicate key "{name}" (after Unicode normalisation)', name)
            normalized[name] = _normalized(item)
        return normalized
    if isinstance(value, list):
        return [_normalized(item) for item in value]
    return value


class _RecordDecoder:
    """The stdlib decoder with the hostile-input hooks.

    Hooks cannot stop the decoder without losing track of where the record ends, so they note
    problems instead of raising; ``check`` turns the first one into a ``_Refused``. The object
    hook is as small as it can be (it runs for every object): building the dict from the pairs
    and comparing sizes finds a duplicate key at C speed.
    """

    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth
        self._problems: list[_Refused] = []
        self._decoder = json.JSONDecoder(
            object_pairs_hook=self._object,
            parse_constant=self._constant,
            parse_float=self._float,
            parse_int=self._int,
        )

    def parse(self, text: str, pos: int) -> tuple[Any, int]:
        """The JSON value starting at ``text[pos]`` and the index just past it.

        Raises ``ValueError`` (usually ``json.JSONDecodeError``) when the text is not JSON, and
        ``_Refused`` when it nests too deep for the decoder to follow.
        """
        self._problems.clear()
        try:
            return self._decoder.raw_decode(text, pos)
        except RecursionError:
            raise _too_deep(self.max_depth) from None

    def check(self, value: Any, text: str, start: int, end: int, nfc_text: bool | None, scanned: int) -> Tree:
        """``value``, decoded from ``text[start:end]``, as a record tree, or ``_Refused``.

        ``nfc_text`` says whether the text is known to be in NFC (None: find out); ``scanned``
        is what ``_scan`` found in the file.
        """
        if self._problems:
            raise self._problems[0]
        if not isinstance(value, dict):
            raise _Refused(f"record is a JSON {_kind(value)}, expected an object")
        # Counting brackets is a C-speed upper bound on the depth; only a record that could be
        # too deep pays for the walk.
        openers = text.count("{", start, end) + text.count("[", start, end)
        if openers > self.max_depth and _deeper_than(value, self.max_depth):
            raise _too_deep(self.max_depth)
        if scanned & _SUSPECT and _may_hold_uncarriable(text, start, end, scanned):
            problem = _uncarriable(value)
            if problem is not None:
                raise problem
        # The decoder copies string content from the text unchanged except for escapes, and the
        # short escapes (\n, \", ...) stand for characters that compose with nothing. So when
        # the text is NFC and has no \u escape, so is every string; only other records pay for
        # a walk over the tree.
        if nfc_text is None:
            nfc_text = _is_nfc(text[start:end])
        if not nfc_text or (scanned & _U_ESCAPES and text.find("\\u", start, end) != -1):
            try:
                normalized: Tree = _normalized(value)
            except _NotCarried:
                problem = _uncarriable(value)
                assert problem is not None  # the walk finds what _normalized found
                raise problem from None
            return normalized
        return value

    def _object(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    self._problems.append(_Refused(f'duplicate key "{key}"', key))
                    break
                seen.add(key)
        return obj

    def _constant(self, name: str) -> None:
        self._problems.append(_Refused(f"{name} is not a valid JSON number"))

    def _int(self, literal: str) -> int:
        digits = len(literal) - literal.startswith("-")
        if digits > _MAX_INT_DIGITS:
            # int() would raise ValueError, which the decoder passes on as if the text were not
            # JSON; the number is valid JSON, only too long to be any national value.
            self._problems.append(_Refused(f"number of {digits} digits is out of range"))
            return 0
        return int(literal)

    def _float(self, literal: str) -> float:
        number = float(literal)
        if not math.isfinite(number):
            # 1e400 overflows to infinity: as unrepresentable as a literal Infinity.
            self._problems.append(_Refused(f"number {literal} is out of range"))
        return number


def _line_and_column(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - text.rfind("\n", 0, pos)


def _not_json(text: str, exc: ValueError, base_line: int = 1, base_column: int = 0) -> tuple[str, int]:
    """The reason a text failed to decode, and the 1-based line it points at.

    ``base_line`` is the file line on which ``text`` starts (for one NDJSON line), and
    ``base_column`` the characters of that line before it (for an array's text read in parts).
    """
    pos = exc.pos if isinstance(exc, json.JSONDecodeError) else 0
    what = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
    nul = text.find("\x00")
    if nul != -1 and nul <= pos:
        # The decoder's wording for a NUL ("Expecting value", "Invalid control character")
        # does not say which character it choked on; a NUL is worth naming.
        pos, what = nul, "a NUL byte is not allowed in JSON"
    line, column = _line_and_column(text, pos)
    column += base_column if line == 1 else 0
    return f"invalid JSON at line {base_line + line - 1} column {column}: {what}", (base_line + line - 1)


class _Text:
    """The decoded text of an array file, a window at a time: ``text`` holds what has been read
    and not yet dropped; ``more`` reads on. Flags of ``_scan`` accumulate over the pieces read
    (they only ever make a record checked more closely); lines are counted as text is dropped.
    """

    def __init__(self, pieces: Iterator[tuple[int, bytes]], where: Location) -> None:
        self._pieces = pieces
        self._where = where
        self._lines_before = 0  # line breaks in the bytes of the pieces already decoded
        self._tail = b""
        self.text = ""
        self.scanned = 0
        self.eof = False
        self.dropped_lines = 0  # line breaks in the text dropped from the front
        self.dropped_column = 0  # characters of the first line of ``text`` dropped with it

    def more(self, at_least: int = 1) -> bool:
        """Read on until ``at_least`` characters were added or the file ended; False at its end."""
        added: list[str] = []
        count = 0
        while count < at_least and not self.eof:
            piece = next(self._pieces, None)
            if piece is None:
                self.eof = True
                break
            offset, data = piece
            self.scanned |= _scan(self._tail + data)
            self._tail = data[-5:]
            try:
                decoded = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                line = self._lines_before + data.count(b"\n", 0, exc.start) + 1
                at = Location(self._where.source, self._where.file, line=line)
                raise InputError(at, bad_byte(data[exc.start], offset + exc.start, "utf-8")) from exc
            if offset == 0 and decoded.startswith("\ufeff"):
                decoded = decoded[1:]
            self._lines_before += data.count(b"\n")
            added.append(decoded)
            count += len(decoded)
        if added:
            self.text += "".join(added)
        return bool(added)

    def drop(self, pos: int) -> int:
        """Forget the text before ``pos`` once it is long; the position that ``pos`` becomes."""
        if pos < BLOCK_BYTES:
            return pos
        breaks = self.text.count("\n", 0, pos)
        last = self.text.rfind("\n", 0, pos)
        self.dropped_column = pos - last - 1 if breaks else self.dropped_column + pos
        self.dropped_lines += breaks
        self.text = self.text[pos:]
        return 0

    def skip(self, pos: int) -> int:
        """The first non-whitespace position at or after ``pos``, reading on as needed."""
        pos = _skip(self.text, pos)
        while pos == len(self.text) and self.more():
            pos = _skip(self.text, pos)
        return pos


class JsonAdapter(FileAdapter):
    """Reads igate-json export files (JSON array or NDJSON) into record trees, a block at a time."""

    def read_stream(self, stream: BinaryIO, file: str) -> Iterator[ReadResult]:
        """Yield each record of an open file; ``file`` names it in provenance and errors."""
        where = Location(self.source, file)
        cap = self.fmt.max_file_bytes
        head = stream.read(BLOCK_BYTES)
        check_size(head, where, cap)
        start = len(_BOM) if head.startswith(_BOM) else 0
        while not head[start:].strip(b" \t\r\n"):
            # Only white space so far: a file of it is empty, or the records come later.
            chunk = stream.read(BLOCK_BYTES)
            if not chunk:
                raise InputError(where, _EMPTY)
            head += chunk
            check_size(head, where, cap)
        first = _LEADING_WHITESPACE.match(head, start)
        assert first is not None  # a pattern of only a starred class always matches
        kind = sniff(head[first.end() : first.end() + 1])
        if kind == "xml":
            raise wrong_kind(where, kind, "json")
        lead = head[first.end() : first.end() + 1]
        ndjson = file.lower().endswith(_NDJSON_SUFFIXES)
        if lead == b"[" and not ndjson:
            _check_closed(stream, where)
            pieces = blocks(stream, where, cap, after_last_ascii, prefix=head)
            yield from self._array(_Text(pieces, where), where)
            return
        if lead == b"{" and not ndjson and not self._first_line_is_a_record(head, first.end()):
            # One object over many lines, or NDJSON whose first line is not a value: the file is
            # read whole to tell (a single record, bounded by the size cap).
            data = head + stream.read(cap + 1 - len(head))
            check_size(data, where, cap)
            single = self._single(data, start, first.end(), file, _scan(data))
            if single is not None:
                yield single
                return
            stream, head = io.BytesIO(data), b""
        yield from self._lines(blocks(stream, where, cap, after_last_line_break, prefix=head), where)

    def _first_line_is_a_record(self, head: bytes, brace: int) -> bool:
        decoder = _RecordDecoder(self.fmt.max_depth)
        return b"\n" in head[brace:] and _first_line_is_a_value(decoder, head, brace)

    def _single(self, data: bytes, start: int, brace: int, file: str, scanned: int) -> ReadResult | None:
        """The file as one record: one JSON object (at ``data[brace]``), pretty-printed over
        many lines.

        None when the file does not hold exactly one JSON value: then it is NDJSON (a ``.json``
        name does not prove an array or a single object). A first line that is a JSON value by
        itself settles it at the cost of that line: NDJSON reads a one-line object alone in its
        file as that one record too. The record's checks are the array items' and NDJSON
        lines': duplicate keys, non-finite numbers, depth, characters XML cannot carry; an
        undecodable byte makes it a bad record, since it is the whole file.
        """
        decoder = _RecordDecoder(self.fmt.max_depth)
        if _first_line_is_a_value(decoder, data, brace):
            return None
        view = memoryview(data)[start:]
        bad_at: int | None = None
        try:
            text = str(view, "utf-8")
        except UnicodeDecodeError as exc:
            # Decoded anyway, to find out whether the file is one value; the byte is reported.
            text = str(view, "utf-8", "surrogateescape")
            bad_at = start + exc.start
        pos = _skip(text, 0)
        refused: _Refused | None = None
        try:
            value, end = decoder.parse(text, pos)
        except ValueError:
            return None
        except _Refused as exc:
            # Too deep for the decoder to find where the value ends; its first line is no value
            # of its own, so it is one record, not NDJSON.
            refused, end = exc, len(text.rstrip(" \t\r\n"))
        else:
            if _skip(text, end) != len(text):
                return None
        provenance = Provenance(self.source, file, 0, line_at(data, start + pos))
        raw = text[pos:end].encode("utf-8", "surrogateescape")
        if refused is not None:
            return BadRecord(provenance, refused.reason, raw)
        if bad_at is not None:
            return BadRecord(provenance, bad_byte(data[bad_at], bad_at, "utf-8"), raw)
        try:
            tree = decoder.check(value, text, pos, end, None, scanned)
        except _Refused as exc:
            return BadRecord(provenance, exc.reason, raw, exc.field, _readable(value))
        return SourceRecord(provenance, tree, raw)

    def _lines(self, pieces: Iterator[tuple[int, bytes]], where: Location) -> Iterator[ReadResult]:
        file = where.file
        decoder = _RecordDecoder(self.fmt.max_depth)
        index = number = 0
        tail = b""
        for offset, data in pieces:
            scanned = _scan(tail + data)
            tail = data[-5:]
            line_offset = offset
            if offset == 0 and data.startswith(_BOM):
                line_offset = len(_BOM)
            lines = data[line_offset - offset :].split(b"\n")
            if not lines[-1]:
                lines.pop()  # the piece ends with a line break: no line after it yet
            for line in lines:
                number += 1
                this_offset = line_offset
                line_offset += len(line) + 1
                body = line[:-1] if line.endswith(b"\r") else line
                if not body.strip():
                    continue
                provenance = Provenance(self.source, file, index, number)
                index += 1
                try:
                    text = body.decode("utf-8")
                except UnicodeDecodeError as exc:
                    reason = bad_byte(body[exc.start], this_offset + exc.start, "utf-8")
                    yield BadRecord(provenance, reason, body)
                    continue
                try:
                    tree = self._line_tree(decoder, text, scanned)
                except _Refused as exc:
                    yield BadRecord(provenance, exc.reason, body, exc.field, _lenient(text))
                except ValueError as exc:
                    yield BadRecord(provenance, _not_json(text, exc, number)[0], body)
                else:
                    yield SourceRecord(provenance, tree, body)
        if index == 0:
            raise InputError(where, _EMPTY)  # only blank lines (white space JSON does not know)

    @staticmethod
    def _line_tree(decoder: _RecordDecoder, text: str, scanned: int) -> Tree:
        if not text.isascii() and "\\" not in text:
            # Without escapes, normalising the line normalises every string in it (see
            # ``_RecordDecoder.check``), in one C call instead of a walk over the tree.
            normalized = unicodedata.normalize("NFC", text)
            if normalized is not text:
                try:
                    return _decode_line(decoder, normalized, True, scanned)
                except (ValueError, _Refused):
                    # Say what is wrong with the line as written: columns shift when text is
                    # normalised, and two keys may only have become equal by normalising.
                    pass
        return _decode_line(decoder, text, None, scanned)

    def _array(self, source: _Text, where: Location) -> Iterator[ReadResult]:
        decoder = _RecordDecoder(self.fmt.max_depth)
        source.more()
        pos = source.skip(source.skip(0) + 1)  # past the "[" that read_stream has seen
        index = 0
        line, counted = 1, 0
        if source.text.startswith("]", pos):
            raise InputError(where, "the JSON array is empty: no records")
        while True:
            line += source.text.count("\n", counted, pos)
            counted = pos
            end = yield from self._item(decoder, source, pos, index, line, where)
            index += 1
            pos = source.skip(end)
            separator = source.text[pos : pos + 1]
            if separator == "]":
                pos += 1
                break
            if separator != ",":
                raise _malformed(source, pos, "expected ',' or ']' after a record", where)
            pos = source.skip(pos + 1)
            line += source.text.count("\n", counted, pos)
            pos = counted = source.drop(pos)
        pos = source.skip(pos)
        if pos != len(source.text):
            raise _malformed(source, pos, "unexpected data after the JSON array", where)

    def _item(
        self,
        decoder: _RecordDecoder,
        source: _Text,
        pos: int,
        index: int,
        line: int,
        where: Location,
    ) -> Generator[ReadResult, None, int]:
        """Yield the array item at ``source.text[pos]``; return the index just past it.

        An item cut by the end of the text read so far fails to parse (or, a number, may end
        there): the text is read on, at least doubling what the item has, and parsed again.
        """
        while True:
            text = source.text
            try:
                value, end = decoder.parse(text, pos)
            except (_Refused, ValueError) as exc:
                if source.more(max(len(text) - pos, BLOCK_BYTES)):
                    continue
                if isinstance(exc, _Refused):
                    at = Location(where.source, where.file, record=index, line=line)
                    raise InputError(at, f"{exc.reason}; the array cannot be read past it") from None
                reason, at_line = _not_json(text, exc, source.dropped_lines + 1, source.dropped_column)
                at = Location(where.source, where.file, record=index, line=at_line)
                raise InputError(at, reason) from exc
            if end == len(text) and source.more():
                continue
            break
        provenance = Provenance(self.source, where.file, index, line)
        # The item's exact source bytes: the file is UTF-8, so encoding the slice gives them back.
        raw = text[pos:end].encode("utf-8")
        try:
            tree = decoder.check(value, text, pos, end, None, source.scanned)
        except _Refused as exc:
            yield BadRecord(provenance, exc.reason, raw, exc.field, _readable(value))
        else:
            yield SourceRecord(provenance, tree, raw)
        return end


def _decode_line(decoder: _RecordDecoder, text: str, nfc_text: bool | None, scanned: int) -> Tree:
    """The record on one NDJSON line, which must hold that record and nothing else."""
    value, end = decoder.parse(text, _skip(text, 0))
    rest = _skip(text, end)
    if rest != len(text):
        raise json.JSONDecodeError("extra data after the record", text, rest)
    return decoder.check(value, text, 0, len(text), nfc_text, scanned)


def _first_line_is_a_value(decoder: _RecordDecoder, data: bytes, brace: int) -> bool:
    """Whether the line starting at ``data[brace]`` holds a whole JSON value (and nothing else),
    or one too deep to tell: an NDJSON record, not the first line of a longer object. False for
    a file of one line, which is then read whole."""
    newline = data.find(b"\n", brace)
    if newline == -1:
        return False
    try:
        line = str(memoryview(data)[brace:newline], "utf-8")
    except UnicodeDecodeError:
        return False
    try:
        _, end = decoder.parse(line, 0)
    except _Refused:
        return True
    except ValueError:
        return False
    return _skip(line, end) == len(line)


def _check_closed(stream: BinaryIO, where: Location) -> None:
    """Refuse an array file that does not end in ``]``: a truncated file, before any record.

    Only a file that can seek is looked at from its end; from a pipe, a truncated array is found
    when the reading reaches its end (after the records before it: the file is refused).
    """
    if not stream.seekable():
        return
    here = stream.tell()
    size = stream.seek(0, io.SEEK_END)
    tail = b""
    while size > 0 and not tail.rstrip(b" \t\r\n"):
        step = min(size, 4096)
        stream.seek(size - step)
        tail = stream.read(step) + tail
        size -= step
    stream.seek(here)
    body = tail.rstrip(b" \t\r\n")
    if body and not body.endswith(b"]"):
        stream.seek(0)
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(BLOCK_BYTES), b""))
        line = lines + 1 - tail[len(body) :].count(b"\n")
        stream.seek(here)
        at = Location(where.source, where.file, line=line)
        raise InputError(
            at, f"the JSON array is not closed: the file ends on line {line} without ']' (truncated?)"
        )


def _malformed(source: _Text, pos: int, what: str, where: Location) -> InputError:
    line, column = _line_and_column(source.text, pos)
    column += source.dropped_column if line == 1 else 0
    line += source.dropped_lines
    at = Location(where.source, where.file, line=line)
    return InputError(at, f"invalid JSON at line {line} column {column}: {what}")


def _skip(text: str, pos: int) -> int:
    """The index of the first non-whitespace character at or after ``pos``."""
    match = _WHITESPACE.match(text, pos)
    assert match is not None  # a lone starred class matches the empty string
    return match.end()


def _readable(value: Any) -> Tree | None:
    """A refused record's decoded value, for naming it in its rejection (``BadRecord.readable``)."""
    return value if isinstance(value, dict) else None


def _lenient(text: str) -> Tree | None:
    """A refused line read as plain JSON reads it (the last of duplicate keys, NaN as a number),
    only to name the record in its rejection (``BadRecord.readable``)."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return _readable(value)
