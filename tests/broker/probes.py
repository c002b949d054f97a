"""The test side of the broker: messages to send, deliveries to take, queue depths, lost connections."""

from __future__ import annotations

import subprocess
import uuid
from typing import Any

from gateway.broker.consumer import Consumer, Delivery
from gateway.broker.publisher import Outgoing
from tests.polling import wait_until


def outgoing(count: int, routing_key: str = "sync", **headers: str | int) -> list[Outgoing]:
    """``count`` messages with distinct ids, each carrying its index in header ``n``."""
    run = uuid.uuid4().hex[:6]
    return [
        Outgoing(
            message_id=f"{run}-{n}",
            routing_key=routing_key,
            body=b'{"n": %d}' % n,
            headers={"n": n, **headers},
        )
        for n in range(count)
    ]


def take(consumer: Consumer, count: int, *, timeout: float = 10.0) -> list[Delivery]:
    """Take exactly ``count`` deliveries from ``consumer`` (polling with a deadline), leaving them unacked."""
    taken: list[Delivery] = []

    def enough() -> bool:
        taken.extend(consumer.next_batch(count - len(taken), max_wait_s=0.1))
        return len(taken) >= count

    wait_until(enough, f"expected {count} deliveries", timeout=timeout)
    return taken


def queue_depth(channel: Any, queue: str) -> int:
    """Ready messages in ``queue`` (a passive declare: it does not create the queue)."""
    return int(channel.queue_declare(queue, passive=True).method.message_count)


def close_connections_named(name: str) -> int:
    """Have the broker close every connection whose client-given name is ``name``; how many it closed.

    Simulates a broker-side loss (node restart, operator, network) for one test's connections only.
    """
    listing = subprocess.run(
        ["rabbitmqctl", "list_connections", "pid", "client_properties", "-q", "--no-table-headers"],
        capture_output=True,
        text=True,
        check=True,
    )
    # One line per connection: "<rabbit@host.1.2.3>\t[...,{"connection_name","<name>"}]".
    tagged = f'{{"connection_name","{name}"}}'
    pids = [line.split("\t", 1)[0] for line in listing.stdout.splitlines() if tagged in line]
    for pid in pids:
        subprocess.run(
            ["rabbitmqctl", "close_connection", pid, "closed by a test"], capture_output=True, check=True
        )
    return len(pids)
