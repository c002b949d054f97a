"""The sync worker: RabbitMQ deliveries → latest-revision check → portal → ack, retry tier or dead.

One worker owns one broker connection and one store connection, both used from its own thread
only; portal calls run in a small thread pool (``portal.in_flight`` calls at once, each thread with
its own ``PortalClient``), so a slow portal does not cap throughput. Ordering per dossier comes from
the store, not from the queue: ``Store.begin_delivery`` lets only the newest received revision of a
dossier be sent, by one sender at a time across every worker process and host; an older revision
is recorded as superseded, and a dossier another worker is sending right now is deferred to the
first retry tier.

Every outcome is written to the store before the delivery is acknowledged, and a message moves to a
retry tier or to the dead queue (with a publisher confirm) before its delivery is acknowledged, so a
crash at any point leaves it either in the store's record or still on the queue. Transient portal
failures were already retried briefly inside the call (tenacity, in ``gateway.portal``); here a
message that still failed goes to the next retry tier, and after ``sync.max_attempts`` attempts it
is dead. Never two retry layers for the same failure.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

import orjson
import structlog

from gateway.broker import names
from gateway.broker.consumer import Consumer, Delivery
from gateway.broker.publisher import Outgoing
from gateway.config import Config
from gateway.errors import BrokerUnavailable
from gateway.observe import metrics
from gateway.portal import PortalClient
from gateway.store import Decision, DeliveryOutcome, Result, Store
from gateway.sync.delivery import Job, Sent, deliver
from gateway.sync.headers import REASON

log = structlog.get_logger(__name__)

_IDLE_WAIT_S = 0.5
_BUSY_WAIT_S = 0.005


class SyncWorker:
    """Consumes the sync queue until ``stop`` is set, then finishes the calls in flight."""

    def __init__(
        self,
        config: Config,
        store: Store,
        consumer: Consumer,
        client_factory: Callable[[], PortalClient],
        *,
        name: str | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.consumer = consumer
        self.client_factory = client_factory
        self.name = name or f"worker-{os.getpid()}"
        self.prefix = config.broker.prefix
        self._local = threading.local()
        self._clients: list[PortalClient] = []
        self._clients_lock = threading.Lock()

    def run(self, stop: threading.Event) -> None:
        portal = self.config.portal
        in_flight: dict[Future[list[Sent]], list[Job]] = {}
        with ThreadPoolExecutor(max_workers=portal.in_flight, thread_name_prefix="portal") as pool:
            try:
                while not stop.is_set() or in_flight:
                    if not stop.is_set() and len(in_flight) < portal.in_flight:
                        wait_s = _BUSY_WAIT_S if in_flight else _IDLE_WAIT_S
                        deliveries = self.consumer.next_batch(
                            portal.batch_size, min(wait_s, self._batch_wait())
                        )
                        for jobs in self._dispatch(deliveries):
                            in_flight[pool.submit(self._send, jobs)] = jobs
                    elif in_flight:
                        done, _ = wait(in_flight, timeout=0.05, return_when=FIRST_COMPLETED)
                        self.consumer.process_events(0)
                        for future in done:
                            in_flight.pop(future)
                            self._complete(future.result())
                        continue
                    for future in [f for f in in_flight if f.done()]:
                        in_flight.pop(future)
                        self._complete(future.result())
            except BrokerUnavailable:
                self._salvage(in_flight)
                raise
            finally:
                for client in self._clients:
                    client.close()

    def _salvage(self, in_flight: dict[Future[list[Sent]], list[Job]]) -> None:
        """The broker went away with portal calls in flight: record what the portal acknowledged, so
        their redeliveries are recognised as done instead of waiting for the dossier's lease to
        expire; everything else is simply redelivered."""
        acked: list[DeliveryOutcome] = []
        for future in in_flight:
            try:
                sent = future.result()
            except Exception:  # noqa: S112 - a failed call's messages are redelivered anyway
                continue
            acked += [
                DeliveryOutcome(
                    s.job.message_id,
                    Result.ACKED,
                    s.job.attempt,
                    s.operation,
                    duration_ms=s.duration_ms,
                    worker=self.name,
                )
                for s in sent
                if s.result is Result.ACKED
            ]
        if acked:
            self.store.finish_delivery(acked)
            log.warning("broker lost; acknowledged deliveries recorded", count=len(acked), worker=self.name)

    def _batch_wait(self) -> float:
        return max(self.config.sync.batch_wait_ms / 1000, _BUSY_WAIT_S)

    def _client(self) -> PortalClient:
        client: PortalClient | None = getattr(self._local, "client", None)
        if client is None:
            client = self.client_factory()
            self._local.client = client
            with self._clients_lock:
                self._clients.append(client)
        return client

    def _send(self, jobs: list[Job]) -> list[Sent]:
        portal = self.config.portal
        return deliver(self._client(), jobs, madonvi=portal.madonvi, history_batch=portal.batch_size)

    def _dispatch(self, deliveries: Sequence[Delivery]) -> list[list[Job]]:
        """Decide each delivery; returns the portal batches to send."""
        if not deliveries:
            return []
        known: list[tuple[Delivery, int]] = []
        foreign: list[Delivery] = []
        for delivery in deliveries:
            if delivery.message_id.isdigit():
                known.append((delivery, int(delivery.message_id)))
            else:
                foreign.append(delivery)
        if foreign:
            self._park_foreign(foreign)
        decisions = self.store.begin_delivery([mid for _, mid in known], self.config.sync.lease_s)
        jobs: list[Job] = []
        done: list[int] = []
        deferred: list[tuple[Delivery, int, int]] = []
        for (delivery, message_id), decision in zip(known, decisions, strict=True):
            if decision.decision is Decision.SEND:
                jobs.append(
                    Job(
                        message_id=message_id,
                        tag=delivery.tag,
                        ma_ho_so=str(delivery.headers.get("ma_ho_so", "")),
                        revision=str(delivery.headers.get("revision", "")),
                        update=decision.update,
                        attempt=decision.attempts + 1,
                        packet=orjson.loads(delivery.body),
                        body=delivery.body,
                        headers=dict(delivery.headers),
                    )
                )
            elif decision.decision is Decision.DEFER:
                deferred.append((delivery, message_id, decision.attempts))
            else:
                log.info(
                    "delivery skipped",
                    message_id=message_id,
                    ma_ho_so=delivery.headers.get("ma_ho_so"),
                    revision=delivery.headers.get("revision"),
                    outcome=decision.decision.value,
                    worker=self.name,
                )
                done.append(delivery.tag)
        if deferred:
            self._defer(deferred)
        if done:
            self.consumer.ack(done)
        superseded = sum(1 for d in decisions if d.decision is Decision.SUPERSEDED)
        if superseded:
            metrics.SUPERSEDED.inc(superseded)
        size = self.config.portal.batch_size
        return [jobs[i : i + size] for i in range(0, len(jobs), size)]

    def _defer(self, deferred: list[tuple[Delivery, int, int]]) -> None:
        """Another worker is sending these dossiers: come back after the first retry delay."""
        outgoing = [
            Outgoing(
                d.message_id,
                names.retry_key_for_failure(1, self.config.broker.retry_delays_s),
                d.body,
                d.headers,
            )
            for d, _, _ in deferred
        ]
        confirmed = set(self.consumer.publish(outgoing).confirmed)
        moved = [(d, mid, attempts) for d, mid, attempts in deferred if d.message_id in confirmed]
        self.store.finish_delivery(
            [DeliveryOutcome(mid, Result.DEFERRED, attempts, worker=self.name) for _, mid, attempts in moved]
        )
        self.consumer.ack(d.tag for d, _, _ in moved)
        metrics.DEFERRED.inc(len(moved))
        for d, mid, _ in moved:
            log.info(
                "delivery deferred", message_id=mid, ma_ho_so=d.headers.get("ma_ho_so"), worker=self.name
            )

    def _park_foreign(self, deliveries: list[Delivery]) -> None:
        """A message the gateway did not publish (no ledger id): kept on the dead queue, never dropped."""
        reason = "not a gateway message: its message_id is not a ledger id"
        outgoing = [
            Outgoing(d.message_id or "-", names.DEAD_KEY, d.body, {**d.headers, REASON: reason})
            for d in deliveries
        ]
        confirmed = set(self.consumer.publish(outgoing).confirmed)
        self.consumer.ack(d.tag for d in deliveries if (d.message_id or "-") in confirmed)
        log.error("foreign message parked on the dead queue", count=len(deliveries), worker=self.name)

    def _complete(self, sent: list[Sent]) -> None:
        """Record the portal's answers, move failures to a retry tier or the dead queue, then ack."""
        max_attempts = self.config.sync.max_attempts
        delays = self.config.broker.retry_delays_s
        moves: list[Outgoing] = []
        final: list[tuple[Sent, Result]] = []
        for item in sent:
            result = item.result
            if result is Result.RETRY and item.job.attempt >= max_attempts:
                result = Result.DEAD
            final.append((item, result))
            if result is Result.RETRY:
                headers = {**item.job.headers, names.ATTEMPT_HEADER: item.job.attempt}
                moves.append(
                    Outgoing(
                        str(item.job.message_id),
                        names.retry_key_for_failure(item.job.attempt, delays),
                        item.job.body,
                        headers,
                    )
                )
            elif result is Result.DEAD:
                headers = {
                    **item.job.headers,
                    names.ATTEMPT_HEADER: item.job.attempt,
                    REASON: _reason(item, result),
                }
                moves.append(Outgoing(str(item.job.message_id), names.DEAD_KEY, item.job.body, headers))
        confirmed = set(self.consumer.publish(moves).confirmed) if moves else set()
        # A move the broker did not confirm: leave that delivery unacknowledged (it is redelivered).
        recorded = [
            (item, result)
            for item, result in final
            if result is Result.ACKED or str(item.job.message_id) in confirmed
        ]
        self.store.finish_delivery(
            [
                DeliveryOutcome(
                    message_id=item.job.message_id,
                    result=result,
                    attempt=item.job.attempt,
                    operation=item.operation,
                    error_class=item.error_class,
                    error=_reason(item, result) if result is not Result.ACKED else None,
                    duration_ms=item.duration_ms,
                    worker=self.name,
                )
                for item, result in recorded
            ]
        )
        self.consumer.ack(item.job.tag for item, _ in recorded)
        _count(recorded, delays)
        for item, result in recorded:
            log.info(
                "delivery",
                message_id=item.job.message_id,
                ma_ho_so=item.job.ma_ho_so,
                revision=item.job.revision,
                attempt=item.job.attempt,
                operation=item.operation,
                outcome=result.value,
                error_class=item.error_class,
                duration_ms=round(item.duration_ms, 1),
                worker=self.name,
            )


def _count(recorded: list[tuple[Sent, Result]], delays: Sequence[int]) -> None:
    """The outcomes just recorded, in the daemon's metrics."""
    acked = 0
    for item, result in recorded:
        error_class = item.error_class or metrics.NONE
        if result is Result.ACKED:
            acked += 1
        elif result is Result.RETRY:
            tier = names.retry_key_for_failure(item.job.attempt, delays).removeprefix("retry.")
            metrics.RETRIED.labels(tier, error_class).inc()
        elif result is Result.DEAD:
            metrics.DEAD.labels(error_class).inc()
    if acked:
        metrics.ACKNOWLEDGED.inc(acked)


def _reason(item: Sent, result: Result) -> str:
    if result is Result.DEAD and item.result is Result.RETRY:
        return f"gave up after {item.job.attempt} attempts; last error: {item.error}"
    return item.error or ""
