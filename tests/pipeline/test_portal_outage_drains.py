"""A portal that is down for a while, fails one call in ten and limits the call rate throughout."""

from __future__ import annotations

import threading
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
    set_faults,
    sim_stats,
    wait_for_counts,
    wait_settled,
)

FILES, PER_FILE = 4, 500
UPDATED = range(600)
MESSAGES = FILES * PER_FILE + len(UPDATED)
OUTAGE_S = 20.0
THROUGHOUT = {"seed": 11, "error_rate": 0.1, "rate_limit_per_s": 50}


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_a_20_s_outage_amid_5xx_and_a_rate_limit_delays_the_backlog_but_loses_nothing(
    tmp_path: Path, prefix: str, sim: SimProcess, store_url: str, daemons: list[Daemon], ledger: Store
) -> None:
    set_faults(sim, THROUGHOUT)
    var = tmp_path / "var"
    daemon = Daemon(gateway_env(var, store_url, prefix, sim.base_url), tmp_path / "daemon.log").start()
    daemons.append(daemon)
    for k in range(FILES):
        drop(var, SOURCE, f"export-{k}.ndjson", igate_file(range(k * PER_FILE, (k + 1) * PER_FILE)))
    drop(var, SOURCE, "update.ndjson", igate_file(UPDATED, revision=1))

    wait_for_counts(ledger, lambda c: c["acked"] >= 300, "300 acknowledged", daemons, timeout=60)
    set_faults(sim, {**THROUGHOUT, "outage": True})
    back = threading.Timer(OUTAGE_S, set_faults, args=(sim, THROUGHOUT))
    back.start()
    try:
        # During the outage the backlog waits in the retry tiers; nothing is given up.
        wait_for_counts(ledger, lambda c: c["retrying"] > 0, "messages in the retry tiers", daemons, 30)
        wait_settled(ledger, MESSAGES, daemons, timeout=OUTAGE_S + 120)
    finally:
        back.cancel()
        back.join()
    # The backlog drained under the faults; the test's own reads of the portal need none of them.
    set_faults(sim, {})
    expected = expected_portal([(range(FILES * PER_FILE), 0), (UPDATED, 1)])
    assert_latest_delivered(sim, ledger, expected, MESSAGES, daemons, timeout=10)
    faults = sim_stats(sim)["faults_by_kind"]
    assert faults.get("outage", 0) > 0, faults
    assert faults.get("error_500", 0) + faults.get("error_503", 0) > 0, faults
