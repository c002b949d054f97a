"""``dvcgw check``: exit 0 when RabbitMQ, the store and the portal answer; 3 naming what does not."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.pipeline.harness import gateway_env, start_sim
from tests.services import broker_prefix


def check(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", "check", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
        check=False,
    )


def test_check_passes_when_every_service_answers_and_names_the_one_that_stops(tmp_path: Path) -> None:
    sim = start_sim(tmp_path)
    try:
        with broker_prefix() as prefix:
            env = gateway_env(
                tmp_path / "var", f"sqlite:///{tmp_path / 'gateway.sqlite3'}", prefix, sim.base_url
            )
            ready = check(env, "--json")
            assert ready.returncode == 0, ready.stdout + ready.stderr
            document = json.loads(ready.stdout)
            assert document["ready"] is True
            assert {name for name, answer in document["services"].items() if answer["ok"]} == {
                "broker",
                "store",
                "portal",
            }
            sim.stop()
            down = check(env)
    finally:
        sim.stop()
    assert down.returncode == 3, down.stdout + down.stderr
    assert "error: unreachable: portal" in down.stderr
    lines = {line.split()[0]: line for line in down.stdout.splitlines()}
    assert "UNREACHABLE" in lines["portal"]
    assert " ok " in lines["broker"]
    assert "dvcgw-sim" not in down.stdout + down.stderr  # the portal password is never printed
