"""Checking packet files (``dvcgw validate``): JSON or XML, one packet or a list of them.

A file passes when its document is valid against the schema of its rendering, every packet's
declared ``ContentHash`` matches its content, and the packet, re-rendered in the other form, is
valid too: the two renderings must carry the same data and pass the same checks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


def check_file(path: Path, schemas: SchemaSet) -> list[str]:
    """Every problem of the packet file at ``path``, one line each; empty when it is valid."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [f"{path}: cannot read: {exc.strerror}"]
    if len(data) > MAX_PACKET_FILE_BYTES:
        return [f"{path}: {len(data)} bytes, over the limit of {MAX_PACKET_FILE_BYTES}"]
    head = data.lstrip()[:1]
    if head == b"<":
        return list(_check_xml(path, data, schemas))
    return list(_check_json(path, data, schemas))


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


def _check_json(path: Path, data: bytes, schemas: SchemaSet) -> Iterator[str]:
    try:
        document = json.loads(data, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        yield f"{path}: not valid JSON: {exc}"
        return
    found = _uncarriable(document)
    if found is not None:
        yield f"{path}: {found} is a control character or an unpaired surrogate, which no packet can carry"
        return
    packets = document if isinstance(document, list) else [document]
    for index, item in enumerate(packets):
        where = f"{path}: packet {index}"
        violations = schemas.json_violations(item, "GoiHoSo")
        if violations:
            yield from (f"{where}: {v}" for v in violations)
            continue
        packet = from_json(item, schemas.layout)
        yield from _cross_check(where, item["Meta"]["ContentHash"], packet, schemas, other="XML")


def _check_xml(path: Path, data: bytes, schemas: SchemaSet) -> Iterator[str]:
    try:
        root = safexml.parse(data, max_bytes=MAX_PACKET_FILE_BYTES)
    except safexml.UnsafeXml as exc:
        yield f"{path}: {exc}"
        return
    violations = schemas.xml_violations(root)
    if violations:
        yield from (f"{path}: {v}" for v in violations)
        return
    ns = "{" + schemas.layout.namespace + "}"
    elements = [root] if root.tag == ns + PACKET_ELEMENT else list(root.iterchildren(ns + PACKET_ELEMENT))
    for index, element in enumerate(elements):
        packet = from_xml(element, schemas.layout)
        declared = element.findtext(f"{ns}Meta/{ns}ContentHash") or ""
        yield from _cross_check(f"{path}: packet {index}", declared, packet, schemas, other="JSON")


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
