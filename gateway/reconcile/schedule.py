"""Reconciliation in the daemon: a run every ``reconcile.interval_min`` minutes, never overlapping.

A thread of the daemon's ``intake`` child (``gateway.daemon.roles``). One interval after the
daemon starts, then every minute (or sooner for short intervals), it asks the store for a run:
the store starts one only when no run of any daemon holds the lease and the last run a daemon
started began at least an interval ago, so two daemons on one PostgreSQL store share the schedule
instead of doubling it; an interrupted run is resumed first. Findings and repairs go to the log
(``reconcile finding``, one line per dossier not in sync, with its code and class; never a
record's content) and to the store; the daemon's own relay publishes the repaired messages.

A failed run (the portal unreachable, the store gone, a defect) is logged and tried again at the
next wake-up: reconciliation is never a reason to stop delivering.
"""

from __future__ import annotations

import threading

import structlog

from gateway.config import Config
from gateway.errors import ConfigError, GatewayError
from gateway.reconcile.run import Reconciler, RunRequest
from gateway.reconcile.window import Window

log = structlog.get_logger(__name__)


def run_schedule(config: Config, stop: threading.Event) -> None:
    """Until ``stop``: run a reconciliation whenever one is due (see the module)."""
    interval_s = config.reconcile.interval_min * 60
    if interval_s <= 0:
        return
    wake_s = min(60.0, max(1.0, interval_s / 4))
    log.info("reconciliation scheduled", interval_min=config.reconcile.interval_min)
    # The first run one interval after the start: not while a restarted daemon catches up.
    pause = interval_s
    while not stop.wait(pause):
        pause = wake_s
        try:
            run_due(config, stop, interval_s)
        except ConfigError as exc:
            log.error("reconciliation cannot run; it stays off", error=str(exc))
            return
        except GatewayError as exc:
            log.warning(
                "reconciliation failed; it will be tried again", error=str(exc), kind=type(exc).__name__
            )
        except Exception:
            log.exception("reconciliation failed on a defect; it will be tried again")


def run_due(config: Config, stop: threading.Event, interval_s: float) -> None:
    """One wake-up: run (or resume) a reconciliation if one is due; its portal calls are timed and
    counted in the daemon's metrics (``dvcgw_portal_calls_total``, by operation)."""
    from gateway.observe.portal import MeasuredPortalClient
    from gateway.portal import make_client
    from gateway.store import Store

    window = Window.chosen(since=None, until=None, everything=False, days=config.reconcile.window_days)
    request = RunRequest(
        window,
        repair=config.reconcile.repair,
        started_by="daemon",
        operator="daemon",
        due_after_s=interval_s,
    )
    with Store.open(config.store_url) as store:
        client = MeasuredPortalClient(make_client(config.portal))
        try:
            reconciler = Reconciler(store, client, config.reconcile, agency=config.portal.madonvi, stop=stop)
            outcome = reconciler.run(request)
        finally:
            client.close()
    if outcome.run is None:
        log.debug("reconciliation not started", reason=outcome.refused)
