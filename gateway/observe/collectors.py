"""The metrics read at scrape time: the store's figures and RabbitMQ's queue depths.

Two prometheus_client collectors for the web server's registry. Each reads through its watch,
with the watch's deadline, and turns what it read into metric families with a pure function
(``ledger_families``, ``queue_families``: tested without any service). A source that fails or does
not answer in time is reported, not waited for: ``dvcgw_scrape_source_up{source}`` is 0 and its
families are left out of that scrape (absent, never a false zero).

::

    dvcgw_messages{state}                              messages in the store per state (gauge)
    dvcgw_replayed_total                               dead messages handed back by dvcgw replay
    dvcgw_last_delivery_timestamp_seconds              the newest acknowledgement by the portal
    dvcgw_reconcile_dossiers{class}                    the newest finished reconciliation, per class
    dvcgw_reconcile_sync_rate                          its 766 figure (in sync ÷ received)
    dvcgw_reconcile_last_run_timestamp_seconds         when it finished
    dvcgw_queue_messages{queue}                        messages ready on each queue
    dvcgw_queue_consumers{queue}                       consumers of each queue
    dvcgw_scrape_source_up{source}                     1 if the store / the broker answered in time
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import TypeVar

import structlog
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from gateway.observe.ledger import LedgerFigures, LedgerWatch
from gateway.observe.queues import BrokerWatch, QueueDepth

log = structlog.get_logger(__name__)

T = TypeVar("T")
UP = "dvcgw_scrape_source_up"


def ledger_families(figures: LedgerFigures) -> list[Metric]:
    """The store's figures as metric families."""
    states = GaugeMetricFamily("dvcgw_messages", "Messages in the store per state.", labels=["state"])
    for state, count in figures.states.items():
        states.add_metric([state], count)
    found: list[Metric] = [
        states,
        CounterMetricFamily(
            "dvcgw_replayed", "Dead messages handed back to the pipeline by dvcgw replay.", figures.replayed
        ),
    ]
    if figures.last_ack_at is not None:
        found.append(
            GaugeMetricFamily(
                "dvcgw_last_delivery_timestamp_seconds",
                "When the portal last acknowledged a message (Unix time).",
                figures.last_ack_at.timestamp(),
            )
        )
    run = figures.reconcile
    if run is not None:
        classes = GaugeMetricFamily(
            "dvcgw_reconcile_dossiers",
            "Dossiers per class in the newest finished reconciliation over every source "
            "(missing, stale and differs are drift).",
            labels=["class"],
        )
        for kind, count in run.counts.items():
            classes.add_metric([kind], count)
        found += [
            classes,
            GaugeMetricFamily(
                "dvcgw_reconcile_sync_rate",
                "Decision 766's figure of the newest finished reconciliation: in sync / received.",
                run.sync_rate,
            ),
        ]
        if run.finished_at is not None:
            found.append(
                GaugeMetricFamily(
                    "dvcgw_reconcile_last_run_timestamp_seconds",
                    "When the newest finished reconciliation finished (Unix time).",
                    run.finished_at.timestamp(),
                )
            )
    return found


def queue_families(depths: list[QueueDepth]) -> list[Metric]:
    """RabbitMQ's queue depths as metric families; queues named by routing key."""
    ready = GaugeMetricFamily(
        "dvcgw_queue_messages", "Messages ready on each queue of the topology.", labels=["queue"]
    )
    consumers = GaugeMetricFamily(
        "dvcgw_queue_consumers", "Consumers of each queue of the topology.", labels=["queue"]
    )
    for depth in depths:
        ready.add_metric([depth.key], depth.messages)
        consumers.add_metric([depth.key], depth.consumers)
    return [ready, consumers]


class ScrapeCollector(Collector):
    """The store's figures and RabbitMQ's queue depths, read at once at every scrape."""

    def __init__(self, ledger: LedgerWatch, broker: BrokerWatch) -> None:
        self.ledger = ledger
        self.broker = broker

    def collect(self) -> Iterator[Metric]:
        # Both reads begin before either is waited for: a scrape waits one deadline at most.
        figures, depths = self.ledger.start_figures(), self.broker.start_depths()
        deadline = time.monotonic() + self.ledger.bounded.timeout_s
        up = GaugeMetricFamily(
            UP, "Whether this scrape read the source (store, broker) in time.", labels=["source"]
        )
        for source, families in (
            ("store", _read("store", figures, deadline, ledger_families)),
            ("broker", _read("broker", depths, deadline, queue_families)),
        ):
            up.add_metric([source], 0.0 if families is None else 1.0)
            yield from families or []
        yield up


def _read(
    source: str, future: Future[T], deadline: float, families: Callable[[T], list[Metric]]
) -> list[Metric] | None:
    """``families`` of what ``future`` answers by ``deadline``; None when the source failed or did
    not answer in time (logged)."""
    try:
        value = future.result(timeout=max(0.0, deadline - time.monotonic()))
    except TimeoutError:
        log.warning("metrics source did not answer in time", source=source)
        return None
    except Exception as exc:
        log.warning("metrics source failed", source=source, error=str(exc), kind=type(exc).__name__)
        return None
    return families(value)
