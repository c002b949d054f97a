"""make_adapter: the reader for a mapping's source format."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.adapters import CsvAdapter, JsonAdapter, SourceFormat, XmlAdapter, make_adapter


@pytest.mark.parametrize(
    ("kind", "reader"), [("json", JsonAdapter), ("xml", XmlAdapter), ("csv", CsvAdapter)]
)
def test_make_adapter_picks_the_reader_for_the_format_kind(kind: Any, reader: type) -> None:
    fmt = SourceFormat(kind=kind)
    adapter = make_adapter("some-source", fmt)
    assert type(adapter) is reader
    assert vars(adapter)["fmt"] is fmt


def test_make_adapter_refuses_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown source kind 'yaml'; expected one of csv"):
        make_adapter("x", SourceFormat(kind="yaml"))  # type: ignore[arg-type]


def test_every_reader_names_the_source_in_provenance() -> None:
    adapter = make_adapter("igate-json", SourceFormat(kind="json"))
    (record,) = adapter.read_bytes(b'{"code": "A-1"}\n', "f.ndjson")
    assert record.provenance.source == "igate-json"
