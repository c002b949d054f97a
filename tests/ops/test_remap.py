"""--remap: a dead message's original record translated again with today's mapping, and the field diff."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from gateway.config import PROJECT_ROOT
from gateway.ops.remap import FieldChange, NotRemapped, Remapped, Remapper, field_changes
from gateway.packets.render import to_json_bytes
from gateway.store import MessageRow, MessageState, NewMessage
from gateway.synthetic import dossier_code, igate_record
from gateway.translate import Translated, Translator
from tests.ops.ledger import message_of, translator

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def row_of(message: NewMessage, message_id: int = 1) -> MessageRow:
    """The store's row of a dead ``message``."""
    return MessageRow(
        id=message_id,
        **dataclasses.asdict(message),
        file_id=None,
        state=MessageState.DEAD,
        attempts=1,
        last_error_class="PortalRefused",
        last_error="refused",
        received_at=NOW,
        queued_at=NOW,
        acked_at=None,
        dead_at=NOW,
        updated_at=NOW,
        publish_lease_until=None,
    )


def remap_one(row: MessageRow) -> Remapped | NotRemapped:
    known = {"igate-json": translator("igate-json"), "legacy-csv": translator("legacy-csv")}
    [outcome] = Remapper(known.get).remap([row])
    return outcome


def with_raw_of(message: NewMessage, **record_changes: object) -> MessageRow:
    """The dead message as if its packet had been made from another version of its record: today's
    mapping reads the stored bytes differently from the mapping that made the packet."""
    record = {**igate_record(7), **record_changes}
    return row_of(dataclasses.replace(message, raw=orjson.dumps(record)))


def test_field_changes_name_every_differing_leaf_by_its_path() -> None:
    old = {"HoSo": {"A": "1", "B": [{"C": 1}, {"C": 2}]}, "Gone": True}
    new = {"HoSo": {"A": "2", "B": [{"C": 1}]}, "New": None}
    assert [c.line() for c in field_changes(old, new)] == [
        'HoSo.A: "1" → "2"',
        "HoSo.B[1]: " + '{"C":2} → (absent)',
        "Gone: true → (absent)",
        "New: (absent) → null",
    ]
    assert field_changes(old, old) == []
    assert FieldChange("X", 1, 2).line() == "X: 1 → 2"


def test_a_record_that_translates_differently_today_gets_a_replacement_and_its_diff() -> None:
    dead = message_of(igate_record(7), file="/archive/x~export.ndjson", index=41)
    outcome = remap_one(with_raw_of(dead, status="PROCESSING"))
    assert isinstance(outcome, Remapped)
    assert 'HoSo.TrangThaiHoSo: "1" → "4"' in [c.line() for c in outcome.changes]
    replacement = outcome.replacement
    assert replacement is not None
    assert (replacement.ma_ho_so, replacement.revision) == (dead.ma_ho_so, dead.revision)
    assert replacement.content_hash != dead.content_hash
    assert (replacement.source_file, replacement.record_index) == ("/archive/x~export.ndjson", 41)
    packet = orjson.loads(replacement.packet)
    assert packet["HoSo"]["TrangThaiHoSo"] == "4"
    assert (packet["Meta"]["RecordIndex"], packet["Meta"]["ContentHash"]) == (41, replacement.content_hash)


def test_a_record_that_translates_the_same_today_is_replayed_as_it_is() -> None:
    outcome = remap_one(row_of(message_of(igate_record(7))))
    assert isinstance(outcome, Remapped)
    assert outcome.replacement is None
    assert outcome.changes == []
    assert "today's mapping gives the same content" in outcome.lines()[0]


def test_a_record_that_no_longer_translates_is_not_remapped_and_says_why() -> None:
    outcome = remap_one(with_raw_of(message_of(igate_record(7)), status="LOST"))
    assert isinstance(outcome, NotRemapped)
    assert outcome.reason.startswith("the record no longer translates: HoSo.TrangThaiHoSo")
    assert "LOST" in outcome.reason


def test_a_record_that_now_reads_as_another_dossier_is_not_remapped() -> None:
    outcome = remap_one(with_raw_of(message_of(igate_record(7)), code=dossier_code(8)))
    assert isinstance(outcome, NotRemapped)
    assert f"reads dossier '{dossier_code(8)}' from this record" in outcome.reason


def test_a_record_that_now_gives_another_revision_is_not_remapped() -> None:
    outcome = remap_one(with_raw_of(message_of(igate_record(7)), updatedAt="2021-06-06T08:15:00+07:00"))
    assert isinstance(outcome, NotRemapped)
    assert "gives revision 20210606081500, not 20210605081500" in outcome.reason


def test_a_message_whose_mapping_is_gone_is_not_remapped() -> None:
    row = row_of(dataclasses.replace(message_of(igate_record(7)), source="retired-system"))
    outcome = remap_one(row)
    assert outcome == NotRemapped(1, "there is no mapping named 'retired-system' any more")


@pytest.fixture
def csv_export(tmp_path: Path) -> Path:
    """An archived legacy-csv export of two records."""
    path = tmp_path / "20261201T000000~abcd1234~hoso.csv"
    shutil.copyfile(PROJECT_ROOT / "fixtures" / "legacy-csv" / "02-no-bom-lf" / "input.csv", path)
    return path


def csv_row(path: Path, index: int) -> MessageRow:
    """The dead message of record ``index`` of a CSV export, as the intake stored it."""
    csv: Translator = translator("legacy-csv")
    outcomes = [o for o in csv.translate_file(path) if isinstance(o, Translated)]
    outcome = outcomes[index]
    packet = outcome.packet
    message = NewMessage(
        ma_ho_so=packet.ma_ho_so,
        revision=packet.meta.revision,
        content_hash=packet.content_hash,
        status=str(packet.dossier["TrangThaiHoSo"]),
        source="legacy-csv",
        mapping="legacy-csv",
        mapping_hash=packet.meta.mapping_hash,
        packet=to_json_bytes(packet),
        source_file=str(path),
        record_index=index,
        record_line=index + 2,
        raw=outcome.raw,
    )
    return row_of(message, message_id=10 + index)


def test_a_csv_record_is_read_again_within_its_archived_file(csv_export: Path) -> None:
    rows = [csv_row(csv_export, 1), csv_row(csv_export, 0)]
    known = {"legacy-csv": translator("legacy-csv")}
    outcomes = list(Remapper(known.get).remap(rows))
    assert [(o.message_id, type(o)) for o in outcomes] == [(11, Remapped), (10, Remapped)]
    assert all(isinstance(o, Remapped) and o.replacement is None for o in outcomes)


def test_a_csv_record_whose_archived_file_is_gone_is_not_remapped(csv_export: Path) -> None:
    row = csv_row(csv_export, 0)
    csv_export.unlink()
    outcome = remap_one(row)
    assert isinstance(outcome, NotRemapped)
    assert "a CSV record is read within its file" in outcome.reason
    assert str(csv_export) in outcome.reason


def test_a_csv_record_whose_archived_file_changed_is_not_remapped(csv_export: Path) -> None:
    row = csv_row(csv_export, 0)
    csv_export.write_bytes(
        csv_export.read_bytes().replace(b"L\xc3\xaa Th\xe1\xbb\x8b C\xc3\xbac", b"Le Thi Cuc")
    )
    outcome = remap_one(row)
    assert isinstance(outcome, NotRemapped)
    assert outcome.reason == f"record 0 of {csv_export} is not the stored record any more"
