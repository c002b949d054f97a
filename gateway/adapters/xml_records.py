"""Reading motcua-xml exports: one document element holding one element per record.

For the translate path: ``XmlAdapter`` feeds the file, a block at a time, to a feed parser with
the gateway's hardened settings (``gateway.safexml``: no DTD, no entities, no network, no
huge-tree mode; size cap) and turns each record element (``SourceFormat.record_element``, a child
of ``SourceFormat.root_element``) into a plain tree as soon as the next child begins, then drops
it from the parser's tree: memory holds a block and a record, whatever the size of the file.
A record's tree:

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

Every string, names included, leaves in NFC, and so do a record's bytes (``raw``, the element
serialised in UTF-8). Encodings (UTF-8 or windows-1258, from an allow-list) and normalisation,
block by block, are ``_xml_text``'s.

A file that is too big, not well-formed, nested deeper than libxml2's limit (256 levels, which
only huge-tree mode would lift), has a NUL byte or an undecodable byte is refused from there on
(``InputError``): XML cannot be resynchronised after such an error. The records wholly before the
fault have been yielded, and which they are does not depend on the size of the blocks (a fault
found in a block ends the bytes fed before it). A DOCTYPE (hence any entity) or the wrong document
element is refused before any record. A character XML cannot carry (a C0 control other than tab,
LF and CR, U+FFFE, U+FFFF), written raw or as a character reference, makes the file not
well-formed: libxml2 refuses it, so no record can hold one. A document element without any
record element child is refused too, never read as an export of zero records: the error names
the expected element and where elements of that name (or spelled in another case) occur, or what
the document element holds instead, from what ``_Document`` noted while streaming. A record
nesting deeper than ``SourceFormat.max_depth`` levels is a ``BadRecord``, and the others go on;
levels are counted as in the tree, as in JSON: the record is level 1, and each element that
becomes a dict is one level below its parent (a leaf is a value, not a level).
"""

from __future__ import annotations

import re
import unicodedata
from collections import deque
from collections.abc import Iterator
from typing import Any, BinaryIO, cast

from lxml import etree

from gateway import safexml
from gateway.adapters import _xml_text
from gateway.adapters._files import FileAdapter, before_last_tag, blocks, sniff, wrong_kind
from gateway.adapters.base import (
    BadRecord,
    Provenance,
    ReadResult,
    SourceRecord,
    Tree,
)
from gateway.adapters.text import nfc
from gateway.errors import InputError, Location

__all__ = ["XmlAdapter"]

# libxml2's wording when a document is deeper than its limit (xmlParserMaxDepth, 256).
_EXCESSIVE_DEPTH = re.compile(r"Excessive depth in document: (\d+)")
_ENTITY = "document uses an entity reference; entities are not accepted"
# Strings normalised once per document and then looked up: names, titles, agencies and the
# like repeat from record to record. Long text (a summary) is normalised each time.
_CACHED_CHARS = 80
_CACHED_STRINGS = 4096


class _TooDeep(Exception):
    """A record nests deeper than the limit."""


class _EntityFound(Exception):
    """A record holds an entity reference (only a DTD can declare one, and DTDs are refused
    before the first record: this is a second line of defence)."""


def _local(name: str) -> str:
    """``{namespace}name`` -> ``name``."""
    return name.rpartition("}")[2] if name[0] == "{" else name


class _TreeBuilder:
    """Turns record elements into trees (see the module docstring), for one document.

    ``normalize`` is False while the document's text is NFC as read (``_xml_text``), which
    spares a normalisation call per string. Keys are cached: a document repeats the same few
    dozen names, and the same attribute lists, in every record; so are short strings normalised.
    """

    def __init__(self, limit: int, normalize: bool) -> None:
        self.limit = limit
        self.normalize = normalize
        self._keys: dict[str, str] = {}
        self._attribute_keys: dict[str, str] = {}
        self._strings: dict[str, str] = {}

    def nfc(self, text: str) -> str:
        """``text`` in NFC (``text.nfc``), short strings looked up once per document."""
        if text.isascii():
            return text
        strings = self._strings
        known = strings.get(text)
        if known is not None:
            return known
        normalized = unicodedata.normalize("NFC", text)
        if len(text) <= _CACHED_CHARS:
            if len(strings) >= _CACHED_STRINGS:
                strings.clear()
            strings[text] = normalized
        return normalized

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
        return self.nfc(text) if self.normalize else text

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
                node[key] = self.nfc(value) if normalize else value
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
                    if isinstance(child, etree._Entity):
                        raise _EntityFound
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
                        value["#text"] = self.nfc(text) if normalize else text
                else:  # a leaf, as most fields are
                    value = child.text or None
                    if normalize and value is not None:
                        value = self.nfc(value)
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
    """Reads motcua-xml export files (UTF-8 or windows-1258) into record trees, a block at a time."""

    def read_stream(self, stream: BinaryIO, file: str) -> Iterator[ReadResult]:
        """Yield each record of an open file as the file is read; ``file`` names it.

        The parser is fed a block (``_files.BLOCK_BYTES``) at a time; after each block, the
        children of the document element that are complete (all but the last, which may still
        be growing) become records and are dropped from the tree, so memory holds a block and a
        record, not the document. A fault of the file (not well-formed, too big, a DOCTYPE) stops
        the stream with an ``InputError`` after the records of the blocks before it.
        """
        where = Location(self.source, file)
        head = _head(stream, where, len(_xml_text.BOM) + _xml_text.PROLOG_BYTES)
        kind = sniff(head[:64])
        if kind == "json":
            raise wrong_kind(where, kind, "xml")
        codec, bom = _xml_text.declared_encoding(head, where)
        text = _xml_text.DocumentText(codec, bom, where)
        parser = _pull_parser(self.fmt.root_element)
        document = _Document(self, file, text)
        cap = self.fmt.max_file_bytes
        for offset, block in blocks(stream, where, cap, before_last_tag, prefix=head):
            feedable, fault = text.feedable(offset, block)
            try:
                parser.feed(feedable)
            except etree.XMLSyntaxError as exc:
                yield from document.ready(parser, last=None)
                raise _refusal(exc, parser, where) from exc
            yield from document.ready(parser, last=None)
            logged = _logged_fault(parser)
            if logged is not None:
                # Some faults (an undeclared entity) stop the push parser without an exception,
                # and lxml would take the next block for the start of another document.
                raise _refused(logged.message, logged.line, logged.column, where)
            if fault is not None:
                raise fault
        try:
            if not head:
                parser.feed(b"")  # so that libxml2 says "Document is empty", at line 1
            root = parser.close()
        except etree.XMLSyntaxError as exc:
            raise _refusal(exc, parser, where) from exc
        yield from document.ready(parser, last=root)
        yield from document.finish()


def _head(stream: BinaryIO, where: Location, size: int) -> bytes:
    """The first ``size`` bytes of ``stream`` (fewer at its end), read however a pipe hands them."""
    head = b""
    while len(head) < size:
        try:
            chunk = stream.read(size - len(head))
        except OSError as exc:
            raise InputError(where, f"cannot read the file: {exc.strerror or exc}") from exc
        if not chunk:
            break
        head += chunk
    return head


def _pull_parser(root_element: str) -> etree.XMLPullParser:
    """A feed parser with the gateway's hardened settings (``gateway.safexml``): no DTD loading,
    no entity resolution, no network, no huge-tree mode, no decompression; it is handed UTF-8
    whatever the prolog says (``_xml_text``). Its only events are the starts of elements named
    as the document element should be, in any namespace: the first is the document element
    (records are read from the tree itself, and an event per element would cost a Python object
    each). A document element of another name is met when the parser closes."""
    return safexml.pull_parser(events=("start",), tag="{*}" + root_element, encoding="utf-8")


class _Document:
    """What one document has shown so far, as it streams: its document element, the records
    read, the record elements found in the wrong place, and what the "no records" error would
    need to say (similar names and where they are, what the document element holds instead).

    Record elements found outside the document element's children before any record are held
    back: if no record follows, the file holds none and one file error says where they are;
    otherwise each becomes a ``BadRecord`` in document order.
    """

    def __init__(self, adapter: XmlAdapter, file: str, text: _xml_text.DocumentText) -> None:
        self.source = adapter.source
        self.file = file
        self.fmt = adapter.fmt
        self.where = Location(adapter.source, file)
        self.text = text
        self.builder = _TreeBuilder(adapter.fmt.max_depth, normalize=False)
        self.root: etree._Element | None = None
        self.shared: dict[str, Any] = {}
        self.index = 0
        self.found = False
        self.pending: list[BadRecord] = []
        self.similar: dict[str, tuple[int, int | None]] = {}
        self.children: dict[str, tuple[int, int | None]] = {}

    def ready(self, parser: etree.XMLPullParser, *, last: etree._Element | None) -> Iterator[ReadResult]:
        """The records completed by the block just fed; all the rest when ``last``, the document
        element that closing the parser returned."""
        self.builder.normalize = self.text.normalize
        root = self.root
        events = parser.read_events()
        if root is None:
            for _event, element in events:
                root = cast("etree._Element", element)
                break
            else:
                root = last
            if root is None:
                return
            self.root = root
            self._check_root(root)
        deque(events, maxlen=0)  # the start of every element below: not needed
        complete = len(root) if last is not None else len(root) - 1
        if complete <= 0:
            return
        children = cast("list[etree._Element]", root[:complete])  # type: ignore[index]  # stubs: no slices
        for index in range(complete):
            yield from self._child(children[index])
        # Without a Python object left pointing at them, lxml frees the elements outright
        # instead of moving each into a document of its own.
        del children
        del root[:complete]

    def finish(self) -> Iterator[ReadResult]:
        """After the last record: the file error when there was none."""
        if not self.found:
            assert self.root is not None  # close() succeeded: there is a document element
            raise self._no_records()
        return iter(())

    def _check_root(self, root: etree._Element) -> None:
        docinfo = root.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None:  # type: ignore[attr-defined]
            raise InputError(self.where, "document declares a DOCTYPE; DTDs and entities are not accepted")
        found = self.builder.key(root.tag)
        if found != self.fmt.root_element:
            expected = self.fmt.root_element
            raise InputError(self.where, f"document element is <{found}>, expected <{expected}>")
        self.shared = self.builder.attributes(root)

    def _child(self, element: etree._Element) -> Iterator[ReadResult]:
        tag = element.tag
        if not isinstance(tag, str):
            if isinstance(element, etree._Entity):
                raise InputError(self.where, _ENTITY)
            return  # a comment or processing instruction
        builder = self.builder
        if builder.key(tag) != self.fmt.record_element:
            yield from self._other(element)
            return
        if not self.found:
            self.found = True
            yield from self.pending
            self.pending = []
            self.similar = self.children = {}
        line = cast("int | None", element.sourceline)  # lxml-stubs leave it untyped
        provenance = Provenance(self.source, self.file, self.index, line)
        self.index += 1
        raw = etree.tostring(element, encoding="utf-8", with_tail=False)
        try:
            tree = builder.record(element)
        except _EntityFound:
            raise InputError(self.where, _ENTITY) from None
        except _TooDeep:
            yield BadRecord(provenance, f"nesting deeper than {self.fmt.max_depth} levels", raw)
            return
        tree["@@root"] = dict(self.shared)
        yield SourceRecord(provenance, tree, raw)

    def _other(self, element: etree._Element) -> Iterator[ReadResult]:
        """A child of the document element that is not a record; but a record element inside it
        would be lost without a word."""
        builder = self.builder
        record = self.fmt.record_element
        if not self.found:
            self._note(element)
        root_name = self.fmt.root_element
        for misplaced in _outermost(element, record, builder):
            line = cast("int | None", misplaced.sourceline)
            where_found = "/".join(_names(misplaced, builder))
            reason = (
                f"<{record}> at {where_found} is not a child of the document element "
                f"<{root_name}>, so it cannot be read as a record"
            )
            raw = etree.tostring(misplaced, encoding="utf-8", with_tail=False)
            try:
                readable: Tree | None = builder.record(misplaced)
            except (_TooDeep, _EntityFound):
                readable = None
            provenance = Provenance(self.source, self.file, self.index, line)
            bad = BadRecord(provenance, reason, raw, readable=readable)
            self.index += 1
            if self.found:
                yield bad
            else:
                self.pending.append(bad)

    def _note(self, element: etree._Element) -> None:
        """Remember what the "no records" error would say of this child and what it holds."""
        builder = self.builder
        line = cast("int | None", element.sourceline)
        name = builder.key(element.tag)
        count, first = self.children.get(name, (0, line))
        self.children[name] = (count + 1, first)
        wanted = self.fmt.record_element.casefold()
        for node in element.iter():
            if isinstance(node.tag, str) and builder.key(node.tag).casefold() == wanted:
                path = "/".join(_names(node, builder))
                count, first = self.similar.get(path, (0, cast("int | None", node.sourceline)))
                self.similar[path] = (count + 1, first)

    def _no_records(self) -> InputError:
        """The file error for a document without a single record element, saying where elements of
        a similar name occur (spelled differently), or what the document element holds instead."""
        record = self.fmt.record_element
        document = self.fmt.root_element
        reason = f"no <{record}> record element under the document element <{document}>"
        similar = self.similar
        if similar:
            shown = [f"{path} ({_count(*seen)})" for path, seen in list(similar.items())[:3]]
            more = f" and {len(similar) - 3} other places" if len(similar) > 3 else ""
            spelled = any(not path.endswith(f"/{record}") for path in similar)
            case = " (names are case-sensitive)" if spelled else ""
            first = next(iter(similar.values()))[1]
            at = Location(self.where.source, self.where.file, line=first)
            return InputError(at, f"{reason}; found at {', '.join(shown)}{more}{case}")
        children = self.children
        if not children:
            return InputError(
                self.where, f"{reason}: the document element is empty, the file holds no records"
            )
        shown = [f"<{name}> ({_count(*seen)})" for name, seen in list(children.items())[:5]]
        more = f" and {len(children) - 5} other names" if len(children) > 5 else ""
        return InputError(self.where, f"{reason}; it holds {', '.join(shown)}{more}")


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


def _count(count: int, first: int | None) -> str:
    """``3 elements, the first on line 12``."""
    many = f"{count} elements" if count > 1 else "1 element"
    return f"{many}, the first on line {first}" if first is not None else many


def _logged_fault(parser: etree.XMLPullParser) -> etree._LogEntry | None:
    """The first fatal error the parser logged, if any (others, such as an undeclared namespace
    prefix, do not stop it: nor do they refuse a document parsed whole)."""
    return next((e for e in parser.feed_error_log if e.level >= etree.ErrorLevels.FATAL), None)


def _refusal(exc: etree.XMLSyntaxError, parser: etree.XMLPullParser, where: Location) -> InputError:
    """The file error for a document libxml2 refused with an exception."""
    logged = _logged_fault(parser)
    if not exc.lineno and logged is not None:
        # close() after a fault that stopped the parser only says "no element found".
        return _refused(logged.message, logged.line, logged.column, where)
    return _refused(str(exc.msg), exc.lineno, None, where)


def _refused(message: str, line: int | None, column: int | None, where: Location) -> InputError:
    """The file error for a document libxml2 refused, in its words, at its line."""
    at = Location(where.source, where.file, line=line or None)
    depth = _EXCESSIVE_DEPTH.match(message)
    if depth is not None:
        return InputError(at, str(safexml.TooDeep(int(depth.group(1)), line)))
    if column is not None:
        message = f"{message.strip()}, line {line}, column {column}"
    # libxml2's message carries a line break before ", line N, column M".
    message = " ".join(message.split()).replace(" ,", ",")
    return InputError(at, f"not well-formed XML: {message}")
