"""The RabbitMQ layer of the delivery pipeline: topology, batch publisher, batch consumer, reconnect.

``names`` spells every exchange, queue, routing key and header; ``topology.Topology`` declares them
(idempotently) and describes them; ``connection`` connects and wraps pika's errors into the
gateway's (``BrokerUnavailable``: reconnect; ``BrokerError``: fix something first);
``publisher.BatchPublisher`` publishes with asynchronous confirms for the outbox relay;
``consumer.Consumer`` takes batches with manual, safely coalesced acks for the sync workers;
``reconnect.reconnecting`` is the backoff policy around connecting.
"""

from __future__ import annotations

from gateway.broker.connection import connect
from gateway.broker.consumer import Consumer, Delivery, int_header
from gateway.broker.publisher import BatchPublisher, Outgoing, PublishInterrupted, PublishResult
from gateway.broker.reconnect import reconnecting
from gateway.broker.topology import Topology

__all__ = [
    "BatchPublisher",
    "Consumer",
    "Delivery",
    "Outgoing",
    "PublishInterrupted",
    "PublishResult",
    "Topology",
    "connect",
    "int_header",
    "reconnecting",
]
