"""Checking packet files (``dvcgw validate``): JSON or XML, one packet or a list of them.

A file passes when its document is valid against the schema of its rendering, every packet's
declared ``ContentHash`` matches its content, and the packet, re-rendered in the other form, is
valid too: the two renderings must carry the same data and pass the same checks.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from lxml import etree

from gateway import safexml
from gateway.errors import Violation
from gateway.packets.model import DossierPacket
from gateway.packets.render import PACKET_ELEMENT, from_json, from_xml, to_json, to_xml
from gateway.packets.schemas import SchemaSet

MAX_PACKET_FILE_BYTES = 256 * 1024 * 1024
# What XML 1.0 cannot hold: C0 controls but tab, LF and CR; lone surrogates; U+FFFE and U+FFFF.
_XML_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number the schemas accept")


NOT_A_PACKET = "this is not a packet; translate it first (dvcgw translate --source NAME FILE)"
_PACKET_KEYS = frozenset({"Meta", "HoSo", "QuaTrinhXuLy"})
_BLOCK = 1024 * 1024
_CANNOT_CARRY = "is a control character or an unpaired surrogate, which no packet can carry"


@dataclass(frozen=True)
class Verdict:
    """The check of one packet of a file (``packet`` its 0-based index), or of the file as a
    whole when it cannot be read as packets (``packet`` None): ``problems`` empty when valid."""

    packet: int | None
    problems: tuple[str, ...]


def check_file(path: Path, schemas: SchemaSet) -> list[str]:
    """Every problem of the packet file at ``path``, one line each; empty when it is valid."""
    return [problem for verdict in check_packets(path, schemas) for problem in verdict.problems]


def check_packets(path: Path, schemas: SchemaSet) -> Iterator[Verdict]:
    """One verdict per packet of the file at ``path``, read as it comes (a list of packets is
    never held whole), or one for the file when it holds no packets to check: unreadable, too
    big, not JSON or XML, or a provincial export rather than packets (``NOT_A_PACKET``)."""
    try:
        size = path.stat().st_size
        if size > MAX_PACKET_FILE_BYTES:
            yield Verdict(None, (f"{path}: {size} bytes, over the limit of {MAX_PACKET_FILE_BYTES}",))
            return
        with path.open("rb") as stream:
            head = stream.read(_BLOCK)
            first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
            if first == b"<":
                stream.seek(0)
                yield from _check_xml(path, stream, schemas)
            elif first == b"[":
                yield from _check_json_list(path, head, stream, schemas)
            elif first == b"{":
                data = head + stream.read()
                yield from _check_json(path, data, schemas)
            else:
                yield Verdict(None, (f"{path}: {NOT_A_PACKET}",))
    except OSError as exc:
        yield Verdict(None, (f"{path}: cannot read: {exc.strerror}",))


def _not_packet(document: Any) -> bool:
    return not (isinstance(document, dict) and _PACKET_KEYS & document.keys())


def _uncarriable(document: Any) -> str | None:
    """The first string (or key) of a JSON document holding a character XML cannot carry, as
    ``$.HoSo.TenTTHC: U+0001``: such a packet has no XML rendering, and the libraries that render
    or hash it refuse it with an exception rather than a verdict."""
    stack: list[tuple[Any, str]] = [(document, "$")]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str):
            found = _XML_UNSAFE.search(value)
            if found is not None:
                return f"{where}: U+{ord(found.group()):04X}"
        elif isinstance(value, dict):
            for key, item in value.items():
                found = _XML_UNSAFE.search(key)
                if found is not None:
                    return f"{where} (a key): U+{ord(found.group()):04X}"
                stack.append((item, f"{where}.{key}"))
        elif isinstance(value, list):
            stack.extend((item, f"{where}[{index}]") for index, item in enumerate(value))
    return None


def _check_json(path: Path, data: bytes, schemas: SchemaSet) -> Iterator[Verdict]:
    """A file holding one JSON packet."""
    decoder = json.JSONDecoder(parse_constant=_reject_constant)
    try:
        text = data.decode("utf-8-sig")
        document, end = decoder.raw_decode(text, len(text) - len(text.lstrip()))
    except (ValueError, RecursionError) as exc:
        yield Verdict(None, (f"{path}: not valid JSON: {exc}",))
        return
    if _not_packet(document):
        yield Verdict(None, (f"{path}: {NOT_A_PACKET}",))
        return
    if text[end:].strip():
        yield Verdict(None, (f"{path}: not valid JSON: extra data after the packet (char {end})",))
        return
    found = _uncarriable(document)
    if found is not None:
        problem = (
            f"{path}: {found} is a control character or an unpaired surrogate, which no packet can carry"
        )
        yield Verdict(0, (problem,))
        return
    yield Verdict(0, tuple(_check_json_packet(f"{path}: packet 0", document, schemas)))


def _check_json_packet(where: str, item: Any, schemas: SchemaSet) -> Iterator[str]:
    violations = schemas.json_violations(item, "GoiHoSo")
    if violations:
        yield from (f"{where}: {v}" for v in violations)
        return
    packet = from_json(item, schemas.layout)
    yield from _cross_check(where, item["Meta"]["ContentHash"], packet, schemas, other="XML")


def _check_json_list(path: Path, head: bytes, stream: BinaryIO, schemas: SchemaSet) -> Iterator[Verdict]:
    """A JSON array of packets, decoded a block at a time, one packet in memory at a time."""
    decoder = json.JSONDecoder(parse_constant=_reject_constant)
    text_of = codecs.getincrementaldecoder("utf-8-sig")()
    state = {"text": text_of.decode(head), "eof": False}

    def more() -> bool:
        if state["eof"]:
            return False
        chunk = stream.read(_BLOCK)
        state["eof"] = not chunk
        state["text"] = str(state["text"]) + text_of.decode(chunk, final=not chunk)
        return True

    def skip(pos: int) -> int:
        while True:
            text = str(state["text"])
            stripped = len(text) - len(text[pos:].lstrip())
            if stripped < len(text) or not more():
                return stripped

    index = 0
    try:
        pos = skip(skip(0) + 1)
        while True:
            text = str(state["text"])
            if index == 0 and text.startswith("]", pos):
                yield Verdict(None, (f"{path}: the list holds no packet",))
                return
            try:
                item, end = decoder.raw_decode(text, pos)
            except ValueError as exc:
                if more():
                    continue
                yield Verdict(None, (f"{path}: not valid JSON after packet {index - 1}: {exc}",))
                return
            if end == len(text) and more():
                continue
            if index == 0 and _not_packet(item):
                yield Verdict(None, (f"{path}: {NOT_A_PACKET}",))
                return
            where = f"{path}: packet {index}"
            found = _uncarriable(item)
            if found is not None:
                yield Verdict(index, (f"{where}: {found} {_CANNOT_CARRY}",))
            else:
                yield Verdict(index, tuple(_check_json_packet(where, item, schemas)))
            index += 1
            pos = skip(end)
            text = str(state["text"])
            separator = text[pos : pos + 1]
            if separator == "]":
                if text[pos + 1 :].strip() or (more() and str(state["text"])[pos + 1 :].strip()):
                    yield Verdict(None, (f"{path}: not valid JSON: extra data after the list",))
                return
            if separator != ",":
                yield Verdict(
                    None, (f"{path}: not valid JSON after packet {index - 1}: expected ',' or ']'",)
                )
                return
            pos = skip(pos + 1)
            if pos > _BLOCK:
                state["text"] = text[pos:]
                pos = 0
    except (UnicodeDecodeError, RecursionError) as exc:
        yield Verdict(None, (f"{path}: not valid JSON: {exc}",))


def _check_xml(path: Path, stream: BinaryIO, schemas: SchemaSet) -> Iterator[Verdict]:
    """An XML packet, or a ``<DanhSachGoiHoSo>`` list of them read one packet at a time (with the
    hardened parser's settings: no DTD, no entities, no network, no huge trees)."""
    ns = "{" + schemas.layout.namespace + "}"
    packet_tag, list_tag = ns + PACKET_ELEMENT, ns + "DanhSachGoiHoSo"
    events = etree.iterparse(stream, events=("start", "end"), **safexml.HARDENED)
    depth = index = 0
    root: Any = None
    try:
        for event, element in events:
            if event == "start":
                depth += 1
                if depth == 1:
                    root = element
                    docinfo = element.getroottree().docinfo
                    if docinfo.doctype or docinfo.internalDTD is not None:
                        yield Verdict(
                            None,
                            (f"{path}: document declares a DOCTYPE; DTDs and entities are not accepted",),
                        )
                        return
                    if element.tag not in (packet_tag, list_tag):
                        yield Verdict(None, (f"{path}: {NOT_A_PACKET}",))
                        return
                continue
            depth -= 1
            if isinstance(element, etree._Entity) or any(True for _ in element.iter(etree.Entity)):
                yield Verdict(
                    None, (f"{path}: document uses an entity reference; entities are not accepted",)
                )
                return
            if depth == 0 and element.tag == packet_tag:
                yield _check_xml_packet(f"{path}: packet 0", element, schemas, 0)
            elif depth == 1 and root.tag == list_tag:
                if element.tag != packet_tag:
                    yield Verdict(
                        None, (f"{path}: line {element.sourceline}: {element.tag} is not a packet",)
                    )
                else:
                    yield _check_xml_packet(f"{path}: packet {index}", element, schemas, index)
                    index += 1
                element.clear()
                while element.getprevious() is not None:
                    del root[0]
    except etree.XMLSyntaxError as exc:
        yield Verdict(None, (f"{path}: not well-formed XML: {exc}",))
        return
    if root is not None and root.tag == list_tag and index == 0:
        yield Verdict(None, (f"{path}: the list holds no packet",))


def _check_xml_packet(where: str, element: Any, schemas: SchemaSet, index: int) -> Verdict:
    violations = schemas.xml_violations(element)
    if violations:
        return Verdict(index, tuple(f"{where}: {v}" for v in violations))
    ns = "{" + schemas.layout.namespace + "}"
    packet = from_xml(element, schemas.layout)
    declared = element.findtext(f"{ns}Meta/{ns}ContentHash") or ""
    return Verdict(index, tuple(_cross_check(where, declared, packet, schemas, other="JSON")))


def _cross_check(
    where: str, declared: str, packet: DossierPacket, schemas: SchemaSet, other: str
) -> Iterator[str]:
    where = f"{where} (dossier {packet.ma_ho_so})"
    if declared != packet.content_hash:
        yield f"{where}: ContentHash {declared} does not match the content ({packet.content_hash})"
    twin: list[Violation]
    if other == "XML":
        twin = schemas.xml_violations(to_xml(packet, schemas.layout))
    else:
        twin = schemas.json_violations(to_json(packet), "GoiHoSo")
    yield from (f"{where}: its {other} rendering is invalid: {v}" for v in twin)


def xml_document(packets: list[DossierPacket], schemas: SchemaSet) -> etree._Element:
    """Several packets as one ``<DanhSachGoiHoSo>`` document."""
    ns = schemas.layout.namespace
    root = etree.Element("{" + ns + "}DanhSachGoiHoSo", nsmap={None: ns})  # type: ignore[dict-item]
    for packet in packets:
        root.append(to_xml(packet, schemas.layout))
    return root
