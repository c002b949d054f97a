"""Connecting to RabbitMQ and what a failure to connect looks like."""

from __future__ import annotations

import dataclasses

import pytest

from gateway.broker.connection import connect, describe_url
from gateway.broker.consumer import Consumer
from gateway.broker.publisher import BatchPublisher
from gateway.broker.topology import Topology
from gateway.config import BrokerConfig
from gateway.errors import BrokerError, BrokerUnavailable

UNREACHABLE = "amqp://dvcgw:s3cret-pw@127.0.0.1:1/%2F"


def test_an_unreachable_broker_is_unavailable_and_named_without_the_password(
    broker_config: BrokerConfig,
) -> None:
    with pytest.raises(BrokerUnavailable) as caught:
        connect(dataclasses.replace(broker_config, url=UNREACHABLE))
    assert "127.0.0.1:1" in str(caught.value)
    assert "s3cret-pw" not in str(caught.value)


def test_a_publisher_for_an_unreachable_broker_raises_broker_unavailable(
    broker_config: BrokerConfig, topology: Topology
) -> None:
    with pytest.raises(BrokerUnavailable):
        BatchPublisher(dataclasses.replace(broker_config, url=UNREACHABLE), topology)


def test_a_consumer_for_an_unreachable_broker_raises_broker_unavailable(
    broker_config: BrokerConfig, topology: Topology
) -> None:
    with pytest.raises(BrokerUnavailable):
        Consumer(
            dataclasses.replace(broker_config, url=UNREACHABLE), topology, topology.sync_queue, prefetch=1
        )


def test_a_refused_login_is_a_broker_error_that_retrying_cannot_fix(broker_config: BrokerConfig) -> None:
    wrong = dataclasses.replace(broker_config, url="amqp://guest:not-the-password@127.0.0.1:5672/%2F")
    with pytest.raises(BrokerError, match="refused the login") as caught:
        connect(wrong)
    assert not isinstance(caught.value, BrokerUnavailable)
    assert "not-the-password" not in str(caught.value)


def test_a_connection_to_the_broker_opens(broker_config: BrokerConfig) -> None:
    connection = connect(broker_config)
    try:
        assert connection.is_open
    finally:
        connection.close()


def test_the_broker_is_described_by_user_host_port_and_vhost_only() -> None:
    assert describe_url("amqp://dvcgw:pw@mq.example:5673/prod") == "dvcgw@mq.example:5673 vhost prod"
    assert describe_url("amqp://127.0.0.1") == "127.0.0.1:5672 vhost /"
