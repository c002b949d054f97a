"""Fixtures for the whole delivery path: a real broker (a topology of the test's own), a real
portal simulator, a real store (a SQLite file, or a PostgreSQL schema of the test's own), daemons
that are killed at the end if a test left them running, and RabbitMQ's application restarted on
demand. The helpers they use, and the tests use, are in ``harness.py``.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gateway.sim.process import SimProcess
from gateway.store import Store
from tests.pipeline.harness import Daemon, start_sim
from tests.services import broker_prefix, postgres_schema


@pytest.fixture
def prefix() -> Iterator[str]:
    """A broker prefix of this test's own; every queue under it is deleted afterwards."""
    with broker_prefix() as name:
        yield name


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimProcess]:
    process = start_sim(tmp_path)
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'gateway.sqlite3'}"


@pytest.fixture
def pg_store_url() -> Iterator[str]:
    """A PostgreSQL store of this test's own (a schema in the ``test`` database), dropped afterwards."""
    with postgres_schema() as url:
        yield url


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    """Daemons a test starts; any still running at the end is killed."""
    started: list[Daemon] = []
    yield started
    for daemon in started:
        if daemon.process is not None and daemon.process.poll() is None:
            daemon.process.kill()
            daemon.process.wait(10)


@pytest.fixture
def ledger(store_url: str) -> Iterator[Store]:
    """The test's own view of the SQLite store the daemons write (read side only)."""
    store = Store.open(store_url)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def rabbitmq_app(prefix: str) -> Iterator[Callable[[], None]]:
    """Restarts RabbitMQ's application (``stop_app`` then ``start_app`` at once, waiting for it with
    a deadline). The broker is started again at teardown whatever happened in between (and before
    ``prefix`` deletes the test's queues, which needs it)."""
    stopped = False

    def ctl(*args: str, timeout: float = 60.0) -> None:
        subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=timeout)

    def restart() -> None:
        nonlocal stopped
        stopped = True
        ctl("stop_app")
        ctl("start_app")
        ctl("await_startup", "--timeout", "60", timeout=70)
        stopped = False

    try:
        yield restart
    finally:
        if stopped:
            ctl("start_app")
            ctl("await_startup", "--timeout", "60", timeout=70)
