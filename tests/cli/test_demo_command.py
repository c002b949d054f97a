"""``dvcgw demo`` (the README's main job): the whole path on the embedded defaults, end to end.

Real processes: the demo starts the portal simulator and the daemon itself, on the local RabbitMQ
(under a prefix of this test's own) and a SQLite store in a temporary var folder.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pika
import pika.exceptions
import pytest

from gateway.broker.connection import connect
from gateway.broker.topology import Topology
from gateway.config import BrokerConfig

pytestmark = pytest.mark.slow


def _queue_exists(prefix: str, name: str) -> bool:
    connection = connect(BrokerConfig(prefix=prefix))
    try:
        channel = connection.channel()
        try:
            channel.queue_declare(f"{prefix}.{name}", passive=True)
        except pika.exceptions.ChannelClosedByBroker:
            return False
        return True
    finally:
        connection.close()


@pytest.mark.timeout(300)
def test_the_demo_delivers_every_good_sample_and_proves_it_by_reconciliation(tmp_path: Path) -> None:
    prefix = f"t-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DVCGW_PATHS_VAR": str(tmp_path / "var"), "DVCGW_BROKER_PREFIX": prefix}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "gateway.cli", "demo"],
            env=env,
            capture_output=True,
            text=True,
            timeout=280,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "dead                     0" in done.stdout
        assert "still on the way         0" in done.stdout
        assert "reconciliation        100.0%" in done.stdout

        var = tmp_path / "var" / "demo"
        report = json.loads((var / "reconcile.json").read_text(encoding="utf-8"))
        delivered = int(done.stdout.split("delivered (acked)")[1].split()[0])
        assert delivered > 0
        assert report["counts"]["in_sync"] == delivered
        assert report["sync_rate"] == 1.0
        assert report["dossiers"] == []
        page = (var / "reconcile.html").read_text(encoding="utf-8")
        assert 'id="sync-rate"' in page
        # The demo removes the queues it declared.
        assert not _queue_exists(f"{prefix}-demo", "sync")
    finally:
        connection = connect(BrokerConfig(prefix=f"{prefix}-demo"))
        try:
            Topology.from_config(BrokerConfig(prefix=f"{prefix}-demo")).delete(connection.channel())
        finally:
            connection.close()


@pytest.mark.timeout(300)
def test_a_kept_demo_serves_metrics_health_and_the_console_until_ctrl_c(tmp_path: Path) -> None:
    prefix = f"t-{uuid.uuid4().hex[:8]}"
    with socket.socket() as probe:  # a free port for the daemon's web server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "DVCGW_PATHS_VAR": str(tmp_path / "var"),
        "DVCGW_BROKER_PREFIX": prefix,
        "DVCGW_WEB_PORT": str(port),
    }
    env.pop("DVCGW_CONSOLE_PASSWORD", None)
    demo = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "demo", "--keep"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert demo.stdout is not None
        lines: list[str] = []
        for line in demo.stdout:  # bounded by the test's timeout
            lines.append(line)
            if "command line" in line:
                break
        [console_line] = [line for line in lines if "operator console" in line]
        password = console_line.split("password: ")[1].strip().rstrip(")")
        web = f"http://127.0.0.1:{port}"
        metrics = httpx.get(f"{web}/metrics", timeout=10).text
        delivered = int("".join(lines).split("delivered (acked)")[1].split()[0])
        assert f"dvcgw_messages_acknowledged_total {delivered}.0" in metrics
        assert httpx.get(f"{web}/healthz", timeout=10).status_code == 200
        assert httpx.get(f"{web}/readyz", timeout=10).status_code == 200
        with httpx.Client(base_url=web, follow_redirects=True, timeout=10) as browser:
            page = browser.get("/console/login")
            token = page.text.split('name="csrf" value="')[1].split('"')[0]
            signed_in = browser.post(
                "/console/login",
                data={"name": "demo", "password": password, "csrf": token},
                headers={"Origin": web},
            )
            assert signed_in.status_code == 200
            assert "Dashboard" in signed_in.text or "dashboard" in signed_in.text
        demo.send_signal(signal.SIGINT)
        assert demo.wait(120) == 0
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
        if demo.stdout is not None:
            demo.stdout.close()
        connection = connect(BrokerConfig(prefix=f"{prefix}-demo"))
        try:
            Topology.from_config(BrokerConfig(prefix=f"{prefix}-demo")).delete(connection.channel())
        finally:
            connection.close()
