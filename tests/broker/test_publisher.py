"""Publishing batches with asynchronous confirms, against the real broker."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest

from gateway.broker.consumer import Consumer, Delivery
from gateway.broker.publisher import BatchPublisher, Outgoing, PublishInterrupted
from gateway.broker.topology import Topology
from gateway.config import BrokerConfig
from gateway.errors import BrokerUnavailable
from tests.broker.probes import close_connections_named, outgoing
from tests.polling import wait_until


def test_a_batch_of_2000_is_confirmed_and_consumable_with_its_ids_and_headers(
    publisher: BatchPublisher, consumer: Callable[..., Consumer]
) -> None:
    batch = outgoing(2000, source="igate-json")
    result = publisher.publish(batch)
    assert result.failed == {}
    assert sorted(result.confirmed) == sorted(message.message_id for message in batch)

    sync = consumer(prefetch=500)
    deliveries: list[Delivery] = []

    def all_consumed() -> bool:
        batch = sync.next_batch(500, max_wait_s=0.1)
        sync.ack(delivery.tag for delivery in batch)
        deliveries.extend(batch)
        return len(deliveries) >= 2000

    wait_until(all_consumed, "all 2000 messages consumed", timeout=20.0)
    sent = {message.message_id: message for message in batch}
    assert {delivery.message_id for delivery in deliveries} == set(sent)
    for delivery in deliveries:
        assert delivery.headers == dict(sent[delivery.message_id].headers)
        assert json.loads(delivery.body)["n"] == delivery.headers["n"]


def test_a_window_smaller_than_the_batch_still_settles_every_message(
    broker_config: BrokerConfig, topology: Topology
) -> None:
    narrow = BatchPublisher(dataclasses.replace(broker_config, confirm_window=7), topology)
    try:
        result = narrow.publish(outgoing(100))
    finally:
        narrow.close()
    assert len(result.confirmed) == 100
    assert result.failed == {}


def test_an_unroutable_message_is_reported_failed_not_confirmed(publisher: BatchPublisher) -> None:
    routed = outgoing(2)
    lost = Outgoing(message_id="nowhere-1", routing_key="no.such.key", body=b"{}", headers={})
    result = publisher.publish([routed[0], lost, routed[1]])
    assert sorted(result.confirmed) == sorted(message.message_id for message in routed)
    assert list(result.failed) == ["nowhere-1"]
    assert "unroutable" in result.failed["nowhere-1"]
    assert "no.such.key" in result.failed["nowhere-1"]


def test_every_message_is_persistent_json_with_its_message_id(
    publisher: BatchPublisher, topology: Topology, rabbitmq: Any
) -> None:
    (message,) = outgoing(1)
    publisher.publish([message])
    _method, properties, _body = rabbitmq.basic_get(topology.sync_queue, auto_ack=True)
    assert properties.delivery_mode == 2
    assert properties.content_type == "application/json"
    assert properties.message_id == message.message_id


def test_an_empty_batch_settles_at_once(publisher: BatchPublisher) -> None:
    result = publisher.publish([])
    assert (result.confirmed, result.failed) == ([], {})


def test_two_messages_with_one_id_in_a_batch_are_refused(publisher: BatchPublisher) -> None:
    (message,) = outgoing(1)
    with pytest.raises(ValueError, match="same message_id"):
        publisher.publish([message, message])


def test_idle_keeps_the_publisher_usable(publisher: BatchPublisher) -> None:
    publisher.idle(0.05)
    assert len(publisher.publish(outgoing(3)).confirmed) == 3


def test_a_lost_connection_makes_idle_and_publish_raise_broker_unavailable(
    publisher: BatchPublisher, topology: Topology
) -> None:
    assert close_connections_named(f"dvcgw publisher {topology.prefix}") == 1
    with pytest.raises(BrokerUnavailable):
        publisher.idle(30.0)
    with pytest.raises(BrokerUnavailable):
        publisher.publish(outgoing(1))


def test_a_closed_publisher_refuses_to_publish(broker_config: BrokerConfig, topology: Topology) -> None:
    closing = BatchPublisher(broker_config, topology)
    closing.close()
    closing.close()
    with pytest.raises(BrokerUnavailable, match="closed"):
        closing.publish(outgoing(1))


def test_a_publisher_losing_its_channel_mid_batch_raises_with_what_was_confirmed(
    publisher: BatchPublisher, topology: Topology, rabbitmq: Any
) -> None:
    rabbitmq.exchange_delete(topology.exchange)
    batch = outgoing(5)
    with pytest.raises(PublishInterrupted) as caught:
        publisher.publish(batch)
    assert isinstance(caught.value, BrokerUnavailable)
    assert caught.value.result.confirmed == []
    assert set(caught.value.result.failed) == {message.message_id for message in batch}
    assert "NOT_FOUND" in str(caught.value)
