"""The demo run by ``make demo``: the whole path, from provincial exports to the (simulated) portal.

It starts a portal simulator and the gateway daemon on the embedded defaults (a SQLite store under
``<var>/demo/``, the local RabbitMQ with queue names under ``<prefix>-demo``), drops the sample
exports of every mapping (the input files of its fixture cases) into the daemon's inbox, shows
progress until every record is settled (acknowledged by the portal, superseded by a newer revision,
dead, or rejected at intake), then reconciles the store with the portal (the report as
``<var>/demo/reconcile.html`` and ``.json``: the proof that the portal holds the latest revision of
every delivered dossier), prints a summary, and stops everything it started. The samples hold
bad records on purpose: their rejections are expected, counted and explained, never hidden.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import click
import httpx
import orjson
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gateway.broker.connection import connect
from gateway.broker.topology import Topology
from gateway.config import Config
from gateway.exit_codes import ExitCode
from gateway.logging import redact_text
from gateway.mapping.fixtures import case_dirs
from gateway.portal import make_client
from gateway.reconcile.html import render_html
from gateway.reconcile.report import Report, build_report
from gateway.reconcile.run import Reconciler, RunRequest
from gateway.reconcile.window import Window
from gateway.sim.process import SimProcess
from gateway.store import MessageState, Store
from gateway.web.console.auth import PASSWORD_ENV

DEADLINE_S = 180.0
_OPEN = (MessageState.PENDING, MessageState.QUEUED, MessageState.RETRYING)


def run_demo(config: Config, names: list[str], *, keep: bool = False) -> ExitCode:
    """Run the demo; the exit code for the command (3 when RabbitMQ is unreachable).

    ``keep``: after the summary, leave the simulator and the daemon running (its metrics, health
    checks and operator console on ``web.host``:``web.port``) until Ctrl-C.
    """
    console = Console(stderr=True)
    var = config.paths.var / "demo"
    shutil.rmtree(var, ignore_errors=True)  # the demo's own state of an earlier run
    var.mkdir(parents=True)
    broker = replace(config.broker, prefix=f"{config.broker.prefix}-demo")
    config = replace(
        config,
        paths=replace(config.paths, var=var),
        store=replace(config.store, url=f"sqlite:///{var / 'gateway.sqlite3'}"),
        broker=broker,
    )
    topology = Topology.from_config(broker)
    connection = connect(broker)  # BrokerUnavailable → exit 3 with a hint (cli.Group)
    try:
        topology.delete(connection.channel())  # queues of an earlier demo run
    finally:
        connection.close()

    inputs = [
        (name, case.name, file)
        for name in names
        for case in case_dirs(config.paths.fixtures / name)
        for file in sorted(case.glob("input*"))
    ]
    started = time.monotonic()
    password = os.environ.get(PASSWORD_ENV) or (secrets.token_urlsafe(12) if keep else None)
    with SimProcess(var / "portal-sim.sqlite3", env=_sim_env(config)) as sim:
        console.print(f"portal simulator at {sim.base_url}")
        daemon = _start_daemon(config, sim.base_url, var / "daemon.log", password)
        try:
            _drop_files(config, inputs)
            console.print(f"{len(inputs)} sample export files dropped into {var / 'inbox'}")
            settled = _wait(config, console, inputs, daemon)
            stats = httpx.get(f"{sim.base_url}/_sim/stats", timeout=5).json()
            elapsed = time.monotonic() - started
            report = _reconcile(config, sim.base_url, var) if settled else None
            code = _summary(config, console, stats, elapsed, settled)
            if report is not None:
                code = _reconciled(report, var, code)
            if keep:
                _keep_running(config, sim.base_url, daemon, password)
        finally:
            _stop(daemon)
    connection = connect(broker)
    try:
        topology.delete(connection.channel())
    finally:
        connection.close()
    return code


def _reconcile(config: Config, portal_url: str, var: Path) -> Report:
    """Reconcile everything the demo delivered against the simulator (no repair: a demo shows
    drift rather than hiding it); the report is written as HTML and JSON under ``var``."""
    portal = replace(
        config.portal, url=portal_url, username=config.sim.username, password=config.sim.password
    )
    window = Window.chosen(since=None, until=None, everything=True, days=config.reconcile.window_days)
    request = RunRequest(window, repair=False, started_by="demo", operator="demo")
    with Store.open(config.store_url) as store:
        client = make_client(portal)
        try:
            outcome = Reconciler(store, client, config.reconcile, agency=portal.madonvi).run(request)
        finally:
            client.close()
        if outcome.run is None:
            raise click.ClickException(f"the demo's reconciliation did not run: {outcome.refused}")
        report = build_report(store, outcome.run.id)
    document = report.to_json()
    (var / "reconcile.json").write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    (var / "reconcile.html").write_text(render_html(document), encoding="utf-8")
    return report


def _reconciled(report: Report, var: Path, code: ExitCode) -> ExitCode:
    document = report.to_json()
    counts = document["counts"]
    click.echo(
        f"reconciliation        {document['sync_rate']:6.1%}   of the dossiers received are in sync "
        f"at the portal ({', '.join(f'{kind} {n}' for kind, n in counts.items() if n)})"
    )
    click.echo(f"report: {var / 'reconcile.html'} (and reconcile.json)")
    return ExitCode.REJECTED if report.drift else code


def _keep_running(
    config: Config, portal_url: str, daemon: subprocess.Popen[bytes], password: str | None
) -> None:
    """Say where to look, then wait for Ctrl-C (or for the daemon to stop)."""
    web = f"http://{config.web.host}:{config.web.port}"
    click.echo("")
    click.echo("the demo keeps running (Ctrl-C stops it):")
    if config.web.enabled:
        click.echo(f"  operator console   {web}/console/   (any name; password: {password})")
        click.echo(f"  metrics, health    {web}/metrics   {web}/healthz   {web}/readyz")
    click.echo(f"  portal simulator   {portal_url}/_sim/stats")
    click.echo(f"  command line       DVCGW_PATHS_VAR={config.paths.var} dvcgw dead list")
    try:
        daemon.wait()
    except KeyboardInterrupt:
        click.echo("stopping the demo", err=True)


def _sim_env(config: Config) -> dict[str, str]:
    return {"DVCGW_SIM_USERNAME": config.sim.username, "DVCGW_SIM_PASSWORD": config.sim.password}


def _start_daemon(
    config: Config, portal_url: str, log_path: Path, password: str | None
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DVCGW_PATHS_VAR": str(config.paths.var),
        "DVCGW_STORE_URL": config.store_url,
        "DVCGW_BROKER_PREFIX": config.broker.prefix,
        "DVCGW_PORTAL_URL": portal_url,
        "DVCGW_PORTAL_USERNAME": config.sim.username,
        "DVCGW_PORTAL_PASSWORD": config.sim.password,
        **({PASSWORD_ENV: password} if password else {}),
    }
    log = log_path.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "run"], stdout=log, stderr=subprocess.STDOUT, env=env
    )


def _drop_files(config: Config, inputs: list[tuple[str, str, Path]]) -> None:
    """Drop each sample into the inbox the way a provincial system must: write, then rename."""
    for name, case, file in inputs:
        folder = config.paths.var / "inbox" / name
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".{case}~{file.name}"
        shutil.copyfile(file, partial)
        partial.rename(folder / f"{case}~{file.name}")


def _waiting_files(config: Config) -> int:
    return sum(
        1
        for kind in ("inbox", "processing")
        for folder in (config.paths.var / kind).glob("*")
        for _ in folder.iterdir()
    )


def _wait(
    config: Config, console: Console, inputs: list[tuple[str, str, Path]], daemon: subprocess.Popen[bytes]
) -> bool:
    """Show progress until every file is ingested and every message settled; False at the deadline."""
    deadline = time.monotonic() + DEADLINE_S
    store_file = config.paths.var / "gateway.sqlite3"
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    store: Store | None = None
    try:
        with Progress(*columns, console=console, transient=False) as progress:
            files = progress.add_task("files ingested", total=len(inputs))
            messages = progress.add_task("messages settled", total=None)
            while time.monotonic() < deadline:
                if daemon.poll() is not None:
                    log = config.paths.var / "daemon.log"
                    console.print(f"[red]the daemon exited with code {daemon.returncode}; see {log}")
                    return False
                waiting = _waiting_files(config)
                progress.update(files, completed=len(inputs) - waiting)
                if store is None and store_file.exists():
                    store = Store.open(config.store_url)
                if store is not None:
                    counts = store.state_counts()
                    total = sum(counts.values())
                    unfinished = sum(counts[s] for s in _OPEN)
                    progress.update(messages, total=total, completed=total - unfinished)
                    if waiting == 0 and unfinished == 0 and total:
                        return True
                time.sleep(0.2)  # the demo's refresh rate, bounded by the deadline above
    finally:
        if store is not None:
            store.close()
    console.print("[red]not every message settled before the deadline")
    return False


def _stop(daemon: subprocess.Popen[bytes]) -> None:
    if daemon.poll() is None:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(60)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()


def _summary(
    config: Config, console: Console, stats: dict[str, object], elapsed: float, settled: bool
) -> ExitCode:
    store = Store.open(config.store_url)
    try:
        counts = store.state_counts()
        rejections = store.rejections(limit=10_000)
        totals = store.file_totals()
    finally:
        store.close()
    # Reasons can quote a value (a tax code that fails its check digit): masked as the logs mask them.
    reasons = Counter(
        redact_text(reason.split(": ", 1)[-1])[:70] for row in rejections for reason in row.reasons
    )
    records = totals["records"]
    delivered = counts[MessageState.ACKED]
    click.echo("")
    click.echo(
        f"files ingested        {totals['files']:6}   ({totals['rejected_files']} rejected as a whole)"
    )
    click.echo(f"records in            {records:6}")
    click.echo(f"  delivered (acked)   {delivered:6}   the portal holds {stats.get('dossiers')} dossiers")
    superseded = counts[MessageState.SUPERSEDED]
    click.echo(f"  superseded          {superseded:6}   older revisions, a newer one was sent")
    click.echo(
        f"  duplicates          {totals['duplicates']:6}   the same record seen again: nothing to send"
    )
    click.echo(f"  rejected            {totals['rejected']:6}   bad records, kept with their reasons")
    click.echo(f"  dead                {counts[MessageState.DEAD]:6}")
    on_the_way = sum(counts[s] for s in _OPEN)
    click.echo(f"  still on the way    {on_the_way:6}")
    click.echo(
        f"time                  {elapsed:6.1f} s   {records / elapsed:6.1f} records/s (start-up included)"
    )
    if reasons:
        click.echo("most frequent rejection reasons:")
        for reason, count in reasons.most_common(8):
            click.echo(f"  {count:4}  {reason}")
    click.echo(f"state: {config.paths.var} (store, daemon.log, archive/, rejected/)")
    return ExitCode.OK if settled and counts[MessageState.DEAD] == 0 else ExitCode.REJECTED
