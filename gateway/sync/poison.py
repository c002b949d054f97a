"""Poison messages: what the broker dead-lettered after the sync queue's delivery limit.

A message is delivered again each time the worker holding it dies (a crash, ``kill -9``, an
out-of-memory kill) before acknowledging it; after ``broker.delivery_limit`` deliveries the quorum
queue gives up on it and dead-letters it to ``<prefix>.poison``. This drain records each such message
in the store as dead, with that reason, and moves it to ``<prefix>.dead`` beside the other dead
letters, so that nothing the broker gives up on is held only by the broker: ``dvcgw`` sees it and an
operator can replay it. A message the store already settled (a stale copy) is simply acknowledged.
"""

from __future__ import annotations

import threading

import structlog

from gateway.broker import names
from gateway.broker.consumer import Consumer, Delivery
from gateway.broker.publisher import Outgoing
from gateway.observe import metrics
from gateway.store import DeliveryOutcome, MessageState, Result, Store
from gateway.sync.headers import REASON

log = structlog.get_logger(__name__)

_OPEN = (MessageState.PENDING, MessageState.QUEUED, MessageState.RETRYING)


class PoisonDrain:
    """Drains the poison queue until ``stop`` is set."""

    def __init__(self, store: Store, consumer: Consumer, delivery_limit: int) -> None:
        self.store = store
        self.consumer = consumer
        self.reason = (
            f"delivered {delivery_limit} times without an outcome: each time the worker holding it "
            "stopped before answering (a crash, a kill); RabbitMQ gave up on it"
        )

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            batch = self.consumer.next_batch(100, 1.0)
            if batch:
                self.drain(batch)

    def drain(self, batch: list[Delivery]) -> None:
        outcomes: list[DeliveryOutcome] = []
        moves: list[Outgoing] = []
        for delivery in batch:
            row = self.store.message(int(delivery.message_id)) if delivery.message_id.isdigit() else None
            if row is not None and row.state not in _OPEN:
                continue
            if row is not None:
                outcomes.append(
                    DeliveryOutcome(
                        row.id, Result.DEAD, row.attempts, error_class="DeliveryLimit", error=self.reason
                    )
                )
            headers = {**delivery.headers, REASON: self.reason}
            moves.append(Outgoing(delivery.message_id or "-", names.DEAD_KEY, delivery.body, headers))
        confirmed = set(self.consumer.publish(moves).confirmed) if moves else set()
        self.store.finish_delivery([o for o in outcomes if str(o.message_id) in confirmed])
        moved = {m.message_id for m in moves}
        done = [
            d.tag for d in batch if (d.message_id or "-") not in moved or (d.message_id or "-") in confirmed
        ]
        self.consumer.ack(done)
        for outcome in outcomes:
            if str(outcome.message_id) in confirmed:
                metrics.DEAD.labels("DeliveryLimit").inc()
                log.error("poison message dead", message_id=outcome.message_id, reason="delivery_limit")
