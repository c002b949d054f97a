"""The declarative mapping language: provincial record trees → national records."""

from __future__ import annotations

from gateway.mapping.spec import MappedRecord, SourceMapping, load_mapping

__all__ = ["MappedRecord", "SourceMapping", "load_mapping"]
