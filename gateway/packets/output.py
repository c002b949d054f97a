"""Writing packets out: one document to stdout, or one file per packet in a folder.

The stdout document is streamed (a JSON array, or ``<DanhSachGoiHoSo>`` in XML), so memory does
not grow with the number of packets. Every packet is checked against the schema of the rendering
it is written in before it is written.
"""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

from lxml import etree

from gateway.errors import SchemaError
from gateway.packets.model import DossierPacket
from gateway.packets.render import to_json, to_json_bytes, to_xml
from gateway.packets.schemas import SchemaSet


def packet_file_name(packet: DossierPacket, fmt: str) -> str:
    """``<MaHoSo>_<revision>_<hash8>.<fmt>``: distinct for distinct content of one revision."""
    return f"{packet.ma_ho_so}_{packet.meta.revision}_{packet.content_hash[:8]}.{fmt}"


class PacketWriter:
    """Context manager writing validated packets in one rendering (``json`` or ``xml``)."""

    def __init__(
        self,
        schemas: SchemaSet,
        *,
        fmt: str = "json",
        out: Path | None = None,
        stream: BinaryIO | None = None,
    ) -> None:
        self.schemas = schemas
        self.fmt = fmt
        self.out = out
        self.stream = stream or sys.stdout.buffer
        self.count = 0
        self._open = ExitStack()
        self._xml: Any = None

    def __enter__(self) -> PacketWriter:
        if self.out is not None:
            self.out.mkdir(parents=True, exist_ok=True)
        elif self.fmt == "json":
            self.stream.write(b"[")
        else:
            # lxml's incremental writer streams the list document: one packet in memory at a time.
            ns = self.schemas.layout.namespace
            self._xml = self._open.enter_context(etree.xmlfile(self.stream, encoding="UTF-8"))
            self._xml.write_declaration()
            self._open.enter_context(self._xml.element("{" + ns + "}DanhSachGoiHoSo", nsmap={None: ns}))
        return self

    def write(self, packet: DossierPacket) -> None:
        if self.fmt == "xml":
            element = to_xml(packet, self.schemas.layout)
            violations = self.schemas.xml_violations(element)
        else:
            violations = self.schemas.json_violations(to_json(packet))
        if violations:
            raise SchemaError(violations, what=f"packet of dossier {packet.ma_ho_so}")
        if self.out is not None:
            data = (
                etree.tostring(element, xml_declaration=True, encoding="UTF-8")
                if self.fmt == "xml"
                else to_json_bytes(packet)
            )
            (self.out / packet_file_name(packet, self.fmt)).write_bytes(data)
        elif self.fmt == "xml":
            self._xml.write(element)
        else:
            self.stream.write((b",\n" if self.count else b"\n") + to_json_bytes(packet))
        self.count += 1

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.out is not None:
            return
        self._open.close()
        if self.fmt == "json":
            self.stream.write(b"\n]\n" if self.count else b"]\n")
        else:
            self.stream.write(b"\n")
        self.stream.flush()
