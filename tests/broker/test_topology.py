"""Declaring, describing and redeclaring the topology on the real broker."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from gateway.broker.topology import Topology
from gateway.errors import BrokerError, ConfigError
from tests.broker.probes import queue_depth
from tests.polling import wait_until


def test_declaring_twice_is_a_no_op_that_keeps_the_messages(topology: Topology, rabbitmq: Any) -> None:
    topology.declare(rabbitmq)
    rabbitmq.basic_publish(topology.exchange, "sync", b"{}")
    topology.declare(rabbitmq)
    assert queue_depth(rabbitmq, topology.sync_queue) == 1


def test_declare_creates_every_queue_bound_to_the_exchange(topology: Topology, rabbitmq: Any) -> None:
    # Only the 1-minute tier, so that no message expires back into the sync queue during the test.
    slow = dataclasses.replace(topology, retry_delays_s=(60,))
    slow.declare(rabbitmq)
    for spec in slow.queues:
        rabbitmq.basic_publish(slow.exchange, spec.routing_key, b"{}", mandatory=True)

    def one_in_each() -> bool:
        return all(queue_depth(rabbitmq, spec.name) == 1 for spec in slow.queues)

    wait_until(one_in_each, "one message in each queue")


def test_redeclaring_with_another_delivery_limit_names_the_queue_the_difference_and_the_remedy(
    topology: Topology, rabbitmq: Any
) -> None:
    topology.declare(rabbitmq)
    changed = dataclasses.replace(topology, delivery_limit=topology.delivery_limit + 5)
    with pytest.raises(BrokerError) as caught:
        changed.declare(rabbitmq)
    message = str(caught.value)
    assert topology.sync_queue in message
    assert f"x-delivery-limit is {topology.delivery_limit} on the broker" in message
    assert f"declares {topology.delivery_limit + 5}" in message
    assert "broker.delivery_limit" in message
    assert f"rabbitmqctl delete_queue {topology.sync_queue}" in message


def test_dead_letters_never_expire_nor_are_dropped_for_length(topology: Topology) -> None:
    kept = [spec for spec in topology.queues if spec.name in (topology.dead_queue, topology.poison_queue)]
    assert len(kept) == 2
    for spec in kept:
        assert not {"x-message-ttl", "x-expires", "x-max-length", "x-max-length-bytes"} & set(spec.arguments)


def test_the_sync_queue_is_quorum_and_dead_letters_to_the_poison_queue(topology: Topology) -> None:
    (sync,) = (spec for spec in topology.queues if spec.name == topology.sync_queue)
    assert sync.arguments["x-queue-type"] == "quorum"
    assert sync.arguments["x-delivery-limit"] == topology.delivery_limit
    assert sync.arguments["x-dead-letter-exchange"] == topology.exchange
    assert sync.arguments["x-dead-letter-routing-key"] == "poison"


def test_describe_gives_one_line_per_exchange_and_queue_with_arguments_and_binding(
    topology: Topology,
) -> None:
    lines = topology.describe()
    assert len(lines) == 1 + len(topology.queues)
    assert lines[0].startswith(f"exchange {topology.exchange}: direct")
    retry = next(line for line in lines if topology.retry_queues[0] in line)
    assert "x-message-ttl=1000" in retry
    assert "with key 'retry.1s'" in retry


@pytest.mark.parametrize(
    ("delays", "limit", "complaint"),
    [((), 20, "at least one"), ((10, 10), 20, "twice"), ((0,), 20, "positive"), ((10,), 0, "delivery_limit")],
)
def test_an_impossible_topology_is_a_config_error(
    delays: tuple[int, ...], limit: int, complaint: str
) -> None:
    with pytest.raises(ConfigError, match=complaint):
        Topology("dvc", delays, limit)
