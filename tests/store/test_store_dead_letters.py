"""Dead letters: the store selects dead messages by the operator's selectors and hands them back."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from gateway.store import (
    DeadQuery,
    DeliveryOutcome,
    MessageState,
    NewReplay,
    Replayed,
    Result,
    Store,
)
from tests.store.samples import CODE, ingest_one, new_message, state_of


def kill(store: Store, message_id: int, error_class: str = "PortalRefused", reason: str = "refused") -> None:
    """Deliver a message once and record that the portal refused it for good."""
    [decision] = store.begin_delivery([message_id], lease_s=60)
    store.finish_delivery(
        [DeliveryOutcome(message_id, Result.DEAD, decision.attempts + 1, "insert", error_class, reason)]
    )


def dead_one(store: Store, code: str = CODE, revision: str = "20210605100000", **how: str) -> int:
    message_id = ingest_one(store, new_message(code, revision))
    kill(store, message_id, **how)
    return message_id


def listed(store: Store, **query: object) -> list[int]:
    return [row.id for row in store.dead_letters(DeadQuery(**query))]  # type: ignore[arg-type]


def test_dead_letters_lists_only_dead_messages_newest_death_first_with_their_reason(store: Store) -> None:
    first = dead_one(store, "code-a", reason="unknown procedure 2.000123")
    ingest_one(store, new_message("code-b"))  # pending: not a dead letter
    second = dead_one(store, "code-c", error_class="DeliveryLimit", reason="delivered 20 times")
    rows = store.dead_letters(DeadQuery())
    assert [row.id for row in rows] == [second, first]
    assert (rows[1].ma_ho_so, rows[1].error_class, rows[1].reason, rows[1].attempts) == (
        "code-a",
        "PortalRefused",
        "unknown procedure 2.000123",
        1,
    )
    assert rows[1].source == "igate-json"
    assert rows[1].dead_at.tzinfo is not None


def test_dead_letters_are_selected_by_dossier_source_ids_and_error_class_in_any_case(store: Store) -> None:
    a = dead_one(store, "code-a", error_class="PortalRefused")
    b = dead_one(store, "code-b", error_class="DeliveryLimit")
    assert listed(store, ma_ho_so="code-a") == [a]
    assert listed(store, error_class="deliverylimit") == [b]
    assert listed(store, source="igate-json") == [b, a]
    assert listed(store, source="motcua-xml") == []
    assert listed(store, ids=(a, b, 999), error_class="PORTALREFUSED") == [a]


def test_dead_letters_are_selected_by_when_they_died_since_included_until_excluded(store: Store) -> None:
    early = dead_one(store, "code-a")
    between = datetime.now(UTC)
    late = dead_one(store, "code-b")
    assert listed(store, since=between) == [late]
    assert listed(store, until=between) == [early]
    late_row = store.dead_letters(DeadQuery(ids=(late,)))[0]
    assert listed(store, since=late_row.dead_at, until=late_row.dead_at) == []


def test_a_limit_keeps_the_newest_dead_letters(store: Store) -> None:
    ids = [dead_one(store, f"code-{n}") for n in range(4)]
    assert listed(store, limit=2) == [ids[3], ids[2]]
    assert listed(store, limit=0) == []


def test_replay_puts_a_dead_message_back_in_the_outbox_with_a_fresh_budget_and_records_it(
    store: Store,
) -> None:
    message_id = dead_one(store)
    done = store.replay([NewReplay(message_id, "an.nguyen", "--dossier " + CODE, remap=False)])
    assert done == [Replayed(message_id, message_id, MessageState.DEAD)]
    row = store.message(message_id)
    assert row is not None
    assert (row.state, row.attempts, row.dead_at) == (MessageState.PENDING, 0, None)
    assert [item.message_id for item in store.claim_outbox(10, lease_s=60)] == [message_id]
    [replay] = store.replays_of([message_id])
    assert (replay.operator, replay.selection, replay.remap, replay.replacement_id) == (
        "an.nguyen",
        "--dossier " + CODE,
        False,
        None,
    )
    assert replay.replayed_at.tzinfo is not None
    assert store.dead_letters(DeadQuery()) == []


def test_replaying_a_message_that_is_no_longer_dead_changes_nothing_and_records_nothing(store: Store) -> None:
    message_id = dead_one(store)
    store.replay([NewReplay(message_id, "op", "all", remap=False)])
    again = store.replay([NewReplay(message_id, "op", "all", False), NewReplay(999, "op", "all", False)])
    assert again == [Replayed(message_id, None, MessageState.PENDING), Replayed(999, None, None)]
    assert len(store.replays_of([message_id, 999])) == 1


def test_a_message_listed_twice_in_one_replay_is_replayed_once(store: Store) -> None:
    message_id = dead_one(store)
    store.replay([NewReplay(message_id, "op", "all", remap=False)] * 2)
    assert len(store.replays_of([message_id])) == 1


def test_a_replacement_is_stored_as_the_dossiers_latest_and_supersedes_the_dead_message(store: Store) -> None:
    message_id = dead_one(store)
    replacement = dataclasses.replace(new_message(), content_hash="hash-remapped", packet=b'{"remapped": 1}')
    [done] = store.replay([NewReplay(message_id, "op", "--id 1", remap=True, replacement=replacement)])
    assert done.sent_id is not None
    assert done.sent_id > message_id
    assert state_of(store, message_id) is MessageState.SUPERSEDED
    new = store.message(done.sent_id)
    assert new is not None
    assert (new.state, new.revision) == (MessageState.PENDING, "20210605100000")
    assert new.packet == b'{"remapped": 1}'
    dossier = store.dossier(CODE)
    assert dossier is not None
    assert dossier.latest_message_id == done.sent_id
    [replay] = store.replays_of([message_id])
    assert (replay.remap, replay.replacement_id) == (True, done.sent_id)
    assert [m.id for m in store.messages_of(CODE)] == [message_id, done.sent_id]


def test_a_replacement_with_the_dead_messages_own_content_replays_the_message_itself(store: Store) -> None:
    message_id = dead_one(store)
    [done] = store.replay([NewReplay(message_id, "op", "all", remap=True, replacement=new_message())])
    assert done.sent_id == message_id
    assert state_of(store, message_id) is MessageState.PENDING
    assert len(store.messages_of(CODE)) == 1


def test_a_replayed_message_that_fails_again_is_dead_again_with_its_new_reason_after_one_attempt(
    store: Store,
) -> None:
    message_id = dead_one(store, reason="unknown procedure")
    store.replay([NewReplay(message_id, "op", "all", remap=False)])
    [decision] = store.begin_delivery([message_id], lease_s=60)
    assert (decision.decision.value, decision.attempts) == ("send", 0)
    failed = DeliveryOutcome(message_id, Result.DEAD, 1, "insert", "PortalRefused", "still no")
    store.finish_delivery([failed])
    [row] = store.dead_letters(DeadQuery())
    assert (row.id, row.reason, row.attempts) == (message_id, "still no", 1)
    assert [(a.attempt, a.error) for a in store.attempts_of(message_id)] == [
        (1, "unknown procedure"),
        (1, "still no"),
    ]


def test_dossiers_and_states_read_many_at_once(store: Store) -> None:
    a = dead_one(store, "code-a")
    b = ingest_one(store, new_message("code-b"))
    assert sorted(store.dossiers(["code-a", "code-b", "code-x"])) == ["code-a", "code-b"]
    assert store.dossiers(["code-a"])["code-a"].latest_message_id == a
    assert store.states([a, b, 999]) == {a: MessageState.DEAD, b: MessageState.PENDING}


def test_messages_of_lists_every_revision_of_one_dossier_in_arrival_order(store: Store) -> None:
    newer = ingest_one(store, new_message(revision="20210606100000"))
    older = ingest_one(store, new_message(revision="20210605100000"))
    ingest_one(store, new_message("another"))
    assert [(m.id, m.revision) for m in store.messages_of(CODE)] == [
        (newer, "20210606100000"),
        (older, "20210605100000"),
    ]
    assert store.messages_of("unknown") == []
