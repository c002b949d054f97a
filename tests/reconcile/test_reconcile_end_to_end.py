"""Reconciliation with the real daemon and simulator: records the portal accepted then lost,
dossiers another client overwrote or inserted there; ``reconcile`` finds exactly those, in the
right classes; repair makes the lost and overwritten ones right; the next run finds all in sync.

The simulator loses exactly the dossiers a test names (its ``lose_codes`` fault: the next accepted
insert or update of each is answered OK and not stored), so every expectation is an exact set."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.config import PortalConfig
from gateway.portal import JsonPortalClient
from gateway.sim.process import SimProcess
from gateway.store import Store
from gateway.synthetic import AGENCY, dossier_code, igate_file, igate_ndjson, igate_record
from tests.pipeline.harness import (
    SIM_PASSWORD,
    SIM_USER,
    SOURCE,
    Daemon,
    drop,
    expected_portal,
    gateway_env,
    running_daemon,
    running_sim,
    set_faults,
    sim_stats,
    wait_for_portal,
    wait_settled,
)
from tests.reconcile.reconcile_ledger import record_of
from tests.services import broker_prefix

FIRST = range(30)  # delivered whole, then some updated while the portal loses records
UPDATED = range(15)
BARE = range(100, 112)  # new dossiers without history: a lost insert is never noticed on the way
OVERWRITTEN_SAME_STATUS = 20
OVERWRITTEN_OTHER_STATUS = 21
STRANGER = dossier_code(900)
LOST_UPDATES = {dossier_code(i) for i in (2, 7, 11)}  # of UPDATED: the portal keeps revision 0
LOST_INSERTS = {dossier_code(i) for i in (101, 104, 110)}  # of BARE: the portal never holds them


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimProcess]:
    with running_sim(tmp_path) as process:
        yield process


@pytest.fixture
def daemon(tmp_path: Path, sim: SimProcess) -> Iterator[Daemon]:
    with (
        broker_prefix() as prefix,
        running_daemon(tmp_path, prefix, sim.base_url, DVCGW_RECONCILE_INTERVAL_MIN="0") as started,
    ):
        yield started


def another_client(sim: SimProcess) -> JsonPortalClient:
    """Another system writing to the portal with its own login session."""
    return JsonPortalClient(PortalConfig(url=sim.base_url, username=SIM_USER, password=SIM_PASSWORD))


def lost_codes(sim: SimProcess, codes: list[str]) -> set[str]:
    """The dossiers of ``codes`` of which the simulator answered a record as accepted, then lost it."""
    found = set()
    for code in codes:
        truth = httpx.get(f"{sim.base_url}/_sim/dossiers/{code}", timeout=10).json()
        if truth["lost"]:
            found.add(code)
    return found


def run_report(daemon: Daemon, path: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    done = daemon.command("reconcile", "--report", str(path), *args)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(path.read_text(encoding="utf-8")), done.stdout


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_reconcile_finds_lost_overwritten_and_foreign_dossiers_repairs_them_and_then_finds_all_in_sync(
    tmp_path: Path, sim: SimProcess, daemon: Daemon
) -> None:
    with Store.open(daemon.env["DVCGW_STORE_URL"]) as ledger:
        drop(daemon.var, SOURCE, "first.ndjson", igate_file(list(FIRST)))
        wait_settled(ledger, len(FIRST), [daemon], 90)

        set_faults(sim, {"lose_codes": sorted(LOST_UPDATES | LOST_INSERTS)})
        drop(daemon.var, SOURCE, "updates.ndjson", igate_file(list(UPDATED), revision=1))
        bare = [{**igate_record(i), "history": []} for i in BARE]
        drop(daemon.var, SOURCE, "bare.ndjson", igate_ndjson(bare))
        wait_settled(ledger, len(FIRST) + len(UPDATED) + len(BARE), [daemon], 90)
        set_faults(sim, {})
        # The simulator lost what it was told to, and nothing else.
        assert lost_codes(sim, [dossier_code(i) for i in [*FIRST, *BARE]]) == LOST_UPDATES | LOST_INSERTS
        assert sim_stats(sim)["lost"] == len(LOST_UPDATES | LOST_INSERTS)

        client = another_client(sim)
        try:
            same = record_of(ledger, ledger.messages_of(dossier_code(OVERWRITTEN_SAME_STATUS))[-1].id)
            other = record_of(ledger, ledger.messages_of(dossier_code(OVERWRITTEN_OTHER_STATUS))[-1].id)
            changed = [
                {**same, "GhiChu": "Sửa bởi hệ thống khác"},
                {**other, "TrangThaiHoSo": "4"},
            ]
            assert all(r.code == 0 for r in client.sync_dossiers(changed, update=True, madonvi=AGENCY))
            [inserted] = client.sync_dossiers([{**same, "MaHoSo": STRANGER}], update=False, madonvi=AGENCY)
            assert inserted.code == 0
        finally:
            client.close()

        code, first, table = run_report(daemon, tmp_path / "first.json", "--no-repair")
        assert code == 1
        classes: dict[str, set[str]] = {}
        for line in first["dossiers"]:
            classes.setdefault(line["class"], set()).add(line["MaHoSo"])
        assert classes == {
            "missing": LOST_INSERTS,
            "stale": LOST_UPDATES | {dossier_code(OVERWRITTEN_OTHER_STATUS)},
            "differs": {dossier_code(OVERWRITTEN_SAME_STATUS)},
            "unknown": {STRANGER},
        }
        dossiers = len(FIRST) + len(BARE)  # 42 received
        drift = len(LOST_INSERTS) + len(LOST_UPDATES) + 2  # 8
        assert first["counts"] == {
            "in_sync": dossiers - drift,
            "missing": len(LOST_INSERTS),
            "stale": len(LOST_UPDATES) + 1,
            "differs": 1,
            "unknown": 1,
            "in_flight": 0,
        }
        assert (first["received"], first["repaired"]) == (dossiers, 0)
        assert first["sync_rate"] == pytest.approx((dossiers - drift) / dossiers)
        assert "Reconciliation run" in table

        code, second, _ = run_report(daemon, tmp_path / "second.json")
        assert code == 1
        assert second["repaired"] == drift
        overwritten = {dossier_code(OVERWRITTEN_SAME_STATUS), dossier_code(OVERWRITTEN_OTHER_STATUS)}
        repaired = LOST_INSERTS | LOST_UPDATES | overwritten
        assert {line["MaHoSo"] for line in second["dossiers"] if line["repaired"]} == repaired
        assert {line["MaHoSo"] for line in second["dossiers"] if not line["repaired"]} == {STRANGER}
        wait_settled(ledger, len(FIRST) + len(UPDATED) + len(BARE), [daemon], 90)

        code, third, _ = run_report(daemon, tmp_path / "third.json")
        assert code == 0, third["dossiers"]
        assert third["counts"] == {
            "in_sync": dossiers,
            "missing": 0,
            "stale": 0,
            "differs": 0,
            "unknown": 1,
            "in_flight": 0,
        }
        assert third["sync_rate"] == 1.0

        trace = daemon.command("trace", sorted(LOST_INSERTS)[0])
        assert trace.returncode == 0, trace.stderr
        assert "reconciled run #" in trace.stdout
        assert "repaired   #" in trace.stdout
        assert not daemon.crashes()


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_the_daemon_reconciles_on_its_schedule_and_repairs_what_the_portal_lost(
    tmp_path: Path, sim: SimProcess
) -> None:
    with broker_prefix() as prefix:
        env = gateway_env(
            tmp_path / "var",
            f"sqlite:///{tmp_path / 'gateway.sqlite3'}",
            prefix,
            sim.base_url,
            DVCGW_RECONCILE_INTERVAL_MIN="0.05",  # every 3 s
        )
        daemon = Daemon(env, tmp_path / "daemon.log").start()
        try:
            with Store.open(env["DVCGW_STORE_URL"]) as ledger:
                drop(daemon.var, SOURCE, "first.ndjson", igate_file(list(FIRST)))
                wait_settled(ledger, len(FIRST), [daemon], 90)
                set_faults(sim, {"lose_codes": sorted(LOST_UPDATES)})
                drop(daemon.var, SOURCE, "updates.ndjson", igate_file(list(UPDATED), revision=1))
                wait_settled(ledger, len(FIRST) + len(UPDATED), [daemon], 90)
                set_faults(sim, {})
                assert lost_codes(sim, [dossier_code(i) for i in FIRST]) == LOST_UPDATES
                expected = expected_portal([(FIRST, 0), (UPDATED, 1)])
                wait_for_portal(sim, expected, [daemon], timeout=90)
                repairs = [r for i in FIRST for r in ledger.reconcile_repairs_of(dossier_code(i))]
                assert sorted(r.ma_ho_so for r in repairs) == sorted(LOST_UPDATES)  # each once
                assert all(r.operator.endswith("(daemon)") for r in repairs)
            assert "reconcile finding" in daemon.log.read_text(encoding="utf-8")
            assert not daemon.crashes()
        finally:
            daemon.stop()
