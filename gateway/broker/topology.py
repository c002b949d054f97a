"""The RabbitMQ topology of the delivery pipeline: one description, declared and described from it.

For the publisher and the consumers (which declare it on every connect, idempotently), for
``dvcgw topology`` (which prints ``describe()``) and for tests (``delete``). Every queue is bound
to the direct exchange ``<p>.dossiers``; dead-lettering goes back to that exchange::

    routing key     queue               kind, arguments               dead-lettered
    sync            <p>.sync            quorum, x-delivery-limit      over the limit, with key poison
    retry.<label>   <p>.retry.<label>   classic, x-message-ttl        on expiry, with key sync
    dead            <p>.dead            classic, never expires        -
    poison          <p>.poison          classic, never expires        -

A worker that fails transiently publishes the message to a retry tier (``retry_key_for_failure``)
and acks it; the tier's TTL sends it back to the sync queue. The delivery limit is the backstop
for crashes mid-message: the broker itself moves such a message to the poison queue.

RabbitMQ refuses to redeclare a queue with other arguments (406 PRECONDITION_FAILED); ``declare``
turns that into a ``BrokerError`` naming the queue, the argument, both values and the way out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pika.exceptions

from gateway.broker import names
from gateway.broker.connection import broker_errors, raise_translated
from gateway.config import BrokerConfig
from gateway.errors import BrokerError, ConfigError

_PRECONDITION_FAILED = 406
_INEQUIVALENT = re.compile(
    r"inequivalent arg '(?P<arg>[^']+)' for (?P<kind>queue|exchange) '(?P<name>[^']+)'.*?"
    r"received (?P<received>.*?) but current is (?P<current>.*)$"
)
_VALUE = re.compile(r"^(?:the value )?'(?P<value>.*?)'(?: of type .*)?$")
# Which configuration key sets which queue argument, for the advice in a mismatch error.
_CONFIG_KEYS = {
    "x-delivery-limit": "broker.delivery_limit",
    "x-message-ttl": "broker.retry_delays_s",
    "x-dead-letter-exchange": "broker.prefix",
}


@dataclass(frozen=True)
class QueueSpec:
    """One queue of the topology: how it is declared and how it is bound to the exchange."""

    name: str
    kind: Literal["quorum", "classic"]
    routing_key: str
    arguments: Mapping[str, str | int]
    purpose: str


@dataclass(frozen=True)
class Topology:
    """Exchange, queues and bindings for one prefix; build it with ``Topology.from_config``."""

    prefix: str
    retry_delays_s: tuple[int, ...]
    delivery_limit: int
    queues: tuple[QueueSpec, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.prefix:
            raise ConfigError("broker.prefix must not be empty")
        if not self.retry_delays_s:
            raise ConfigError("broker.retry_delays_s needs at least one delay")
        if any(delay <= 0 for delay in self.retry_delays_s):
            raise ConfigError(f"broker.retry_delays_s must be positive seconds, got {self.retry_delays_s}")
        if len(set(self.retry_delays_s)) != len(self.retry_delays_s):
            raise ConfigError(f"broker.retry_delays_s lists a delay twice: {self.retry_delays_s}")
        if self.delivery_limit < 1:
            raise ConfigError(f"broker.delivery_limit must be at least 1, got {self.delivery_limit}")
        object.__setattr__(self, "queues", self._specs())

    @classmethod
    def from_config(cls, config: BrokerConfig) -> Topology:
        return cls(config.prefix, tuple(config.retry_delays_s), config.delivery_limit)

    @property
    def exchange(self) -> str:
        return names.exchange(self.prefix)

    @property
    def sync_queue(self) -> str:
        return names.sync_queue(self.prefix)

    @property
    def dead_queue(self) -> str:
        return names.dead_queue(self.prefix)

    @property
    def poison_queue(self) -> str:
        return names.poison_queue(self.prefix)

    @property
    def retry_queues(self) -> tuple[str, ...]:
        return tuple(names.retry_queue(self.prefix, delay) for delay in self.retry_delays_s)

    def retry_key_for_failure(self, failure: int) -> str:
        """The routing key of the retry tier for a message's ``failure``-th failure (1-based)."""
        return names.retry_key_for_failure(failure, self.retry_delays_s)

    def _specs(self) -> tuple[QueueSpec, ...]:
        exchange = self.exchange
        sync = QueueSpec(
            name=self.sync_queue,
            kind="quorum",
            routing_key=names.SYNC_KEY,
            arguments={
                "x-queue-type": "quorum",
                "x-delivery-limit": self.delivery_limit,
                "x-dead-letter-exchange": exchange,
                "x-dead-letter-routing-key": names.POISON_KEY,
            },
            purpose="work queue of the sync workers",
        )
        retries = tuple(
            QueueSpec(
                name=names.retry_queue(self.prefix, delay),
                kind="classic",
                routing_key=names.retry_key(delay),
                arguments={
                    "x-queue-type": "classic",
                    "x-message-ttl": delay * 1000,
                    "x-dead-letter-exchange": exchange,
                    "x-dead-letter-routing-key": names.SYNC_KEY,
                },
                purpose=f"waits {names.retry_label(delay)}, then back to {self.sync_queue}",
            )
            for delay in self.retry_delays_s
        )
        # No TTL and no max-length on these two: a dead letter must never vanish on its own.
        dead = QueueSpec(
            name=self.dead_queue,
            kind="classic",
            routing_key=names.DEAD_KEY,
            arguments={"x-queue-type": "classic"},
            purpose="messages the gateway gave up on (mirrored in the store)",
        )
        poison = QueueSpec(
            name=self.poison_queue,
            kind="classic",
            routing_key=names.POISON_KEY,
            arguments={"x-queue-type": "classic"},
            purpose=f"messages redelivered past the delivery limit of {self.sync_queue}",
        )
        return (sync, *retries, dead, poison)

    def declare(self, channel: Any) -> None:
        """Declare the exchange, every queue and every binding on a ``BlockingChannel``.

        Idempotent: declaring an existing, identical topology changes nothing. A queue or the
        exchange that exists with other arguments raises ``BrokerError`` (the channel is then closed).
        """
        self._declare_one(
            "exchange",
            self.exchange,
            lambda: channel.exchange_declare(self.exchange, exchange_type="direct", durable=True),
        )
        for spec in self.queues:
            self._declare_one(
                "queue",
                spec.name,
                lambda spec=spec: channel.queue_declare(
                    spec.name, durable=True, arguments=dict(spec.arguments)
                ),
            )
            with broker_errors(f"bind queue {spec.name}"):
                channel.queue_bind(spec.name, self.exchange, routing_key=spec.routing_key)

    def _declare_one(self, kind: str, name: str, declare: Any) -> None:
        try:
            declare()
        except pika.exceptions.ChannelClosedByBroker as exc:
            if exc.reply_code == _PRECONDITION_FAILED:
                raise BrokerError(_mismatch_message(kind, name, exc.reply_text)) from exc
            raise_translated(exc, f"declare {kind} {name}")
        except (OSError, pika.exceptions.AMQPError) as exc:
            raise_translated(exc, f"declare {kind} {name}")

    def delete(self, channel: Any) -> None:
        """Delete every queue and the exchange, with whatever they hold (for tests)."""
        with broker_errors(f"delete the topology of {self.prefix}"):
            for spec in self.queues:
                channel.queue_delete(spec.name)
            channel.exchange_delete(self.exchange)

    def describe(self) -> list[str]:
        """One human-readable line per exchange and queue: name, type, arguments, binding."""
        lines = [f"exchange {self.exchange}: direct, durable"]
        for spec in self.queues:
            arguments = " ".join(
                f"{key}={value}" for key, value in spec.arguments.items() if key != "x-queue-type"
            )
            lines.append(
                f"queue {spec.name}: {spec.kind}, durable, {arguments or 'no TTL, no length limit'}; "
                f"bound to {self.exchange} with key {spec.routing_key!r}; {spec.purpose}"
            )
        return lines


def _mismatch_message(kind: str, name: str, reply_text: str) -> str:
    """What differs between the broker's queue and ours, and what the operator can do about it."""
    found = _INEQUIVALENT.search(reply_text)
    if found is None:
        differs = f"the broker refused the declaration: {reply_text}"
        key = None
    else:
        arg = found["arg"]
        differs = (
            f"{arg} is {_value(found['current'])} on the broker, "
            f"the gateway declares {_value(found['received'])}"
        )
        key = _CONFIG_KEYS.get(arg)
    undo = f"set {key} back to the broker's value" if key else "restore the previous configuration"
    how = (
        f"rabbitmqctl delete_queue {name}"
        if kind == "queue"
        else f"rabbitmqadmin delete exchange name={name}"
    )
    return (
        f"{kind} {name} already exists with different arguments: {differs}. RabbitMQ cannot change "
        f"the arguments of an existing {kind}: either {undo}, or drain the {kind} and delete it "
        f"({how}) so the gateway declares it anew on its next start."
    )


def _value(text: str) -> str:
    text = text.strip()
    if text == "none":
        return "not set"
    found = _VALUE.match(text)
    return found["value"] if found else text
