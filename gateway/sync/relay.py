"""The outbox relay: what the store holds as pending goes to RabbitMQ, confirmed, then marked queued.

The store is written first (intake, replay and repair only ever write the store); this relay is the
only way a dossier message reaches the broker. It claims pending messages with a lease (so two
daemons on one PostgreSQL store never publish the same row at once, and a relay that died leaves
leases that expire), publishes them with asynchronous publisher confirms, and marks queued only
what the broker confirmed. A message published but not yet marked when the process dies is
published again later: a duplicate that the workers absorb (the store knows it was acknowledged).

Every ``sweep_every_s`` it also returns to pending the messages that the broker should hold but
that made no progress for ``sync.stuck_after_s`` (a broker that lost them: restored from an old
backup, a queue deleted by hand).
"""

from __future__ import annotations

import threading
import time

import structlog

from gateway.broker import names
from gateway.broker.publisher import BatchPublisher, Outgoing
from gateway.config import Config
from gateway.errors import BrokerUnavailable
from gateway.observe import metrics
from gateway.store import OutboxItem, Store
from gateway.sync.headers import message_headers

log = structlog.get_logger(__name__)

CLAIM_LEASE_S = 35.0
"""A claim outlives one publish (its confirms time out after 30 s), no more: after a crash, what the
dead relay had claimed is published again this soon."""
IDLE_S = 0.2


class OutboxRelay:
    """Publishes the store's pending messages until ``stop`` is set."""

    def __init__(
        self, config: Config, store: Store, publisher: BatchPublisher, *, sweep_every_s: float = 60.0
    ) -> None:
        self.config = config
        self.store = store
        self.publisher = publisher
        self.sweep_every_s = sweep_every_s
        self._next_sweep = time.monotonic() + sweep_every_s

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            if not self.relay_once():
                self.publisher.idle(IDLE_S)
            if time.monotonic() >= self._next_sweep:
                self._next_sweep = time.monotonic() + self.sweep_every_s
                swept = self.store.sweep_stuck(self.config.sync.stuck_after_s)
                if swept:
                    log.warning("stuck messages returned to the outbox", count=swept)

    def relay_once(self) -> int:
        """Publish one batch of pending messages; the number confirmed."""
        items = self.store.claim_outbox(self.config.broker.confirm_window, CLAIM_LEASE_S)
        if not items:
            return 0
        try:
            result = self.publisher.publish([_outgoing(item) for item in items])
        except BrokerUnavailable:
            # Whatever was not confirmed is published again by the next relay; duplicates are absorbed.
            self.store.release_outbox([item.message_id for item in items])
            raise
        confirmed = [int(mid) for mid in result.confirmed]
        self.store.mark_queued(confirmed)
        metrics.PUBLISHED.inc(len(confirmed))
        if result.failed:
            self.store.release_outbox([int(mid) for mid in result.failed])
            log.warning(
                "publish not confirmed",
                count=len(result.failed),
                reasons=sorted(set(result.failed.values()))[:3],
            )
        log.debug("relayed", confirmed=len(confirmed))
        return len(confirmed)


def _outgoing(item: OutboxItem) -> Outgoing:
    headers = message_headers(
        ma_ho_so=item.ma_ho_so,
        revision=item.revision,
        content_hash=item.content_hash,
        source=item.source,
        attempts=item.attempts,
    )
    return Outgoing(str(item.message_id), names.SYNC_KEY, item.packet, headers)
