"""Handing what the store holds as pending to RabbitMQ once, for commands that wrote the store.

``dvcgw ingest`` and ``dvcgw replay`` only write the store (the outbox); the daemon's relay
publishes from there. So that an operator need not wait for the daemon, these commands also run
the relay once themselves when RabbitMQ answers: every pending message is published with confirms
and marked queued, exactly as the daemon would (a message both publish is a duplicate the workers
recognise). Without RabbitMQ nothing is lost: the messages wait in the store for the daemon.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.config import Config
from gateway.errors import BrokerUnavailable
from gateway.store import Store


@dataclass(frozen=True)
class HandOver:
    """How many pending messages were published; ``problem``: why the rest (or all) stay in the
    store for the daemon's relay (RabbitMQ unreachable, or lost on the way)."""

    published: int
    problem: str | None = None
    reached: bool = True
    """Whether RabbitMQ could be reached at all."""


def hand_over(config: Config, store: Store) -> HandOver:
    """Publish what ``store`` holds as pending, once; never raises for an absent broker."""
    from gateway.broker.publisher import BatchPublisher
    from gateway.broker.topology import Topology
    from gateway.sync.relay import OutboxRelay

    try:
        publisher = BatchPublisher(config.broker, Topology.from_config(config.broker))
    except BrokerUnavailable as exc:
        return HandOver(0, str(exc), reached=False)
    published = 0
    try:
        relay = OutboxRelay(config, store, publisher)
        while sent := relay.relay_once():
            published += sent
    except BrokerUnavailable as exc:
        return HandOver(published, str(exc))
    finally:
        publisher.close()
    return HandOver(published)
