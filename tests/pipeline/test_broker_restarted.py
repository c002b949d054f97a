"""RabbitMQ's application restarted while the daemon relays and delivers thousands of records."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.sim.process import SimProcess
from gateway.store import Store
from gateway.synthetic import igate_file
from tests.pipeline.harness import (
    SOURCE,
    Daemon,
    assert_latest_delivered,
    drop,
    expected_portal,
    gateway_env,
    wait_for_counts,
)

FILES, PER_FILE = 4, 500
UPDATED = range(600)


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_a_broker_restart_mid_stream_loses_nothing_and_the_latest_revision_wins(
    tmp_path: Path,
    prefix: str,
    rabbitmq_app: Callable[[], None],
    sim: SimProcess,
    store_url: str,
    daemons: list[Daemon],
    ledger: Store,
) -> None:
    var = tmp_path / "var"
    daemon = Daemon(gateway_env(var, store_url, prefix, sim.base_url), tmp_path / "daemon.log").start()
    daemons.append(daemon)
    for k in range(FILES):
        drop(var, SOURCE, f"export-{k}.ndjson", igate_file(range(k * PER_FILE, (k + 1) * PER_FILE)))
    drop(var, SOURCE, "update.ndjson", igate_file(UPDATED, revision=1))

    # Mid-stream: the workers are delivering and the relay still has messages to publish.
    wait_for_counts(ledger, lambda c: c["acked"] >= 400, "400 acknowledged", daemons, timeout=60)
    rabbitmq_app()

    expected = expected_portal([(range(FILES * PER_FILE), 0), (UPDATED, 1)])
    assert_latest_delivered(sim, ledger, expected, FILES * PER_FILE + len(UPDATED), daemons, timeout=150)
