"""The console end to end in headless Chromium: an operator signs in, sees a dead message, replays it
once the portal's catalogue is fixed, and watches it delivered.

The real pipeline runs beside the console: the daemon (RabbitMQ under a prefix of the test's own, a
SQLite store), the portal simulator whose catalogue lacks one procedure (so those dossiers die with
the portal's reason), and a reconciliation run so the dashboard has a sync rate. The console is
served by uvicorn in a thread, mounted at ``/console`` as the daemon's web server mounts it.
Screenshots of the dashboard, the reconciliation, the dead letters, one dead letter, the
confirmation and the delivered dossier go to ``$CONSOLE_SHOTS`` (else the test's temporary folder).

Playwright for Python drives Debian's ``chromium``; without either the test skips on a developer's
machine and fails under CI (``CI`` set), as the reconciliation report's browser test does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

from gateway.config import load_config
from gateway.sim.process import SimProcess, free_port
from gateway.store import MessageState, Store
from gateway.synthetic import dossier_code, igate_file
from gateway.web.console import create_console
from tests.console.console_client import OPERATOR, PASSWORD
from tests.pipeline.harness import (
    SOURCE,
    Daemon,
    catalogue,
    drop,
    running_daemon,
    running_sim,
    wait_for_counts,
)
from tests.polling import wait_until
from tests.services import broker_prefix

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

LISTED = ["1.004889", "1.001234"]
UNLISTED = "2.000123"
DOSSIERS = range(24)
REFUSED = [5, 13]


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimProcess]:
    with running_sim(tmp_path, listed=LISTED) as process:
        yield process


@pytest.fixture
def daemon(tmp_path: Path, sim: SimProcess) -> Iterator[Daemon]:
    with broker_prefix() as prefix, running_daemon(tmp_path, prefix, sim.base_url) as started:
        yield started


@pytest.fixture
def console_url(daemon: Daemon) -> Iterator[str]:
    """The console on the daemon's store and broker, served by uvicorn in a thread under /console."""
    config = load_config(environ=daemon.env)
    console = create_console(config, environ={"DVCGW_CONSOLE_PASSWORD": PASSWORD})
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=[Mount("/console", app=console)]),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, name="console-server", daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, "the console's server did not start", timeout=15)
        yield f"http://127.0.0.1:{port}/console"
    finally:
        server.should_exit = True
        thread.join(15)
        console.state.stores.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("CONSOLE_SHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def reconcile(daemon: Daemon) -> None:
    """``dvcgw reconcile`` beside the daemon, so the dashboard has a sync rate (the dead ones drift)."""
    done = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "reconcile", "--all"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **daemon.env},
    )
    assert done.returncode == 1, done.stderr  # drift: the portal does not hold the dead dossiers


def sign_in(page: Page, console_url: str) -> None:
    page.goto(f"{console_url}/dead")
    assert "/console/login?next=" in page.url
    page.fill("#name", OPERATOR)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(f"{console_url}/dead")


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_an_operator_signs_in_sees_a_dead_message_replays_it_and_watches_it_delivered(
    browser: Browser, sim: SimProcess, daemon: Daemon, console_url: str, shots: Path
) -> None:
    accepted = [i for i in DOSSIERS if i not in REFUSED]
    store = Store.open(daemon.env["DVCGW_STORE_URL"])
    try:
        drop(
            daemon.var,
            SOURCE,
            "export.ndjson",
            igate_file(accepted) + igate_file(REFUSED, procedure=UNLISTED),
        )
        wait_for_counts(
            store,
            lambda c: c["acked"] == len(accepted) and c["dead"] == len(REFUSED),
            "delivery",
            [daemon],
            60,
        )
        reconcile(daemon)
        [replayed] = [m.id for m in store.messages_of(dossier_code(REFUSED[0]))]
        [left] = [m.id for m in store.messages_of(dossier_code(REFUSED[1]))]

        page = browser.new_page(viewport={"width": 1360, "height": 900})
        sign_in(page, console_url)
        rows = page.locator("#dead-letters tbody tr")
        assert rows.count() == len(REFUSED)
        row = page.locator(f'#dead-letters tr[data-id="{replayed}"]')
        assert row.get_attribute("data-mahoso") == dossier_code(REFUSED[0])
        assert UNLISTED in row.locator("td.reason").inner_text()
        page.screenshot(path=str(shots / "dead-letters.png"), full_page=True)

        page.click(f'#dead-letters tr[data-id="{replayed}"] a[href$="/dead/{replayed}"]')
        assert UNLISTED in page.inner_text("#reason")
        assert dossier_code(REFUSED[0]) in page.inner_text("#original")
        page.screenshot(path=str(shots / "dead-letter.png"), full_page=True)

        page.click('header nav a:has-text("Dashboard")')
        assert page.inner_text("#dead-count") == str(len(REFUSED))
        assert page.inner_text("#delivered") == str(len(accepted))
        assert page.inner_text("#sync-rate") == f"{len(accepted) / len(DOSSIERS) * 100:.1f}%"
        page.screenshot(path=str(shots / "dashboard.png"), full_page=True)

        page.click('header nav a:has-text("Reconciliation")')
        assert page.locator(f'#attention tr[data-mahoso="{dossier_code(REFUSED[0])}"]').count() == 1
        page.screenshot(path=str(shots / "reconciliation.png"), full_page=True)

        httpx.put(
            f"{sim.base_url}/_sim/catalogue", json=catalogue([*LISTED, UNLISTED]), timeout=10
        ).raise_for_status()
        page.click('header nav a:has-text("Dead letters")')
        page.check(f'#dead-letters input[name="id"][value="{replayed}"]')
        page.click("#replay-selected")
        assert page.inner_text("#plan-summary").startswith("1 to replay, 0 skipped, 0 cannot be")
        page.screenshot(path=str(shots / "replay-confirm.png"), full_page=True)
        page.click("#confirm-replay")
        assert page.inner_text("#replay-result") == "1 replayed, 0 skipped, 0 not."

        page.click(f'#replayed li[data-id="{replayed}"] a')
        acked = f'#revisions tr[data-id="{replayed}"][data-state="acked"]'

        def delivered() -> bool:
            page.reload()
            return page.locator(acked).count() == 1

        wait_until(
            delivered, f"#{replayed} was not shown acknowledged:\n{daemon.log_tail()}", timeout=60, every=0.5
        )
        assert f"exactly the one sent as #{replayed}" in page.inner_text("#portal")
        assert f"by console:{OPERATOR}" in page.inner_text("#timeline")
        page.screenshot(path=str(shots / "dossier-delivered.png"), full_page=True)

        assert store.states([replayed, left]) == {replayed: MessageState.ACKED, left: MessageState.DEAD}
        [record] = store.replays_of([replayed])
        assert record.operator == f"console:{OPERATOR}"
        page.click('header nav a:has-text("Dead letters")')
        assert page.locator("#dead-letters tbody tr").count() == 1
        page.close()
    finally:
        store.close()
