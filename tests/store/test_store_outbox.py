"""The outbox: the relay claims PENDING messages under a lease, then marks them queued or releases them."""

from __future__ import annotations

from collections.abc import Callable

from gateway.store import DeliveryOutcome, MessageState, OutboxItem, Result, Store
from tests.polling import wait_until
from tests.store.samples import ingest_one, new_message, state_of


def ingest_codes(store: Store, count: int) -> list[int]:
    return [i.message_id for i in store.ingest(None, [new_message(f"code-{n}") for n in range(count)], [])]


def test_claim_hands_out_pending_messages_oldest_first_up_to_the_limit(store: Store) -> None:
    ids = ingest_codes(store, 5)
    claimed = store.claim_outbox(3, lease_s=60)
    assert [item.message_id for item in claimed] == ids[:3]
    first = claimed[0]
    assert first == OutboxItem(
        ids[0], "code-0", "20210605100000", "hash-code-0-20210605100000", "igate-json", 0, first.packet
    )
    assert first.packet == new_message("code-0").packet


def test_a_claimed_message_is_not_claimed_again_while_its_lease_holds(store: Store) -> None:
    ingest_codes(store, 2)
    store.claim_outbox(10, lease_s=60)
    assert store.claim_outbox(10, lease_s=60) == []


def test_two_relays_never_hold_the_same_message(open_store: Callable[[], Store]) -> None:
    one, two = open_store(), open_store()
    ids = ingest_codes(one, 6)
    first = one.claim_outbox(4, lease_s=60)
    second = two.claim_outbox(4, lease_s=60)
    assert {i.message_id for i in first}.isdisjoint(i.message_id for i in second)
    assert sorted(i.message_id for i in first + second) == ids


def test_an_expired_lease_is_claimed_again(open_store: Callable[[], Store]) -> None:
    crashed, relay = open_store(), open_store()
    [message_id] = ingest_codes(crashed, 1)
    crashed.claim_outbox(10, lease_s=0.2)  # then the relay dies without marking them
    claimed: list[OutboxItem] = []
    wait_until(
        lambda: bool(claimed.extend(relay.claim_outbox(10, lease_s=60)) or claimed), "lease never expired"
    )
    assert [item.message_id for item in claimed] == [message_id]


def test_mark_queued_moves_pending_to_queued_and_clears_the_lease(store: Store) -> None:
    [message_id] = ingest_codes(store, 1)
    store.claim_outbox(10, lease_s=60)
    store.mark_queued([message_id])
    row = store.message(message_id)
    assert row is not None
    assert row.state is MessageState.QUEUED
    assert row.publish_lease_until is None
    assert row.queued_at is not None
    assert store.claim_outbox(10, lease_s=60) == []


def test_mark_queued_leaves_messages_that_are_no_longer_pending(store: Store) -> None:
    [message_id] = ingest_codes(store, 1)
    store.mark_queued([message_id])
    store.begin_delivery([message_id], lease_s=60)
    store.finish_delivery([DeliveryOutcome(message_id, Result.ACKED, 1)])
    store.mark_queued([message_id])  # a late confirm from a second publish
    assert state_of(store, message_id) is MessageState.ACKED


def test_a_released_message_is_claimed_again_at_once(store: Store) -> None:
    [message_id] = ingest_codes(store, 1)
    store.claim_outbox(10, lease_s=60)
    store.release_outbox([message_id])
    assert [item.message_id for item in store.claim_outbox(10, lease_s=60)] == [message_id]


def test_sweep_stuck_returns_old_queued_and_retrying_messages_to_the_outbox(store: Store) -> None:
    queued, retrying, fresh = ingest_codes(store, 3)
    store.mark_queued([queued, retrying, fresh])
    store.begin_delivery([retrying], lease_s=60)
    store.finish_delivery([DeliveryOutcome(retrying, Result.RETRY, 1, error_class="PortalUnavailable")])
    swept: list[int] = []
    wait_until(lambda: bool(swept.append(store.sweep_stuck(0)) or sum(swept) >= 3), "nothing was swept")
    assert sum(swept) == 3
    assert store.state_counts()[MessageState.PENDING] == 3
    assert sorted(item.message_id for item in store.claim_outbox(10, lease_s=60)) == [queued, retrying, fresh]


def test_sweep_stuck_leaves_recently_updated_messages(store: Store) -> None:
    [message_id] = ingest_codes(store, 1)
    store.mark_queued([message_id])
    assert store.sweep_stuck(3600) == 0
    assert state_of(store, message_id) is MessageState.QUEUED


def test_requeue_moves_queued_retrying_and_dead_messages_back_to_pending(store: Store) -> None:
    queued, dead, acked = ingest_codes(store, 3)
    store.mark_queued([queued, dead, acked])
    store.begin_delivery([dead, acked], lease_s=60)
    store.finish_delivery(
        [
            DeliveryOutcome(dead, Result.DEAD, 3, error_class="PortalRejected"),
            DeliveryOutcome(acked, Result.ACKED, 1),
        ]
    )
    assert store.requeue([queued, dead, acked]) == 2
    states = {i: state_of(store, i) for i in (queued, dead, acked)}
    assert states == {queued: MessageState.PENDING, dead: MessageState.PENDING, acked: MessageState.ACKED}
    row = store.message(dead)
    assert row is not None
    assert (row.dead_at, row.attempts, row.last_error_class) == (None, 3, "PortalRejected")


def test_requeue_can_give_a_fresh_retry_budget(store: Store) -> None:
    message_id = ingest_one(store, new_message())
    store.begin_delivery([message_id], lease_s=60)
    store.finish_delivery([DeliveryOutcome(message_id, Result.DEAD, 5, error_class="PortalUnavailable")])
    assert store.requeue([message_id], reset_attempts=True) == 1
    row = store.message(message_id)
    assert row is not None
    assert row.attempts == 0
    assert len(store.attempts_of(message_id)) == 1


def test_requeue_leaves_superseded_messages(store: Store) -> None:
    older = ingest_one(store, new_message(revision="20210605100000"))
    ingest_one(store, new_message(revision="20210606100000"))
    store.begin_delivery([older], lease_s=60)
    assert store.requeue([older]) == 0
    assert state_of(store, older) is MessageState.SUPERSEDED
