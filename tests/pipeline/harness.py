"""The harness of the pipeline tests: the daemon as a child process, the inbox, the portal's and the
store's truth, and waits with deadlines that fail with what differs and the tail of every daemon's
log. The fixtures built on it are in ``conftest.py``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from gateway.broker import names
from gateway.broker.connection import connect
from gateway.config import BrokerConfig
from gateway.sim.process import SimProcess
from gateway.store import MessageState, Store
from gateway.synthetic import NATIONAL_STATUS, STATUSES, dossier_code
from tests.polling import wait_until
from tests.services import SHORT_RETRY_DELAYS_S

SIM_USER, SIM_PASSWORD = "dvcgw", "dvcgw-sim"
SOURCE = "igate-json"
"""The mapping (and inbox folder) of the synthetic exports."""


def start_sim(folder: Path, *, catalogue: Path | None = None) -> SimProcess:
    """A simulator child process on a free port with its own store file in ``folder``."""
    process = SimProcess(
        folder / "portal-sim.sqlite3",
        catalogue=catalogue,
        env={"DVCGW_SIM_USERNAME": SIM_USER, "DVCGW_SIM_PASSWORD": SIM_PASSWORD},
    )
    process.start()
    return process


def catalogue(codes: Iterable[str]) -> list[dict[str, str]]:
    """A procedure catalogue (``--catalogue``, ``PUT /_sim/catalogue``) listing ``codes``."""
    return [{"MaTTHC": code} for code in codes]


@contextmanager
def running_sim(folder: Path, *, listed: Iterable[str] | None = None) -> Iterator[SimProcess]:
    """``start_sim`` for a with-block, stopped at its end; ``listed``: a catalogue of those codes
    only (the simulator refuses the dossiers of other procedures for good)."""
    file = None
    if listed is not None:
        file = folder / "catalogue.json"
        file.write_text(json.dumps(catalogue(listed)), encoding="utf-8")
    process = start_sim(folder, catalogue=file)
    try:
        yield process
    finally:
        process.stop()


@contextmanager
def running_daemon(folder: Path, prefix: str, portal_url: str, **extra: str) -> Iterator[Daemon]:
    """A daemon under test (``gateway_env``: var and SQLite store under ``folder``) for a with-block,
    stopped at its end unless the test killed or stopped it."""
    env = gateway_env(folder / "var", f"sqlite:///{folder / 'gateway.sqlite3'}", prefix, portal_url, **extra)
    started = Daemon(env, folder / "daemon.log").start()
    try:
        yield started
    finally:
        if started.process is not None:
            started.stop()


def gateway_env(var: Path, store_url: str, prefix: str, portal_url: str, **extra: str) -> dict[str, str]:
    """The environment of a daemon under test: its own var, store, queues and portal; short retry tiers."""
    return {
        "DVCGW_PATHS_VAR": str(var),
        "DVCGW_STORE_URL": store_url,
        "DVCGW_BROKER_PREFIX": prefix,
        "DVCGW_BROKER_RETRY_DELAYS_S": ",".join(map(str, SHORT_RETRY_DELAYS_S)),
        "DVCGW_PORTAL_URL": portal_url,
        "DVCGW_PORTAL_USERNAME": SIM_USER,
        "DVCGW_PORTAL_PASSWORD": SIM_PASSWORD,
        "DVCGW_PORTAL_TIMEOUT_S": "3",
        "DVCGW_PORTAL_BACKOFF_MAX_S": "0.5",
        "DVCGW_SYNC_LEASE_S": "15",
        "DVCGW_SYNC_MAX_ATTEMPTS": "30",
        "DVCGW_INTAKE_POLL_INTERVAL_S": "0.2",
        # No web server: daemons of parallel tests would compete for its port (tests/observe test it).
        "DVCGW_WEB_ENABLED": "false",
        **extra,
    }


# What a child logs when it dies of an error, and what the supervisor logs when a child died.
_CRASH_EVENTS = ("child failed", "child exited", "essential thread failed")


class Daemon:
    """``dvcgw run`` as a child process of the test."""

    def __init__(self, env: dict[str, str], log: Path, workers: int = 2) -> None:
        self.env = env
        self.log = log
        self.workers = workers
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def var(self) -> Path:
        return Path(self.env["DVCGW_PATHS_VAR"])

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
        assert self.process.poll() is None, f"the daemon had exited already:\n{self.log_tail()}"
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

    def crashes(self) -> list[str]:
        """The log lines of children that died under the supervisor (and why, where it said)."""
        crashed = []
        for line in self.log.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                event = json.loads(line).get("event", "")
            except (ValueError, AttributeError):
                continue  # not one of the daemon's JSON lines
            if isinstance(event, str) and event.startswith(_CRASH_EVENTS):
                crashed.append(line[:600])
        return crashed

    def command(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """A ``dvcgw`` command run by the operator beside the daemon (the same configuration)."""
        return subprocess.run(
            [sys.executable, "-m", "gateway.cli", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **self.env},
        )


def drop(var: Path, source: str, name: str, data: bytes) -> None:
    """Drop an export file into the daemon's inbox the documented way: write, then rename."""
    folder = var / "inbox" / source
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{name}"
    partial.write_bytes(data)
    partial.rename(folder / name)


def portal_status(revision: int) -> str:
    """The national status code a synthetic dossier has at ``revision`` (``STATUSES[revision]``)."""
    return NATIONAL_STATUS[STATUSES[revision]]


def expected_portal(revisions: Iterable[tuple[Iterable[int], int]]) -> dict[str, str]:
    """Dossier code → the status of the newest revision given, from (indexes, revision) pairs."""
    newest: dict[int, int] = {}
    for indexes, revision in revisions:
        for i in indexes:
            newest[i] = max(revision, newest.get(i, revision))
    return {dossier_code(i): portal_status(r) for i, r in newest.items()}


class PortalRefused(Exception):
    """The portal did not answer a read of the test (an injected fault, most likely)."""


def _portal_call(sim: SimProcess, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = httpx.post(f"{sim.base_url}{path}", json=body, timeout=30)
    if answer.status_code != 200:
        raise PortalRefused(f"{path}: HTTP {answer.status_code} {answer.text[:200]}")
    result: dict[str, Any] = answer.json()
    return result


def portal_statuses(sim: SimProcess) -> dict[str, str]:
    """Every dossier the simulator holds now, with its status, read through its change listing
    (portal calls: subject to the fault spec in force, which raises ``PortalRefused``)."""
    session = _portal_call(sim, "/api/v1/login", {"username": SIM_USER, "password": SIM_PASSWORD})["session"]
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
        page = _portal_call(sim, "/api/v1/integration", body)["result"]
        statuses.update({item["MaHoSo"]: item["TrangThaiHoSo"] for item in page["items"]})
        cursor = page["next_cursor"]
        if cursor is None:
            return statuses


def sim_stats(sim: SimProcess) -> dict[str, Any]:
    result: dict[str, Any] = httpx.get(f"{sim.base_url}/_sim/stats", timeout=10).json()
    return result


def set_faults(sim: SimProcess, spec: dict[str, Any]) -> None:
    httpx.put(f"{sim.base_url}/_sim/faults", json=spec, timeout=10).raise_for_status()


def queue_depth(prefix: str, queue: str) -> int:
    """Messages ready on one queue of the test's topology (a passive declare: nothing is created)."""
    connection = connect(BrokerConfig(prefix=prefix, retry_delays_s=SHORT_RETRY_DELAYS_S))
    try:
        return int(connection.channel().queue_declare(queue, passive=True).method.message_count)
    finally:
        connection.close()


def dead_depth(prefix: str) -> int:
    return queue_depth(prefix, names.dead_queue(prefix))


def _tails(daemons: Iterable[Daemon]) -> str:
    return "\n---\n".join(f"{d.log}:\n{d.log_tail()}" for d in daemons)


def wait_for(
    condition: Callable[[], bool],
    failure: Callable[[], str],
    daemons: Iterable[Daemon],
    timeout: float,
    every: float = 0.05,
) -> None:
    """``wait_until`` that fails with ``failure()`` (computed then) and the daemons' log tails."""
    try:
        wait_until(condition, "", timeout=timeout, every=every)
    except AssertionError:
        raise AssertionError(f"{failure()}\n{_tails(daemons)}") from None


def wait_for_counts(
    store: Store,
    reached: Callable[[dict[str, int]], bool],
    what: str,
    daemons: Iterable[Daemon],
    timeout: float,
) -> dict[str, int]:
    """Poll the store's state counts until ``reached(counts)``; returns the counts then."""
    last: dict[str, int] = {}

    def check() -> bool:
        nonlocal last
        last = store.state_counts()
        return reached(last)

    wait_for(check, lambda: f"the store did not reach {what}: {last}", daemons, timeout)
    return last


def wait_settled(store: Store, messages: int, daemons: Iterable[Daemon], timeout: float) -> dict[str, int]:
    """Wait until the store holds ``messages`` messages and none is pending, queued or retrying."""
    open_states = (MessageState.PENDING, MessageState.QUEUED, MessageState.RETRYING)
    return wait_for_counts(
        store,
        lambda c: sum(c.values()) == messages and not any(c[s] for s in open_states),
        f"{messages} messages, every one finished",
        daemons,
        timeout,
    )


def wait_for_portal(
    sim: SimProcess, expected: Mapping[str, str], daemons: Iterable[Daemon], timeout: float
) -> None:
    """Poll until the portal holds exactly ``expected`` (code → status); fail with what differs."""
    last: dict[str, str] = {}

    def reached() -> bool:
        nonlocal last
        try:
            last = portal_statuses(sim)
        except PortalRefused:
            return False
        return last == expected

    def differs() -> str:
        missing = sorted(set(expected) - set(last))[:5]
        extra = sorted(set(last) - set(expected))[:5]
        wrong = sorted(c for c in expected if c in last and last[c] != expected[c])[:5]
        return (
            f"portal holds {len(last)} of {len(expected)}; missing e.g. {missing}; unexpected e.g. {extra}; "
            f"wrong status e.g. {[(c, last[c], expected[c]) for c in wrong]}"
        )

    # A listing of thousands of dossiers is work for the simulator: poll it gently.
    wait_for(reached, differs, daemons, timeout, every=0.5)


def assert_latest_delivered(
    sim: SimProcess,
    store: Store,
    expected: Mapping[str, str],
    messages: int,
    daemons: Iterable[Daemon],
    timeout: float,
    *,
    dead: int = 0,
) -> dict[str, int]:
    """The end every reliability test wants, checked once the store has settled (so the portal is
    not polled while it is still busy): the portal holds each dossier at its newest revision, none
    missing and none extra, without a single status regression; the store holds ``messages``
    messages, none unfinished and ``dead`` dead (none unless told), and records for each dossier
    that its newest revision is the acknowledged one; no child of a daemon died of an error on the
    way (a ``kill -9`` of the whole daemon is no such death). Returns the store's state counts."""
    daemons = list(daemons)
    counts = wait_settled(store, messages, daemons, timeout)
    wait_for_portal(sim, expected, daemons, timeout=30)
    crashes = [line for daemon in daemons for line in daemon.crashes()]
    assert not crashes, "a child of the daemon died of an error:\n" + "\n".join(crashes[:3])
    assert counts[MessageState.DEAD] == dead, counts
    stats = sim_stats(sim)
    assert stats["regressions"] == 0, stats
    assert stats["dossiers"] == len(expected), stats
    assert stats["lost"] == 0, stats
    wrong = []
    for code, status in expected.items():
        row = store.dossier(code)
        if row is None or row.acked_message_id != row.latest_message_id or row.status != status:
            wrong.append(row)
    assert not wrong, f"{len(wrong)} dossiers not acknowledged at their latest revision, e.g. {wrong[:3]}"
    return counts
