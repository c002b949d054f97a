"""Writing packets out: one document to stdout, or one file per packet in a folder.

The stdout document is streamed (a JSON array, or ``<DanhSachGoiHoSo>`` in XML), so memory does
not grow with the number of packets. Every packet is checked against the schema of the rendering
it is written in before it is written.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

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

    def __enter__(self) -> PacketWriter:
        if self.out is not None:
            self.out.mkdir(parents=True, exist_ok=True)
        elif self.fmt == "json":
            self.stream.write(b"[")
        return self

    def write(self, packet: DossierPacket) -> None:
        if self.fmt == "xml":
            element = to_xml(packet, self.schemas.layout)
            violations = self.schemas.xml_violations(element)
            data = etree.tostring(element, xml_declaration=self.out is not None, encoding="UTF-8")
        else:
            violations = self.schemas.json_violations(to_json(packet))
            data = to_json_bytes(packet)
        if violations:
            raise SchemaError(violations, what=f"packet of dossier {packet.ma_ho_so}")
        if self.out is not None:
            (self.out / packet_file_name(packet, self.fmt)).write_bytes(data)
        elif self.fmt == "json":
            self.stream.write((b",\n" if self.count else b"\n") + data)
        else:
            if self.count == 0:
                ns = self.schemas.layout.namespace.encode()
                self.stream.write(
                    b"<?xml version='1.0' encoding='UTF-8'?>\n<DanhSachGoiHoSo xmlns=\"" + ns + b'">\n'
                )
            self.stream.write(data + b"\n")
        self.count += 1

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.out is not None:
            return
        if self.fmt == "json":
            self.stream.write(b"\n]\n" if self.count else b"]\n")
        elif self.count == 0:
            ns = self.schemas.layout.namespace.encode()
            self.stream.write(
                b"<?xml version='1.0' encoding='UTF-8'?>\n<DanhSachGoiHoSo xmlns=\"" + ns + b'"/>\n'
            )
        else:
            self.stream.write(b"</DanhSachGoiHoSo>\n")
        self.stream.flush()
