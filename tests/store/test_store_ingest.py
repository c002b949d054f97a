"""Ingest: one transaction per file; new content is PENDING, duplicates are reported not stored,
and a dossier's latest revision only moves forward."""

from __future__ import annotations

from gateway.store import Ingested, MessageState, Store
from tests.store.samples import CODE, ingest_one, new_file, new_message, new_rejection


def test_new_messages_are_stored_pending_with_their_packet_and_provenance(store: Store) -> None:
    message = new_message(record_index=3)
    [ingested] = store.ingest(new_file(), [message], [])
    assert ingested.duplicate is False
    row = store.message(ingested.message_id)
    assert row is not None
    assert row.state is MessageState.PENDING
    assert (row.packet, row.raw, row.record_index, row.record_line) == (message.packet, message.raw, 3, 4)
    assert (row.ma_ho_so, row.revision, row.content_hash, row.status) == (
        message.ma_ho_so,
        message.revision,
        message.content_hash,
        "1",
    )
    assert (row.attempts, row.queued_at, row.acked_at, row.dead_at, row.publish_lease_until) == (
        0,
        None,
        None,
        None,
        None,
    )
    assert row.file_id is not None


def test_ids_follow_the_order_of_arrival(store: Store) -> None:
    ingested = store.ingest(None, [new_message(f"code-{n}") for n in range(5)], [])
    ids = [i.message_id for i in ingested]
    assert ids == sorted(ids)
    assert len(set(ids)) == 5


def test_content_stored_before_is_a_duplicate_with_its_first_id_and_no_new_row(store: Store) -> None:
    first = ingest_one(store, new_message())
    again = store.ingest(None, [new_message()], [])
    assert again == [Ingested(first, duplicate=True)]
    assert store.state_counts()[MessageState.PENDING] == 1


def test_a_repeat_within_one_call_is_a_duplicate_of_the_earlier_one(store: Store) -> None:
    ingested = store.ingest(None, [new_message(), new_message(CODE, "20210605110000"), new_message()], [])
    assert ingested[0].duplicate is False
    assert ingested[2] == Ingested(ingested[0].message_id, duplicate=True)
    assert sum(store.state_counts().values()) == 2


def test_the_same_revision_with_other_content_is_a_new_message(store: Store) -> None:
    first = ingest_one(store, new_message(content_hash="a"))
    second = store.ingest(None, [new_message(content_hash="b")], [])[0]
    assert second.duplicate is False
    assert second.message_id != first


def test_the_dossier_latest_moves_to_a_newer_revision(store: Store) -> None:
    ingest_one(store, new_message(revision="20210605100000"))
    newer = ingest_one(store, new_message(revision="20210606100000"))
    dossier = store.dossier(CODE)
    assert dossier is not None
    assert (dossier.latest_message_id, dossier.latest_revision) == (newer, "20210606100000")


def test_an_older_revision_arriving_after_a_newer_does_not_move_the_latest(store: Store) -> None:
    newer = ingest_one(store, new_message(revision="20210606100000"))
    older = ingest_one(store, new_message(revision="20210605100000"))
    dossier = store.dossier(CODE)
    assert dossier is not None
    assert dossier.latest_message_id == newer != older
    assert dossier.latest_revision == "20210606100000"


def test_an_older_revision_in_the_same_call_does_not_move_the_latest(store: Store) -> None:
    ingested = store.ingest(
        None, [new_message(revision="20210606100000"), new_message(revision="20210605100000")], []
    )
    dossier = store.dossier(CODE)
    assert dossier is not None
    assert dossier.latest_message_id == ingested[0].message_id


def test_at_an_equal_revision_the_later_arrival_wins(store: Store) -> None:
    ingest_one(store, new_message(content_hash="first"))
    later = ingest_one(store, new_message(content_hash="second"))
    dossier = store.dossier(CODE)
    assert dossier is not None
    assert dossier.latest_message_id == later


def test_a_new_dossier_is_not_known_to_the_portal_and_has_nothing_acknowledged(store: Store) -> None:
    ingest_one(store, new_message())
    dossier = store.dossier(CODE)
    assert dossier is not None
    assert dossier.portal_known is False
    assert (dossier.acked_message_id, dossier.acked_revision, dossier.lease_message_id) == (None, None, None)
    assert store.dossier_count() == 1


def test_rejections_are_kept_with_reasons_and_original_bytes(store: Store) -> None:
    rejection = new_rejection()
    store.ingest(new_file(), [], [rejection])
    [row] = store.rejections()
    assert row.reasons == rejection.reasons
    assert row.raw == rejection.raw
    assert (row.file, row.record_index, row.record_line, row.source) == ("export.json", 7, 8, "igate-json")
    assert row.file_id is not None


def test_rejections_are_listed_newest_first_up_to_the_limit(store: Store) -> None:
    store.ingest(None, [], [new_rejection(n) for n in range(5)])
    assert [r.record_index for r in store.rejections(limit=3)] == [4, 3, 2]


def test_the_file_row_counts_packets_rejections_and_duplicates(store: Store) -> None:
    ingest_one(store, new_message(revision="20210601000000"))
    messages = [
        new_message(revision="20210601000000"),
        new_message(revision="20210602000000"),
        new_message("other"),
    ]
    message_id = store.ingest(new_file(), messages, [new_rejection()], outcome="partial")[1].message_id
    row = store.message(message_id)
    assert row is not None
    assert row.file_id is not None
    file = store.intake_file(row.file_id)
    assert file is not None
    assert (file.records, file.packets, file.rejected, file.duplicates, file.outcome) == (
        4,
        3,
        1,
        1,
        "partial",
    )
    assert (file.name, file.sha256, file.size) == ("export.json", "ab" * 32, 1234)


def test_an_empty_file_is_recorded(store: Store) -> None:
    assert store.ingest(new_file(), [], [], outcome="rejected") == []
    file = store.intake_file(1)
    assert file is not None
    assert (file.records, file.outcome) == (0, "rejected")


def test_a_batch_of_five_hundred_is_stored_in_one_call(store: Store) -> None:
    messages = [new_message(f"code-{n:04}", record_index=n) for n in range(500)]
    ingested = store.ingest(new_file(), messages, [])
    assert not any(i.duplicate for i in ingested)
    assert store.dossier_count() == 500
    assert store.unfinished() == 500


def test_file_totals_sum_every_intake_file(store: Store) -> None:
    store.ingest(new_file("a.json"), [new_message("a"), new_message("b")], [new_rejection()])
    store.ingest(new_file("b.json"), [new_message("a")], [])
    store.ingest(new_file("c.json"), [], [new_rejection()], outcome="rejected")
    assert store.file_totals() == {
        "files": 3,
        "rejected_files": 1,
        "records": 5,
        "packets": 3,
        "rejected": 2,
        "duplicates": 1,
    }


def test_file_totals_of_an_empty_store_are_zero(store: Store) -> None:
    assert set(store.file_totals().values()) == {0}
