"""Benchmark of the whole delivery path: inbox → intake → store → relay → RabbitMQ → workers → portal.

For whoever tunes the daemon or sizes a deployment. Each run starts everything it needs, on loopback
only, and removes it afterwards: a fresh temporary directory (the daemon's var folder and its SQLite
store), a portal simulator child process (``gateway.sim.process.SimProcess``; ``--latency-ms`` sets
its ``latency_ms`` fault, added to every portal call), a broker prefix of its own on the local
RabbitMQ (the topology is deleted at the end) and ``dvcgw run --workers N`` as a child process.

It generates N synthetic igate-json records (``gateway.synthetic``), writes them as NDJSON export
files of ``--per-file`` records each (hidden dot files in the inbox, not yet visible to the
daemon), waits until the daemon is ready (its workers consume the sync queue, the intake watches),
then drops every file by rename and polls the store (a read-only SQLAlchemy query on its file) until
every message is acknowledged by the portal, or the deadline passes. Then it reports:

- throughput: records/s from the first file dropped to the last acknowledgement (``acked_at``);
- latency per record, ingest → acknowledgement (``messages.received_at`` → ``acked_at``), p50/p99,
  with the stages (received → queued by the relay → acknowledged) and when each stage finished;
- the portal batches (``attempts`` rows): calls, records per call, call duration p50/p99;
- peak RSS (``VmHWM``) and CPU seconds (``utime + stime``) of each process of the daemon's tree,
  read from ``/proc`` just before stopping it; CPU per 1,000 records of the gateway processes, with
  the simulator's and the broker's CPU during the run beside them (not counted: they are peers);
- ``dvcgw translate --source igate-json`` of the same files, a subprocess timed wall-clock with its
  output to /dev/null: the translate path's own floor, and the ratio end-to-end / translate-only.

``--latency-ms 0,100`` runs each latency in turn and compares each with the first. ``--rss-check``
runs each of ``--sizes`` (default 10,000 and 100,000 records) with every file dropped *before* the
daemon starts (a real backlog) and prints each process's peak RSS per size side by side: memory must
not grow with the backlog. ``--postgres [URL]`` puts the store in PostgreSQL instead (a schema of
the run's own, dropped at the end), to compare with SQLite's single writer.

Targets: end-to-end >= 0.5 x translate-only and >= 1,000 records/s at latency 0; at 100 ms latency
>= 0.5 x the latency-0 figure; peak RSS flat (each process within 1.25 x) from 10k to 100k records.
Exit code 1 when a run did not finish, lost or refused a record, or (``--rss-check``) memory grew.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from gateway.broker.connection import broker_errors, connect
from gateway.broker.topology import Topology
from gateway.config import Config, load_config
from gateway.errors import BrokerUnavailable, GatewayError
from gateway.sim.process import SimProcess
from gateway.store.schema import attempts, messages
from gateway.synthetic import igate_file

ROOT = Path(__file__).resolve().parents[1]
SOURCE = "igate-json"
SIM_USER, SIM_PASSWORD = "dvcgw", "dvcgw-sim"
TARGET_TRANSLATE_RATIO = 0.5
TARGET_MIN_RATE = 1000.0
TARGET_LATENCY_RATIO = 0.5
RSS_FLAT_RATIO = 1.25
MAX_RECORDS = 500_000  # dossier codes are unique below 1,000,000; a bench run stays far below
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 60.0
POLL_S = 0.25
PG_ADMIN = "postgresql://root@127.0.0.1:5432/test"
CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- /proc ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcSample:
    """One process at one moment: its role in the daemon, peak RSS, CPU seconds so far."""

    role: str
    pid: int
    hwm_kb: int
    cpu_s: float


def _stat_fields(pid: int) -> list[str] | None:
    """``/proc/<pid>/stat`` after the command name (which may hold spaces): field 3 onwards."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far (``utime`` + ``stime``), 0 if it is gone."""
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / CLK_TCK if fields else 0.0


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _children(ppid: int) -> list[int]:
    """Child pids of ``ppid``, in the order they were started (``starttime``, then pid)."""
    found: list[tuple[int, int]] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields and int(fields[1]) == ppid:
            found.append((int(fields[19]), int(entry.name)))
    return [pid for _, pid in sorted(found)]


def daemon_tree(supervisor: int, workers: int) -> list[tuple[str, int]]:
    """(role, pid) of the supervisor and its children. The supervisor starts them in the order of
    ``CHILD_ROLES`` with its ``workers`` in place of ``worker`` (``gateway.daemon.supervisor``), so
    start order names them; multiprocessing's resource tracker is recognised by its command line."""
    tree = [("supervisor", supervisor)]
    others = [pid for pid in _children(supervisor) if "resource_tracker" not in _cmdline(pid)]
    tree += [("resource-tracker", pid) for pid in _children(supervisor) if pid not in others]
    roles = [
        name
        for role in CHILD_ROLES
        for name in ([f"worker-{i}" for i in range(1, workers + 1)] if role == "worker" else [role])
    ]
    tree += list(zip(roles, others, strict=False))
    return tree


# The daemon's children in the order it starts them (the web server with the default web.enabled).
CHILD_ROLES = ("intake", "outbox", "worker", "web")


def sample(tree: Sequence[tuple[str, int]]) -> list[ProcSample]:
    return [ProcSample(role, pid, _status_kb(pid, "VmHWM"), cpu_seconds(pid)) for role, pid in tree]


def machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine so far, every process of every user (``/proc/stat``)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def pids_named(comm: str) -> list[int]:
    """Processes by command name: the local RabbitMQ's Erlang VM (``beam.smp``) or PostgreSQL's
    backends (``postgres``), shared with anything else using them meanwhile."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if Path(entry, "comm").read_text().strip() == comm:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def broker_pids() -> list[int]:
    """The RabbitMQ server's Erlang VM; not the short-lived VMs of ``rabbitmqctl`` commands."""
    return [pid for pid in pids_named("beam.smp") if "-s rabbit boot" in _cmdline(pid)]


def sim_pid() -> int | None:
    """The simulator child of this process."""
    for pid in _children(os.getpid()):
        if "gateway.sim" in _cmdline(pid):
            return pid
    return None


# -- the store, read only ---------------------------------------------------------------------------


@contextmanager
def store_url(tmp: Path, postgres: str | None) -> Iterator[tuple[str, str]]:
    """(the daemon's store URL, a URL to read it with): a SQLite file in ``tmp`` (read-only URI; WAL:
    reading never blocks the writers), or with ``postgres`` a schema of this run's own in that
    database, selected through ``search_path`` and dropped afterwards."""
    if postgres is None:
        path = tmp / "gateway.sqlite3"
        yield f"sqlite:///{path}", f"sqlite:///file:{path}?mode=ro&uri=true"
        return
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        url = f"{postgres}?options=-csearch_path%3D{schema}"
        yield url, url.replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        with psycopg.connect(postgres, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


def store_reader(url: str) -> Engine:
    return create_engine(url)


def acked_count(engine: Engine) -> tuple[int, int]:
    """(messages stored, messages acknowledged)."""
    with engine.connect() as connection:
        total = connection.execute(select(func.count()).select_from(messages)).scalar_one()
        acked = connection.execute(
            select(func.count()).select_from(messages).where(messages.c.acked_at.is_not(None))
        ).scalar_one()
    return int(total), int(acked)


@dataclass
class StoreFigures:
    """What the store's timestamps say about one run."""

    stored: int = 0
    acked: int = 0
    states: dict[str, int] = field(default_factory=dict)
    first_received: datetime | None = None
    last_received: datetime | None = None
    last_queued: datetime | None = None
    first_acked: datetime | None = None
    last_acked: datetime | None = None
    total_ms: list[float] = field(default_factory=list)
    ingest_to_queued_ms: list[float] = field(default_factory=list)
    queued_to_acked_ms: list[float] = field(default_factory=list)
    portal_batches: int = 0
    batch_ms: list[float] = field(default_factory=list)
    attempts_per_worker: dict[str, int] = field(default_factory=dict)


def store_figures(engine: Engine) -> StoreFigures:
    figures = StoreFigures()
    columns = (messages.c.received_at, messages.c.queued_at, messages.c.acked_at)
    with engine.connect() as connection:
        rows = connection.execute(select(*columns)).all()
        figures.states = {
            str(state): int(count)
            for state, count in connection.execute(
                select(messages.c.state, func.count()).group_by(messages.c.state)
            )
        }
        # One attempts row per message; rows of one portal batch share (worker, at) (one
        # finish_delivery call) and its duration_ms (the whole deliver(): dossiers + history).
        batches = connection.execute(
            select(attempts.c.worker, attempts.c.at, func.max(attempts.c.duration_ms), func.count()).group_by(
                attempts.c.worker, attempts.c.at
            )
        ).all()
    figures.stored = len(rows)
    received = [r.received_at for r in rows]
    queued = [r.queued_at for r in rows if r.queued_at is not None]
    acked = [r for r in rows if r.acked_at is not None]
    figures.acked = len(acked)
    if received:
        figures.first_received, figures.last_received = min(received), max(received)
    if queued:
        figures.last_queued = max(queued)
    if acked:
        figures.first_acked = min(r.acked_at for r in acked)
        figures.last_acked = max(r.acked_at for r in acked)
    for r in acked:
        figures.total_ms.append((r.acked_at - r.received_at).total_seconds() * 1000)
        if r.queued_at is not None:
            figures.ingest_to_queued_ms.append((r.queued_at - r.received_at).total_seconds() * 1000)
            figures.queued_to_acked_ms.append((r.acked_at - r.queued_at).total_seconds() * 1000)
    figures.portal_batches = len(batches)
    figures.batch_ms = [float(b[2] or 0.0) for b in batches]
    for worker, _, _, count in batches:
        figures.attempts_per_worker[str(worker)] = figures.attempts_per_worker.get(str(worker), 0) + count
    return figures


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


# -- one run --------------------------------------------------------------------------------------


@dataclass
class RunResult:
    """Every figure of one run."""

    records: int
    latency_ms: int
    workers: int
    in_flight: int
    batch_size: int
    finished: bool = False
    seconds: float = 0.0
    rate: float = 0.0
    translate_rate: float | None = None
    store: StoreFigures = field(default_factory=StoreFigures)
    processes: list[ProcSample] = field(default_factory=list)
    cpu_during: dict[str, float] = field(default_factory=dict)
    sim_cpu_s: float = 0.0
    database_cpu_s: float = 0.0
    broker_restarted: bool = False
    broker_cpu_s: float = 0.0
    sim: dict[str, Any] = field(default_factory=dict)
    store_kind: str = "sqlite"
    machine_busy: float = 0.0
    load: tuple[float, float] = (0.0, 0.0)
    drop: datetime | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: dict[str, int] = field(default_factory=dict)

    @property
    def gateway_cpu_s(self) -> float:
        return sum(p.cpu_s for p in self.processes)


@dataclass(frozen=True)
class Plan:
    """What one run does."""

    records: int
    per_file: int
    latency_ms: int
    workers: int
    in_flight: int | None
    batch_size: int | None
    timeout_s: float
    drop_first: bool
    translate: bool
    keep: bool
    postgres: str | None = None


def daemon_env(var: Path, store: str, prefix: str, portal_url: str, plan: Plan) -> dict[str, str]:
    env = {
        "DVCGW_PATHS_VAR": str(var),
        "DVCGW_STORE_URL": store,
        "DVCGW_BROKER_PREFIX": prefix,
        "DVCGW_PORTAL_URL": portal_url,
        "DVCGW_PORTAL_USERNAME": SIM_USER,
        "DVCGW_PORTAL_PASSWORD": SIM_PASSWORD,
        "DVCGW_SYNC_WORKERS": str(plan.workers),
    }
    if plan.in_flight is not None:
        env["DVCGW_PORTAL_IN_FLIGHT"] = str(plan.in_flight)
    if plan.batch_size is not None:
        env["DVCGW_PORTAL_BATCH_SIZE"] = str(plan.batch_size)
    return env


def write_files(inbox: Path, plan: Plan) -> list[Path]:
    """Write the exports as hidden ``.<name>`` files in the inbox (never picked up); return them."""
    inbox.mkdir(parents=True, exist_ok=True)
    hidden = []
    for number, start in enumerate(range(0, plan.records, plan.per_file), start=1):
        path = inbox / f".export-{number:04d}.ndjson"
        path.write_bytes(igate_file(range(start, min(start + plan.per_file, plan.records))))
        hidden.append(path)
    return hidden


def drop_files(hidden: Sequence[Path]) -> datetime:
    """Make every file visible by rename, the documented way; the moment the first one appeared."""
    first = datetime.now(UTC)
    for path in hidden:
        path.rename(path.with_name(path.name[1:]))
    return first


def time_translate(files: Sequence[Path], records: int) -> float:
    """``dvcgw translate --source igate-json FILES > /dev/null``: records/s, wall clock."""
    command = [sys.executable, "-m", "gateway.cli", "translate", "--source", SOURCE, *map(str, files)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"dvcgw translate exited {done.returncode}: {done.stderr.decode()[-2000:]}")
    return records / elapsed


def consumers(config: Config) -> int:
    connection = connect(config.broker, name="dvcgw bench")
    try:
        queue = Topology.from_config(config.broker).sync_queue
        with broker_errors(f"count the consumers of {queue}"):
            return int(connection.channel().queue_declare(queue, passive=True).method.consumer_count)
    finally:
        connection.close()


def wait_ready(daemon: subprocess.Popen[bytes], config: Config, log: Path, workers: int) -> None:
    """Poll until every worker consumes the sync queue and the intake watches its inbox."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            raise RuntimeError(f"the daemon exited with {daemon.returncode} at start:\n{_tail(log)}")
        try:
            ready = consumers(config) >= workers and "intake watching" in log.read_text(errors="replace")
        except GatewayError:  # the topology is not declared yet: keep polling
            ready = False
        if ready:
            return
        time.sleep(POLL_S)  # polling interval of a deadline-bounded wait
    raise RuntimeError(f"the daemon was not ready within {READY_TIMEOUT_S:.0f} s:\n{_tail(log)}")


def wait_acked(engine: Engine, records: int, timeout_s: float, daemon: subprocess.Popen[bytes]) -> bool:
    """Poll the store until ``records`` messages are acknowledged; False at the deadline."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            return False
        try:
            _, acked = acked_count(engine)
        except (OperationalError, ProgrammingError):  # the daemon has not created the store yet
            acked = 0
        if acked >= records:
            return True
        time.sleep(POLL_S)  # polling interval of a deadline-bounded wait
    return False


def log_warnings(log: Path) -> dict[str, int]:
    """How many warning and error lines the daemon logged, per event; a child's failure is counted
    with the last line of its exception, so the report says why it died."""
    counts: dict[str, int] = {}
    for line in log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("level") in ("warning", "error", "critical"):
            key = f"{entry['level']}: {str(entry.get('event'))[:60]}"
            failure = entry.get("exception")
            if failure:
                key += f" ({_last_line(failure)[:200]})"
            counts[key] = counts.get(key, 0) + 1
    return counts


def _last_line(exception: Any) -> str:
    """The ``Type: message`` of a structlog exception field (a traceback text or dict_tracebacks)."""
    if isinstance(exception, list) and exception and isinstance(exception[-1], dict):
        return f"{exception[-1].get('exc_type')}: {exception[-1].get('exc_value')}"
    lines = str(exception).strip().splitlines()
    return lines[-1] if lines else ""


def _tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextmanager
def workspace(keep: bool) -> Iterator[Path]:
    if keep:
        path = Path(tempfile.mkdtemp(prefix="dvcgw-bench-"))
        print(f"  workspace kept: {path}")
        yield path
    else:
        with tempfile.TemporaryDirectory(prefix="dvcgw-bench-") as tmp:
            yield Path(tmp)


def run_once(plan: Plan) -> RunResult:
    """One complete run: set up, drop, drain, measure, tear down."""
    with workspace(plan.keep) as tmp, store_url(tmp, plan.postgres) as (store, reader):
        var = tmp / "var"
        prefix = f"bench-{uuid.uuid4().hex[:8]}"
        hidden = write_files(var / "inbox" / SOURCE, plan)
        faults = json.dumps({"latency_ms": [plan.latency_ms, plan.latency_ms]}) if plan.latency_ms else None
        sim = SimProcess(tmp / "portal-sim.sqlite3", faults=faults, log_path=tmp / "portal-sim.log")
        sim.start()
        env = daemon_env(var, store, prefix, sim.base_url, plan)
        config = load_config(environ={**os.environ, **env})
        result = RunResult(
            plan.records, plan.latency_ms, plan.workers, config.portal.in_flight, config.portal.batch_size
        )
        result.store_kind = "postgresql" if plan.postgres else "sqlite"
        log = tmp / "daemon.log"
        print(f"  run: {plan.records:,} records, broker prefix {prefix}, workspace {tmp}", flush=True)
        daemon: subprocess.Popen[bytes] | None = None
        try:
            if plan.translate:
                # The same bytes the daemon will read, timed before anything else runs.
                visible = [p.with_name(p.name[1:]) for p in hidden]
                for h, v in zip(hidden, visible, strict=True):
                    os.link(h, tmp / v.name)
                result.translate_rate = time_translate([tmp / v.name for v in visible], plan.records)
            if plan.drop_first:
                result.drop = drop_files(hidden)
            daemon = _start_daemon(env, log, plan.workers)
            wait_ready(daemon, config, log, plan.workers)
            if not plan.drop_first:
                result.drop = drop_files(hidden)
            sim_process, brokers = sim_pid(), broker_pids()
            # PostgreSQL backends come and go with connections; those alive at the drop are counted.
            databases = pids_named("postgres") if plan.postgres else []
            peers = [*brokers, *databases, *([sim_process] if sim_process else [])]
            base = {pid: cpu_seconds(pid) for pid in peers}
            tree = daemon_tree(daemon.pid, plan.workers)
            before = {s.role: s.cpu_s for s in sample(tree)}
            ticks, load = machine_ticks(), os.getloadavg()[0]
            started = time.monotonic()
            engine = store_reader(reader)
            result.finished = wait_acked(engine, plan.records, plan.timeout_s, daemon)
            result.seconds = time.monotonic() - started
            busy, total = (now - then for now, then in zip(machine_ticks(), ticks, strict=True))
            result.machine_busy, result.load = busy / total if total else 0.0, (load, os.getloadavg()[0])
            # Peak RSS and CPU of every gateway process, just before stopping it.
            if daemon.poll() is None:
                tree = daemon_tree(daemon.pid, plan.workers)
            result.processes = sample(tree)
            result.cpu_during = {s.role: s.cpu_s - before.get(s.role, 0.0) for s in result.processes}
            result.broker_cpu_s = sum(cpu_seconds(pid) - base[pid] for pid in brokers)
            result.broker_restarted = set(brokers) != set(broker_pids())
            result.database_cpu_s = sum(max(0.0, cpu_seconds(pid) - base[pid]) for pid in databases)
            if sim_process:
                result.sim_cpu_s = cpu_seconds(sim_process) - base[sim_process]
            result.store = store_figures(engine)
            engine.dispose()
            result.sim = httpx.get(f"{sim.base_url}/_sim/stats", timeout=10).json()
        finally:
            if daemon is not None:
                _stop_daemon(daemon)
            sim.stop()
            _delete_topology(config)
        _check(result, plan, log)
        result.warnings = log_warnings(log)
        lost = sum(n for event, n in result.warnings.items() if "reconnect" in event or "refused" in event)
        if lost:
            # e.g. a test elsewhere on this machine ran ``rabbitmqctl stop_app``: redeliveries follow
            result.problems.append(
                f"the daemon lost the broker during the run ({lost} reconnect lines): figures disturbed"
            )
    if result.drop and result.store.last_acked:
        span = (result.store.last_acked - result.drop).total_seconds()
        result.rate = result.store.acked / span if span > 0 else 0.0
    return result


def _start_daemon(env: dict[str, str], log: Path, workers: int) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "run", "--workers", str(workers)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
        )


def _stop_daemon(daemon: subprocess.Popen[bytes]) -> None:
    if daemon.poll() is None:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            daemon.kill()  # its children die with it (PR_SET_PDEATHSIG)
            daemon.wait()


def _delete_topology(config: Config) -> None:
    """Delete this run's queues and exchange; a broker that is away (restarting) is waited for,
    with a deadline, and then named with the prefix left behind rather than failing the run."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        try:
            connection = connect(config.broker, name="dvcgw bench")
            try:
                Topology.from_config(config.broker).delete(connection.channel())
            finally:
                connection.close()
            return
        except BrokerUnavailable as exc:
            if time.monotonic() > deadline:
                print(f"  could not delete the queues of prefix {config.broker.prefix!r}: {exc}")
                return
        time.sleep(POLL_S)  # polling interval of a deadline-bounded wait


def _check(result: RunResult, plan: Plan, log: Path) -> None:
    if not result.finished:
        result.problems.append(
            f"not finished: {result.store.acked} of {plan.records} acknowledged within the deadline; "
            f"daemon log tail:\n{_tail(log)}"
        )
    if result.store.stored != plan.records:
        result.problems.append(f"the store holds {result.store.stored} messages, not {plan.records}")
    if result.sim.get("dossiers") != plan.records:
        result.problems.append(f"the portal holds {result.sim.get('dossiers')} dossiers, not {plan.records}")
    # "already exists" on an insert is answered by resending as update (gateway.sync.delivery): not
    # a loss, but a dossier sent twice; any other refusal is a record the portal did not take.
    reasons = dict(result.sim.get("refused_by_reason") or {})
    resent = reasons.pop("already_exists", 0)
    if resent:
        result.notes.append(
            f"{resent} inserts refused as 'already exists' (a dossier sent twice), resent as update"
        )
    if any(reasons.values()):
        result.problems.append(f"the portal refused items: {reasons}")
    if result.broker_restarted:
        result.problems.append(
            "the broker was restarted during the run (its process changed): figures disturbed, run again"
        )
    if "child exited" in log.read_text(errors="replace"):
        result.problems.append("a child of the daemon died and was restarted: process roles may be off")


# -- reports --------------------------------------------------------------------------------------


def _since(drop: datetime | None, moment: datetime | None) -> str:
    if drop is None or moment is None:
        return "-"
    return f"{(moment - drop).total_seconds():6.2f} s"


def report(result: RunResult) -> None:
    s = result.store
    print(
        f"\n== {result.records:,} records, latency {result.latency_ms} ms, {result.workers} workers, "
        f"in-flight {result.in_flight}, batch {result.batch_size}, store {result.store_kind}"
    )
    if result.translate_rate is not None:
        print(f"  translate-only (dvcgw translate)   {result.translate_rate:8,.0f} records/s")
    print(f"  end to end (drop → last ack)       {result.rate:8,.0f} records/s")
    if result.translate_rate:
        print(f"  ratio end-to-end / translate-only  {result.rate / result.translate_rate:8.2f}")
    print(
        f"  ingest → ack per record            p50 {percentile(s.total_ms, 0.5):8,.0f} ms   "
        f"p99 {percentile(s.total_ms, 0.99):8,.0f} ms"
    )
    print(
        f"    received → queued (relay)        p50 {percentile(s.ingest_to_queued_ms, 0.5):8,.0f} ms   "
        f"p99 {percentile(s.ingest_to_queued_ms, 0.99):8,.0f} ms"
    )
    print(
        f"    queued → acked (broker, worker)  p50 {percentile(s.queued_to_acked_ms, 0.5):8,.0f} ms   "
        f"p99 {percentile(s.queued_to_acked_ms, 0.99):8,.0f} ms"
    )
    print(
        f"  since the first drop: first stored {_since(result.drop, s.first_received)}, last stored "
        f"{_since(result.drop, s.last_received)}, last queued {_since(result.drop, s.last_queued)}, "
        f"first acked {_since(result.drop, s.first_acked)}, last acked {_since(result.drop, s.last_acked)}"
    )
    per_call = s.acked / s.portal_batches if s.portal_batches else 0.0
    print(
        f"  portal batches: {s.portal_batches} ({per_call:.1f} records each), deliver() p50 "
        f"{percentile(s.batch_ms, 0.5):.0f} ms p99 {percentile(s.batch_ms, 0.99):.0f} ms max "
        f"{max(s.batch_ms, default=0):.0f} ms; per worker "
        f"{dict(sorted(s.attempts_per_worker.items()))}; portal saw {result.sim.get('inserts')} inserts, "
        f"{result.sim.get('history_entries')} history entries, "
        f"{result.sim.get('delayed_calls')} delayed calls"
    )
    print(f"  {'process':<17}{'pid':>8}{'peak RSS':>12}{'CPU total':>11}{'CPU in run':>12}")
    for p in result.processes:
        print(
            f"  {p.role:<17}{p.pid:>8}{p.hwm_kb / 1024:>9.1f} MB{p.cpu_s:>9.2f} s"
            f"{result.cpu_during.get(p.role, 0.0):>10.2f} s"
        )
    during = sum(result.cpu_during.values())
    print(
        f"  gateway CPU per 1,000 records: {result.gateway_cpu_s / result.records * 1000:.2f} s total, "
        f"{during / result.records * 1000:.2f} s during the run   (not counted: simulator "
        f"{result.sim_cpu_s:.1f} s, broker {result.broker_cpu_s:.1f} s"
        + (f", postgresql {result.database_cpu_s:.1f} s" if result.store_kind == "postgresql" else "")
        + f", wall {result.seconds:.1f} s)"
    )
    print(
        f"  machine: {os.cpu_count()} CPUs {result.machine_busy:.0%} busy during the run (every process), "
        f"load average {result.load[0]:.2f} at the drop, {result.load[1]:.2f} at the end"
    )
    if result.warnings:
        top = sorted(result.warnings.items(), key=lambda kv: -kv[1])[:5]
        print("  daemon log: " + "; ".join(f"{count} x {event}" for event, count in top))
    for note in result.notes:
        print(f"  note: {note}")
    for problem in result.problems:
        print(f"  PROBLEM: {problem}")


def report_rss(results: Sequence[RunResult]) -> bool:
    """Peak RSS of each process per size, side by side; True when every process stays flat."""
    roles = [p.role for p in results[0].processes]
    header = "".join(f"{r.records:>12,}" for r in results)
    print(
        f"\npeak RSS (VmHWM, MB) per backlog size, every file dropped before the daemon started\n"
        f"  {'process':<17}{header}{'ratio':>9}"
    )
    flat = True
    for role in roles:
        sizes = [next((p.hwm_kb for p in r.processes if p.role == role), 0) for r in results]
        ratio = sizes[-1] / sizes[0] if sizes[0] else 0.0
        flat &= ratio <= RSS_FLAT_RATIO
        row = "".join(f"{kb / 1024:>12.1f}" for kb in sizes)
        print(f"  {role:<17}{row}{ratio:>9.2f}")
    rates = "".join(f"{r.rate:>12,.0f}" for r in results)
    print(f"  {'records/s':<17}{rates}")
    print(
        f"target: peak RSS of each process within {RSS_FLAT_RATIO} x as the backlog grows:",
        "met" if flat else "NOT met",
    )
    return flat


def verdict(results: Sequence[RunResult]) -> None:
    first = results[0]
    if first.latency_ms == 0 and first.translate_rate:
        ok = first.rate >= TARGET_TRANSLATE_RATIO * first.translate_rate and first.rate >= TARGET_MIN_RATE
        print(
            f"target: end to end >= {TARGET_TRANSLATE_RATIO} x translate-only and >= "
            f"{TARGET_MIN_RATE:,.0f} records/s at latency 0: {'met' if ok else 'NOT met'} "
            f"({first.rate:,.0f} vs {first.translate_rate:,.0f})"
        )
    for other in results[1:]:
        ratio = other.rate / first.rate if first.rate else 0.0
        ok = ratio >= TARGET_LATENCY_RATIO
        print(
            f"target: at {other.latency_ms} ms latency >= {TARGET_LATENCY_RATIO} x the {first.latency_ms} ms "
            f"figure: {'met' if ok else 'NOT met'} ({other.rate:,.0f} / {first.rate:,.0f} = {ratio:.2f})"
        )


# -- command line ---------------------------------------------------------------------------------


def _counts(text: str) -> list[int]:
    try:
        values = [int(v.replace("_", "")) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of integers: {text!r}") from None
    if not values or any(v < 0 for v in values):
        raise argparse.ArgumentTypeError(f"expected non-negative integers: {text!r}")
    return values


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/pipeline.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="""examples:
  .venv/bin/python bench/pipeline.py                          # 50,000 records, latency 0, 2 workers
  .venv/bin/python bench/pipeline.py --latency-ms 0,100       # both latencies, compared
  .venv/bin/python bench/pipeline.py --latency-ms 100 --workers 2 --in-flight 16
  .venv/bin/python bench/pipeline.py --rss-check              # 10,000 vs 100,000 records, peak RSS
  .venv/bin/python bench/pipeline.py --rss-check --sizes 20000,200000
""",
    )
    parser.add_argument("-n", "--records", type=int, default=50_000, help="records per run (default 50000)")
    parser.add_argument("--per-file", type=int, default=5_000, help="records per export file (default 5000)")
    parser.add_argument(
        "--latency-ms",
        type=_counts,
        default=[0],
        metavar="MS[,MS...]",
        help="the simulator's latency per portal call; several: one run each, compared with the first",
    )
    parser.add_argument("--workers", type=int, default=2, help="sync worker processes (dvcgw run --workers)")
    parser.add_argument(
        "--in-flight",
        type=int,
        help="portal calls in flight per worker (DVCGW_PORTAL_IN_FLIGHT; default: config.yaml)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        help="dossiers per portal call (DVCGW_PORTAL_BATCH_SIZE; default: config.yaml)",
    )
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="seconds a run may take to drain (default 600)"
    )
    parser.add_argument(
        "--rss-check",
        action="store_true",
        help="run each of --sizes with the whole backlog dropped before the daemon starts; compare peak RSS",
    )
    parser.add_argument(
        "--sizes", type=_counts, default=[10_000, 100_000], metavar="N,N", help="record counts of --rss-check"
    )
    parser.add_argument(
        "--postgres",
        nargs="?",
        const=PG_ADMIN,
        metavar="URL",
        help=f"store in PostgreSQL instead of SQLite: a schema of the run's own in URL (default {PG_ADMIN})",
    )
    parser.add_argument("--no-translate", action="store_true", help="skip the translate-only reference run")
    parser.add_argument("--keep", action="store_true", help="keep each run's temporary folder (logs, store)")
    args = parser.parse_args(argv)
    for count in [args.records, *args.sizes]:
        if not 1 <= count <= MAX_RECORDS:
            parser.error(f"record counts must be between 1 and {MAX_RECORDS:,}")
    if args.per_file < 1 or args.workers < 1 or (args.in_flight is not None and args.in_flight < 1):
        parser.error("--per-file, --workers and --in-flight must be at least 1")
    return args


def code_version() -> str:
    """The commit measured, and whether gateway/ differs from it (read-only git)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "gateway"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{head}" + (f" + {len(dirty)} changed files under gateway/" if dirty else "")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print(f"code {code_version()}; {os.cpu_count()} CPUs; python {sys.version.split()[0]}")

    def plan(records: int, latency_ms: int, *, rss: bool) -> Plan:
        return Plan(
            records=records,
            per_file=args.per_file,
            latency_ms=latency_ms,
            workers=args.workers,
            in_flight=args.in_flight,
            batch_size=args.batch_size,
            timeout_s=args.timeout,
            drop_first=rss,
            translate=not rss and not args.no_translate and latency_ms == args.latency_ms[0],
            keep=args.keep,
            postgres=args.postgres,
        )

    results: list[RunResult] = []
    if args.rss_check:
        for size in args.sizes:
            results.append(run_once(plan(size, args.latency_ms[0], rss=True)))
            report(results[-1])
        flat = report_rss(results)
        return 0 if flat and not any(r.problems for r in results) else 1
    for latency in args.latency_ms:
        results.append(run_once(plan(args.records, latency, rss=False)))
        report(results[-1])
    print()
    verdict(results)
    return 1 if any(r.problems for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
