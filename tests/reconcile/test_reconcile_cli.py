"""``dvcgw reconcile`` from the command line: usage errors, an unreachable portal, a run killed with
SIGKILL midway and resumed by the next one (no dossier judged twice), the JSON report."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.config import PortalConfig
from gateway.portal import JsonPortalClient
from gateway.sim.process import SimProcess, free_port
from gateway.store import Store
from gateway.synthetic import AGENCY, igate_record
from tests.ops.ledger import acknowledge, message_of
from tests.pipeline.harness import SIM_PASSWORD, SIM_USER, start_sim
from tests.polling import wait_until
from tests.reconcile.reconcile_ledger import record_of

DOSSIERS = 60


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimProcess]:
    process = start_sim(tmp_path)
    try:
        yield process
    finally:
        process.stop()


def environment(tmp_path: Path, portal_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DVCGW_PATHS_VAR": str(tmp_path / "var"),
        "DVCGW_STORE_URL": f"sqlite:///{tmp_path / 'gateway.sqlite3'}",
        "DVCGW_PORTAL_URL": portal_url,
        "DVCGW_PORTAL_USERNAME": SIM_USER,
        "DVCGW_PORTAL_PASSWORD": SIM_PASSWORD,
        "DVCGW_PORTAL_CALL_ATTEMPTS": "1",
        "DVCGW_PORTAL_TIMEOUT_S": "3",
        # No broker in these tests: a repair's hand-over would only warn, and they do not repair.
        "DVCGW_BROKER_URL": "amqp://guest:guest@127.0.0.1:1/%2F",
        **extra,
    }


def dvcgw(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        env=env,
    )


def delivered(store: Store, sim: SimProcess, count: int) -> None:
    """``count`` dossiers stored and held by the portal exactly, as if the pipeline had delivered them."""
    ids = [store.ingest(None, [message_of(igate_record(i), index=i)], [])[0].message_id for i in range(count)]
    client = JsonPortalClient(PortalConfig(url=sim.base_url, username=SIM_USER, password=SIM_PASSWORD))
    try:
        records = [record_of(store, i) for i in ids]
        for start in range(0, len(records), 50):
            assert all(
                r.code == 0
                for r in client.sync_dossiers(records[start : start + 50], update=False, madonvi=AGENCY)
            )
    finally:
        client.close()
    for message_id in ids:
        acknowledge(store, message_id)


def test_a_report_file_of_another_kind_is_a_usage_error(tmp_path: Path) -> None:
    done = dvcgw(
        environment(tmp_path, "http://127.0.0.1:1"), "reconcile", "--report", str(tmp_path / "r.csv")
    )
    assert done.returncode == 2
    assert "must end in .json or .html" in done.stderr


def test_all_with_a_bound_is_a_usage_error(tmp_path: Path) -> None:
    done = dvcgw(environment(tmp_path, "http://127.0.0.1:1"), "reconcile", "--all", "--since", "2026-12-01")
    assert done.returncode == 2
    assert "--all" in done.stderr


def test_an_unreachable_portal_is_exit_code_3_and_the_run_waits_to_be_resumed(tmp_path: Path) -> None:
    env = environment(tmp_path, f"http://127.0.0.1:{free_port()}")
    with Store.open(env["DVCGW_STORE_URL"]) as store:
        store.ingest(None, [message_of(igate_record(1))], [])
    done = dvcgw(env, "reconcile", "--no-repair")
    assert done.returncode == 3, done.stderr
    assert "run #1 was interrupted" in done.stderr


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_run_killed_midway_is_resumed_by_the_next_and_judges_no_dossier_twice(
    tmp_path: Path, sim: SimProcess
) -> None:
    env = environment(tmp_path, sim.base_url)
    with Store.open(env["DVCGW_STORE_URL"]) as store:
        delivered(store, sim, DOSSIERS)
        slow = {**env, "DVCGW_RECONCILE_RATE_PER_S": "4", "DVCGW_RECONCILE_PAGE_SIZE": "4"}
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "reconcile", "--no-repair"],
            env=slow,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:

            def judged() -> int:
                run = store.reconcile_run(1)
                return 0 if run is None else sum(t.count for t in store.reconcile_tally(1))

            wait_until(lambda: judged() >= 12, "the first run judged nothing", timeout=60, every=0.05)
            process.send_signal(signal.SIGKILL)
            process.wait(10)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)
        before = {f.ma_ho_so: f.id for f in store.reconcile_findings(1, kinds=["in_sync"])}
        killed = store.reconcile_run(1)
        assert killed is not None
        assert killed.state == "running"
        assert 12 <= len(before) < DOSSIERS

        report = tmp_path / "report.json"
        done = dvcgw(env, "reconcile", "--no-repair", "--report", str(report))
        assert done.returncode == 0, done.stderr
        assert "resumed run #1" in done.stderr
        document = json.loads(report.read_text(encoding="utf-8"))
        assert document["run_id"] == 1
        assert document["counts"]["in_sync"] == DOSSIERS
        assert document["received"] == DOSSIERS
        assert document["sync_rate"] == 1.0
        after = {f.ma_ho_so: f.id for f in store.reconcile_findings(1, kinds=["in_sync"])}
        assert len(after) == DOSSIERS
        assert all(after[code] == found for code, found in before.items())  # kept, not judged again
        run = store.reconcile_run(1)
        assert run is not None
        assert run.state == "done"
