"""Consuming in batches, acking safely, retry tiers and the poison backstop, on the real broker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.broker import names
from gateway.broker.consumer import Consumer, coalesce_acks, int_header
from gateway.broker.publisher import BatchPublisher, Outgoing
from gateway.broker.topology import Topology
from gateway.errors import BrokerUnavailable
from tests.broker.probes import close_connections_named, outgoing, queue_depth, take
from tests.polling import wait_until


def test_next_batch_returns_nothing_when_the_queue_is_idle(consumer: Callable[..., Consumer]) -> None:
    assert consumer().next_batch(10, max_wait_s=0.05) == []


def test_next_batch_never_returns_more_than_max_size(
    publisher: BatchPublisher, consumer: Callable[..., Consumer]
) -> None:
    publisher.publish(outgoing(10))
    sync = consumer()
    seen: list[str] = []

    def all_taken() -> bool:
        batch = sync.next_batch(4, max_wait_s=0.1)
        assert len(batch) <= 4
        seen.extend(delivery.message_id for delivery in batch)
        return len(seen) == 10

    wait_until(all_taken, "all 10 messages taken")
    assert len(set(seen)) == 10


def test_acking_3_and_1_with_2_outstanding_leaves_2_to_be_redelivered(
    publisher: BatchPublisher, consumer: Callable[..., Consumer]
) -> None:
    publisher.publish(outgoing(3))
    first = consumer()
    deliveries = sorted(take(first, 3), key=lambda delivery: delivery.tag)
    middle = deliveries[1]
    first.ack([deliveries[2].tag, deliveries[0].tag])
    first.close()

    (again,) = take(consumer(), 1)
    assert again.message_id == middle.message_id
    assert again.redelivered


@given(st.data())
def test_coalesced_acks_settle_exactly_the_acked_tags(data: st.DataObject) -> None:
    outstanding = data.draw(st.sets(st.integers(1, 60), min_size=1))
    acking = data.draw(st.sets(st.sampled_from(sorted(outstanding))))
    settled: set[int] = set()
    remaining = set(outstanding)
    for tag, multiple in coalesce_acks(acking, outstanding):
        # What the broker does with basic.ack(tag, multiple) on a channel.
        covered = {t for t in remaining if t <= tag} if multiple else {tag}
        assert tag in remaining
        settled |= covered
        remaining -= covered
    assert settled == acking


def test_coalescing_uses_one_multiple_ack_for_a_fully_acked_prefix() -> None:
    assert coalesce_acks({1, 2, 3, 5}, {1, 2, 3, 4, 5}) == [(3, True), (5, False)]
    assert coalesce_acks({3, 1}, {1, 2, 3}) == [(1, True), (3, False)]
    assert coalesce_acks({2}, {1, 2}) == [(2, False)]


def test_acking_a_tag_not_held_is_refused_before_it_reaches_the_broker(
    publisher: BatchPublisher, consumer: Callable[..., Consumer]
) -> None:
    publisher.publish(outgoing(1))
    sync = consumer()
    (delivery,) = take(sync, 1)
    sync.ack([delivery.tag])
    with pytest.raises(ValueError, match="not outstanding"):
        sync.ack([delivery.tag])


def test_a_message_in_a_retry_tier_comes_back_on_the_sync_queue(
    publisher: BatchPublisher, consumer: Callable[..., Consumer], topology: Topology
) -> None:
    retry_key = topology.retry_key_for_failure(1)
    assert retry_key == "retry.1s"
    (message,) = outgoing(1, routing_key=retry_key, **{names.ATTEMPT_HEADER: 1})
    assert publisher.publish([message]).confirmed == [message.message_id]

    (back,) = take(consumer(), 1, timeout=10.0)
    assert back.message_id == message.message_id
    assert back.attempt == 1


def test_a_message_rejected_past_the_delivery_limit_ends_on_the_poison_queue(
    publisher: BatchPublisher, topology: Topology, rabbitmq: Any
) -> None:
    (message,) = outgoing(1)
    publisher.publish([message])
    deliveries = 0

    def poisoned() -> bool:
        nonlocal deliveries
        method, _properties, _body = rabbitmq.basic_get(topology.sync_queue)
        if method is not None:
            deliveries += 1
            rabbitmq.basic_reject(method.delivery_tag, requeue=True)
        return queue_depth(rabbitmq, topology.poison_queue) == 1

    wait_until(poisoned, "the message on the poison queue", timeout=10.0)
    assert deliveries == topology.delivery_limit + 1
    _method, properties, _body = rabbitmq.basic_get(topology.poison_queue, auto_ack=True)
    assert properties.message_id == message.message_id
    assert properties.headers["x-first-death-reason"] == "delivery_limit"


def test_a_message_whose_consumers_keep_dying_ends_on_the_poison_queue(
    publisher: BatchPublisher, consumer: Callable[..., Consumer], topology: Topology
) -> None:
    (message,) = outgoing(1)
    publisher.publish([message])
    for _ in range(topology.delivery_limit + 1):
        crashing = consumer()
        take(crashing, 1)
        crashing.close()  # without acking: the broker requeues it and counts a delivery

    (poisoned,) = take(consumer(topology.poison_queue), 1)
    assert poisoned.message_id == message.message_id


def test_moving_a_message_to_the_dead_queue_is_confirmed(
    consumer: Callable[..., Consumer], topology: Topology
) -> None:
    sync = consumer()
    (dead,) = outgoing(1, routing_key=names.DEAD_KEY)
    stray = Outgoing(message_id="stray", routing_key="no.such.key", body=b"{}", headers={})
    result = sync.publish([dead, stray])
    assert result.confirmed == [dead.message_id]
    assert "unroutable" in result.failed["stray"]
    (kept,) = take(consumer(topology.dead_queue), 1)
    assert kept.message_id == dead.message_id


def test_a_deleted_queue_makes_next_batch_raise_broker_unavailable(
    consumer: Callable[..., Consumer], topology: Topology, rabbitmq: Any
) -> None:
    sync = consumer()
    rabbitmq.queue_delete(topology.sync_queue)
    with pytest.raises(BrokerUnavailable, match="cancelled"):
        sync.next_batch(10, max_wait_s=10.0)


def test_a_lost_connection_makes_next_batch_and_ack_raise_broker_unavailable(
    publisher: BatchPublisher, consumer: Callable[..., Consumer], topology: Topology
) -> None:
    publisher.publish(outgoing(1))
    sync = consumer()
    (delivery,) = take(sync, 1)
    assert close_connections_named(f"dvcgw consumer {topology.sync_queue}") == 1
    with pytest.raises(BrokerUnavailable):
        sync.next_batch(10, max_wait_s=10.0)
    with pytest.raises(BrokerUnavailable):
        sync.ack([delivery.tag])
    with pytest.raises(BrokerUnavailable):
        sync.publish(outgoing(1, routing_key=names.DEAD_KEY))


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"dvc-attempt": 3}, 3),
        ({"dvc-attempt": "4"}, 4),
        ({"dvc-attempt": b"5"}, 5),
        ({"dvc-attempt": "three"}, 0),
        ({"dvc-attempt": "²"}, 0),
        ({"dvc-attempt": -1}, 0),
        ({"dvc-attempt": True}, 0),
        ({"dvc-attempt": 1.5}, 0),
        ({}, 0),
        (None, 0),
    ],
)
def test_an_int_header_is_read_safely(headers: dict[str, Any] | None, expected: int) -> None:
    assert int_header(headers, "dvc-attempt") == expected
