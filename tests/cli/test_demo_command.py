"""``dvcgw demo`` (the README's main job): the whole path on the embedded defaults, end to end.

Real processes: the demo starts the portal simulator and the daemon itself, on the local RabbitMQ
(under a prefix of this test's own) and a SQLite store in a temporary var folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

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
