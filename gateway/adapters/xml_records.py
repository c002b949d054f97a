"""Reading motcua-xml exports: one document element holding one element per record.

For the translate path: ``XmlAdapter`` parses the file with the hardened parser
(``gateway.safexml``: no DTD, no entities, no network, size cap) and turns each record element
(``SourceFormat.record_element``, a child of ``SourceFormat.root_element``) into a plain tree:

- an element with neither attributes nor child elements becomes its text, exactly as written
  (an empty element becomes None);
- any other element becomes a dict: attributes under ``@`` + local name (``@Ma``; an empty
  attribute value is None), child elements under their local name, and the element's own text,
  when it is not blank, under ``#text``;
- a child name that repeats becomes a list in document order; a single child stays a single
  value (the mapping layer accepts both);
- the record's dict also carries the document element's attributes under ``@@root``
  (``{"@NgayXuat": ..., "@DonVi": ...}``), since they describe every record of the export;
- comments and processing instructions are not data and are dropped; so are children of the
  document element other than the record element, except for record elements inside them: each
  of those is a ``BadRecord`` saying where it is (``DanhSachHoSo/Lo/HoSo``), never dropped.

Every string, names included, leaves in NFC. The prolog may declare UTF-8 or windows-1258 and
nothing else (``gateway.adapters.encodings``: Python's registry also "decodes" ``rot13``,
``base64`` or ``utf-7``); a UTF-8 byte-order mark before a prolog declaring another encoding is
refused. Windows-1258 is decoded here, by Python's codec, and libxml2 is handed UTF-8. libxml2
would decode windows-1258 itself only through the platform's iconv, which is absent from some
builds (musl, libxml2 without iconv); Python's codec behaves the same everywhere and lets an
undecodable byte be reported with its offset.

A file that is too big, not well-formed, nested deeper than libxml2's limit (256 levels, which
only huge-tree mode would lift), declares a DOCTYPE or an entity, has a NUL byte, an undecodable
byte or the wrong document element is refused as a whole (``InputError``): XML cannot be
resynchronised after such an error. A character XML cannot carry (a C0 control other than tab,
LF and CR, U+FFFE, U+FFFF), written raw or as a character reference, makes the file not
well-formed: libxml2 refuses it, so no record can hold one. A document element without any
record element child is refused too, never read as an export of zero records: the error names
the expected element and where elements of that name (or spelled in another case) occur, or what
the document element holds instead. A record nesting deeper than
``SourceFormat.max_depth`` levels is a ``BadRecord``, and the others go on; levels are counted
as in the tree, as in JSON: the record is level 1, and each element that becomes a dict is one
level below its parent (a leaf is a value, not a level).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any, BinaryIO, cast

from lxml import etree

from gateway import safexml
from gateway.adapters._files import FileAdapter, check_size, line_at, sniff, undecodable, wrong_kind
from gateway.adapters.base import (
    BadRecord,
    Provenance,
    ReadResult,
    SourceRecord,
    Tree,
)
from gateway.adapters.encodings import UnsupportedEncoding, codec_for
from gateway.adapters.text import nfc
from gateway.errors import InputError, Location

__all__ = ["XmlAdapter"]

_BOM = b"\xef\xbb\xbf"
# The XML declaration, which can only come first. Any quoted value is taken, so that a label the
# allow-list does not know is refused rather than overlooked.
_DECLARED_ENCODING = re.compile(rb"""<\?xml\s[^>]*?\bencoding\s*=\s*(["'])(.*?)\1""", re.DOTALL)
_PROLOG_BYTES = 256
_COMBINING_SOLIDUS = "\u0338".encode()
_CHARACTER_REFERENCE = re.compile(rb"&#(?:x([0-9A-Fa-f]+)|([0-9]+));")
# A byte of a single-byte codec becomes at most 3 bytes of UTF-8.
_UTF8_GROWTH = 3


class _TooDeep(Exception):
    """A record nests deeper than the limit."""


def _local(name: str) -> str:
    """``{namespace}name`` -> ``name``."""
    return name.rpartition("}")[2] if name[0] == "{" else name


class _TreeBuilder:
    """Turns record elements into trees (see the module docstring), for one document.

    ``normalize`` is False when the whole document text is already NFC (see
    ``XmlAdapter._parse``), which spares a normalisation call per string. Keys are cached: a
    document repeats the same few dozen names, and the same attribute lists, in every record.
    """

    def __init__(self, limit: int, normalize: bool) -> None:
        self.limit = limit
        self.normalize = normalize
        self._keys: dict[str, str] = {}
        self._attribute_keys: dict[str, str] = {}

    def key(self, name: str) -> str:
        """The tree key for a tag: its local name, in NFC."""
        key = self._keys.get(name)
        if key is None:
            key = self._keys[name] = nfc(_local(name))
        return key

    def text(self, text: str | None) -> str | None:
        """A text or attribute value as a tree value: empty is None."""
        if not text:
            return None
        return nfc(text) if self.normalize else text

    def attributes(self, element: etree._Element) -> dict[str, Any]:
        """The element's attributes as ``{"@name": value}``."""
        keys = self._attribute_keys
        normalize = self.normalize
        node: dict[str, Any] = {}
        for name, value in cast("list[tuple[str, str]]", element.items()):
            key = keys.get(name)
            if key is None:
                key = keys[name] = "@" + nfc(_local(name))
            if not value:
                node[key] = None
            else:
                node[key] = nfc(value) if normalize else value
        return node

    def record(self, element: etree._Element) -> Tree:
        """The tree of a record element: always a dict, whatever the element holds."""
        value = self.value(element, 1)
        if isinstance(value, dict):
            return value
        # A record element with only text, or nothing: still a record, for the mapping to judge.
        return {"#text": value} if value and not value.isspace() else {}

    def value(self, element: etree._Element, depth: int) -> Any:
        """``element`` as a tree value; ``depth`` is the element's own, the record being 1."""
        # The hot loop of the XML adapter: names are looked up in local variables, and leaf
        # children (most of a record) are handled inline rather than by a recursive call.
        node: dict[str, Any] = self.attributes(element) if element.keys() else {}
        own = element.text
        mixed = own is not None and not own.isspace()
        if len(element):  # children: elements, but also comments and processing instructions
            keys = self._keys
            normalize = self.normalize
            for child in element:
                tail = child.tail
                if tail is not None and not mixed and not tail.isspace():
                    mixed = True
                tag = child.tag
                if not isinstance(tag, str):
                    continue  # a comment or processing instruction: not data
                key = keys.get(tag) or self.key(tag)
                if len(child):
                    if depth >= self.limit:
                        raise _TooDeep
                    value = self.value(child, depth + 1)
                elif child.keys():  # attributes and maybe text, as most list items have
                    if depth >= self.limit:
                        raise _TooDeep
                    value = self.attributes(child)
                    text = child.text
                    if text is not None and not text.isspace():
                        value["#text"] = nfc(text) if normalize else text
                else:  # a leaf, as most fields are
                    value = child.text or None
                    if normalize and value is not None:
                        value = nfc(value)
                if key not in node:
                    node[key] = value
                else:
                    # Converted values are never lists: a list here is one made for a repeat.
                    existing = node[key]
                    if isinstance(existing, list):
                        existing.append(value)
                    else:
                        node[key] = [existing, value]
            if mixed:
                # Text split around child elements or comments is one text; joining may put a
                # base letter next to its combining mark, so it is normalised again.
                pieces = [own or ""] + [child.tail or "" for child in element]
                own = nfc("".join(pieces))
        if not node:
            return self.text(own)
        if mixed:
            node["#text"] = self.text(own)
        return node


class XmlAdapter(FileAdapter):
    """Reads motcua-xml export files (UTF-8 or windows-1258) into record trees."""

    def read_stream(self, stream: BinaryIO, file: str) -> Iterator[ReadResult]:
        """Yield each record of an open file; ``file`` names it in provenance and errors.

        The document is parsed whole (under the size cap): what makes a record misplaced, or a
        file without records, is only known from the whole tree.
        """
        where = Location(self.source, file)
        cap = self.fmt.max_file_bytes
        try:
            data = stream.read(cap + 1)
        except OSError as exc:
            raise InputError(where, f"cannot read the file: {exc.strerror or exc}") from exc
        check_size(data, where, cap)
        kind = sniff(data[:64])
        if kind == "json":
            raise wrong_kind(where, kind, "xml")
        yield from self.read_bytes(data, file)

    def read_bytes(self, data: bytes, file: str) -> Iterator[ReadResult]:
        """Yield each record of a file's content; ``file`` names it in provenance and errors."""
        where = Location(self.source, file)
        check_size(data, where, self.fmt.max_file_bytes)
        kind = sniff(data[:64])
        if kind == "json":
            raise wrong_kind(where, kind, "xml")
        root, normalize = self._parse(data, where)
        builder = _TreeBuilder(self.fmt.max_depth, normalize)
        found = builder.key(root.tag)
        if found != self.fmt.root_element:
            expected = self.fmt.root_element
            raise InputError(where, f"document element is <{found}>, expected <{expected}>")
        shared = builder.attributes(root)
        record = self.fmt.record_element
        if not any(isinstance(e.tag, str) and builder.key(e.tag) == record for e in root):
            raise _no_records(root, record, builder, where)
        index = 0
        for element in root:
            tag = element.tag
            if not isinstance(tag, str):
                continue  # a comment or processing instruction
            if builder.key(tag) != record:
                # Not a record; but a record element inside it would be lost without a word.
                for misplaced in _outermost(element, record, builder):
                    line = cast("int | None", misplaced.sourceline)
                    where_found = "/".join(_names(misplaced, builder))
                    reason = (
                        f"<{record}> at {where_found} is not a child of the document element "
                        f"<{found}>, so it cannot be read as a record"
                    )
                    raw = etree.tostring(misplaced, encoding="utf-8", with_tail=False)
                    yield BadRecord(Provenance(self.source, file, index, line), reason, raw)
                    index += 1
                continue
            line = cast("int | None", element.sourceline)  # lxml-stubs leave it untyped
            provenance = Provenance(self.source, file, index, line)
            index += 1
            raw = etree.tostring(element, encoding="utf-8", with_tail=False)
            try:
                tree = builder.record(element)
            except _TooDeep:
                reason = f"nesting deeper than {self.fmt.max_depth} levels"
                yield BadRecord(provenance, reason, raw)
                continue
            tree["@@root"] = dict(shared)
            yield SourceRecord(provenance, tree, raw)

    def _parse(self, data: bytes, where: Location) -> tuple[etree._Element, bool]:
        """The document element, and whether its strings still need normalising to NFC.

        libxml2 is always handed UTF-8: the file's own bytes when they are UTF-8 and already
        NFC, otherwise the text decoded here, normalised when that is safe, and re-encoded.
        """
        nul = data.find(b"\x00")
        if nul != -1:
            at = Location(where.source, where.file, line=line_at(data, nul))
            raise InputError(at, f"NUL byte at offset {nul}: not allowed in XML")
        codec, start = self._encoding(data, where)
        document = data
        normalize = not _references_safe(data)
        if not data.isascii():
            try:
                text = str(memoryview(data)[start:], codec)
            except UnicodeDecodeError as exc:
                raise undecodable(data, start + exc.start, codec, where) from exc
            # U+0338 COMBINING LONG SOLIDUS OVERLAY composes with "<", ">" and "=" (≮ ≯ ≠):
            # normalising the whole text would rewrite markup.
            utf8 = codec in ("utf-8", "utf-8-sig")
            normalize = normalize or (_COMBINING_SOLIDUS in data if utf8 else "\u0338" in text)
            if not normalize:
                normalized = unicodedata.normalize("NFC", text)
                # normalize() hands back the very same object when the text is already NFC.
                if normalized is not text or codec != "utf-8":
                    document = normalized.encode("utf-8")
            elif codec != "utf-8":
                document = text.encode("utf-8")
        try:
            root = safexml.parse(document, max_bytes=_UTF8_GROWTH * self.fmt.max_file_bytes, encoding="utf-8")
        except safexml.UnsafeXml as exc:
            raise _refusal(exc, where) from exc
        return root, normalize

    @staticmethod
    def _encoding(data: bytes, where: Location) -> tuple[str, int]:
        """The Python codec of the document, and the offset where its text starts.

        The declared label must be on the allow-list (``gateway.adapters.encodings``): Python's
        codec registry also holds ``rot13``, ``base64`` or ``utf-7``, which are no export's
        encoding and would crash the decoder or garble the text.
        """
        bom = len(_BOM) if data.startswith(_BOM) else 0
        declared = _DECLARED_ENCODING.match(data, bom, bom + _PROLOG_BYTES)
        if declared is None:
            return "utf-8", bom  # XML's default
        label = declared.group(2).decode("ascii", "backslashreplace")
        at = Location(where.source, where.file, line=1)
        try:
            codec = codec_for(label)
        except UnsupportedEncoding:
            raise InputError(
                at, f"declared encoding {label!r} is not supported: an export is UTF-8 or windows-1258"
            ) from None
        if bom and codec not in ("utf-8", "utf-8-sig"):
            raise InputError(at, f"file starts with a UTF-8 byte-order mark but declares {label!r}")
        return ("utf-8" if bom else codec), bom


def _outermost(element: etree._Element, name: str, builder: _TreeBuilder) -> Iterator[etree._Element]:
    """The elements named ``name`` below ``element`` that are not inside another one, in
    document order (iterative: the depth is libxml2's to bound)."""
    stack = [child for child in reversed(element) if isinstance(child.tag, str)]
    while stack:
        node = stack.pop()
        if builder.key(node.tag) == name:
            yield node
        else:
            stack.extend(child for child in reversed(node) if isinstance(child.tag, str))


def _names(element: etree._Element, builder: _TreeBuilder) -> list[str]:
    """The local names from the document element down to ``element``."""
    names = [builder.key(element.tag)]
    names.extend(builder.key(a.tag) for a in element.iterancestors())
    return names[::-1]


def _no_records(root: etree._Element, record: str, builder: _TreeBuilder, where: Location) -> InputError:
    """The file error for a document without a single record element, saying where elements of a
    similar name occur (spelled differently), or what the document element holds instead."""
    document = builder.key(root.tag)
    wanted = record.casefold()
    similar: dict[str, list[int | None]] = {}
    for element in root.iter():
        if element is root or not isinstance(element.tag, str):
            continue
        if builder.key(element.tag).casefold() == wanted:
            path = "/".join(_names(element, builder))
            similar.setdefault(path, []).append(cast("int | None", element.sourceline))
    reason = f"no <{record}> record element under the document element <{document}>"
    if similar:
        shown = [f"{path} ({_count(lines)})" for path, lines in list(similar.items())[:3]]
        more = f" and {len(similar) - 3} other places" if len(similar) > 3 else ""
        spelled = any(not path.endswith(f"/{record}") for path in similar)
        case = " (names are case-sensitive)" if spelled else ""
        first = next(iter(similar.values()))[0]
        at = Location(where.source, where.file, line=first)
        return InputError(at, f"{reason}; found at {', '.join(shown)}{more}{case}")
    children: dict[str, list[int | None]] = {}
    for child in root:
        if isinstance(child.tag, str):
            children.setdefault(builder.key(child.tag), []).append(cast("int | None", child.sourceline))
    if not children:
        return InputError(where, f"{reason}: the document element is empty, the file holds no records")
    shown = [f"<{name}> ({_count(lines)})" for name, lines in list(children.items())[:5]]
    more = f" and {len(children) - 5} other names" if len(children) > 5 else ""
    return InputError(where, f"{reason}; it holds {', '.join(shown)}{more}")


def _count(lines: list[int | None]) -> str:
    """``3 elements, the first on line 12``."""
    many = f"{len(lines)} elements" if len(lines) > 1 else "1 element"
    return f"{many}, the first on line {lines[0]}" if lines[0] is not None else many


def _references_safe(data: bytes) -> bool:
    """Whether the document's character references all stand for ASCII characters.

    Normalising the whole document text to NFC normalises each string in it, because markup
    characters are starters that compose with nothing (U+0338 aside, see ``_parse``). But a
    character reference is plain text to NFC and only becomes a character, possibly a
    combining one, inside libxml2: a document with such references is normalised string by
    string instead.
    """
    if b"&#" not in data:
        return True
    for match in _CHARACTER_REFERENCE.finditer(data):
        hexadecimal, decimal = match.groups()
        if (int(hexadecimal, 16) if hexadecimal else int(decimal)) >= 0x80:
            return False
    return True


def _refusal(exc: safexml.UnsafeXml, where: Location) -> InputError:
    if isinstance(exc, safexml.TooDeep):
        return InputError(Location(where.source, where.file, line=exc.line), str(exc))
    cause = exc.__cause__
    if not isinstance(cause, etree.XMLSyntaxError):
        return InputError(where, str(exc))  # DOCTYPE, entity, size: already worded
    # libxml2's message carries a line break before ", line N, column M".
    message = " ".join(str(cause.msg).split()).replace(" ,", ",")
    at = Location(where.source, where.file, line=cause.lineno)
    return InputError(at, f"not well-formed XML: {message}")
