"""``kill -9`` of the whole daemon, again and again, while thousands of records flow through it."""

from __future__ import annotations

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
    wait_for,
    wait_for_counts,
)

FILES, PER_FILE = 4, 500  # 2,000 dossiers at revision 0
UPDATED = range(800)  # their revision 1, dropped while the daemon runs


@pytest.mark.slow
@pytest.mark.timeout(290)
def test_kill_9_of_the_daemon_three_times_mid_stream_loses_nothing_and_the_latest_revision_wins(
    tmp_path: Path, prefix: str, sim: SimProcess, store_url: str, daemons: list[Daemon], ledger: Store
) -> None:
    var = tmp_path / "var"
    daemon = Daemon(gateway_env(var, store_url, prefix, sim.base_url), tmp_path / "daemon.log").start()
    daemons.append(daemon)
    for k in range(FILES):
        drop(var, SOURCE, f"export-{k}.ndjson", igate_file(range(k * PER_FILE, (k + 1) * PER_FILE)))

    # 1: while the first revisions are being delivered.
    wait_for_counts(ledger, lambda c: c["acked"] >= 300, "300 acknowledged", daemons, timeout=60)
    daemon.kill()
    daemon.start()

    # 2: while the intake takes in the second revision of part of the dossiers.
    drop(var, SOURCE, "update-a.ndjson", igate_file(UPDATED[:400], revision=1))
    drop(var, SOURCE, "update-b.ndjson", igate_file(UPDATED[400:], revision=1))
    inbox = var / "inbox" / SOURCE
    wait_for(
        lambda: not (inbox / "update-a.ndjson").exists(),
        lambda: "the intake never took update-a.ndjson",
        daemons,
        timeout=60,
    )
    daemon.kill()
    daemon.start()

    # 3: midway through the deliveries of both revisions. (What a killed relay had claimed but not
    # yet published waits for its claim to expire, a minute, before the next relay publishes it.)
    wait_for_counts(ledger, lambda c: c["acked"] >= 1600, "1,600 acknowledged", daemons, timeout=120)
    daemon.kill()
    daemon.start()

    expected = expected_portal([(range(FILES * PER_FILE), 0), (UPDATED, 1)])
    assert_latest_delivered(sim, ledger, expected, FILES * PER_FILE + len(UPDATED), daemons, timeout=120)
    # Every file was ingested once through (a file taken when the daemon died is taken again).
    assert not list(inbox.iterdir())
    assert not list((var / "processing" / SOURCE).iterdir())
    assert len(list((var / "archive" / SOURCE).iterdir())) == FILES + 2
