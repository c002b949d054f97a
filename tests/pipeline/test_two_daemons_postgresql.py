"""Two daemons on one PostgreSQL store and one broker prefix, revisions split between their inboxes."""

from __future__ import annotations

from collections.abc import Iterator
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
    sim_stats,
    wait_for_counts,
)

DOSSIERS = range(1000)
FIRST, SECOND = range(500), range(500, 1000)
# The third revision of part of the dossiers, half of it to each daemon, dropped while they run.
NEWEST_A, NEWEST_B = range(0, 300), range(300, 600)
MESSAGES = 2 * len(DOSSIERS) + len(NEWEST_A) + len(NEWEST_B)


@pytest.fixture
def pg_ledger(pg_store_url: str) -> Iterator[Store]:
    store = Store.open(pg_store_url)
    try:
        yield store
    finally:
        store.close()


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_two_daemons_sharing_a_postgresql_store_deliver_the_latest_revision_once_even_when_one_is_killed(
    tmp_path: Path,
    prefix: str,
    sim: SimProcess,
    pg_store_url: str,
    pg_ledger: Store,
    daemons: list[Daemon],
) -> None:
    a, b = (
        Daemon(
            gateway_env(tmp_path / name, pg_store_url, prefix, sim.base_url),
            tmp_path / f"daemon-{name}.log",
            workers=1,
        )
        for name in ("a", "b")
    )
    daemons += [a.start(), b.start()]
    # Revision 0 to A and revision 1 to B, for every dossier, in two files each: the same dossiers'
    # revisions are taken in, published and delivered by both daemons at once.
    for part, indexes in enumerate((FIRST, SECOND)):
        drop(a.var, SOURCE, f"r0-{part}.ndjson", igate_file(indexes, revision=0))
        drop(b.var, SOURCE, f"r1-{part}.ndjson", igate_file(indexes, revision=1))

    wait_for_counts(pg_ledger, lambda c: c["acked"] >= 400, "400 acknowledged", daemons, timeout=90)
    drop(a.var, SOURCE, "r2-a.ndjson", igate_file(NEWEST_A, revision=2))
    drop(b.var, SOURCE, "r2-b.ndjson", igate_file(NEWEST_B, revision=2))
    wait_for_counts(pg_ledger, lambda c: c["acked"] >= 900, "900 acknowledged", daemons, timeout=90)
    a.kill()
    a.start()

    expected = expected_portal([(DOSSIERS, 1), (NEWEST_A, 2), (NEWEST_B, 2)])
    assert_latest_delivered(sim, pg_ledger, expected, MESSAGES, daemons, timeout=150)
    # Each dossier was created once at the portal: a delivery repeated after the kill, or raced by
    # the other daemon, found it there and became an update.
    stats = sim_stats(sim)
    assert stats["inserts"] == len(DOSSIERS), stats
    for daemon in (a, b):
        assert not list((daemon.var / "inbox" / SOURCE).iterdir())
        assert not list((daemon.var / "processing" / SOURCE).iterdir())
