"""Fixtures for the simulated portal's tests: one real server per test session, over real sockets.

``portal_sim`` starts ``python -m gateway.sim`` on a free loopback port (body limit lowered to
1 MiB so the oversized-body tests stay cheap) and yields its base URL; ``sim_client`` gives each
test a fresh portal (``POST /_sim/reset``) and a small client that speaks its JSON API.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import zeep
from zeep.transports import Transport

from gateway.sim import samples
from gateway.sim.contract import SCHEMA_DIR
from gateway.sim.process import SimProcess
from gateway.sim.settings import load_settings

NS = "urn:dvc-gateway:dvcqg:1"
BINDING = f"{{{NS}}}DichVuCongBinding"
WSDL = SCHEMA_DIR / "dvcqg.wsdl"
SIM_ENV = {"DVCGW_SIM_MAX_BODY_MB": "1"}


class SimClient:
    """The JSON API and the ``/_sim/`` API of one running simulator, for tests."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        sim = load_settings()
        self.username, self.password = sim.username, sim.password
        self._session: str | None = None

    @property
    def session(self) -> str:
        if self._session is None:
            self._session = self.login().json()["session"]
        return self._session

    def login(self, username: str | None = None, password: str | None = None) -> httpx.Response:
        body = {"username": username or self.username, "password": password or self.password}
        return self.http.post("/api/v1/login", json=body)

    def call(self, service: str, session: str | None = None, **fields: Any) -> httpx.Response:
        body = {
            "session": self.session if session is None else session,
            "madonvi": samples.AGENCY,
            "service": service,
            **fields,
        }
        return self.http.post("/api/v1/integration", json=body)

    def sync(self, records: list[dict[str, Any]], *, updating: bool = False) -> httpx.Response:
        return self.call("DongBoHoSoMC", isUpdating="True" if updating else "False", data=records)

    def history(self, entries: list[dict[str, Any]]) -> httpx.Response:
        return self.call("CapNhatTienDoHoSoMC", data=entries)

    def look_up(self, ma_ho_so: str) -> httpx.Response:
        return self.call("TraCuuHoSo", mahoso=ma_ho_so)

    def changes(self, **fields: Any) -> httpx.Response:
        return self.call("DanhSachHoSoThayDoi", **fields)

    def stats(self) -> dict[str, Any]:
        response = self.http.get("/_sim/stats")
        assert response.status_code == 200
        return dict(response.json())

    def truth(self, ma_ho_so: str) -> httpx.Response:
        return self.http.get(f"/_sim/dossiers/{ma_ho_so}")

    def set_faults(self, **spec: Any) -> dict[str, Any]:
        response = self.http.put("/_sim/faults", json=spec)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def procedures(self) -> httpx.Response:
        return self.call("LayDanhSachTTHC")

    def catalogue(self) -> list[dict[str, str]] | None:
        response = self.http.get("/_sim/catalogue")
        assert response.status_code == 200, response.text
        catalogue: list[dict[str, str]] | None = response.json()["catalogue"]
        return catalogue

    def set_catalogue(self, catalogue: list[dict[str, Any]] | None) -> httpx.Response:
        # json.dumps, not json=: httpx sends no body at all for json=None, and null is meant here.
        body = json.dumps(catalogue).encode()
        return self.http.put("/_sim/catalogue", content=body, headers={"Content-Type": "application/json"})

    def reset(self) -> dict[str, Any]:
        response = self.http.post("/_sim/reset")
        assert response.status_code == 200
        return dict(response.json())


@pytest.fixture(scope="session")
def portal_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a simulator running for the whole test session; stopped afterwards."""
    directory = tmp_path_factory.mktemp("portal-sim")
    sim = SimProcess(directory / "portal-sim.sqlite3", env=SIM_ENV)
    sim.start()
    try:
        yield sim.base_url
    finally:
        code = sim.stop()
        assert code == 0, f"portal-sim exited with {code}:\n{sim.log_tail()}"


@pytest.fixture
def sim_client(portal_sim: str) -> Iterator[SimClient]:
    """A client of a freshly reset simulator (no dossiers, no counters, no faults, no catalogue)."""
    with httpx.Client(base_url=portal_sim, timeout=10.0) as http:
        client = SimClient(http)
        client.reset()
        try:
            yield client
        finally:
            client.reset()


@pytest.fixture
def sim_db(tmp_path: Path) -> Path:
    """A fresh store file for a simulator a test starts itself."""
    return tmp_path / "own-sim.sqlite3"


@pytest.fixture(scope="session")
def zeep_client() -> Iterator[zeep.Client]:
    """A zeep client built from schemas/dvcqg.wsdl with every socket connection forbidden."""

    def no_network(self: socket.socket, address: Any) -> None:
        raise AssertionError(f"network access while loading the WSDL: {address}")

    session = requests.Session()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(socket.socket, "connect", no_network)
            client = zeep.Client(
                str(WSDL),
                settings=zeep.Settings(
                    strict=True, forbid_dtd=True, forbid_external=True, xml_huge_tree=False
                ),
                transport=Transport(session=session, timeout=10, operation_timeout=10),
            )
        yield client
    finally:
        session.close()


@pytest.fixture
def soap(zeep_client: zeep.Client, sim_client: SimClient, portal_sim: str) -> Any:
    """The SOAP service proxy of the (freshly reset) session simulator."""
    return zeep_client.create_service(BINDING, f"{portal_sim}/soap")
