"""Adapters: one provincial export file in, a stream of record trees and bad records out.

For the translate path and the CLI: ``make_adapter(source, fmt)`` picks the reader for a
mapping's ``source:`` section (``fmt.kind``); every reader satisfies ``Adapter`` and yields
``SourceRecord`` / ``BadRecord`` (see ``gateway.adapters.base``). Adapters know file formats and
encodings only, nothing of mappings or the national format.

- ``JsonAdapter``: igate-json, a JSON array or NDJSON (``json_records``);
- ``XmlAdapter``: motcua-xml, UTF-8 or windows-1258 (``xml_records``);
- ``CsvAdapter``: legacy-csv, in the declared encoding (``csv_records``).

Encodings, whether an XML prolog or a mapping declares them, come from the allow-list of
``gateway.adapters.encodings`` (UTF-8, UTF-8 with BOM, windows-1258).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from gateway.adapters.base import (
    MIB,
    Adapter,
    BadRecord,
    Provenance,
    ReadResult,
    SourceFormat,
    SourceRecord,
    Tree,
)
from gateway.adapters.csv_records import CsvAdapter
from gateway.adapters.json_records import JsonAdapter
from gateway.adapters.text import nfc, nfc_tree
from gateway.adapters.xml_records import XmlAdapter

__all__ = [
    "MIB",
    "Adapter",
    "BadRecord",
    "CsvAdapter",
    "JsonAdapter",
    "Provenance",
    "ReadResult",
    "SourceFormat",
    "SourceRecord",
    "Tree",
    "XmlAdapter",
    "make_adapter",
    "nfc",
    "nfc_tree",
]

_BY_KIND: Mapping[str, Callable[[str, SourceFormat], Adapter]] = {
    "json": JsonAdapter,
    "xml": XmlAdapter,
    "csv": CsvAdapter,
}


def make_adapter(source: str, fmt: SourceFormat) -> Adapter:
    """The reader for ``fmt.kind``, naming ``source`` in every record's provenance."""
    try:
        factory = _BY_KIND[fmt.kind]
    except KeyError:
        kinds = ", ".join(sorted(_BY_KIND))
        raise ValueError(f"unknown source kind {fmt.kind!r}; expected one of {kinds}") from None
    return factory(source, fmt)
