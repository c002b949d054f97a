"""What the metrics read from RabbitMQ at scrape time: the depth of every queue of the topology.

A passive ``queue.declare`` per queue (it creates nothing; it answers the messages ready and the
consumers), on one connection kept by the ``Bounded`` thread of the broker between scrapes (so a
scrape does not open a connection, which RabbitMQ would log each time). A failed read drops the
connection; the next one connects again. A queue that does not exist (someone deleted it; the
daemon declares it again at its next start) is reported absent, not as zero.

Queues are named by their routing key (``sync``, ``retry.10s``, ``dead``, ``poison``), which is
the same whatever ``broker.prefix`` is.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import Future
from dataclasses import dataclass

import pika
import pika.exceptions
from pika.adapters.blocking_connection import BlockingChannel

from gateway.broker.connection import broker_errors, connect, describe_url
from gateway.broker.topology import Topology
from gateway.config import BrokerConfig
from gateway.observe.bounded import Bounded

_NOT_FOUND = 404


@dataclass(frozen=True)
class QueueDepth:
    """One queue: its routing key, its messages ready for delivery, its consumers."""

    key: str
    name: str
    messages: int
    consumers: int


class BrokerWatch:
    """RabbitMQ as the web server reads it: queue depths and a reachability check, each bounded."""

    def __init__(self, config: BrokerConfig, timeout_s: float) -> None:
        self.config = config
        self.topology = Topology.from_config(config)
        self.bounded = Bounded("broker", timeout_s)
        self._connection: pika.BlockingConnection | None = None
        self._channel_open: BlockingChannel | None = None

    def depths(self) -> list[QueueDepth]:
        """Every queue of the topology that exists (``TimeoutError``; ``BrokerError``)."""
        return self.bounded.result("depths", self._depths)

    def start_depths(self) -> Future[list[QueueDepth]]:
        """Begin reading the depths now (a scrape starts every service's reads before waiting)."""
        return self.bounded.start("depths", self._depths)

    def start_ping(self) -> Future[str]:
        """Begin a reachability check now; the future says what answered, or raises."""
        return self.bounded.start("ping", self._ping)

    def ping(self) -> str:
        """Raises unless RabbitMQ answers; says what answered (and whether the queues exist yet)."""
        return self.bounded.result("ping", self._ping)

    def close(self) -> None:
        self.bounded.close(self._drop)

    # -- on the broker's thread ------------------------------------------------------------------

    def _depths(self) -> list[QueueDepth]:
        found: list[QueueDepth] = []
        channel = self._channel()
        for spec in self.topology.queues:
            try:
                with broker_errors("read a queue's depth", url=self.config.url):
                    answer = channel.queue_declare(spec.name, passive=True).method
            except Exception as exc:
                if not _missing(exc):
                    self._drop()
                    raise
                channel = self._channel()  # the broker closed the channel with the 404
                continue
            found.append(QueueDepth(spec.routing_key, spec.name, answer.message_count, answer.consumer_count))
        return found

    def _ping(self) -> str:
        channel = self._channel()
        try:
            with broker_errors("read the sync queue", url=self.config.url):
                channel.queue_declare(self.topology.sync_queue, passive=True)
        except Exception as exc:
            if not _missing(exc):
                self._drop()
                raise
            # RabbitMQ answered; the queues are simply not there yet (before the daemon's first start).
            self._channel()  # the broker closed the channel with the 404
            return f"{describe_url(self.config.url)} answered; no queues yet (the daemon declares them)"
        return f"{describe_url(self.config.url)} answered"

    def _channel(self) -> BlockingChannel:
        """The one channel of the watch (a new one after the broker closed it with a 404)."""
        try:
            if self._connection is None or not self._connection.is_open:
                self._channel_open = None
                self._connection = connect(self.config, name="dvcgw web (metrics)")
            if self._channel_open is None or not self._channel_open.is_open:
                with broker_errors("open a channel", url=self.config.url):
                    self._channel_open = self._connection.channel()
        except Exception:
            self._drop()
            raise
        return self._channel_open

    def _drop(self) -> None:
        connection, self._connection, self._channel_open = self._connection, None, None
        if connection is not None and connection.is_open:
            # It is being dropped because it failed: closing it may fail too.
            with contextlib.suppress(OSError, pika.exceptions.AMQPError):
                connection.close()


def _missing(exc: BaseException) -> bool:
    """Whether ``exc`` is the broker's 404 on a passive declare (the queue does not exist)."""
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    return isinstance(cause, pika.exceptions.ChannelClosedByBroker) and cause.reply_code == _NOT_FOUND
