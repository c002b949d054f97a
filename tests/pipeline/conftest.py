"""Fixtures for the whole delivery path: a real broker (a topology of the test's own), a real
portal simulator, and the daemon as a real process that tests stop, kill and start again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.broker.connection import connect
from gateway.broker.topology import Topology
from gateway.config import BrokerConfig, load_config
from gateway.sim.process import SimProcess
from gateway.store import MessageState, Store
from tests.polling import wait_until

SIM_USER, SIM_PASSWORD = "dvcgw", "dvcgw-sim"


@pytest.fixture
def prefix() -> Iterator[str]:
    """A broker prefix of this test's own; every queue under it is deleted afterwards."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    yield name
    broker = BrokerConfig(prefix=name, retry_delays_s=(1, 2, 4))
    connection = connect(broker)
    try:
        Topology.from_config(broker).delete(connection.channel())
    finally:
        connection.close()


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimProcess]:
    with SimProcess(
        tmp_path / "portal-sim.sqlite3",
        env={"DVCGW_SIM_USERNAME": SIM_USER, "DVCGW_SIM_PASSWORD": SIM_PASSWORD},
    ) as process:
        yield process


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'gateway.sqlite3'}"


def gateway_env(var: Path, store_url: str, prefix: str, portal_url: str, **extra: str) -> dict[str, str]:
    """The environment of a daemon under test: its own var, store, queues and portal; short retry tiers."""
    return {
        "DVCGW_PATHS_VAR": str(var),
        "DVCGW_STORE_URL": store_url,
        "DVCGW_BROKER_PREFIX": prefix,
        "DVCGW_BROKER_RETRY_DELAYS_S": "1,2,4",
        "DVCGW_PORTAL_URL": portal_url,
        "DVCGW_PORTAL_USERNAME": SIM_USER,
        "DVCGW_PORTAL_PASSWORD": SIM_PASSWORD,
        "DVCGW_PORTAL_TIMEOUT_S": "3",
        "DVCGW_PORTAL_BACKOFF_MAX_S": "0.5",
        "DVCGW_SYNC_LEASE_S": "15",
        "DVCGW_SYNC_MAX_ATTEMPTS": "30",
        "DVCGW_INTAKE_POLL_INTERVAL_S": "0.2",
        **extra,
    }


class Daemon:
    """``dvcgw run`` as a child process of the test."""

    def __init__(self, env: dict[str, str], log: Path, workers: int = 2) -> None:
        self.env = env
        self.log = log
        self.workers = workers
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Daemon:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gateway.cli", "run", "--workers", str(self.workers)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **self.env},
            )
        return self

    def kill(self) -> None:
        """``kill -9`` the supervisor; its children follow it."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.process = None

    def stop(self, timeout: float = 60.0) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout)
        self.process = None
        return code

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    """Daemons a test starts; any still running at the end is killed."""
    started: list[Daemon] = []
    yield started
    for daemon in started:
        if daemon.process is not None and daemon.process.poll() is None:
            daemon.process.kill()
            daemon.process.wait(10)


def drop(var: Path, source: str, name: str, data: bytes) -> None:
    """Drop an export file into the daemon's inbox the documented way: write, then rename."""
    folder = var / "inbox" / source
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{name}"
    partial.write_bytes(data)
    partial.rename(folder / name)


def portal_statuses(sim: SimProcess) -> dict[str, str]:
    """Every dossier the simulator holds now, with its status, read through its change listing."""
    session = httpx.post(
        f"{sim.base_url}/api/v1/login", json={"username": SIM_USER, "password": SIM_PASSWORD}, timeout=10
    ).json()["session"]
    statuses: dict[str, str] = {}
    cursor = None
    while True:
        body: dict[str, Any] = {
            "session": session,
            "madonvi": "000.00.22.H33",
            "service": "DanhSachHoSoThayDoi",
            "cursor": cursor,
            "page_size": 1000,
        }
        page = httpx.post(f"{sim.base_url}/api/v1/integration", json=body, timeout=30).json()["result"]
        statuses.update({item["MaHoSo"]: item["TrangThaiHoSo"] for item in page["items"]})
        cursor = page["next_cursor"]
        if cursor is None:
            return statuses


def sim_stats(sim: SimProcess) -> dict[str, Any]:
    result: dict[str, Any] = httpx.get(f"{sim.base_url}/_sim/stats", timeout=10).json()
    return result


def set_faults(sim: SimProcess, spec: dict[str, Any]) -> None:
    httpx.put(f"{sim.base_url}/_sim/faults", json=spec, timeout=10).raise_for_status()


def settled(store_url: str) -> bool:
    """Every message in the store is acknowledged, superseded or dead."""
    store = Store.open(store_url)
    try:
        return store.unfinished() == 0 and sum(store.state_counts().values()) > 0
    finally:
        store.close()


def state_counts(store_url: str) -> dict[str, int]:
    store = Store.open(store_url)
    try:
        return {str(k): v for k, v in store.state_counts().items()}
    finally:
        store.close()


def wait_for_portal(sim: SimProcess, expected: dict[str, str], daemons: list[Daemon], timeout: float) -> None:
    """Poll until the portal holds exactly ``expected`` (code → status); fail with what differs."""
    last: dict[str, str] = {}

    def reached() -> bool:
        nonlocal last
        last = portal_statuses(sim)
        return last == expected

    try:
        wait_until(reached, "the portal did not reach the expected dossiers", timeout=timeout, every=0.5)
    except AssertionError:
        missing = sorted(set(expected) - set(last))[:5]
        wrong = sorted(c for c in expected if c in last and last[c] != expected[c])[:5]
        tails = "\n---\n".join(d.log_tail() for d in daemons)
        raise AssertionError(
            f"portal holds {len(last)} of {len(expected)}; missing e.g. {missing}; wrong status e.g. "
            f"{[(c, last[c], expected[c]) for c in wrong]}\n{tails}"
        ) from None


__all__ = ["MessageState", "load_config"]
