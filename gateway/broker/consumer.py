"""Consuming a queue in batches with manual acks, for the sync workers.

One ``Consumer`` owns one ``BlockingConnection`` and belongs to the thread that created it (pika is
not thread-safe): that thread takes batches with ``next_batch``, hands the work to its pool, keeps
heartbeats answered with ``process_events`` while it waits, and acks what the pool finished with
``ack``. ``basic_qos(prefetch)`` bounds what the broker sends ahead, so memory does not grow with
the backlog.

Acks are coalesced into ``multiple=True`` where that is safe: a multiple ack for tag N settles every
outstanding tag up to N on the channel, so it is used only when each of them is being acked now; a
tag still in work is never acked by accident. A second channel of the same connection, in transaction
mode, publishes the messages a worker moves to a retry tier or to the dead queue before acking the
originals: one ``tx.commit`` round trip per batch (the broker answers it once the messages are
routed and stored), where waiting for each publisher confirm in turn costs a round trip per message.
``mandatory`` returns arrive before the commit's answer, so an unroutable message is reported.

When the broker cancels the consumer (queue deleted, node down) or the connection is lost,
``next_batch`` and ``ack`` raise ``BrokerUnavailable``: make a new ``Consumer`` after a backoff; the
deliveries not acked are redelivered (drop their old tags: tags belong to one channel).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pika.exceptions
import structlog

from gateway.broker import names
from gateway.broker.connection import broker_errors, connect, raise_translated
from gateway.broker.publisher import Outgoing, PublishResult, message_properties
from gateway.broker.topology import Topology
from gateway.config import BrokerConfig
from gateway.errors import BrokerUnavailable

log = structlog.get_logger(__name__)


def int_header(headers: Mapping[str, Any] | None, name: str, default: int = 0) -> int:
    """An integer header read defensively: ints, decimal text or bytes; ``default`` otherwise.

    Headers come from whoever published the message (an operator's shovel, an older gateway), so a
    missing, negative or garbled value must not crash a worker.
    """
    value = (headers or {}).get(name)
    if isinstance(value, bytes):
        value = value.decode("ascii", errors="replace")
    if isinstance(value, str):
        value = value.strip()
        if not (value.isascii() and value.isdecimal()):
            return default
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return default
    return value


@dataclass(frozen=True)
class Delivery:
    """One message taken from the queue, not yet acked; ``tag`` is valid on its consumer only."""

    tag: int
    message_id: str
    headers: dict[str, Any]
    body: bytes
    redelivered: bool

    @property
    def attempt(self) -> int:
        """The pipeline's attempt count (header ``dvc-attempt``; 0 when absent or unreadable)."""
        return int_header(self.headers, names.ATTEMPT_HEADER)


class Consumer:
    """Consumes ``queue`` with manual acks, ``prefetch`` deliveries at most in flight.

    The constructor connects (one attempt), declares the topology, opens the consuming channel and
    the confirm-mode publishing channel, and subscribes last.
    """

    def __init__(self, config: BrokerConfig, topology: Topology, queue: str, *, prefetch: int) -> None:
        if prefetch < 1:
            raise ValueError(f"prefetch must be at least 1, got {prefetch}")
        self._url = config.url
        self._exchange = topology.exchange
        self._queue = queue
        self._buffer: deque[Delivery] = deque()
        self._outstanding: set[int] = set()
        self._returned: dict[str, str] = {}
        self._cancelled = False
        self._closed = False
        self._connection = connect(config, name=f"dvcgw consumer {queue}")
        try:
            with broker_errors(f"subscribe to {queue}", url=self._url):
                channel = self._connection.channel()
                topology.declare(channel)
                self._publishing = self._connection.channel()
                self._publishing.tx_select()
                self._publishing.add_on_return_callback(self._on_return)
                channel.basic_qos(prefetch_count=prefetch)
                channel.add_on_cancel_callback(self._on_cancel)
                channel.basic_consume(queue, self._on_message, auto_ack=False)
                self._channel = channel
        except BaseException:
            self.close()
            raise
        log.debug("broker.consumer_ready", queue=queue, prefetch=prefetch)

    def next_batch(self, max_size: int, max_wait_s: float) -> list[Delivery]:
        """Wait up to ``max_wait_s`` for a first delivery, then take what is already here.

        Returns at most ``max_size`` deliveries; ``[]`` when nothing came in time.
        """
        if max_size < 1:
            raise ValueError(f"max_size must be at least 1, got {max_size}")
        deadline = time.monotonic() + max_wait_s
        with broker_errors(f"consume from {self._queue}", url=self._url):
            self._raise_if_unusable()
            while not self._buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._connection.process_data_events(time_limit=remaining)
                self._raise_if_unusable()
            # Whatever already arrived on the socket, without waiting.
            if self._buffer and len(self._buffer) < max_size:
                self._connection.process_data_events(time_limit=0)
        batch = [self._buffer.popleft() for _ in range(min(max_size, len(self._buffer)))]
        self._outstanding.update(delivery.tag for delivery in batch)
        return batch

    def ack(self, tags: Iterable[int]) -> None:
        """Ack ``tags`` (each taken by ``next_batch`` and not yet acked), coalescing where safe.

        Raises ``ValueError`` for a tag this consumer does not hold: acking it would close the channel.
        """
        acking = set(tags)
        unknown = acking - self._outstanding
        if unknown:
            raise ValueError(
                f"not outstanding on this consumer (already acked, or never taken): {sorted(unknown)}"
            )
        with broker_errors(f"ack on {self._queue}", url=self._url):
            self._raise_if_unusable(cancel_ok=True)
            for tag, multiple in coalesce_acks(acking, self._outstanding):
                self._channel.basic_ack(delivery_tag=tag, multiple=multiple)
            self._outstanding -= acking

    def publish(self, messages: Sequence[Outgoing]) -> PublishResult:
        """Publish ``messages`` to the exchange in one transaction; confirmed once it is committed."""
        if not messages:
            return PublishResult(confirmed=[], failed={})
        self._returned.clear()
        with broker_errors("publish", url=self._url):
            self._raise_if_unusable(cancel_ok=True)
            for message in messages:
                self._publishing.basic_publish(
                    self._exchange,
                    message.routing_key,
                    message.body,
                    properties=message_properties(message),
                    mandatory=True,
                )
            self._publishing.tx_commit()
            # Basic.Return frames came before Tx.CommitOk; this hands them to _on_return.
            self._connection.process_data_events(time_limit=0)
        failed = dict(self._returned)
        confirmed = [m.message_id for m in messages if m.message_id not in failed]
        return PublishResult(confirmed=confirmed, failed=failed)

    def _on_return(self, _channel: Any, method: Any, properties: Any, _body: bytes) -> None:
        message_id = str(getattr(properties, "message_id", "") or "")
        self._returned[message_id] = (
            f"returned unroutable: no queue is bound to routing key {method.routing_key!r} "
            f"on exchange {self._exchange}"
        )

    def process_events(self, time_limit: float) -> None:
        """Service the connection (heartbeats, incoming deliveries) for up to ``time_limit`` seconds."""
        with broker_errors(f"consume from {self._queue}", url=self._url):
            self._raise_if_unusable(cancel_ok=True)
            self._connection.process_data_events(time_limit=time_limit)

    def __enter__(self) -> Consumer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (idempotent); deliveries not acked go back to the queue."""
        if self._closed:
            return
        self._closed = True
        self._buffer.clear()
        self._outstanding.clear()
        try:
            if self._connection.is_open:
                self._connection.close()
        except (OSError, pika.exceptions.AMQPError):
            log.debug("broker.consumer_close_failed", queue=self._queue, exc_info=True)

    def _on_message(self, _channel: Any, method: Any, properties: Any, body: bytes) -> None:
        self._buffer.append(
            Delivery(
                tag=method.delivery_tag,
                message_id=properties.message_id or "",
                headers=dict(properties.headers or {}),
                body=body,
                redelivered=bool(method.redelivered),
            )
        )

    def _on_cancel(self, _frame: Any) -> None:
        log.warning("broker.consumer_cancelled", queue=self._queue)
        self._cancelled = True

    def _raise_if_unusable(self, *, cancel_ok: bool = False) -> None:
        if self._closed:
            raise BrokerUnavailable(f"RabbitMQ: the consumer of {self._queue} is closed")
        if not self._channel.is_open:
            # pika raised the loss once already (StreamLostError...); later calls find a dead channel.
            raise BrokerUnavailable(f"RabbitMQ: the connection of the consumer of {self._queue} was lost")
        if self._cancelled and not cancel_ok:
            raise_translated(
                pika.exceptions.ConsumerCancelled(), f"consume from {self._queue}", url=self._url
            )


def coalesce_acks(acking: set[int], outstanding: Iterable[int]) -> list[tuple[int, bool]]:
    """The ``(tag, multiple)`` acks that settle exactly ``acking`` among the ``outstanding`` tags.

    The longest run of the lowest outstanding tags that are all being acked becomes one multiple
    ack; every other tag is acked alone, so no tag outside ``acking`` is ever settled.
    """
    acks: list[tuple[int, bool]] = []
    prefix_end: int | None = None
    for tag in sorted(outstanding):
        if tag not in acking:
            break
        prefix_end = tag
    if prefix_end is not None:
        acks.append((prefix_end, True))
    acks.extend((tag, False) for tag in sorted(acking) if prefix_end is None or tag > prefix_end)
    return acks
