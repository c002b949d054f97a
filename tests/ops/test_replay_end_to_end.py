"""Dead letters found, inspected and replayed from the command line, with the real daemon and portal.

The simulator's catalogue lacks a procedure, so the dossiers of that procedure die with the portal's
reason; one of them dies at two revisions. ``dead list`` lists exactly them; ``replay --dry-run``
sends and changes nothing; once the catalogue is fixed at run time, ``replay --yes`` delivers each
at its latest revision (the older dead revision is skipped), and ``trace`` tells the whole story.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.sim.process import SimProcess
from gateway.store import MessageState, Store
from gateway.synthetic import dossier_code, igate_file
from tests.pipeline.harness import (
    SOURCE,
    Daemon,
    assert_latest_delivered,
    catalogue,
    drop,
    expected_portal,
    portal_status,
    running_daemon,
    running_sim,
    sim_stats,
    wait_for_counts,
)
from tests.services import broker_prefix

LISTED = ["1.004889", "1.001234"]  # the procedures of the synthetic dossiers
UNLISTED = "2.000123"
DOSSIERS = range(40)
REFUSED = [3, 17, 18, 30]
TWICE = REFUSED[0]  # refused at revision 0, then again at revision 1


@pytest.fixture
def prefix() -> Iterator[str]:
    with broker_prefix() as name:
        yield name


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimProcess]:
    """A simulator whose catalogue lacks UNLISTED: it refuses those dossiers for good."""
    with running_sim(tmp_path, listed=LISTED) as process:
        yield process


@pytest.fixture
def daemon(tmp_path: Path, prefix: str, sim: SimProcess) -> Iterator[Daemon]:
    with running_daemon(tmp_path, prefix, sim.base_url) as started:
        yield started


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_dead_letters_are_listed_replayed_at_their_latest_revision_once_fixed_and_traced(
    sim: SimProcess, daemon: Daemon
) -> None:
    accepted = [i for i in DOSSIERS if i not in REFUSED]
    with Store.open(daemon.env["DVCGW_STORE_URL"]) as ledger:
        drop(
            daemon.var,
            SOURCE,
            "export.ndjson",
            igate_file(accepted) + igate_file(REFUSED, procedure=UNLISTED),
        )
        wait_for_counts(
            ledger,
            lambda c: c["acked"] == len(accepted) and c["dead"] == len(REFUSED),
            "first file",
            [daemon],
            60,
        )
        drop(daemon.var, SOURCE, "again.ndjson", igate_file([TWICE], revision=1, procedure=UNLISTED))
        wait_for_counts(ledger, lambda c: c["dead"] == len(REFUSED) + 1, "second file", [daemon], 60)
        older = ledger.messages_of(dossier_code(TWICE))[0].id

        listed = daemon.command("dead", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        dead = json.loads(listed.stdout)
        assert sorted(item["MaHoSo"] for item in dead) == sorted(dossier_code(i) for i in [*REFUSED, TWICE])
        assert all(UNLISTED in item["reason"] for item in dead), dead
        assert {item["id"] for item in dead} == {
            m.id for i in REFUSED for m in ledger.messages_of(dossier_code(i)) if m.state is MessageState.DEAD
        }

        stats, counts = sim_stats(sim), ledger.state_counts()
        dry = daemon.command("replay", "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert f"skip    #{older}" in dry.stdout
        assert "dry run: 4 to replay, 1 skipped, 0 cannot be" in dry.stderr
        assert sim_stats(sim) == stats
        assert ledger.state_counts() == counts

        httpx.put(
            f"{sim.base_url}/_sim/catalogue", json=catalogue([*LISTED, UNLISTED]), timeout=10
        ).raise_for_status()
        replayed = daemon.command("replay", "--yes")
        assert replayed.returncode == 0, replayed.stderr
        assert "4 replayed, 1 skipped, 0 not" in replayed.stderr

        expected = expected_portal([(accepted, 0), (REFUSED, 0), ([TWICE], 1)])
        total = len(DOSSIERS) + 1
        assert_latest_delivered(sim, ledger, expected, total, [daemon], timeout=60, dead=1)
        assert ledger.states([older]) == {older: MessageState.DEAD}  # skipped, kept as it was

        latest = ledger.messages_of(dossier_code(TWICE))[-1].id
        trace = daemon.command("trace", dossier_code(TWICE))
        assert trace.returncode == 0, trace.stderr
        timeline = trace.stdout.split("Timeline:")[1]
        assert f"#{latest} attempt 1  " in timeline
        assert "dead  PortalRefused: the portal refused the dossier: " in timeline
        assert f"replayed   #{latest} by " in timeline
        assert "insert  acked" in timeline
        assert timeline.index("dead  PortalRefused") < timeline.index("replayed") < timeline.index("acked")
        assert (
            f"holds the dossier, status {portal_status(1)}; its record is exactly the one sent as #{latest}"
            in trace.stdout
        )
