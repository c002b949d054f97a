"""The store survives a restart: stop the simulator, start it on the same file, find everything."""

from __future__ import annotations

import signal
import socket
from urllib.parse import urlsplit

import httpx
import pytest

from gateway.sim import samples
from gateway.sim.process import SimProcess
from gateway.sim.settings import load_settings
from tests.polling import wait_until


def integration(http, session, service, **fields):
    body = {"session": session, "madonvi": samples.AGENCY, "service": service, **fields}
    return http.post("/api/v1/integration", json=body)


def test_dossiers_versions_history_sessions_and_counters_survive_a_restart(sim_db):
    sim = load_settings()
    credentials = {"username": sim.username, "password": sim.password}
    first = SimProcess(sim_db)
    first.start()
    with httpx.Client(base_url=first.base_url) as http:
        session = http.post("/api/v1/login", json=credentials).json()["session"]
        integration(http, session, "DongBoHoSoMC", isUpdating="False", data=[samples.dossier(1, status="9")])
        integration(
            http,
            session,
            "DongBoHoSoMC",
            isUpdating="True",
            data=[samples.dossier(1, status="4", revision=1)],
        )
        integration(http, session, "CapNhatTienDoHoSoMC", data=[samples.history_entry(1, 0)])
        truth_before = http.get(f"/_sim/dossiers/{samples.ma_ho_so(1)}").json()
        stats_before = http.get("/_sim/stats").json()
    assert first.stop() == 0

    second = SimProcess(sim_db)
    with second, httpx.Client(base_url=second.base_url) as http:
        assert http.get(f"/_sim/dossiers/{samples.ma_ho_so(1)}").json() == truth_before
        assert http.get("/_sim/stats").json() == stats_before
        found = integration(http, session, "TraCuuHoSo", mahoso=samples.ma_ho_so(1))
        assert found.status_code == 200, "the session given before the restart is still valid"
        assert found.json()["result"][0]["TrangThaiHoSo"] == "4"
    assert truth_before["regressions"] == 1
    assert [v["operation"] for v in truth_before["versions"]] == ["insert", "update"]
    assert len(truth_before["history"]) == 1


def test_the_sim_starts_answers_and_exits_0_on_sigterm(sim_db):
    # How fast it starts is a figure of bench/portal_sim.py, not an assertion here.
    sim = SimProcess(sim_db)
    sim.start()
    try:
        assert httpx.get(f"{sim.base_url}/_sim/health").json() == {"status": "ok"}
    finally:
        code = sim.stop()
    assert code == 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_sim_with_exit_code_0_releasing_a_hung_call(sim_db, sig):
    sim = SimProcess(sim_db)
    sim.start()
    try:
        with httpx.Client(base_url=sim.base_url) as http:
            http.put("/_sim/faults", json={"hang_rate": 1.0})
            url = urlsplit(sim.base_url)
            with socket.create_connection((url.hostname, url.port), timeout=10) as hung:
                body = b'{"username": "a", "password": "b"}'
                hung.sendall(
                    b"POST /api/v1/login HTTP/1.1\r\nHost: sim\r\nContent-Type: application/json\r\n"
                    b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
                )
                wait_until(
                    lambda: http.get("/_sim/stats").json()["faults_by_kind"].get("hang") == 1,
                    "the call never reached the simulator",
                )
                # stop() fails loudly if the child ignores the signal (it kills it after its own
                # bound and raises), so a hung call holding the shutdown cannot pass unnoticed.
                code = sim.stop(sig=sig)
                released = hung.recv(4096)
    finally:
        sim.stop()
    assert code == 0
    assert released.startswith(b"HTTP/1.1 503")
