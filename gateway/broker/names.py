"""Every RabbitMQ name the gateway uses: exchanges, queues, routing keys, our own headers.

Tiny pure functions of the configured prefix (``broker.prefix``, default ``dvc``), so the topology,
the publisher, the workers, the tests and an operator reading ``dvcgw topology`` all agree on one
spelling, and two deployments (or two test runs) on one broker never share a queue::

    <p>.dossiers            direct exchange; every queue below is bound to it
    <p>.sync                quorum work queue               routing key  sync
    <p>.retry.<label>       one delay tier (TTL → sync)     routing key  retry.<label>
    <p>.dead                given up by the gateway         routing key  dead
    <p>.poison              over the delivery limit         routing key  poison

A tier's label is its delay in the largest whole unit: 10 s → ``10s``, 60 → ``1m``, 90 → ``90s``,
600 → ``10m``, 7200 → ``2h``.
"""

from __future__ import annotations

from collections.abc import Sequence

SYNC_KEY = "sync"
DEAD_KEY = "dead"
POISON_KEY = "poison"

# The pipeline's own attempt counter. Not an ``x-`` name: since RabbitMQ 3.13 the broker owns the
# ``x-`` headers and ignores or strips the ones a client sets on a re-published message.
ATTEMPT_HEADER = "dvc-attempt"


def exchange(prefix: str) -> str:
    """The direct exchange every dossier message is published to."""
    return f"{prefix}.dossiers"


def sync_queue(prefix: str) -> str:
    """The quorum queue the sync workers consume."""
    return f"{prefix}.sync"


def retry_label(delay_s: int) -> str:
    """A delay tier's label: ``10s``, ``1m``, ``90s``, ``10m``, ``2h``."""
    if delay_s <= 0:
        raise ValueError(f"a retry delay must be a positive number of seconds, got {delay_s}")
    for unit, seconds in (("h", 3600), ("m", 60)):
        if delay_s % seconds == 0:
            return f"{delay_s // seconds}{unit}"
    return f"{delay_s}s"


def retry_queue(prefix: str, delay_s: int) -> str:
    """The consumerless queue holding messages for ``delay_s`` before they return to the sync queue."""
    return f"{prefix}.retry.{retry_label(delay_s)}"


def retry_key(delay_s: int) -> str:
    """The routing key of the retry tier for ``delay_s``."""
    return f"retry.{retry_label(delay_s)}"


def retry_key_for_failure(failure: int, delays_s: Sequence[int]) -> str:
    """The routing key for a message's ``failure``-th failure (1-based).

    Failure n waits in tier n-1; every failure after the last tier waits in the last tier.
    """
    if failure < 1:
        raise ValueError(f"failures are counted from 1, got {failure}")
    if not delays_s:
        raise ValueError("there are no retry tiers (broker.retry_delays_s is empty)")
    return retry_key(delays_s[min(failure, len(delays_s)) - 1])


def dead_queue(prefix: str) -> str:
    """The queue of messages the gateway gave up on (also kept in the store); never expires."""
    return f"{prefix}.dead"


def poison_queue(prefix: str) -> str:
    """Where the broker dead-letters a message redelivered past the sync queue's delivery limit."""
    return f"{prefix}.poison"
