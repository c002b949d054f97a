"""Fixtures for the portal client's tests: a real simulator child process, and clients of it.

``portal_sim`` starts ``python -m gateway.sim`` on a free loopback port for the whole session and
yields its base URL. ``sim`` gives each test a freshly reset simulator (no dossiers, no counters,
no faults) and its truth/control API. ``portal_config`` builds the client's configuration for a
binding, with short backoffs; ``client`` is a client of each binding in turn (``binding`` is
parametrized over json and soap), closed after the test.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from gateway.config import PortalConfig, SimConfig
from gateway.portal import PortalClient, make_client
from gateway.sim import samples
from gateway.sim.process import SimProcess

SIM = SimConfig()
BINDINGS = ["json", "soap"]


class Sim:
    """The ``/_sim/`` API of the running simulator, plus a raw JSON login for probing sessions."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def reset(self) -> None:
        assert self.http.post("/_sim/reset").status_code == 200

    def set_faults(self, **spec: Any) -> None:
        response = self.http.put("/_sim/faults", json=spec)
        assert response.status_code == 200, response.text

    def stats(self) -> dict[str, Any]:
        response = self.http.get("/_sim/stats")
        assert response.status_code == 200
        return dict(response.json())

    def faults(self, kind: str) -> int:
        return int(self.stats()["faults_by_kind"].get(kind, 0))

    def refusals(self, reason: str) -> int:
        return int(self.stats()["calls_refused_by_reason"].get(reason, 0))

    def truth(self, ma_ho_so: str) -> httpx.Response:
        return self.http.get(f"/_sim/dossiers/{ma_ho_so}")

    def login(self) -> str:
        response = self.http.post("/api/v1/login", json={"username": SIM.username, "password": SIM.password})
        assert response.status_code == 200, response.text
        return str(response.json()["session"])

    def session_is_valid(self, session: str) -> bool:
        body = {"session": session, "madonvi": samples.AGENCY, "service": "TraCuuHoSo", "mahoso": "x"}
        return self.http.post("/api/v1/integration", json=body).status_code != 401


@pytest.fixture(scope="session")
def portal_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a simulator running for the whole test session; stopped afterwards."""
    directory = tmp_path_factory.mktemp("portal-client-sim")
    process = SimProcess(directory / "portal-sim.sqlite3")
    process.start()
    try:
        yield process.base_url
    finally:
        code = process.stop()
        assert code == 0, f"portal-sim exited with {code}:\n{process.log_tail()}"


@pytest.fixture
def sim(portal_sim: str) -> Iterator[Sim]:
    """The session simulator, reset before and after the test."""
    with httpx.Client(base_url=portal_sim, timeout=10.0) as http:
        control = Sim(http)
        control.reset()
        try:
            yield control
        finally:
            control.reset()


@pytest.fixture
def portal_config(portal_sim: str) -> Callable[..., PortalConfig]:
    """Builds the client configuration for a binding; keyword arguments replace fields."""

    def build(binding: str, **changes: Any) -> PortalConfig:
        config = PortalConfig(
            url=portal_sim,
            binding="soap" if binding == "soap" else "json",
            username=SIM.username,
            password=SIM.password,
            madonvi=samples.AGENCY,
            timeout_s=10.0,
            call_attempts=3,
            backoff_initial_s=0.01,
            backoff_max_s=0.05,
            max_retry_after_s=5.0,
        )
        return dataclasses.replace(config, **changes)

    return build


@pytest.fixture(params=BINDINGS)
def binding(request: pytest.FixtureRequest) -> str:
    """Each binding in turn."""
    return str(request.param)


@pytest.fixture
def make_portal(
    sim: Sim, binding: str, portal_config: Callable[..., PortalConfig]
) -> Iterator[Callable[..., PortalClient]]:
    """Builds clients of the current binding (configuration changes as keywords); closes them all."""
    clients: list[PortalClient] = []

    def build(**changes: Any) -> PortalClient:
        client = make_client(portal_config(binding, **changes))
        clients.append(client)
        return client

    try:
        yield build
    finally:
        for client in clients:
            client.close()


@pytest.fixture
def client(make_portal: Callable[..., PortalClient]) -> PortalClient:
    """A client of the current binding, with the test configuration, against a reset simulator."""
    return make_portal()
