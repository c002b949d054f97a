"""The packet's two renderings, JSON and XML, and the way back from each.

Both carry the same data: ``to_json`` and ``to_xml`` of one packet, read back with ``from_json`` and
``from_xml``, give equal packets with the same content hash. XML is built with lxml, element by
element, in the order the XSD declares; never by string concatenation.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from lxml import etree

from gateway.packets.layout import Layout
from gateway.packets.model import DossierPacket, PacketMeta, Record
from gateway.packets.schemas import default_layout

PACKET_ELEMENT = "GoiHoSo"

_META_FIELDS = (
    ("Source", "source"),
    ("Mapping", "mapping"),
    ("MappingHash", "mapping_hash"),
    ("Revision", "revision"),
    ("SourceFile", "source_file"),
    ("RecordIndex", "record_index"),
)


def meta_to_json(packet: DossierPacket) -> Record:
    meta: Record = {key: getattr(packet.meta, attr) for key, attr in _META_FIELDS}
    meta["ContentHash"] = packet.content_hash
    return meta


def to_json(packet: DossierPacket) -> Record:
    """The packet as a JSON-ready dict: ``{"Meta", "HoSo", "QuaTrinhXuLy"}``."""
    return {"Meta": meta_to_json(packet), "HoSo": packet.dossier, "QuaTrinhXuLy": list(packet.history)}


def to_json_bytes(packet: DossierPacket, *, pretty: bool = False) -> bytes:
    return orjson.dumps(to_json(packet), option=orjson.OPT_INDENT_2 if pretty else 0)


def from_json(document: Mapping[str, Any], layout: Layout | None = None) -> DossierPacket:
    """Read a packet back from its JSON form (already schema-valid)."""
    meta = document["Meta"]
    return DossierPacket.build(
        PacketMeta(**{attr: meta[key] for key, attr in _META_FIELDS}),
        document["HoSo"],
        document.get("QuaTrinhXuLy", []),
        layout,
    )


def record_to_xml(
    parent: etree._Element | None, tag: str, record: Mapping[str, Any], type_name: str, layout: Layout
) -> etree._Element:
    """Append (or create, with ``parent`` None) the element for one record of type ``type_name``."""
    # lxml's copy.copy is already deep, and cheaper than copy.deepcopy (no memo bookkeeping).
    element = copy.copy(layout.template(tag, type_name))
    unused = []
    for child, spec in zip(element, layout.fields(type_name), strict=True):
        value = record.get(spec.name)
        if spec.record or spec.repeated:
            items: Iterable[Any] = (value or ()) if spec.repeated else (value,)
            for item in items:
                if spec.record and item is not None:
                    child.addprevious(record_to_xml(None, spec.name, item, spec.type_name, layout))
                elif item is not None:
                    twin = copy.copy(child)
                    twin.text = str(item)
                    child.addprevious(twin)
            unused.append(child)
        elif value is None or value == "":
            # Absent and empty mean the same ("no value"); an optional empty field is left out.
            if not spec.required:
                unused.append(child)
        elif type(value) is str:
            child.text = value
        else:
            child.text = str(value)
    for child in unused:
        element.remove(child)
    if parent is not None:
        parent.append(element)
    return element


def to_xml(packet: DossierPacket, layout: Layout | None = None) -> etree._Element:
    """The packet as an lxml element ``<GoiHoSo>`` in the schema's namespace."""
    document = {"Meta": meta_to_json(packet), "HoSo": packet.dossier, "QuaTrinhXuLy": packet.history}
    return record_to_xml(None, PACKET_ELEMENT, document, PACKET_ELEMENT, layout or default_layout())


def to_xml_bytes(packet: DossierPacket, *, pretty: bool = False) -> bytes:
    return bytes(etree.tostring(to_xml(packet), xml_declaration=True, encoding="UTF-8", pretty_print=pretty))


def record_from_xml(element: etree._Element, type_name: str, layout: Layout) -> Record:
    """Read one record element (already schema-valid) into a complete dict."""
    by_name: dict[str, list[etree._Element]] = {}
    for child in element:
        if isinstance(child.tag, str):
            by_name.setdefault(etree.QName(child).localname, []).append(child)
    out: Record = {}
    for spec in layout.fields(type_name):
        children = by_name.get(spec.name, [])
        items: list[Any]
        if spec.record:
            items = [record_from_xml(c, spec.type_name, layout) for c in children]
        elif spec.integer:
            items = [int(c.text or "0") for c in children]
        else:
            items = [c.text or "" for c in children]
        if spec.repeated:
            out[spec.name] = items
        elif items:
            out[spec.name] = items[0]
        else:
            out[spec.name] = None if spec.integer else ""
    return out


def from_xml(root: etree._Element, layout: Layout | None = None) -> DossierPacket:
    """Read a packet back from its ``<GoiHoSo>`` element (already schema-valid)."""
    layout = layout or default_layout()
    packet = record_from_xml(root, "GoiHoSo", layout)
    meta = packet["Meta"]
    return DossierPacket.build(
        PacketMeta(**{attr: meta[key] for key, attr in _META_FIELDS}),
        packet["HoSo"],
        packet["QuaTrinhXuLy"],
        layout,
    )
