"""What every adapter yields: plain record trees with their provenance, or bad records.

An adapter knows a file format and its encodings, nothing of mappings, packets or the broker.
It turns one provincial export file into a stream of ``SourceRecord`` (a plain tree of dicts,
lists, strings, numbers, booleans and None, every string in Unicode NFC) and ``BadRecord`` (a
record that cannot be read, with its reason and its bytes). A problem that spoils the whole file
(not well-formed, too big, undecodable header) raises ``InputError`` instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal, Protocol

Tree = dict[str, Any]

MIB = 1024 * 1024


@dataclass(frozen=True)
class Provenance:
    """Where a record came from: source system, file, 0-based index in the file, 1-based line."""

    source: str
    file: str
    index: int
    line: int | None = None


@dataclass(frozen=True)
class SourceRecord:
    """One record read from a source file.

    ``raw`` holds the record's own bytes where they can be cut out of the file (an NDJSON line, a
    CSV row, an XML element), otherwise a faithful re-serialisation (an item of a JSON array).
    """

    provenance: Provenance
    tree: Tree
    raw: bytes


@dataclass(frozen=True)
class BadRecord:
    """A record that could not be read; kept with its reason and its bytes, never dropped."""

    provenance: Provenance
    reason: str
    raw: bytes
    field: str | None = None
    readable: Tree | None = None
    """What could be read of the record nonetheless (a row's cells, a parsed JSON object, a
    misplaced XML element's tree), never mapped: only for naming the record in its rejection
    (its dossier code, its vendor id). None when nothing could be read."""


ReadResult = SourceRecord | BadRecord


@dataclass(frozen=True)
class SourceFormat:
    """How a source's files are laid out; the ``source:`` section of a mapping file."""

    kind: Literal["json", "xml", "csv"]
    encoding: str | None = None
    """CSV: the files' encoding (``utf-8-sig`` when None; ``cp1258`` for the oldest exports).
    JSON is always UTF-8; XML declares its own in the prolog."""
    encodings: tuple[str, ...] = ()
    """CSV: several encodings, tried in order for each file (``encoding: [utf-8-sig, cp1258]``);
    ``encoding`` is then the first. Empty when the mapping names one."""
    root_element: str = "DanhSachHoSo"
    """XML: the document element."""
    record_element: str = "HoSo"
    """XML: the element that holds one record, a child of the root."""
    delimiter: str = ";"
    """CSV: the field separator."""
    max_file_bytes: int = 64 * MIB
    max_depth: int = 64
    """Deepest nesting accepted in a JSON record (XML is bounded by libxml2's own limit)."""


class Adapter(Protocol):
    """Reads one provincial export format."""

    def read(self, path: Path) -> Iterator[ReadResult]:
        """Yield each record of the file at ``path``; raise ``InputError`` if the file as a whole
        cannot be read."""
        ...

    def read_bytes(self, data: bytes, file: str) -> Iterator[ReadResult]:
        """The same for a file's content already in memory; ``file`` names it in provenance."""
        ...

    def read_stream(self, stream: BinaryIO, file: str) -> Iterator[ReadResult]:
        """The same for a file open for reading (standard input, a pipe), read as it comes."""
        ...
