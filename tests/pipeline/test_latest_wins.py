"""Revisions of the same dossiers arriving newest first, consumed by two competing worker processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.sim.process import SimProcess
from gateway.store import MessageRow, MessageState, Store
from gateway.synthetic import igate_file
from tests.pipeline.harness import (
    SOURCE,
    Daemon,
    assert_latest_delivered,
    drop,
    expected_portal,
    gateway_env,
    sim_stats,
)

DOSSIERS = range(1000)
NEWEST = 2


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_revisions_ingested_newest_first_leave_the_newest_at_the_portal_and_the_older_superseded(
    tmp_path: Path, prefix: str, sim: SimProcess, store_url: str, daemons: list[Daemon], ledger: Store
) -> None:
    var = tmp_path / "var"
    daemon = Daemon(gateway_env(var, store_url, prefix, sim.base_url), tmp_path / "daemon.log", workers=2)
    # Dropped before the daemon starts, newest first: the intake takes them oldest-file first, so it
    # stores revision 2, then 1, then 0, while the two workers already deliver.
    for revision in (2, 1, 0):
        drop(var, SOURCE, f"revision-{revision}.ndjson", igate_file(DOSSIERS, revision=revision))
    daemons.append(daemon.start())

    expected = expected_portal([(DOSSIERS, NEWEST)])
    assert_latest_delivered(sim, ledger, expected, 3 * len(DOSSIERS), daemons, timeout=120)

    messages = [ledger.message(message_id) for message_id in range(1, 3 * len(DOSSIERS) + 1)]
    by_dossier: dict[str, list[MessageRow]] = {}
    for message in messages:
        assert message is not None
        by_dossier.setdefault(message.ma_ho_so, []).append(message)
    senders: set[str | None] = set()
    for code, revisions in by_dossier.items():
        first, *older = sorted(revisions, key=lambda m: m.id)
        # Stored first (the newest file was ingested first) and the one revision acknowledged...
        assert (first.state, first.status) == (MessageState.ACKED, expected[code]), first
        senders.update(attempt.worker for attempt in ledger.attempts_of(first.id))
        # ...the older ones, stored after it, were superseded without ever reaching the portal.
        assert all(m.revision < first.revision and m.state is MessageState.SUPERSEDED for m in older), older
        assert not any(ledger.attempts_of(m.id) for m in older), code
    assert senders == {"worker-1", "worker-2"}, "both worker processes delivered"
    # The portal received one version of each dossier, the newest: inserted once, never updated.
    stats = sim_stats(sim)
    assert (stats["inserts"], stats["updates"]) == (len(DOSSIERS), 0), stats
