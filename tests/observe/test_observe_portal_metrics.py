"""Portal calls are counted under the operation the client really calls, against the real
simulator: the coordination generation's own names for delivery, the envelope API's for look-ups;
the daemon's reconciliation counts its calls too."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from gateway.config import Config, PathsConfig, PortalConfig, ReconcileConfig, StoreConfig
from gateway.errors import PortalRejected
from gateway.observe.portal import ENVELOPE, MeasuredPortalClient
from gateway.portal import ItemOutcome, make_client
from gateway.reconcile.schedule import run_due
from gateway.sim import samples
from gateway.sim.process import SimProcess
from tests.pipeline.harness import SIM_PASSWORD, SIM_USER, start_sim

AGENCY = samples.ma_ho_so(1).split("-", 1)[0]


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimProcess]:
    process = start_sim(tmp_path_factory.mktemp("metrics-sim"))
    try:
        yield process
    finally:
        process.stop()


def calls(operation: str, outcome: str = "ok") -> float:
    """How many calls of ``operation`` this process counted so far."""
    value = REGISTRY.get_sample_value(
        "dvcgw_portal_calls_total", {"operation": operation, "outcome": outcome}
    )
    return value or 0.0


def timed(operation: str) -> float:
    value = REGISTRY.get_sample_value("dvcgw_portal_call_duration_seconds_count", {"operation": operation})
    return value or 0.0


def test_coordination_calls_are_labelled_with_the_coordination_operations(sim: SimProcess) -> None:
    config = PortalConfig(url=sim.base_url, api="coordination", username=SIM_USER, password=SIM_PASSWORD)
    names = ["ThemMoiHoSo", "CapNhatHoSo", "DongBoTienTrinh", "TraCuuHoSo", "DongBoHoSoMC"]
    before = {name: (calls(name), timed(name)) for name in names}
    client = MeasuredPortalClient(make_client(config))
    try:
        [inserted] = client.sync_dossiers([samples.dossier(1)], update=False, madonvi=AGENCY)
        [updated] = client.sync_dossiers([samples.dossier(1, status="2")], update=True, madonvi=AGENCY)
        [entry] = client.push_history([samples.history_entry(1, 1)], madonvi=AGENCY)
        held = client.lookup(samples.ma_ho_so(1))
    finally:
        client.close()

    assert (inserted.outcome, updated.outcome, entry.outcome) == (ItemOutcome.OK,) * 3
    assert held is not None
    after = {name: (calls(name) - before[name][0], timed(name) - before[name][1]) for name in names}
    assert after == {
        "ThemMoiHoSo": (1, 1),
        "CapNhatHoSo": (1, 1),
        "DongBoTienTrinh": (1, 1),
        "TraCuuHoSo": (1, 1),
        "DongBoHoSoMC": (0, 0),
    }


def test_envelope_calls_keep_the_envelope_operations(sim: SimProcess) -> None:
    config = PortalConfig(url=sim.base_url, username=SIM_USER, password=SIM_PASSWORD)
    before = calls("DongBoHoSoMC")
    client = MeasuredPortalClient(make_client(config))
    try:
        assert client.operations == ENVELOPE
        client.sync_dossiers([samples.dossier(2)], update=False, madonvi=AGENCY)
    finally:
        client.close()
    assert calls("DongBoHoSoMC") - before == 1


def test_a_failed_call_is_counted_with_its_error_class(sim: SimProcess) -> None:
    config = PortalConfig(url=sim.base_url, api="coordination", password=None, call_attempts=1)
    before = calls("TraCuuHoSo", "CallRejected")
    client = MeasuredPortalClient(make_client(config))
    try:
        with pytest.raises(PortalRejected, match="not offered by the coordination API generation"):
            client.lookup(samples.ma_ho_so(1))
    finally:
        client.close()
    assert calls("TraCuuHoSo", "CallRejected") - before == 1


def test_the_daemons_reconciliation_counts_its_portal_calls(sim: SimProcess, tmp_path: Path) -> None:
    config = Config(
        paths=PathsConfig(var=tmp_path / "var"),
        store=StoreConfig(url=f"sqlite:///{tmp_path / 'gateway.sqlite3'}"),
        portal=PortalConfig(url=sim.base_url, username=SIM_USER, password=SIM_PASSWORD, madonvi=AGENCY),
        reconcile=ReconcileConfig(rate_per_s=0),
    )
    before = calls("DanhSachHoSoThayDoi")

    run_due(config, threading.Event(), interval_s=60)

    assert calls("DanhSachHoSoThayDoi") - before >= 1
