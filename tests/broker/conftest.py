"""Fixtures for the broker tests: the real RabbitMQ at 127.0.0.1:5672, names unique per test.

``broker_config`` gives each test its own prefix (``t<8 hex>``) and small delays and limits;
``topology`` yields that prefix's topology and deletes every queue and the exchange afterwards;
``rabbitmq`` is a channel of the test's own, for looking at queues from outside the code under
test; ``publisher`` and ``consumer`` build the real thing and close it after the test.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from gateway.broker.connection import connect
from gateway.broker.consumer import Consumer
from gateway.broker.publisher import BatchPublisher
from gateway.broker.topology import Topology
from gateway.config import BrokerConfig

BROKER_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"


@pytest.fixture
def broker_config() -> BrokerConfig:
    return BrokerConfig(
        url=BROKER_URL,
        prefix=f"t{uuid.uuid4().hex[:8]}",
        retry_delays_s=(1, 60),
        delivery_limit=2,
        prefetch=50,
        confirm_window=500,
        heartbeat_s=30,
        connect_timeout_s=2.0,
    )


@pytest.fixture
def topology(broker_config: BrokerConfig) -> Iterator[Topology]:
    topology = Topology.from_config(broker_config)
    yield topology
    connection = connect(broker_config, name=f"dvcgw tests cleanup {broker_config.prefix}")
    try:
        topology.delete(connection.channel())
    finally:
        connection.close()


@pytest.fixture
def rabbitmq(broker_config: BrokerConfig, topology: Topology) -> Iterator[Any]:
    """A ``BlockingChannel`` of the test's own, in confirm mode (so a publish has landed when it returns)."""
    connection = connect(broker_config, name=f"dvcgw tests {broker_config.prefix}")
    channel = connection.channel()
    channel.confirm_delivery()
    yield channel
    if connection.is_open:
        connection.close()


@pytest.fixture
def publisher(broker_config: BrokerConfig, topology: Topology) -> Iterator[BatchPublisher]:
    publisher = BatchPublisher(broker_config, topology, timeout_s=10.0)
    yield publisher
    publisher.close()


@pytest.fixture
def consumer(broker_config: BrokerConfig, topology: Topology) -> Iterator[Callable[..., Consumer]]:
    """Builds consumers of a queue (default: the sync queue); closes them all after the test."""
    made: list[Consumer] = []

    def make(queue: str | None = None, *, prefetch: int = 50) -> Consumer:
        made.append(Consumer(broker_config, topology, queue or topology.sync_queue, prefetch=prefetch))
        return made[-1]

    yield make
    for each in made:
        each.close()
