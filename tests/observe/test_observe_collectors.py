"""The metrics read at scrape time, from figures already read: no service needed."""

from __future__ import annotations

from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from gateway.observe.collectors import ScrapeCollector, ledger_families, queue_families
from gateway.observe.ledger import LedgerFigures, ReconcileFigures
from gateway.observe.queues import QueueDepth

STATES = {"pending": 2, "queued": 3, "retrying": 1, "acked": 40, "superseded": 5, "dead": 4}
RUN = ReconcileFigures(
    run_id=7,
    finished_at=datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
    counts={"in_sync": 30, "missing": 3, "stale": 2, "differs": 1, "unknown": 9, "in_flight": 4},
)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def exposed(collector: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return samples(generate_latest(registry).decode())


class _Families:
    def __init__(self, families: Any) -> None:
        self.families = families

    def collect(self) -> Any:
        return self.families


def test_the_store_figures_give_states_replays_last_delivery_and_the_766_rate() -> None:
    acked_at = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
    found = exposed(_Families(ledger_families(LedgerFigures(STATES, 6, acked_at, RUN))))

    assert found[("dvcgw_messages", (("state", "dead"),))] == 4
    assert found[("dvcgw_messages", (("state", "pending"),))] == 2
    assert found[("dvcgw_replayed_total", ())] == 6
    assert found[("dvcgw_last_delivery_timestamp_seconds", ())] == acked_at.timestamp()
    assert found[("dvcgw_reconcile_dossiers", (("class", "missing"),))] == 3
    # in_sync / every class but unknown: 30 / 40.
    assert found[("dvcgw_reconcile_sync_rate", ())] == 0.75
    assert found[("dvcgw_reconcile_last_run_timestamp_seconds", ())] == RUN.finished_at.timestamp()  # type: ignore[union-attr]


def test_without_a_delivery_or_a_reconciliation_those_metrics_are_absent_not_zero() -> None:
    found = exposed(_Families(ledger_families(LedgerFigures(STATES, 0, None, None))))

    names = {name for name, _ in found}
    assert "dvcgw_messages" in names
    assert not names & {
        "dvcgw_last_delivery_timestamp_seconds",
        "dvcgw_reconcile_sync_rate",
        "dvcgw_reconcile_dossiers",
    }


def test_queue_depths_are_labelled_by_routing_key() -> None:
    depths = [QueueDepth("sync", "p.sync", 12, 2), QueueDepth("retry.10s", "p.retry.10s", 3, 0)]
    found = exposed(_Families(queue_families(depths)))

    assert found[("dvcgw_queue_messages", (("queue", "sync"),))] == 12
    assert found[("dvcgw_queue_messages", (("queue", "retry.10s"),))] == 3
    assert found[("dvcgw_queue_consumers", (("queue", "sync"),))] == 2


class _Bounded:
    timeout_s = 0.05


class _AnsweringLedger:
    bounded = _Bounded()

    def start_figures(self) -> Future[LedgerFigures]:
        future: Future[LedgerFigures] = Future()
        future.set_result(LedgerFigures(STATES, 0, None, None))
        return future


class _SilentBroker:
    bounded = _Bounded()

    def __init__(self) -> None:
        self.never: Future[list[QueueDepth]] = Future()

    def start_depths(self) -> Future[list[QueueDepth]]:
        return self.never


class _FailingBroker(_SilentBroker):
    def start_depths(self) -> Future[list[QueueDepth]]:
        future: Future[list[QueueDepth]] = Future()
        future.set_exception(ConnectionError("refused"))
        return future


def test_a_broker_that_does_not_answer_leaves_its_metrics_out_and_says_so() -> None:
    found = exposed(ScrapeCollector(_AnsweringLedger(), _SilentBroker()))  # type: ignore[arg-type]

    assert found[("dvcgw_scrape_source_up", (("source", "store"),))] == 1
    assert found[("dvcgw_scrape_source_up", (("source", "broker"),))] == 0
    assert ("dvcgw_messages", (("state", "acked"),)) in found
    assert not any(name == "dvcgw_queue_messages" for name, _ in found)


def test_a_broker_that_fails_is_reported_down_too() -> None:
    found = exposed(ScrapeCollector(_AnsweringLedger(), _FailingBroker()))  # type: ignore[arg-type]

    assert found[("dvcgw_scrape_source_up", (("source", "broker"),))] == 0
