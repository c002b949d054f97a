"""Writing packets out: one document to stdout or to a file, or one file per packet in a folder.

The document is streamed (a JSON array, or ``<DanhSachGoiHoSo>`` in XML), so memory does not
grow with the number of packets. Every packet is checked against the schema of the rendering it
is written in before it is written.

Output that looks complete is complete. ``PacketWriter`` finishes its output only when its
``with`` block ends without an exception (an interruption, a failure): then

- a document file (``target``) is written as ``.<name>.<random>.partial`` next to it and renamed
  over it, so the target is either untouched or whole, never cut short;
- packet files (``out``) are written into a hidden ``.partial-<random>`` folder inside ``out``
  and moved into ``out`` at the end; an interrupted run removes that folder;
- a stream (stdout) cannot be taken back: its document is left unclosed (no ``]`` or
  ``</DanhSachGoiHoSo>``), which no JSON or XML reader, ``dvcgw validate`` included, accepts.

A write that fails (a read-only or full disk, a folder path under a regular file) raises
``OutputError`` naming the path, never a bare ``OSError``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from lxml import etree

from gateway.errors import GatewayError, SchemaError
from gateway.packets.model import DossierPacket
from gateway.packets.render import to_json, to_json_bytes, to_xml
from gateway.packets.schemas import SchemaSet


class OutputError(GatewayError):
    """Packets could not be written: ``path`` (or ``<stdout>``) and the system's reason."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"cannot write {path}: {reason}")
        self.path = path
        self.reason = reason


def _failed(path: Path | str, exc: OSError) -> OutputError:
    """The error for a failed write to ``path``: the system names a more precise path (the
    folder under a file) when it has one, except a temporary file of ours."""
    where = exc.filename if isinstance(exc.filename, str) and ".partial" not in exc.filename else None
    return OutputError(where or str(path), exc.strerror or str(exc))


def packet_file_name(packet: DossierPacket, fmt: str) -> str:
    """``<MaHoSo>_<revision>_<hash8>.<fmt>``: distinct for distinct content of one revision."""
    return f"{packet.ma_ho_so}_{packet.meta.revision}_{packet.content_hash[:8]}.{fmt}"


class PacketWriter:
    """Context manager writing validated packets in one rendering (``json`` or ``xml``): to
    ``stream`` (stdout by default), to the file ``target``, or one file each into ``out``."""

    def __init__(
        self,
        schemas: SchemaSet,
        *,
        fmt: str = "json",
        out: Path | None = None,
        target: Path | None = None,
        stream: BinaryIO | None = None,
    ) -> None:
        self.schemas = schemas
        self.fmt = fmt
        self.out = out
        self.target = target
        self.stream = stream or sys.stdout.buffer
        self.count = 0
        self._where = str(target) if target is not None else "<stdout>"
        self._partial: Path | None = None  # the temporary file or folder being written

    def __enter__(self) -> PacketWriter:
        if self.out is not None:
            try:
                self.out.mkdir(parents=True, exist_ok=True)
                self._partial = Path(tempfile.mkdtemp(prefix=".partial-", dir=self.out))
            except OSError as exc:
                raise _failed(self.out, exc) from exc
            return self
        if self.target is not None:
            try:
                handle, name = tempfile.mkstemp(
                    prefix=f".{self.target.name}.", suffix=".partial", dir=self.target.parent
                )
            except OSError as exc:
                raise OutputError(str(self.target), exc.strerror or str(exc)) from exc
            self._partial = Path(name)
            self.stream = os.fdopen(handle, "wb")
            # mkstemp makes the file private (0600); the document gets the mode any new file would.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(handle, 0o666 & ~umask)
        if self.fmt == "json":
            self._write(b"[")
        else:
            ns = self.schemas.layout.namespace
            self._write(f"<?xml version='1.0' encoding='UTF-8'?>\n<DanhSachGoiHoSo xmlns=\"{ns}\">".encode())
        return self

    def _write(self, data: bytes) -> None:
        try:
            self.stream.write(data)
        except OSError as exc:
            raise _failed(self._where, exc) from exc

    def write(self, packet: DossierPacket) -> None:
        """Check ``packet`` against its rendering's schema and write it."""
        if self.fmt == "xml":
            element = to_xml(packet, self.schemas.layout)
            violations = self.schemas.xml_violations(element)
        else:
            violations = self.schemas.json_violations(to_json(packet))
        if violations:
            raise SchemaError(violations, what=f"packet of dossier {packet.ma_ho_so}")
        if self.out is not None:
            assert self._partial is not None
            data = (
                etree.tostring(element, xml_declaration=True, encoding="UTF-8")
                if self.fmt == "xml"
                else to_json_bytes(packet)
            )
            file = self._partial / packet_file_name(packet, self.fmt)
            try:
                file.write_bytes(data)
            except OSError as exc:
                raise _failed(self.out, exc) from exc
        elif self.fmt == "xml":
            # Each packet is written as a whole element (declaring the namespace again, which
            # XML allows): no writer holds the list open, so nothing closes it on a failure.
            self._write(b"\n" + etree.tostring(element, encoding="UTF-8"))
        else:
            self._write((b",\n" if self.count else b"\n") + to_json_bytes(packet))
        self.count += 1

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is not None:
            self._abandon()
            return
        try:
            self._finish()
        except BaseException:
            self._abandon()
            raise

    def _finish(self) -> None:
        if self.out is not None:
            assert self._partial is not None
            for file in sorted(self._partial.iterdir()):
                try:
                    file.replace(self.out / file.name)
                except OSError as exc:
                    raise _failed(self.out, exc) from exc
            self._partial.rmdir()
            self._partial = None
            return
        if self.fmt == "json":
            self._write(b"\n]\n" if self.count else b"]\n")
        else:
            self._write(b"\n</DanhSachGoiHoSo>\n")
        try:
            self.stream.flush()
            if self.target is not None:
                os.fsync(self.stream.fileno())
                self.stream.close()
                assert self._partial is not None
                self._partial.replace(self.target)
                self._partial = None
        except OSError as exc:
            raise _failed(self._where, exc) from exc

    def _abandon(self) -> None:
        """Leave nothing that looks complete: remove the partial file or folder; a stream is
        left as it is, unclosed."""
        partial, self._partial = self._partial, None
        if self.target is not None:
            with contextlib.suppress(OSError):  # the write that failed is the one reported
                self.stream.close()
        if partial is None:
            return
        if partial.is_dir():
            shutil.rmtree(partial, ignore_errors=True)
        else:
            partial.unlink(missing_ok=True)
