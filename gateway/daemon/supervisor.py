"""The daemon's supervisor: checks the services, starts the children, restarts them, stops them.

Children (``multiprocessing`` spawn, so nothing is inherited but the configuration):

- ``intake``: watches ``<var>/inbox/<source>/``, ingests files into the store;
- ``outbox``: the relay publishes the store's pending messages to RabbitMQ; its ``poison`` thread
  records what the broker gave up on; its ``reconcile`` thread compares the portal with the store
  every ``reconcile.interval_min`` minutes and repairs (``gateway.reconcile``);
- ``worker-1`` … ``worker-N``: sync workers, each a process of its own (both cores are used, and a
  crash of one loses only its unacknowledged deliveries, which the broker redelivers);
- ``web`` (unless ``web.enabled`` is false): the web server on ``web.host``:``web.port``, loopback
  by default: ``/metrics`` for Prometheus, ``/healthz``, ``/readyz`` and the operator console
  (``gateway.web``). The children count their work in prometheus_client's multiprocess mode, in
  ``<var>/metrics/<host>.<pid>/``, emptied at every start (``gateway.observe.multiproc``).

A child that dies is started again after a growing pause. Each child is bound to the supervisor's
life (Linux ``PR_SET_PDEATHSIG``): ``kill -9`` of the supervisor takes its children with it, so a
restarted daemon never runs beside leftovers of the old one. SIGTERM or SIGINT stops the daemon
gracefully: the children stop taking work, finish the portal calls in flight, record and
acknowledge them, and exit; what they had not taken stays on the queue.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess

import structlog

from gateway import logging as gateway_logging
from gateway.broker.connection import connect
from gateway.broker.topology import Topology
from gateway.config import Config
from gateway.errors import PortalError
from gateway.observe import multiproc
from gateway.observe.probe import probe_portal
from gateway.store import Store
from gateway.web.serve import check_web

log = structlog.get_logger(__name__)

GRACE_S = 30.0
_PR_SET_PDEATHSIG = 1


@dataclass
class _Child:
    role: str
    name: str
    process: BaseProcess | None = None
    restarts: int = 0
    not_before: float = field(default=0.0)


def preflight(config: Config) -> None:
    """Reach the store (migrating it) and the broker (declaring the topology) or raise
    ``StoreUnavailable`` / ``BrokerUnavailable``; the portal is only checked, since an outage there
    is what the retry tiers are for. A web configuration that would serve the network unasked is a
    ``ConfigError``."""
    if config.web.enabled:
        check_web(config.web)
    Store.open(config.store_url).close()
    connection = connect(config.broker)
    try:
        Topology.from_config(config.broker).declare(connection.channel())
    finally:
        connection.close()
    try:
        probe_portal(config.portal)  # as the API generation allows (gateway.observe.probe)
    except PortalError as exc:
        log.warning("the portal is not answering; messages will wait in the retry tiers", error=str(exc))


def run_daemon(config: Config, workers: int) -> None:
    """Run until SIGTERM/SIGINT. Raises ``StoreUnavailable``/``BrokerUnavailable`` at start."""
    preflight(config)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    # Before any child starts: they inherit the folder's name and count into it.
    metrics = multiproc.prepare(config.paths.var)
    context = multiprocessing.get_context("spawn")
    children = [_Child("intake", "intake"), _Child("outbox", "outbox")]
    children += [_Child("worker", f"worker-{i}") for i in range(1, workers + 1)]
    if config.web.enabled:
        children.append(_Child("web", "web"))
    log.info(
        "daemon started",
        workers=workers,
        store=_safe_url(config.store_url),
        prefix=config.broker.prefix,
        web=f"{config.web.host}:{config.web.port}" if config.web.enabled else None,
        metrics=str(metrics),
    )
    try:
        while not stop.is_set():
            now = time.monotonic()
            for child in children:
                if child.process is not None and child.process.is_alive():
                    continue
                if child.process is not None:
                    log.error(
                        "child exited; starting it again", child=child.name, exitcode=child.process.exitcode
                    )
                    if child.process.pid is not None:
                        multiproc.process_dead(child.process.pid)
                    child.process = None
                    child.restarts += 1
                    child.not_before = now + min(30.0, 0.5 * 2 ** min(child.restarts, 6))
                if now >= child.not_before:
                    child.process = context.Process(
                        target=child_main, args=(child.role, config, child.name), name=child.name
                    )
                    child.process.start()
            stop.wait(0.2)
    finally:
        _stop_children(children)
    log.info("daemon stopped")


def _stop_children(children: list[_Child]) -> None:
    running = [c.process for c in children if c.process is not None and c.process.is_alive()]
    for process in running:
        if process.pid is not None:
            os.kill(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_S
    for process in running:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            log.error("child ignored SIGTERM; killing it", child=process.name)
            process.kill()
            process.join()


def child_main(role: str, config: Config, name: str) -> None:
    """Entry point of a child process."""
    _die_with_parent()
    gateway_logging.configure(json_output=True)
    structlog.contextvars.bind_contextvars(process=name)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    from gateway.daemon import roles

    try:
        if role == "intake":
            roles.run_intake(config, stop)
        elif role == "outbox":
            roles.run_outbox(config, stop)
        elif role == "web":
            roles.run_web(config, stop)
        else:
            roles.run_worker(config, stop, name)
    except Exception:
        log.exception("child failed", child=name)
        sys.exit(1)


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:  # the parent died before the call: follow it
        os._exit(1)


def _safe_url(url: str) -> str:
    """The URL without its password, for logs."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        credentials, _, host = rest.rpartition("@")
        user = credentials.split(":", 1)[0]
        return f"{scheme}{sep}{user}:***@{host}"
    return url
