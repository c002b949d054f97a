"""Whatever shape a record takes, translation ends it as a packet or a rejection saying why.

Properties over every dialect's fixture records with mutated structure and values
(``tests/mapping/mutations.py``), run through ``Translator.translate_bytes`` and
``Translator.outcomes``: no exception escapes, no record is lost (one outcome per record written,
unless the whole file is refused with a reason), no rejection is an internal error, every
rejection gives a reason. Reproducible and bounded: ``PROPERTIES`` (200 derandomized examples).
"""

from __future__ import annotations

from hypothesis import event, given

from gateway.errors import InputError
from gateway.translate import Outcome, Rejection, Translated
from tests.mapping.mutations import (
    PROPERTIES,
    Sample,
    igate_json_files,
    legacy_csv_files,
    motcua_xml_files,
    translator,
)


def _outcomes(name: str, sample: Sample) -> list[Outcome] | InputError:
    try:
        return list(translator(name).translate_bytes(sample.data, sample.file))
    except InputError as exc:
        return exc


def assert_every_record_accounted_for(name: str, sample: Sample) -> None:
    """The property: a packet or a rejection with a reason for each record, or a file error."""
    outcomes = _outcomes(name, sample)
    if isinstance(outcomes, InputError):
        assert outcomes.reason.strip()
        event("the file is refused")
        return
    assert len(outcomes) == sample.records
    assert [
        o.packet.meta.record_index if isinstance(o, Translated) else o.provenance.index for o in outcomes
    ] == (list(range(sample.records)))
    for outcome in outcomes:
        if isinstance(outcome, Rejection):
            assert not outcome.internal, outcome.problems
            assert outcome.problems
            assert all(problem.reason.strip() for problem in outcome.problems)
        else:
            assert isinstance(outcome, Translated)
    event(f"packets: {sum(isinstance(o, Translated) for o in outcomes)} of {sample.records}")


@PROPERTIES
@given(igate_json_files(ndjson=False))
def test_a_mutated_igate_json_array_ends_as_packets_or_rejections(sample: Sample) -> None:
    assert_every_record_accounted_for("igate-json", sample)


@PROPERTIES
@given(igate_json_files(ndjson=True))
def test_mutated_igate_ndjson_lines_end_as_packets_or_rejections(sample: Sample) -> None:
    assert_every_record_accounted_for("igate-json", sample)


@PROPERTIES
@given(motcua_xml_files(encoding="utf-8"))
def test_a_mutated_motcua_xml_file_in_utf8_ends_as_packets_or_rejections(sample: Sample) -> None:
    assert_every_record_accounted_for("motcua-xml", sample)


@PROPERTIES
@given(motcua_xml_files(encoding="windows-1258"))
def test_a_mutated_motcua_xml_file_in_windows_1258_ends_as_packets_or_rejections(sample: Sample) -> None:
    assert_every_record_accounted_for("motcua-xml", sample)


@PROPERTIES
@given(legacy_csv_files())
def test_a_mutated_legacy_csv_file_ends_as_packets_or_rejections(sample: Sample) -> None:
    assert_every_record_accounted_for("legacy-csv", sample)
