"""Fault injection: every fault type, set at run time (and at start), seeded and reproducible."""

from __future__ import annotations

import httpx
import pytest
from zeep.exceptions import Fault

from gateway.sim import samples
from gateway.sim.faults import FaultSpecError, load_spec, parse_spec
from gateway.sim.process import SimProcess

NS = "urn:dvc-gateway:dvcqg:1"


def look_up_statuses(sim_client, calls):
    return [sim_client.look_up(samples.ma_ho_so(1)).status_code for _ in range(calls)]


def test_error_rate_one_answers_every_call_500_or_503_and_stores_nothing(sim_client):
    session = sim_client.session
    sim_client.set_faults(error_rate=1.0)
    statuses = set()
    for n in range(6):
        response = sim_client.call(
            "DongBoHoSoMC", session=session, isUpdating="False", data=[samples.dossier(n)]
        )
        statuses.add(response.status_code)
        assert response.json()["error_code"] in (30, 31)
    assert statuses <= {500, 503}
    stats = sim_client.stats()
    assert stats["dossiers"] == 0
    assert stats["faults_injected"] == 6
    assert sum(stats["faults_by_kind"].values()) == 6


def test_the_same_seed_reproduces_the_same_faults(sim_client):
    session = sim_client.session
    sim_client.set_faults(seed=42, error_rate=0.5)
    first = look_up_statuses(sim_client, 24)
    sim_client.set_faults(seed=42, error_rate=0.5)
    second = look_up_statuses(sim_client, 24)
    assert first == second
    assert {200, 500, 503} <= set(first)
    sim_client.set_faults(seed=43, error_rate=0.5)
    assert look_up_statuses(sim_client, 24) != first
    assert session == sim_client.session


def test_the_same_seed_loses_the_same_records(sim_client):
    def lost_codes():
        sim_client.reset()
        sim_client.set_faults(seed=5, lose_rate=0.3)
        sim_client.sync([samples.dossier(n) for n in range(30)])
        return {
            samples.ma_ho_so(n)
            for n in range(30)
            if not sim_client.look_up(samples.ma_ho_so(n)).json()["result"]
        }

    first = lost_codes()
    assert 0 < len(first) < 30
    assert lost_codes() == first


def test_latency_is_applied_to_every_call_and_counted_but_not_as_a_fault(sim_client):
    # Tests time nothing: the simulator's own count of the delay it applied is the evidence.
    sim_client.session  # noqa: B018 - log in before the latency is switched on
    sim_client.set_faults(latency_ms=[20, 20])
    assert look_up_statuses(sim_client, 3) == [200, 200, 200]
    stats = sim_client.stats()
    assert (stats["delayed_calls"], stats["latency_injected_ms"]) == (3, 60)
    assert stats["faults_injected"] == 0  # latency is not a refusal


def test_a_hung_call_holds_until_the_client_times_out_and_stores_nothing(sim_client, portal_sim):
    session = sim_client.session
    sim_client.set_faults(hang_rate=1.0)
    body = {
        "session": session,
        "madonvi": samples.AGENCY,
        "service": "DongBoHoSoMC",
        "isUpdating": "False",
        "data": [samples.dossier(1)],
    }
    with httpx.Client(timeout=0.5) as impatient, pytest.raises(httpx.ReadTimeout):
        impatient.post(f"{portal_sim}/api/v1/integration", json=body)
    sim_client.set_faults()
    assert sim_client.truth(samples.ma_ho_so(1)).status_code == 404
    assert sim_client.stats()["faults_by_kind"] == {"hang": 1}


def test_a_call_hung_after_processing_stores_the_records_though_the_client_timed_out(sim_client, portal_sim):
    session = sim_client.session
    sim_client.set_faults(hang_rate=1.0, hang_phase="after")
    body = {
        "session": session,
        "madonvi": samples.AGENCY,
        "service": "DongBoHoSoMC",
        "isUpdating": "False",
        "data": [samples.dossier(2)],
    }
    with httpx.Client(timeout=0.5) as impatient, pytest.raises(httpx.ReadTimeout):
        impatient.post(f"{portal_sim}/api/v1/integration", json=body)
    sim_client.set_faults()
    assert sim_client.truth(samples.ma_ho_so(2)).json()["current"]["MaHoSo"] == samples.ma_ho_so(2)


def test_an_outage_answers_503_until_lifted_while_the_admin_api_stays_reachable(sim_client):
    session = sim_client.session
    sim_client.set_faults(outage=True)
    assert sim_client.login().status_code == 503
    assert sim_client.look_up(samples.ma_ho_so(1)).status_code == 503
    assert sim_client.http.post("/soap", content=b"<x/>").status_code == 503
    assert sim_client.http.get("/_sim/health").status_code == 200
    assert sim_client.stats()["faults_by_kind"] == {"outage": 3}
    sim_client.set_faults(outage=False)
    assert sim_client.call("TraCuuHoSo", session=session, mahoso="x").status_code == 200


def test_calls_above_the_rate_limit_get_429_with_retry_after(sim_client):
    sim_client.session  # noqa: B018 - log in before the limit is switched on
    sim_client.set_faults(rate_limit_per_s=2)
    responses = [sim_client.look_up(samples.ma_ho_so(1)) for _ in range(6)]
    assert [r.status_code for r in responses[:2]] == [200, 200]
    limited = [r for r in responses if r.status_code == 429]
    assert len(limited) >= 3
    assert all(int(r.headers["Retry-After"]) >= 1 for r in limited)
    assert limited[0].json()["error_code"] == 32


def test_accept_then_lose_answers_success_but_stores_nothing_and_counts_the_loss(sim_client):
    sim_client.set_faults(lose_rate=1.0)
    response = sim_client.sync([samples.dossier(1), samples.dossier(2)])
    assert response.json()["error_code"] == 0
    assert [o["error_code"] for o in response.json()["result"]] == [0, 0]
    assert sim_client.look_up(samples.ma_ho_so(1)).json()["result"] == []
    assert sim_client.changes().json()["result"]["items"] == []
    stats = sim_client.stats()
    assert (stats["lost"], stats["dossiers"], stats["inserts"]) == (2, 0, 0)
    truth = sim_client.truth(samples.ma_ho_so(1)).json()
    assert truth["current"] is None
    assert [v["operation"] for v in truth["lost"]] == ["insert"]


def test_soap_calls_get_injected_faults_as_soap_faults(soap, sim_client):
    session = soap.DangNhap(TenDangNhap=sim_client.username, MatKhau=sim_client.password).Session
    sim_client.set_faults(outage=True)
    with pytest.raises(Fault) as caught:
        soap.TraCuuHoSo(Session=session, MaHoSo=samples.ma_ho_so(1))
    assert caught.value.code.endswith("Server")
    assert caught.value.detail.findtext(f"{{{NS}}}LoiDichVu/{{{NS}}}ErrorCode") == "31"


def test_an_unknown_fault_key_is_refused_at_run_time(sim_client):
    response = sim_client.http.put("/_sim/faults", json={"eror_rate": 0.5})
    assert response.status_code == 400
    assert "eror_rate" in response.json()["error"]
    assert sim_client.http.get("/_sim/faults").json()["error_rate"] == 0.0


@pytest.mark.parametrize(
    "spec",
    [
        {"error_rate": 1.5},
        {"latency_ms": [50, 10]},
        {"latency_ms": 5},
        {"outage": "yes"},
        {"seed": 1.5},
        {"session_ttl_s": -1},
        {"hang_phase": "during"},
        {"rate_limit_per_s": -3},
    ],
)
def test_a_fault_spec_with_a_wrong_value_is_refused_naming_the_key(spec):
    with pytest.raises(FaultSpecError, match=next(iter(spec))):
        parse_spec(spec)


def test_a_fault_spec_is_read_from_json_text_or_an_at_file(tmp_path):
    spec_file = tmp_path / "faults.json"
    spec_file.write_text('{"seed": 3, "lose_rate": 0.1}', encoding="utf-8")
    assert load_spec(f"@{spec_file}") == load_spec('{"seed": 3, "lose_rate": 0.1}')
    assert load_spec(f"@{spec_file}").lose_rate == 0.1


def test_faults_given_at_start_are_in_force_and_restored_by_reset(sim_db):
    with SimProcess(sim_db, faults='{"outage": true}') as sim, httpx.Client(base_url=sim.base_url) as http:
        assert http.post("/api/v1/login", json={"username": "a", "password": "b"}).status_code == 503
        assert http.put("/_sim/faults", json={}).status_code == 200
        assert http.post("/api/v1/login", json={"username": "a", "password": "b"}).status_code == 401
        assert http.post("/_sim/reset").json()["faults"]["outage"] is True
        assert http.post("/api/v1/login", json={"username": "a", "password": "b"}).status_code == 503
