"""One export file into the store: packets become pending messages, bad records rejections, nothing lost."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from gateway.config import PROJECT_ROOT
from gateway.intake import Inbox, InboxFile, Ingester
from gateway.mapping import load_mapping
from gateway.mapping.fixtures import FIXTURE_NOW
from gateway.packets import SchemaSet
from gateway.store import MessageState, Store
from gateway.translate import Outcome, Translator

FIXTURES = PROJECT_ROOT / "fixtures" / "igate-json"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'gateway.sqlite3'}")
    yield opened
    opened.close()


@pytest.fixture
def translator(schemas: SchemaSet) -> Translator:
    mapping = load_mapping(PROJECT_ROOT / "mappings" / "igate-json.yaml")
    return Translator(mapping, schemas, clock=lambda: FIXTURE_NOW)


def take(inbox: Inbox, case: str, name: str = "input.json") -> InboxFile:
    folder = inbox.folder("inbox", "igate-json")
    folder.mkdir(parents=True, exist_ok=True)
    path = shutil.copy(FIXTURES / case / name, folder / f"{case}.json")
    taken = inbox.take(Path(path), "igate-json")
    assert taken is not None
    return taken


def test_good_records_become_pending_messages_and_the_file_is_archived(
    tmp_path: Path, store: Store, translator: Translator
) -> None:
    inbox = Inbox(tmp_path)
    report = Ingester(store, inbox, {"igate-json": translator}).ingest(take(inbox, "12-one-bad-among-good"))
    assert (report.packets, report.rejected, report.outcome) == (2, 1, "archived")
    assert store.state_counts()[MessageState.PENDING] == 2
    assert report.path is not None
    assert report.path.parent == inbox.folder("archive", "igate-json")
    [rejection] = store.rejections()
    assert rejection.source == "igate-json"
    assert rejection.raw
    assert rejection.reasons
    assert "status" in " ".join(report.problems)


def test_the_same_file_twice_stores_nothing_new(tmp_path: Path, store: Store, translator: Translator) -> None:
    inbox = Inbox(tmp_path)
    ingester = Ingester(store, inbox, {"igate-json": translator})
    first = ingester.ingest(take(inbox, "01-array-documented-example"))
    again = ingester.ingest(take(inbox, "01-array-documented-example"))
    assert (first.stored, again.stored, again.duplicates) == (1, 0, 1)
    assert sum(store.state_counts().values()) == 1


def test_a_file_nothing_usable_came_from_is_moved_to_rejected_with_its_errors(
    tmp_path: Path, store: Store, translator: Translator
) -> None:
    inbox = Inbox(tmp_path)
    folder = inbox.folder("inbox", "igate-json")
    folder.mkdir(parents=True)
    (folder / "broken.json").write_bytes(b'[{"code": "x"},')
    taken = inbox.take(folder / "broken.json", "igate-json")
    assert taken is not None
    report = Ingester(store, inbox, {"igate-json": translator}).ingest(taken)
    assert report.outcome == "rejected"
    assert report.errors
    assert report.path is not None
    assert report.path.read_bytes() == b'[{"code": "x"},'
    assert report.path.with_name(report.path.name + ".errors.json").exists()
    assert any(r.record_index is None for r in store.rejections())


def test_a_file_error_after_good_records_keeps_them_and_says_so(
    tmp_path: Path, store: Store, translator: Translator
) -> None:
    inbox = Inbox(tmp_path)
    # A good record, then one nested too deep: the array cannot be read past it.
    report = Ingester(store, inbox, {"igate-json": translator}).ingest(take(inbox, "21-hostile-deep-nesting"))
    assert (report.stored, report.outcome) == (1, "partial")
    assert "the records before it were kept" in report.errors[0]
    assert report.path is not None
    assert report.path.parent == inbox.folder("archive", "igate-json")
    assert report.path.with_name(report.path.name + ".errors.json").exists()


class _Defective(Translator):
    """A translator with a defect on its second record: what an unforeseen mapping bug looks like."""

    calls = 0

    def translate_record(self, record: object, now: datetime | None = None) -> Outcome:  # type: ignore[override]
        self.calls += 1
        if self.calls == 2:
            raise AttributeError("'list' object has no attribute 'get'")
        return super().translate_record(record, now)  # type: ignore[arg-type]


def test_a_translation_defect_rejects_that_record_only(
    tmp_path: Path, store: Store, schemas: SchemaSet
) -> None:
    mapping = load_mapping(PROJECT_ROOT / "mappings" / "igate-json.yaml")
    translator = _Defective(mapping, schemas, clock=lambda: FIXTURE_NOW)
    inbox = Inbox(tmp_path)
    report = Ingester(store, inbox, {"igate-json": translator}).ingest(take(inbox, "12-one-bad-among-good"))
    assert report.records == 3
    assert any("internal error while translating this record: AttributeError" in r for r in report.problems)
