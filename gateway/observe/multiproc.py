"""Prometheus' multiprocess mode for the daemon: where the children's metric files live.

The daemon's counters and histograms (``gateway.observe.metrics``) are updated in its children
(the intake, the workers), and read in another (``web``). prometheus_client's multiprocess mode
does that through files: each process writes its values to ``<folder>/<kind>_<pid>.db``, and a
``MultiProcessCollector`` sums every file at each scrape. The folder is named by the environment
variable ``PROMETHEUS_MULTIPROC_DIR``, which prometheus_client reads when it is first imported: the
supervisor sets it (``prepare``) before it starts any child, and the children (``spawn``: a fresh
interpreter each) inherit it.

The folder is ``<var>/metrics/<host>.<pid of the supervisor>``: emptied at every start (the counters
of a daemon begin at zero, as Prometheus expects of a restarted target), and one per daemon, so two
daemons sharing a var folder never wipe each other's files. Folders of daemons of this host that no
longer run are removed at start. When a child exits, ``process_dead`` lets prometheus_client drop
what only a live process may report (live gauges); the counters of a dead child stay in the totals,
so a restarted worker never makes a counter go down.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterable, Iterator
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare(var: Path, *, pid: int | None = None, host: str | None = None) -> Path:
    """Create this daemon's empty metrics folder under ``<var>/metrics/``, remove those of daemons of
    this host that no longer run, and name it in ``PROMETHEUS_MULTIPROC_DIR`` for the children."""
    host = host or socket.gethostname()
    root = var / "metrics"
    own = root / f"{host}.{pid or os.getpid()}"
    root.mkdir(parents=True, exist_ok=True)
    for folder in root.iterdir():
        owner, _, number = folder.name.rpartition(".")
        if not folder.is_dir() or owner != host or not number.isdigit():
            continue
        if folder == own or not _running(int(number)):
            shutil.rmtree(folder, ignore_errors=True)
    own.mkdir()
    os.environ[ENV] = str(own)
    return own


def folder() -> Path | None:
    """The metrics folder of this daemon, or None outside one (metrics then count in memory)."""
    named = os.environ.get(ENV)
    return Path(named) if named and Path(named).is_dir() else None


def process_dead(pid: int) -> None:
    """A child exited: drop what only a live process reports (its counters stay in the totals)."""
    path = folder()
    if path is not None:
        mark_process_dead(pid, str(path))  # type: ignore[no-untyped-call]


def registry(collectors: Iterable[Collector] = ()) -> CollectorRegistry:
    """What ``/metrics`` exposes: every process's counters and histograms (in the daemon, from the
    multiprocess folder; elsewhere, this process's own), then ``collectors``."""
    found = CollectorRegistry(auto_describe=False)
    path = folder()
    if path is not None:
        MultiProcessCollector(found, path=str(path))  # type: ignore[no-untyped-call]
    else:
        found.register(_ThisProcess())
    for collector in collectors:
        found.register(collector)
    return found


class _ThisProcess(Collector):
    """The default registry of this process, for a web app running outside the daemon."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
