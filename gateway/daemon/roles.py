"""What each child process of the daemon does: the intake, the outbox (relay, poison drain and
reconciliation schedule), a sync worker, or the web server.

Each role owns its connections (one store connection and one broker connection per thread; pika
connections are never shared across threads), runs until its stop event is set, and reconnects
with a jittered backoff when the broker or the store goes away: the work it had not finished is
still in the store or on the queue, so reconnecting loses nothing.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import timedelta

import structlog

from gateway import packaged
from gateway.broker import names
from gateway.broker.consumer import Consumer
from gateway.broker.publisher import BatchPublisher
from gateway.broker.reconnect import reconnecting as broker_reconnecting
from gateway.broker.topology import Topology
from gateway.config import Config
from gateway.errors import BrokerUnavailable, StoreUnavailable
from gateway.intake import Inbox, Ingester
from gateway.mapping import load_mapping
from gateway.observe import metrics
from gateway.observe.portal import MeasuredPortalClient
from gateway.packets import SchemaSet
from gateway.portal import make_client
from gateway.reconcile.schedule import run_schedule
from gateway.store import Store
from gateway.sync.poison import PoisonDrain
from gateway.sync.relay import OutboxRelay
from gateway.sync.worker import SyncWorker
from gateway.translate import Translator

log = structlog.get_logger(__name__)

RECONNECTABLE = (BrokerUnavailable, StoreUnavailable)


def reconnecting(stop: threading.Event, session: Callable[[], None]) -> None:
    """Run ``session`` until ``stop`` is set; after a lost broker or store, wait and start it again."""
    try:
        for attempt in broker_reconnecting(stop=stop, errors=RECONNECTABLE):
            with attempt:
                session()
    except RECONNECTABLE:
        if not stop.is_set():
            raise


def _essential(
    target: Callable[[Config, threading.Event], None], config: Config, stop: threading.Event
) -> None:
    """Run a thread the process cannot do without: if it fails, the whole process exits, and the
    supervisor starts it again (everything it had not finished is in the store or on a queue)."""
    try:
        target(config, stop)
    except BaseException:
        log.exception("essential thread failed; the process exits", thread=threading.current_thread().name)
        os._exit(70)


def run_outbox(config: Config, stop: threading.Event) -> None:
    """The outbox relay (publishes the store's pending messages), with the poison drain and the
    reconciliation schedule (``reconcile.interval_min``) beside it.

    A process apart from the intake: translating a file holds the interpreter's lock for seconds,
    and a relay sharing it would leave the workers waiting for messages the store already holds.
    """
    helpers = [
        threading.Thread(
            target=_essential, args=(run_poison_drain, config, stop), name="poison", daemon=True
        ),
    ]
    if config.reconcile.interval_min > 0:
        # Not essential: a failed reconciliation is logged and tried again, delivery goes on.
        helpers.append(
            threading.Thread(target=run_schedule, args=(config, stop), name="reconcile", daemon=True)
        )
    for thread in helpers:
        thread.start()
    run_relay(config, stop)
    for thread in helpers:
        thread.join()


def run_intake(config: Config, stop: threading.Event) -> None:
    """Watch the inbox of every mapping and ingest each file into the store."""
    # The configured mappings folder first, then the mappings shipped with the package.
    sources = packaged.mapping_names(config.paths.mappings)
    schemas = SchemaSet()
    skew = timedelta(minutes=config.intake.future_skew_minutes)
    translators = {}
    for name in sources:
        file = packaged.mapping_file(config.paths.mappings, name)
        assert file is not None  # listed by mapping_names
        translators[name] = Translator(load_mapping(file), schemas, future_skew=skew)
    inbox = Inbox(config.paths.var)
    inbox.ensure(sources)
    metrics.show_sources(sources)
    log.info("intake watching", inbox=str(config.paths.var / "inbox"), sources=sources)

    def session() -> None:
        with Store.open(config.store_url) as store:
            ingester = Ingester(store, inbox, translators)
            for source in sources:
                for orphan in inbox.orphans(source):
                    ingester.ingest(orphan)
            while not stop.is_set():
                taken = 0
                for source in sources:
                    for path in inbox.waiting(source):
                        if stop.is_set():
                            return
                        file = inbox.take(path, source)
                        if file is not None:
                            ingester.ingest(file)
                            taken += 1
                if not taken:
                    stop.wait(config.intake.poll_interval_s)

    reconnecting(stop, session)


def run_relay(config: Config, stop: threading.Event) -> None:
    topology = Topology.from_config(config.broker)

    def session() -> None:
        with Store.open(config.store_url) as store, BatchPublisher(config.broker, topology) as publisher:
            OutboxRelay(config, store, publisher).run(stop)

    reconnecting(stop, session)


def run_poison_drain(config: Config, stop: threading.Event) -> None:
    topology = Topology.from_config(config.broker)

    def session() -> None:
        with (
            Store.open(config.store_url) as store,
            Consumer(config.broker, topology, topology.poison_queue, prefetch=100) as consumer,
        ):
            PoisonDrain(store, consumer, config.broker.delivery_limit).run(stop)

    reconnecting(stop, session)


def run_worker(config: Config, stop: threading.Event, name: str) -> None:
    topology = Topology.from_config(config.broker)

    def session() -> None:
        queue = names.sync_queue(config.broker.prefix)
        with (
            Store.open(config.store_url) as store,
            Consumer(config.broker, topology, queue, prefetch=config.broker.prefetch) as consumer,
        ):
            SyncWorker(
                config, store, consumer, lambda: MeasuredPortalClient(make_client(config.portal)), name=name
            ).run(stop)

    reconnecting(stop, session)


def run_web(config: Config, stop: threading.Event) -> None:
    """Serve ``/metrics``, ``/healthz``, ``/readyz`` and the console until ``stop`` is set."""
    from gateway.web.serve import serve

    serve(config, stop)
