"""The translator (gateway/translate.py): every record read ends as exactly one outcome.

A defect of the gateway on one record becomes a rejection of that record marked internal, the
others go on; a file from which no record comes is an error, never an export of zero records.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from gateway.adapters import BadRecord, Provenance, ReadResult, SourceRecord
from gateway.errors import InputError
from gateway.mapping import load_mapping
from gateway.mapping.fixtures import FIXTURE_NOW
from gateway.packets import SchemaSet
from gateway.translate import NO_RECORDS, FileFailure, Outcome, Rejection, Translated, Translator

EXAMPLE = Path("fixtures/igate-json/01-array-documented-example/input.json")


class _FailsOnSecond(Translator):
    """A translator with a defect on its second record: what an unforeseen mapping bug looks like."""

    def translate_record(self, record: SourceRecord, now: datetime | None = None) -> Outcome:
        if record.provenance.index == 1:
            raise TypeError("unsupported operand type(s)")
        return super().translate_record(record, now)


class _Records:
    """An adapter yielding the given results, then failing with ``error`` if one is given."""

    def __init__(self, results: list[ReadResult], error: Exception | None = None) -> None:
        self.results = results
        self.error = error

    def read(self, path: Path) -> Iterator[ReadResult]:
        return self.read_bytes(b"", str(path))

    def read_bytes(self, data: bytes, file: str) -> Iterator[ReadResult]:
        yield from self.results
        if self.error is not None:
            raise self.error


def _translator(schemas: SchemaSet, cls: type[Translator] = Translator) -> Translator:
    return cls(load_mapping(Path("mappings/igate-json.yaml")), schemas, clock=lambda: FIXTURE_NOW)


def _three_records() -> bytes:
    [record] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    return json.dumps([record, record, record], ensure_ascii=False).encode()


def test_a_defect_on_one_record_rejects_that_record_only_marked_internal(schemas: SchemaSet) -> None:
    outcomes = list(_translator(schemas, _FailsOnSecond).translate_bytes(_three_records(), "export.json"))
    assert [type(o).__name__ for o in outcomes] == ["Translated", "Rejection", "Translated"]
    rejection = outcomes[1]
    assert isinstance(rejection, Rejection)
    assert rejection.internal
    assert rejection.lines() == [
        "export.json, record 1, line 1, field record: internal error while translating this record: "
        "TypeError: unsupported operand type(s)"
    ]


def test_a_bad_record_is_a_rejection_that_is_not_internal(schemas: SchemaSet) -> None:
    translator = _translator(schemas)
    translator.adapter = _Records([BadRecord(Provenance("igate-json", "f", 0, 1), "duplicate key", b"{}")])
    [rejection] = translator.translate_bytes(b"", "f")
    assert isinstance(rejection, Rejection)
    assert not rejection.internal


def test_a_file_from_which_no_record_comes_is_an_input_error(schemas: SchemaSet) -> None:
    translator = _translator(schemas)
    translator.adapter = _Records([])
    with pytest.raises(InputError) as caught:
        list(translator.translate_bytes(b"", "export.json"))
    assert (caught.value.reason, caught.value.location.file) == (NO_RECORDS, "export.json")


def test_outcomes_turn_a_file_without_records_into_a_file_failure(tmp_path: Path, schemas: SchemaSet) -> None:
    file = tmp_path / "export.json"
    file.write_text("[]", encoding="utf-8")
    [failure] = _translator(schemas).outcomes(file)
    assert isinstance(failure, FileFailure)
    assert (failure.error.reason, failure.after, failure.internal) == (
        "the JSON array is empty: no records",
        0,
        False,
    )


def test_outcomes_keep_what_was_read_before_a_defect_of_the_reader(
    tmp_path: Path, schemas: SchemaSet
) -> None:
    translator = _translator(schemas)
    [good] = [r for r in translator.adapter.read(EXAMPLE) if isinstance(r, SourceRecord)]
    translator.adapter = _Records([good], IndexError("list index out of range"))
    translated, failure = translator.outcomes(tmp_path / "export.json")
    assert isinstance(translated, Translated)
    assert isinstance(failure, FileFailure)
    assert (failure.after, failure.internal) == (1, True)
    assert failure.error.reason == "cannot read on: internal error IndexError: list index out of range"
