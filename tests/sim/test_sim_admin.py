"""The truth and control API under /_sim/: stats, dossier truth, faults, reset, loopback only."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from gateway.sim import samples
from gateway.sim.admin import is_loopback
from gateway.sim.app import create_app
from gateway.sim.settings import SimSettings

STAT_KEYS = {
    "dossiers",
    "inserts",
    "updates",
    "history_entries",
    "refused",
    "duplicates_refused",
    "regressions",
    "faults_injected",
    "lost",
}


def test_stats_carry_every_documented_key_as_an_integer(sim_client):
    stats = sim_client.stats()
    assert set(stats) >= STAT_KEYS
    assert all(isinstance(stats[key], int) for key in STAT_KEYS)
    assert isinstance(stats["refused_by_reason"], dict)


def test_the_truth_of_a_never_seen_dossier_is_404(sim_client):
    assert sim_client.truth(samples.ma_ho_so(999)).status_code == 404


def test_the_truth_of_a_dossier_has_current_versions_and_regressions(sim_client):
    sim_client.sync([samples.dossier(1)])
    truth = sim_client.truth(samples.ma_ho_so(1)).json()
    assert truth["current"]["MaHoSo"] == samples.ma_ho_so(1)
    assert len(truth["versions"]) == 1
    assert set(truth["versions"][0]) >= {"received_at", "record"}
    assert truth["regressions"] == 0


def test_the_fault_spec_reads_back_as_it_was_put(sim_client):
    spec = {"seed": 9, "error_rate": 0.25, "latency_ms": [1, 3], "rate_limit_per_s": 1000}
    sim_client.set_faults(**spec)
    current = sim_client.http.get("/_sim/faults").json()
    assert {key: current[key] for key in spec} == spec
    assert current["outage"] is False


def test_reset_forgets_dossiers_counters_and_faults_but_keeps_sessions(sim_client):
    sim_client.sync([samples.dossier(1)])
    sim_client.set_faults(error_rate=0.5)
    session = sim_client.session
    sim_client.reset()
    assert sim_client.stats()["dossiers"] == 0
    assert sim_client.stats()["inserts"] == 0
    assert sim_client.truth(samples.ma_ho_so(1)).status_code == 404
    assert sim_client.http.get("/_sim/faults").json()["error_rate"] == 0.0
    assert sim_client.call("TraCuuHoSo", session=session, mahoso="x").status_code == 200


def test_unknown_paths_answer_in_the_portal_envelope(sim_client):
    response = sim_client.http.get("/api/v1/nothing")
    assert response.status_code == 404
    assert set(response.json()) == {"error_code", "message", "result"}


def test_loopback_addresses_are_recognised():
    assert is_loopback("127.0.0.1")
    assert is_loopback("127.8.9.10")
    assert is_loopback("::1")
    assert not is_loopback("10.0.0.5")
    assert not is_loopback("testclient")
    assert not is_loopback(None)


def test_the_admin_api_refuses_clients_that_are_not_on_loopback(tmp_path: Path):
    app = create_app(SimSettings(db=tmp_path / "sim.sqlite3"))
    transport = httpx.ASGITransport(app=app, client=("192.0.2.10", 40000))

    async def calls():
        async with httpx.AsyncClient(transport=transport, base_url="http://sim") as client:
            return (
                (await client.get("/_sim/stats")).status_code,
                (await client.post("/_sim/reset")).status_code,
                (await client.post("/api/v1/login", json={"username": "x", "password": "y"})).status_code,
            )

    try:
        assert asyncio.run(calls()) == (403, 403, 401)
    finally:
        app.state.portal.store.close()
