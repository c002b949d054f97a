"""Records the portal refuses for good: dead, with the portal's reason, while the others go through."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.sim.process import SimProcess
from gateway.store import MessageState, Result, Store
from gateway.synthetic import dossier_code, igate_file
from tests.pipeline.harness import (
    SOURCE,
    Daemon,
    assert_latest_delivered,
    dead_depth,
    drop,
    expected_portal,
    gateway_env,
    sim_stats,
    start_sim,
)

LISTED = ["1.004889", "1.001234"]  # the procedures of the synthetic dossiers
UNLISTED = "2.000123"
DOSSIERS = range(500)
REFUSED = [7, 8, 9, 130, 260, 261]  # several in one portal batch, and alone in others


@pytest.fixture
def sim_with_catalogue(tmp_path: Path) -> Iterator[SimProcess]:
    """A simulator that refuses (item code 4, for good) every dossier of a procedure not in LISTED."""
    catalogue = tmp_path / "catalogue.json"
    catalogue.write_text(json.dumps([{"MaTTHC": code} for code in LISTED]), encoding="utf-8")
    process = start_sim(tmp_path, catalogue=catalogue)
    try:
        yield process
    finally:
        process.stop()


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_record_the_portal_refuses_for_good_is_dead_with_its_reason_and_the_others_are_delivered(
    tmp_path: Path,
    prefix: str,
    sim_with_catalogue: SimProcess,
    store_url: str,
    daemons: list[Daemon],
    ledger: Store,
) -> None:
    sim = sim_with_catalogue
    var = tmp_path / "var"
    accepted = [i for i in DOSSIERS if i not in REFUSED]
    daemon = Daemon(gateway_env(var, store_url, prefix, sim.base_url), tmp_path / "daemon.log")
    daemons.append(daemon.start())
    drop(var, SOURCE, "export.ndjson", igate_file(accepted) + igate_file(REFUSED, procedure=UNLISTED))

    expected = expected_portal([(accepted, 0)])
    assert_latest_delivered(sim, ledger, expected, len(DOSSIERS), daemons, timeout=60, dead=len(REFUSED))

    assert dead_depth(prefix) == len(REFUSED)
    for i in REFUSED:
        row = ledger.dossier(dossier_code(i))
        assert row is not None
        assert row.acked_message_id is None
        message = ledger.message(row.latest_message_id)
        assert message is not None
        assert message.state is MessageState.DEAD
        assert UNLISTED in (message.last_error or ""), message.last_error
        attempts = ledger.attempts_of(message.id)
        assert [(a.attempt, a.outcome) for a in attempts] == [(1, Result.DEAD)], attempts
        assert UNLISTED in (attempts[0].error or ""), attempts[0].error
    assert sim_stats(sim)["refused_by_reason"]["unknown_procedure"] == len(REFUSED)
