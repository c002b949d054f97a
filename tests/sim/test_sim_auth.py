"""Login and sessions: who may call the simulated portal, and for how long."""

from __future__ import annotations

from gateway.sim import samples
from tests.polling import wait_until


def test_login_with_the_configured_credentials_returns_a_session_and_its_lifetime(sim_client):
    response = sim_client.login()
    assert response.status_code == 200
    answer = response.json()
    assert answer["error_code"] == 0
    assert isinstance(answer["session"], str)
    assert len(answer["session"]) >= 32
    assert answer["expires_in"] == 1800
    assert answer["result"] == {"session": answer["session"], "expires_in": 1800}


def test_login_with_a_wrong_password_is_refused_with_401_and_a_non_zero_error_code(sim_client):
    response = sim_client.login(password="not-the-password")
    assert response.status_code == 401
    assert response.json()["error_code"] == 10
    assert "session" not in response.json()


def test_login_without_credentials_is_a_bad_request(sim_client):
    response = sim_client.http.post("/api/v1/login", json={"username": "dvcgw"})
    assert response.status_code == 400
    assert response.json()["error_code"] == 20


def test_a_call_without_a_session_is_refused_with_401(sim_client):
    body = {"madonvi": samples.AGENCY, "service": "TraCuuHoSo", "mahoso": samples.ma_ho_so(1)}
    response = sim_client.http.post("/api/v1/integration", json=body)
    assert response.status_code == 401
    assert response.json()["error_code"] == 11


def test_a_call_with_an_unknown_session_is_refused_with_401(sim_client):
    response = sim_client.call("TraCuuHoSo", session="forged-token", mahoso=samples.ma_ho_so(1))
    assert response.status_code == 401
    assert response.json()["error_code"] == 11


def test_a_bearer_header_carries_the_session_as_well_as_the_body(sim_client):
    body = {"madonvi": samples.AGENCY, "service": "TraCuuHoSo", "mahoso": samples.ma_ho_so(1)}
    headers = {"Authorization": f"Bearer {sim_client.session}"}
    response = sim_client.http.post("/api/v1/integration", json=body, headers=headers)
    assert response.status_code == 200
    assert response.json()["result"] == []


def test_sessions_expire_when_the_fault_spec_shortens_their_lifetime(sim_client):
    assert sim_client.look_up(samples.ma_ho_so(1)).status_code == 200
    sim_client.set_faults(session_ttl_s=0)
    assert sim_client.look_up(samples.ma_ho_so(1)).status_code == 401
    sim_client.set_faults()
    assert sim_client.look_up(samples.ma_ho_so(1)).status_code == 200


def test_a_session_expires_after_session_ttl_s_seconds(sim_client):
    sim_client.set_faults(session_ttl_s=1)
    login = sim_client.login().json()
    assert login["expires_in"] == 1
    session = login["session"]
    assert sim_client.call("TraCuuHoSo", session=session, mahoso="x").status_code == 200
    wait_until(
        lambda: sim_client.call("TraCuuHoSo", session=session, mahoso="x").status_code != 200,
        "the session did not expire",
    )
    assert sim_client.call("TraCuuHoSo", session=session, mahoso="x").json()["error_code"] == 11


def test_refused_calls_are_counted_by_reason(sim_client):
    sim_client.login(password="wrong")
    sim_client.call("TraCuuHoSo", session="forged", mahoso="x")
    stats = sim_client.stats()
    assert stats["calls_refused"] == 2
    assert stats["calls_refused_by_reason"] == {"auth_failed": 1, "session_invalid": 1}
